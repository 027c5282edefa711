# The procedural cardiac phantom (elseg.datasets.phantom) in the ACDC layout:
# the default data of the README demo. Create it with
#   python tools/make_phantom.py data/acdc_phantom
_base_ = ['./acdc.py']
data_root = 'data/acdc_phantom'
train_slices_dataset = dict(data_root=data_root)
val_dataloader = dict(dataset=dict(data_root=data_root, split_list='val.list'))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ACDCDataset',
        data_root=data_root,
        split_list='test.list',
        mode='volumes',
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
