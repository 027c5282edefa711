# ELNet + weak-to-strong consistency after stage 1: the ACDC recipe with UniMatch's
# stage 2 (acdc_cpu_recipe_two_strong_views.py) without its re-labelling
# round. Stage 1 is the recipe's N_s (systole synthesis, exemplar-stream jitter, no
# PCEM; batches 1 exemplar : 3 synthetic); stage 2 continues from N_s with its fixed
# pseudo labels (L_u) plus UniMatch-style consistency and PCEM.
_base_ = ['./acdc_cpu_recipe_two_strong_views.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
