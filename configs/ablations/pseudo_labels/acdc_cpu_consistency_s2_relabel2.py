# The ACDC recipe with UniMatch's stage 2 (acdc_cpu_recipe_two_strong_views.py) with two re-labelling rounds, at 2/3 and 5/6 of the schedule
# (the thirds of stage 2), instead of one at 3/4. Stage 1 is the recipe's.
_base_ = ['../consistency/acdc_cpu_recipe_two_strong_views.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5,
                     relabel_iters=[2 / 3, 5 / 6])]
