# MLDS baseline at the paper's scale: UNet base 64 with multi-label deep supervision
# and a mean teacher on the unlabelled slices, 224x224, batch 12, 20000 iterations.
_base_ = ['./unet_bs_acdc.py']
model = dict(
    type='MeanTeacherEncoderDecoder', consistency_weight=1.0,
    consistency_rampup=5000, teacher_noise_std=0.1, predict_with='teacher',
    decode_head=dict(
        _delete_=True, type='MLDSHead', in_channels=[1024, 512, 256, 128, 64],
        in_index=[0, 1, 2, 3, 4], channels=64, num_classes=4,
        dropout_ratio=0.1, deep_loss_weight=1.0, init_cfg=None,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=[dict(type='CrossEntropyLoss', loss_weight=0.5),
                     dict(type='ClassMeanDiceLoss', loss_weight=0.5)]))
custom_hooks = [dict(type='MLDSMeanTeacherHook', momentum=0.99)]
train_dataloader = dict(dataset=dict(stream_ratios=dict(_delete_=True,
    stage1=dict(exemplar=1, unlabeled=1), stage2=dict(exemplar=1))))
