# ELNet (the paper's method: ESM, PCEM, two stages) on ACDC within a CPU budget.
# Differs from the paper config (elnet/acdc.py): mmseg UNet base 16 instead of
# MT-UNet, 128x128 input, batch 8, lr 1e-3, 4000 iterations (half per stage), and
# the exemplar drawn among mid-ventricular all-class slices ('central' rule)
# instead of among all all-class slices (apical ones show a tiny LV).
# Results: docs/results/README.md.
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/acdc_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
crop_size = (128, 128)
max_iters = 4000
model = dict(
    type='ExemplarEncoderDecoder',
    backbone=dict(base_channels=16),
    decode_head=dict(in_channels=16, channels=16),
    stream_weights=dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0),  # 1, λs, λu
    contrastive_loss=dict(type='PixelPrototypeContrastiveLoss', tau=0.07,
                          loss_weight=0.1),  # λc
    embed_index=0, pcem_stages=(1, 2))
# stage 1 (N_s) for the first half of max_iters, stage 2 (N_e) for the rest
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
train_dataloader = dict(batch_size=8, dataset=dict(
    scale=crop_size, exemplar=dict(rule='central', seed=0)))
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
