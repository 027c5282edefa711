# mmseg's UNet (Ronneberger et al. 2015) + FCN head for 1-channel medical slices,
# trained with the paper's L_seg = 0.5 CE + 0.5 Dice (Eq. 7).
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0],
    std=[1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='UNet',
        in_channels=1,
        base_channels=64,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'),
        norm_eval=False),
    decode_head=dict(
        type='FCNHead',
        in_channels=64,
        in_index=4,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=4,
        norm_cfg=norm_cfg,
        align_corners=False,
        # PyTorch's default init of the 1x1 classifier instead of mmseg's
        # Normal(std=0.01), with which the network did not learn the small RV/LV
        # when overfitting the phantom exemplar (docs/configs.md)
        init_cfg=None,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.5,
                 avg_non_ignore=True),  # mean over labelled pixels only
            dict(type='ClassMeanDiceLoss', loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
