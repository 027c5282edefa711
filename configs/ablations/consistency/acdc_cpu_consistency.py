# ELNet + weak-to-strong consistency (beyond the paper): the best ELNet CPU config
# (systole synthesis, PCEM in stage 2) whose batches also hold unlabelled slices,
# trained with UniMatch-style consistency from the first iteration; the exemplar
# stream gets ESM's scale/intensity jitter (SegScaleIntensity). Stage 2 keeps the
# fixed pseudo labels of N_s (L_u) on top of the consistency losses.
# Batch 8 = on average 1 exemplar + 3 synthetic + 4 unlabelled.
_base_ = ['./acdc_cpu_systole_pcem_s2.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency}})
train_dataloader = dict(dataset=dict(
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)],
    stream_ratios=dict(_delete_=True,
                       stage1=dict(exemplar=1, synthetic=3, unlabeled=4),
                       stage2=dict(exemplar=1, synthetic=3, unlabeled=4))))
