# UniMatch-BS on CHAOS at the paper's scale: mmseg UNet base 64, 224x224, batch 12,
# Adam 1e-4, 20000 iterations; the exemplar (rotations, no flips) is the only
# labelled data, weak-to-strong consistency on the unlabelled slices, no ESM
# (see unimatch_bs_chaos_cpu.py).
_base_ = ['./unet_bs_chaos.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency}})
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    _delete_=True, stage1=dict(exemplar=1, unlabeled=1),
    stage2=dict(exemplar=1, unlabeled=1))))
