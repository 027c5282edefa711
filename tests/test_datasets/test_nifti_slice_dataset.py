"""NiftiSliceDataset on tiny converted NIfTI volumes: classes, spacing -> HD95 mm,
and the exemplar rules on a class count other than ACDC's."""
import nibabel as nib
import numpy as np
import pytest
import torch

from elseg.datasets import ExemplarLearningDataset, NiftiSliceDataset
from elseg.datasets.converters.nifti_folder import convert_nifti
from elseg.evaluation.metrics.medical_volume_metric import MedicalVolumeMetric

X, Y, Z = 8, 6, 4
AFFINE = np.diag([0.8, 0.9, 3.0, 1.0])
CLASSES = [('liver', (1, )), ('kidney_right', (2, )), ('kidney_left', (3, )),
           ('spleen', (4, ))]


def make_root(tmp_path):
    """Cases 1, 2 train; 3 val. Labels in file (x, y, z) order.

    Slice z=0 shows liver, both kidneys (4 voxels each), no spleen; slice z=1
    shows all four organs with 1 voxel each.
    """
    lab = np.zeros((X, Y, Z), np.uint8)
    lab[0:2, 0:2, 0], lab[3:5, 0:2, 0], lab[6:8, 0:2, 0] = 1, 2, 3
    lab[0, 4, 1], lab[2, 4, 1], lab[4, 4, 1], lab[6, 4, 1] = 1, 2, 3, 4
    img = np.random.default_rng(0).random((X, Y, Z)).astype(np.float32)
    src = tmp_path / 'src'
    src.mkdir()
    for cid in '123':
        nib.save(nib.Nifti1Image(img, AFFINE), str(src / f'image_{cid}.nii.gz'))
        nib.save(nib.Nifti1Image(lab, AFFINE), str(src / f'label_{cid}.nii.gz'))
    (src / 'val.list').write_text('3\n')
    root = tmp_path / 'chaos'
    convert_nifti(str(src), str(root), modality='MRI', classes=CLASSES)
    return root


def test_classes_and_spacing_from_the_converter(tmp_path):
    root = make_root(tmp_path)
    ds = NiftiSliceDataset(data_root=str(root), mode='volumes')
    assert ds.metainfo['classes'] == ('background', 'liver', 'kidney_right',
                                      'kidney_left', 'spleen')
    assert len(ds) == Z
    assert ds[0]['spacing'] == pytest.approx((3.0, 0.9, 0.8))
    with pytest.raises(ValueError, match='differ from the classes'):
        NiftiSliceDataset(data_root=str(root), mode='volumes',
                          metainfo=dict(classes=('background', 'liver')))
    with pytest.raises(FileNotFoundError, match='tools/convert_nifti.py'):
        NiftiSliceDataset(data_root=str(tmp_path / 'src'))


def test_hd95_in_mm_from_the_stored_spacing(tmp_path):
    """The spleen voxel predicted one column away: HD95 = 0.8 mm (x spacing)."""
    root = make_root(tmp_path)
    ds = NiftiSliceDataset(data_root=str(root), mode='volumes',
                           pipeline=[dict(type='LoadMedicalSlice')])
    metric = MedicalVolumeMetric()
    metric.dataset_meta = ds.metainfo
    for k in range(len(ds)):
        item = ds[k]
        gt = item['gt_seg_map']
        pred = gt.copy()
        if (gt == 4).any():
            r, c = np.argwhere(gt == 4)[0]
            pred[r, c], pred[r, c + 1] = 0, 4
        metric.process({}, [dict(
            pred_sem_seg=dict(data=torch.from_numpy(pred[None])),
            gt_sem_seg=dict(data=torch.from_numpy(gt[None])),
            volume_id=item['volume_id'], slice_idx=item['slice_idx'],
            num_slices=item['num_slices'], spacing=item['spacing'])])
    res = metric.evaluate(len(ds))
    assert res['Dice.spleen'] == 0.0
    assert res['HD95.spleen'] == pytest.approx(0.8)
    assert res['Dice.liver'] == 1.0 and res['HD95.liver'] == 0.0


def test_exemplar_rule_requires_every_class_of_the_dataset(tmp_path):
    """largest_area over classes 1-3 (ACDC's count) would pick z=0, which has
    no spleen; with the dataset's 5 classes it must pick z=1 (slice 2)."""
    root = make_root(tmp_path)
    ds = ExemplarLearningDataset(
        dataset=dict(type='NiftiSliceDataset', data_root=str(root)),
        exemplar=dict(rule='largest_area'), scale=(16, 16), num_classes=5,
        synthesis=dict(type='ExemplarSynthesis'))
    assert ds.exemplar_id in ('1_slice_2', '2_slice_2')
    assert set(np.unique(ds.exemplar_label)) == {0, 1, 2, 3, 4}
