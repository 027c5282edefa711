# UniMatch-BS: the strongest semi-supervised peer under exemplar learning. The
# exemplar (rotation + flip, as UNet-BS) is the only labelled data; weak-to-strong
# consistency (UniMatch, Yang et al. CVPR 2023) on the unlabelled slices; no ESM,
# no PCEM, one stage. Batch 8 = on average 4 exemplar + 4 unlabelled samples.
_base_ = ['./unet_bs_acdc_cpu.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency}})
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    _delete_=True, stage1=dict(exemplar=1, unlabeled=1),
    stage2=dict(exemplar=1, unlabeled=1))))
