# MT-UNet "BS" baseline at the paper's scale: published MT-UNet (79M), 224x224,
# batch 12, Adam 1e-4, exemplar only with rotation + flip, 20000 iterations.
_base_ = ['./unet_bs_acdc.py']
model = dict(
    backbone=dict(_delete_=True, type='MTUNet', in_channels=3, base_channels=64,
                  img_size=224),
    decode_head=dict(in_channels=64, channels=64, in_index=-1, num_convs=0))
