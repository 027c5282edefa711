# MLDS baseline on Synapse (Table 2): deep multi-label supervision + mean teacher.
_base_ = ['./unet_bs_synapse.py', '../_base_/models/unet_mlds.py']
model = dict(decode_head=dict(_base_.mlds_head, _delete_=True, num_classes=9),
             **_base_.mlds_segmentor)
custom_hooks = _base_.mlds_hooks
train_dataloader = dict(dataset=dict(
    stream_ratios=dict(_delete_=True, **_base_.mlds_stream_ratios)))
