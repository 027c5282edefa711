# ELNet + weak-to-strong consistency from the first iteration instead of after
# stage 1 (acdc_cpu_consistency_s2.py): stage-1 batches also hold unlabelled slices
# (1 exemplar : 3 synthetic : 4 unlabelled), trained with consistency from the
# start, when the network has not learned the organs yet. No re-labelling round.
_base_ = ['./acdc_cpu_recipe_two_strong_views.py']
model = dict(consistency=dict(stages=(1, 2)))
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    stage1=dict(unlabeled=4))))
