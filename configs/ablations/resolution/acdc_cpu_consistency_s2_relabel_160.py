# The ACDC recipe with UniMatch's stage 2 (acdc_cpu_recipe_two_strong_views.py) at
# 160x160 instead of 128x128: does a thin myocardium (a few pixels thick at 128x128)
# need more pixels? Same schedule and batch; (160/128)^2 the pixels per iteration.
_base_ = ['../consistency/acdc_cpu_recipe_two_strong_views.py']
crop_size = (160, 160)
train_dataloader = dict(dataset=dict(scale=crop_size))
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=4),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
