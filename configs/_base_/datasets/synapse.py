# Synapse / BTCV abdomen CT, 8 organs, TransUNet layout (BTCVSynapseDataset).
# Create it from the raw data with
#   python tools/convert_synapse.py /path/to/RawData data/synapse
# Evaluation: the 12 test volumes (test_vol.txt), 3D Dice / HD95.
dataset_type = 'BTCVSynapseDataset'
data_root = 'data/synapse'
num_classes = 9
crop_size = (224, 224)  # network input (h, w)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
             'volume_id', 'slice_idx', 'num_slices', 'spacing', 'stream')
# See acdc.py: image resized, label loaded afterwards at its original size.
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=(crop_size[1], crop_size[0]), keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=num_classes),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_slices_dataset = dict(
    type=dataset_type, data_root=data_root, split_list='train.txt',
    mode='slices')
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_list='test_vol.txt',
        mode='volumes',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='MedicalVolumeMetric')
test_evaluator = val_evaluator
