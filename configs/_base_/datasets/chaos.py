# CHAOS T2-SPIR abdominal MRI (Kavur et al., MedIA 2021), 4 organs, converted from the
# NIfTI volumes (here ../shared/data/CHAOS_T2) by tools/convert_nifti.py (NiftiSliceDataset;
# per-volume 0.5/99.5 percentile clip to [0, 1], axial slices, spacing kept: HD95 in mm):
#   python tools/convert_nifti.py ../shared/data/CHAOS_T2 --out data/chaos_t2 \
#       --modality MRI --classes liver=1 kidney_right=2 kidney_left=3 spleen=4
# Evaluation: the 4 val.list patients, 3D Dice / HD95 (MedicalVolumeMetric), with the
# left/right confusion (voxels of one organ predicted as its lateral counterpart).
dataset_type = 'NiftiSliceDataset'
data_root = 'data/chaos_t2'
num_classes = 5
crop_size = (224, 224)  # network input (h, w)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
             'volume_id', 'slice_idx', 'num_slices', 'spacing', 'stream')
# Paired organs: (right kidney, left kidney); liver and spleen also lie on opposite
# sides but are not mirror images of each other, so they are never swapped.
lateral_pairs = [(2, 3)]
# See acdc.py: image resized, label loaded afterwards at its original size.
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=(crop_size[1], crop_size[0]), keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=num_classes),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_slices_dataset = dict(
    type=dataset_type, data_root=data_root, split_list='train_slices.list',
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
test_dataloader = val_dataloader
# ground truth -> predicted: the kidneys both ways, liver <-> spleen, spleen -> right
# kidney (a frequent error, docs/results/README.md)
val_evaluator = dict(
    type='MedicalVolumeMetric',
    confusion_pairs=[(3, 2), (2, 3), (4, 1), (1, 4), (4, 2)])
test_evaluator = val_evaluator
