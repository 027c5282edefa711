# MLDS baseline (Reiss et al., CVPR 2021): UNet with multi-label deep supervision on
# every decoder scale, and a mean teacher on the unlabelled slices; one exemplar
# (rotation + flip) + unlabelled slices, same budget as unet_bs_acdc_cpu.py.
_base_ = ['./unet_bs_acdc_cpu.py', '../_base_/models/unet_mlds.py']
model = dict(
    _delete_=True, data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.model.backbone}}, train_cfg=dict(), test_cfg=dict(mode='whole'),
    decode_head=dict(_base_.mlds_head, in_channels=[256, 128, 64, 32, 16]),  # base 16
    **_base_.mlds_segmentor)
custom_hooks = _base_.mlds_hooks
train_dataloader = dict(dataset=dict(
    stream_ratios=dict(_delete_=True, **_base_.mlds_stream_ratios)))
