 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# ACDC cine MRI in the SSL4MIS layout (docs/design.md, ACDCDataset).
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# Evaluation: the val.list volumes, slice by slice, 3D Dice / HD95
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# (MedicalVolumeMetric, TransUNet / MT-UNet protocol). Training data are built
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# by the leaf configs, which wrap `train_slices_dataset` below.
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$dataset_type = 'ACDCDataset'
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# relative to the repo root (tools run there); every dataset lives in data/<name>
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$data_root = 'data/ACDC'
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$num_classes = 4
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$crop_size = (224, 224)  # network input (h, w)
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$             'volume_id', 'slice_idx', 'num_slices', 'spacing', 'stream')
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# The image is resized to crop_size; the label is loaded after the resize so it
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# keeps its original size (as mmseg's LoadImageFromFile / LoadAnnotations do):
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# predictions are resized back to the original size before scoring.
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# mmcv's Resize takes scale as (w, h). A leaf config that changes crop_size
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# must also redefine test_pipeline (base-derived values are not re-evaluated).
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$test_pipeline = [
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    dict(type='LoadMedicalSlice', load_label=False),
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    dict(type='Resize', scale=(crop_size[1], crop_size[0]), keep_ratio=False),
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    dict(type='LoadMedicalSlice', load_image=False, num_classes=num_classes),
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    dict(type='PackSegInputs', meta_keys=meta_keys),
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$]
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# The training slices; the leaf configs' ExemplarLearningDataset wraps this.
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$train_slices_dataset = dict(
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    type=dataset_type,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    data_root=data_root,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    split_list='train_slices.list',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    mode='slices')
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$val_dataloader = dict(
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    batch_size=8,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    num_workers=2,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    persistent_workers=True,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    sampler=dict(type='DefaultSampler', shuffle=False),
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$    dataset=dict(
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        type=dataset_type,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        data_root=data_root,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        split_list='val.list',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        mode='volumes',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        pipeline=test_pipeline,
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$        test_mode=True))
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# The 20 held-out test patients (test.list) are not on the development
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# machines; to test on them set test_dataloader.dataset.split_list='test.list'.
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$test_dataloader = val_dataloader
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# component_anchors acts with test.py --anchored-cc only (beyond the paper): the RV
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$# lies against the septum, so RV components away from Myo/LV are dropped.
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$val_evaluator = dict(type='MedicalVolumeMetric',
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$                     component_anchors=dict(RV=['Myo', 'LV']))
 (e.g. a symlink to the shared copy: ln -s ../../shared/data/ACDC data/ACDC)$test_evaluator = val_evaluator
