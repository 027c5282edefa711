# UNet "BS" baseline on Synapse (Table 2) at the paper's scale: exemplar only.
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/synapse_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
model = dict(decode_head=dict(num_classes=9))
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
