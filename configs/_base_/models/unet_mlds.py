# MLDS (Reiss et al., CVPR 2021) on mmseg's UNet: multi-label deep supervision on
# every decoder scale and a mean teacher on the unlabelled slices. The settings
# shared by configs/baselines/mlds_*.py, in one place. Plain variables, not a
# `model`, so a leaf can take them beside a base that already defines the UNet
# model (e.g. baselines/unet_bs_acdc_cpu.py): the leaf reads them as
# `_base_.mlds_segmentor`, `_base_.mlds_head`, ... and sets only what differs
# (decoder widths = UNet base_channels x 16, 8, 4, 2, 1; classes; ramp-up).
mlds_segmentor = dict(
    type='MeanTeacherEncoderDecoder',
    # 0.1 as SSL4MIS's mean teacher; 1.0 drove the teacher to all-background with one
    # labelled slice (docs/mlds_investigation.md)
    consistency_weight=0.1,
    consistency_rampup=1.0,  # sigmoid ramp-up over the whole run (as SSL4MIS)
    teacher_noise_std=0.1,
    predict_with='teacher')
mlds_head = dict(
    type='MLDSHead',
    in_channels=[1024, 512, 256, 128, 64],  # UNet base 64, deepest first
    in_index=[0, 1, 2, 3, 4],
    channels=64,
    num_classes=4,
    dropout_ratio=0.1,
    deep_loss_weight=1.0,
    init_cfg=None,
    norm_cfg=dict(type='BN', requires_grad=True),
    align_corners=False,
    loss_decode=[
        dict(type='CrossEntropyLoss', loss_weight=0.5, avg_non_ignore=True),
        dict(type='ClassMeanDiceLoss', loss_weight=0.5),
    ])
mlds_hooks = [dict(type='MLDSMeanTeacherHook', momentum=0.99)]
# one exemplar + one unlabelled slice per pair; single stage (no pseudo labels)
mlds_stream_ratios = dict(
    stage1=dict(exemplar=1, unlabeled=1), stage2=dict(exemplar=1))
