# UNet "BS" baseline at the paper's scale: mmseg UNet base 64, 224x224, batch 12,
# Adam 1e-4, exemplar only with rotation + flip, 20000 iterations.
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/acdc_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
