# The recommended ACDC recipe at the CPU budget (beyond the paper), in one file:
# ELNet (elnet_unet-b16_128x128_acdc_cpu.py: UNet base 16, 128x128, batch 8, lr
# 1e-3, 4000 iterations) with
# - ESM's systole-like samples: half of the synthetic samples shrink the LV cavity
#   to 30-100% of its area and thicken the Myo inward, as at end-systole;
# - PCEM in stage 2 only, ESM's scale/intensity jitter on the exemplar stream;
# - stage 2 continues from N_s with its pseudo labels (L_u) plus weak-to-strong
#   consistency on the unlabelled slices, one strong view each (FixMatch's pair,
#   Sohn et al. NeurIPS 2020, in place of UniMatch's two views + perturbed
#   features, a slower step; the comparison: configs/ablations/consistency/);
#   batches 1 exemplar : 3 synthetic : 4 unlabelled;
# - one re-labelling round three quarters through the run (ST++, Yang et al.
#   CVPR 2022): the network pseudo-labels the unlabelled slices again and the
#   rest of stage 2 learns those labels.
# The exemplar: the slice tools/suggest_slices.py ranks first (label-free; rule
# 'suggested', docs/slice_suggestion.md).
# Test option: tools/test.py --anchored-cc. Results and the ablations of each
# ingredient: docs/results/README.md, configs/ablations/.
_base_ = [
    '../_base_/models/unet_fcn.py', '../_base_/datasets/acdc_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py',
    '../_base_/models/consistency.py'
]
crop_size = (128, 128)
max_iters = 4000
model = dict(
    type='ConsistencyEncoderDecoder',
    backbone=dict(base_channels=16),
    decode_head=dict(in_channels=16, channels=16),
    stream_weights=dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0),  # 1, λs, λu
    contrastive_loss=dict(type='PixelPrototypeContrastiveLoss', tau=0.07,
                          loss_weight=0.1),  # λc
    embed_index=0, pcem_stages=(2, ),
    consistency={{_base_.consistency_one_view_after_stage1}})  # stage 2 only
# shares of max_iters: stage 1 for the first half, re-labelling at 3/4
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5,
                     relabel_iters=[0.75])]
train_dataloader = dict(batch_size=8, dataset=dict(
    scale=crop_size,
    exemplar=dict(rule='suggested', seed=0),  # the slice to annotate
    synthesis=dict(source_transforms=[dict(
        type='CavityContraction', cavity=3, wall=2, prob=0.5,
        keep_range=(0.3, 1.0))]),
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)],
    stream_ratios=dict(_delete_=True,
                       stage1=dict(exemplar=1, synthetic=3),
                       stage2=dict(exemplar=1, synthetic=3, unlabeled=4))))
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
