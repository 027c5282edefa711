# ELNet (CPU budget) with another registered backbone: elseg's MTUNet at a CPU width
# (base 12) instead of mmseg's UNet. PCEM uses output 0 (1/32 scale).
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(
    backbone=dict(_delete_=True, type='MTUNet', in_channels=1, base_channels=12,
                  img_size=128),
    decode_head=dict(in_channels=12, channels=12, in_index=-1))
