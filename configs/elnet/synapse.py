# ELNet on Synapse (8 abdominal organs) at the paper's settings; the data are made
# by tools/convert_synapse.py (TransUNet layout, HU window [-125, 275]).
_base_ = [
    '../_base_/models/mt_unet_fcn.py', '../_base_/datasets/synapse_exemplar.py',
    '../_base_/schedules/adam_poly.py', '../_base_/default_runtime.py'
]
max_iters = 20000
model = dict(
    type='ExemplarEncoderDecoder',
    decode_head=dict(num_classes=9),
    stream_weights=dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0),
    contrastive_loss=dict(type='PixelPrototypeContrastiveLoss', tau=0.07,
                          loss_weight=0.1),
    embed_index=0, pcem_stages=(1, 2))
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, end=max_iters, by_epoch=False)]
