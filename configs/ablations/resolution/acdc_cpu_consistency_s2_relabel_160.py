# The recommended recipe (acdc_cpu_consistency_s2_relabel.py) at 160x160 instead of
# 128x128: does the thin myocardium of exemplar 2 (2-3 px thick at 128x128) need
# more pixels? Same schedule and batch; about 1.6x the compute per iteration.
_base_ = ['../acdc_cpu_consistency_s2_relabel.py']
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
