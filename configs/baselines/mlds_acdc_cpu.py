# MLDS baseline (Reiss et al., CVPR 2021): UNet with multi-label deep supervision on
# every decoder scale, and a mean teacher on the unlabelled slices; one exemplar
# (rotation + flip) + unlabelled slices, same budget as elnet/acdc_cpu.py.
_base_ = ['../elnet/ablations/acdc_cpu_bs.py']
model = dict(
    _delete_=True, data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.model.backbone}}, train_cfg=dict(), test_cfg=dict(mode='whole'),
    type='MeanTeacherEncoderDecoder', consistency_weight=1.0,
    consistency_rampup=1000, teacher_noise_std=0.1, predict_with='teacher',
    decode_head=dict(
        type='MLDSHead', in_channels=[256, 128, 64, 32, 16],
        in_index=[0, 1, 2, 3, 4], channels=64, num_classes=4,
        dropout_ratio=0.1, deep_loss_weight=1.0, init_cfg=None,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=[dict(type='CrossEntropyLoss', loss_weight=0.5),
                     dict(type='ClassMeanDiceLoss', loss_weight=0.5)]))
custom_hooks = [dict(type='MLDSMeanTeacherHook', momentum=0.99)]
train_dataloader = dict(dataset=dict(stream_ratios=dict(_delete_=True,
    stage1=dict(exemplar=1, unlabeled=1), stage2=dict(exemplar=1))))
