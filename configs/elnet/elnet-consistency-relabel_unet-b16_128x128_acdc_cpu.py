# The recommended recipe (acdc_cpu_consistency_s2.py) + one re-labelling round
# (beyond the paper; ST++'s second round of self-training, Yang et al. CVPR 2022):
# halfway through stage 2 the network trained with consistency pseudo-labels the
# unlabelled slices again, and the rest of stage 2 learns those labels (L_u)
# instead of N_s's. Stage 1 is the recipe's, so --share-stage1 reuses its N_s.
_base_ = ['./acdc_cpu_consistency_s2.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters={{_base_.stage1_iters}},
                     relabel_iters=[3000])]
