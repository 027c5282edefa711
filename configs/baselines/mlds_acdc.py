# MLDS baseline at the paper's scale: UNet base 64 with multi-label deep supervision
# and a mean teacher on the unlabelled slices, 224x224, batch 12, 20000 iterations.
_base_ = ['./unet_bs_acdc.py', '../_base_/models/unet_mlds.py']
model = dict(decode_head=dict(_base_.mlds_head, _delete_=True), **_base_.mlds_segmentor)
custom_hooks = _base_.mlds_hooks
train_dataloader = dict(dataset=dict(
    stream_ratios=dict(_delete_=True, **_base_.mlds_stream_ratios)))
