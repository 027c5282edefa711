# Table 4 right, ESM transform switches: Int.E + Geo.E.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(synthesis=dict(
    int_exemplar=True, int_background=False, geo_exemplar=True,
    geo_background=False)))
