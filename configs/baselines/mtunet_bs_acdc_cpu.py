# MT-UNet "BS" baseline (Table 1) at a CPU width: MTUNet base 12 instead of the
# published 64, 128x128; exemplar only, rotation + flip.
_base_ = ['./unet_bs_acdc_cpu.py']
model = dict(
    backbone=dict(_delete_=True, type='MTUNet', in_channels=1, base_channels=12,
                  img_size=128),
    decode_head=dict(in_channels=12, channels=12, in_index=-1, num_convs=0))
