# UniMatch-BS at the paper's scale: mmseg UNet base 64, 224x224, batch 12, Adam
# 1e-4, 20000 iterations; the exemplar (rotation + flip) is the only labelled data,
# weak-to-strong consistency on the unlabelled slices (see unimatch_bs_acdc_cpu.py).
_base_ = ['./unet_bs_acdc.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency}})
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    _delete_=True, stage1=dict(exemplar=1, unlabeled=1),
    stage2=dict(exemplar=1, unlabeled=1))))
