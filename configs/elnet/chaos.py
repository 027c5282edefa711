# ELNet on CHAOS T2-SPIR MRI at the paper's settings (Sec. 4.1, as elnet/acdc.py):
# MT-UNet, 224x224, Adam lr 1e-4 wd 1e-4, batch 12, tau 0.07, 10000 + 10000
# iterations, the paper's random exemplar; no horizontal flips (laterality, see
# _base_/datasets/chaos_exemplar.py).
_base_ = [
    '../_base_/models/mt_unet_fcn.py', '../_base_/datasets/chaos_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
max_iters = 20000
model = dict(
    type='ExemplarEncoderDecoder',
    decode_head=dict(num_classes=5),
    stream_weights=dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0),  # 1, λs, λu
    contrastive_loss=dict(type='PixelPrototypeContrastiveLoss', tau=0.07,
                          loss_weight=0.1),  # λc
    embed_index=0, pcem_stages=(1, 2))
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5,
                     flip=False)]  # no flips: see chaos_exemplar.py
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, end=max_iters, by_epoch=False)]
