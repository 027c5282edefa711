# MT-UNet "BS" baseline on Synapse (Table 2): published MT-UNet, exemplar only.
_base_ = ['./unet_bs_synapse.py']
model = dict(
    backbone=dict(_delete_=True, type='MTUNet', in_channels=3, base_channels=64,
                  img_size=224),
    decode_head=dict(in_channels=64, channels=64, in_index=-1, num_convs=0))
