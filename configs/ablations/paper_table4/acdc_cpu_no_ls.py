# Table 4 row 4 (L_e, L_c in both stages, L_u; no L_s): no synthetic samples in
# either stage; stage 2 still trains on the pseudo-labelled slices.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1, unlabeled=2))))
