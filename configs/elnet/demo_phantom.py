# README demo: ELNet (both stages) on the built-in cardiac phantom in a few minutes
# on a laptop CPU: 64x64 input, 1200 iterations (half per stage).
# Make the data first: python tools/make_phantom.py data/acdc_phantom
_base_ = ['./elnet_unet-b16_128x128_acdc_cpu.py']
data_root = 'data/acdc_phantom'
crop_size = (64, 64)
max_iters = 1200
train_dataloader = dict(dataset=dict(scale=crop_size,
                                     dataset=dict(data_root=data_root)))
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=4),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(data_root=data_root, split_list='test.list',
                                    pipeline=test_pipeline))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, end=max_iters, by_epoch=False)]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=600))
