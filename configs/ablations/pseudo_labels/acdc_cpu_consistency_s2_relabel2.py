# Ablation of the re-labelling recipe: two rounds, at the thirds of stage 2
# (2667 and 3333 of 4000) instead of one halfway. Stage 1 is the recipe's.
_base_ = ['../acdc_cpu_consistency_s2_relabel.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters={{_base_.stage1_iters}},
                     relabel_iters=[2667, 3333])]
