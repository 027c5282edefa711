# UNet "BS" baseline (Table 1; Table 3's "BS" and Table 4's "L_e" row): mmseg's UNet
# (Ronneberger et al. 2015) trained on the exemplar alone with the paper's random
# rotation and flipping: no ESM, no PCEM, one stage. Same data, schedule and budget
# as elnet/elnet_unet-b16_128x128_acdc_cpu.py (base 16, 128x128, 4000 iterations).
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/acdc_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
crop_size = (128, 128)
max_iters = 4000
# = EncoderDecoder on one stream (the ELNet keys below are inert without PCEM)
model = dict(
    type='ExemplarEncoderDecoder',
    backbone=dict(base_channels=16),
    decode_head=dict(in_channels=16, channels=16),
    stream_weights=dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0),
    contrastive_loss=None, embed_index=0, pcem_stages=(1, 2))
custom_hooks = []
train_dataloader = dict(batch_size=8, dataset=dict(
    scale=crop_size,
    exemplar=dict(rule='central', seed=0),
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=4),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, end=max_iters, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=500))
