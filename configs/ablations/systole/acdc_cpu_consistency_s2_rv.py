# ELNet + consistency after stage 1 (acdc_cpu_consistency_s2.py)
# with the right ventricle contracting together with the LV in ESM's systole-like
# samples (not in the paper): the RV scores lowest on the val ES frames. The RV keeps
# its innermost 40-100% (RV ejection fractions up to 60%, normal ~50-60%); its peeled
# rim becomes background, where the background image shows. Chosen from the
# literature, not tuned on the val volumes.
_base_ = ['../consistency/acdc_cpu_recipe_two_strong_views.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
train_dataloader = dict(dataset=dict(synthesis=dict(source_transforms=[dict(
    type='CavityContraction', cavity=3, wall=2, prob=0.5, keep_range=(0.3, 1.0),
    more=[dict(cavity=1, wall=0, keep_range=(0.4, 1.0))])])))
