# ELNet + weak-to-strong consistency after stage 1 (beyond the paper): the
# recommended consistency recipe. Stage 1 is the best ELNet CPU config's N_s
# (systole synthesis, exemplar-stream jitter, no PCEM; batches 1 exemplar : 3
# synthetic); stage 2 continues from N_s with its fixed pseudo labels (L_u) plus
# UniMatch-style consistency on the unlabelled slices and PCEM; stage-2 batches
# 1 exemplar : 3 synthetic : 4 unlabelled. Starting consistency from the first
# step instead (acdc_cpu_consistency.py) trains on the confident errors of a
# network that has not learned the organs yet: docs/results/ has both rows.
_base_ = ['./acdc_cpu_consistency.py']
model = dict(consistency=dict(stages=(2, )))
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    stage1=dict(_delete_=True, exemplar=1, synthetic=3))))
