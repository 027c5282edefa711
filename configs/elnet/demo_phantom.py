# README demo: ELNet (both stages) on the built-in cardiac phantom in a few minutes
# on a laptop CPU. Make the data first: python tools/make_phantom.py data/acdc_phantom
_base_ = ['./acdc_cpu.py']
data_root = 'data/acdc_phantom'
stage1_iters, max_iters = 150, 300
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=stage1_iters)]
train_dataloader = dict(dataset=dict(dataset=dict(data_root=data_root)))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root, split_list='test.list'))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, end=max_iters, by_epoch=False)]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=150))
