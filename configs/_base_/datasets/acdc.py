# ACDC cine MRI in the SSL4MIS layout (docs/design.md, ACDCDataset).
# Evaluation: the val.list volumes, slice by slice, 3D Dice / HD95
# (MedicalVolumeMetric, TransUNet / MT-UNet protocol). Training data are built
# by the leaf configs, which wrap `train_slices_dataset` below.
dataset_type = 'ACDCDataset'
# relative to the repo root (tools run there); every dataset lives in data/<name>
# (link a copy there: make data/ACDC, or ln -s /path/to/ACDC data/ACDC)
data_root = 'data/ACDC'
num_classes = 4
crop_size = (224, 224)  # network input (h, w)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
             'volume_id', 'slice_idx', 'num_slices', 'spacing', 'stream')
# The image is resized to crop_size; the label is loaded after the resize so it
# keeps its original size (as mmseg's LoadImageFromFile / LoadAnnotations do):
# predictions are resized back to the original size before scoring.
# mmcv's Resize takes scale as (w, h). A leaf config that changes crop_size
# must also redefine test_pipeline (base-derived values are not re-evaluated).
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=(crop_size[1], crop_size[0]), keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=num_classes),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
# The training slices; the leaf configs' ExemplarLearningDataset wraps this.
train_slices_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    split_list='train_slices.list',
    mode='slices')
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_list='val.list',
        mode='volumes',
        pipeline=test_pipeline,
        test_mode=True))
# The 20 held-out test patients (test.list) are not on the development
# machines; to test on them set test_dataloader.dataset.split_list='test.list'.
test_dataloader = val_dataloader
# component_anchors acts with test.py --anchored-cc only (beyond the paper): the RV
# lies against the septum, so RV components away from Myo/LV are dropped.
val_evaluator = dict(type='MedicalVolumeMetric',
                     component_anchors=dict(RV=['Myo', 'LV']))
test_evaluator = val_evaluator
