# UNet "BS" baseline on CHAOS at the paper's scale: mmseg UNet base 64, 224x224, batch
# 12, Adam 1e-4, the exemplar alone with rotations (no horizontal flips), 20000 iters.
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/chaos_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
model = dict(decode_head=dict(num_classes=5))
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
