# UniMatch-BS on CHAOS: the exemplar (rotations, no flips) is the only
# labelled data, weak-to-strong consistency on the unlabelled slices, no ESM, one
# stage; batch 8 = on average 4 exemplar + 4 unlabelled samples.
_base_ = ['./unet_bs_chaos_cpu.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency}})
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    _delete_=True, stage1=dict(exemplar=1, unlabeled=1),
    stage2=dict(exemplar=1, unlabeled=1))))
