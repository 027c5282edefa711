"""MedicalVolumeMetric against hand-computed 3D Dice / HD95 values."""
import csv
import json
import math

import numpy as np
import pytest
import torch

from elseg.evaluation.metrics import medical_volume_metric as mvm
from elseg.evaluation.metrics.medical_volume_metric import (
    MedicalVolumeMetric, keep_largest_component, volume_diagonal)


def samples(pred, gt, vid, spacing=None, order=None):
    """One data_sample dict per slice, as the evaluator hands them over."""
    order = range(pred.shape[0]) if order is None else order
    return [
        dict(pred_sem_seg=dict(data=torch.from_numpy(pred[k][None].copy())),
             gt_sem_seg=dict(data=torch.from_numpy(gt[k][None].copy())),
             volume_id=vid, slice_idx=k, num_slices=pred.shape[0],
             spacing=spacing, img_path=f'{vid}.h5') for k in order
    ]


def run(metric, *volumes):
    n = 0
    for s in volumes:
        metric.process({}, s)
        n += len(s)
    return metric.evaluate(n)


def make_metric(classes=('background', 'A', 'B'), **kwargs):
    metric = MedicalVolumeMetric(**kwargs)
    metric.dataset_meta = dict(classes=classes)
    return metric


def tiny_case():
    """A: pred {x=0,1}, gt {x=1,2} on one row; B: two voxels 5 apart."""
    pred = np.zeros((2, 4, 6), np.uint8)
    gt = np.zeros_like(pred)
    pred[0, 0, 0:2] = 1
    gt[0, 0, 1:3] = 1
    pred[1, 0, 0] = 2
    gt[1, 3, 4] = 2  # (0, 3, 4) away: sqrt(9 + 16) = 5
    return pred, gt


def test_dice_hd95_by_hand_in_voxels():
    pred, gt = tiny_case()
    res = run(make_metric(), samples(pred, gt, 'v1'))
    # A: DSC 2*1/(2+2); surface distances [1, 0] and [0, 1] -> 95th pct 1
    assert res['Dice.A'] == pytest.approx(0.5)
    assert res['HD95.A'] == pytest.approx(1.0)
    # B: disjoint voxels: DSC 0, distance 5
    assert res['Dice.B'] == pytest.approx(0.0)
    assert res['HD95.B'] == pytest.approx(5.0)
    assert res['mDice'] == pytest.approx(0.25)
    assert res['mHD95'] == pytest.approx(3.0)
    assert set(res) == {'mDice', 'mHD95', 'Dice.A', 'HD95.A', 'Dice.B',
                        'HD95.B'}


def test_hd95_uses_spacing_in_mm():
    pred, gt = tiny_case()
    res = run(make_metric(), samples(pred, gt, 'v1', spacing=(2.0, 1.0, 0.5)))
    assert res['HD95.A'] == pytest.approx(0.5)  # one voxel along x
    assert res['HD95.B'] == pytest.approx(math.sqrt(3**2 + (4 * 0.5)**2))
    res = run(make_metric(use_spacing=False),
              samples(pred, gt, 'v1', spacing=(2.0, 1.0, 0.5)))
    assert res['HD95.B'] == pytest.approx(5.0)


@pytest.mark.parametrize('spacing,diag', [(None, math.sqrt(4 + 9 + 16)),
                                          ((2.0, 1.0, 1.0),
                                           math.sqrt(16 + 9 + 16))])
def test_edge_cases(spacing, diag):
    pred = np.zeros((2, 3, 4), np.uint8)
    gt = np.zeros_like(pred)
    gt[0, 0, 0] = 2   # B: prediction empty, ground truth not
    pred[1, 2, 3] = 3  # C: ground truth empty, prediction not
    res = run(make_metric(('background', 'A', 'B', 'C')),
              samples(pred, gt, 'v', spacing))
    assert (res['Dice.A'], res['HD95.A']) == (1.0, 0.0)  # both empty
    assert res['Dice.B'] == 0.0 and res['HD95.B'] == pytest.approx(diag)
    assert res['Dice.C'] == 0.0 and res['HD95.C'] == pytest.approx(diag)
    assert volume_diagonal((2, 3, 4), spacing) == pytest.approx(diag)


def test_mean_over_volumes_then_classes():
    pred, gt = tiny_case()
    res = run(make_metric(), samples(gt, gt, 'perfect'),
              samples(pred, gt, 'half'))
    assert res['Dice.A'] == pytest.approx((1.0 + 0.5) / 2)
    assert res['HD95.A'] == pytest.approx((0.0 + 1.0) / 2)
    assert res['Dice.B'] == pytest.approx((1.0 + 0.0) / 2)
    assert res['mDice'] == pytest.approx((0.75 + 0.5) / 2)


def test_slices_sorted_by_slice_idx():
    pred = np.zeros((3, 1, 1), np.uint8)
    gt = np.zeros_like(pred)
    pred[0] = 1
    gt[2] = 1  # two slices apart; arrival order would put them 1 apart
    res = run(make_metric(), samples(pred, gt, 'v', order=[2, 0, 1]))
    assert res['HD95.A'] == pytest.approx(2.0)


def test_incomplete_volume_raises():
    pred, gt = tiny_case()
    pred3 = np.concatenate([pred, pred[:1]])
    gt3 = np.concatenate([gt, gt[:1]])
    metric = make_metric()
    metric.process({}, samples(pred3, gt3, 'vol7')[:2])
    with pytest.raises(ValueError, match=r"'vol7' is incomplete: slices \[2\]"):
        metric.evaluate(2)


def test_distributed_path_regroups_and_dedups(monkeypatch):
    monkeypatch.setattr(mvm, 'get_world_size', lambda: 2)
    pred, gt = tiny_case()
    metric = make_metric()
    s = samples(pred, gt, 'v1', order=[1, 0])
    metric.process({}, s + s[:1])  # a padded duplicate, as DefaultSampler
    assert len(metric.results) == 3 and all('pred' in r for r in metric.results)
    res = metric.compute_metrics(metric.results)
    assert res['Dice.A'] == pytest.approx(0.5)
    assert res['HD95.B'] == pytest.approx(5.0)


def test_keep_largest_component():
    gt = np.zeros((1, 1, 10), np.uint8)
    gt[0, 0, 0:2] = 1
    pred = gt.copy()
    pred[0, 0, 9] = 1  # far false positive
    res = run(make_metric(('background', 'A')), samples(pred, gt, 'v'))
    assert res['Dice.A'] == pytest.approx(2 * 2 / (3 + 2))
    # distances [0, 0, 8] and [0, 0]: 95th percentile of 5 values = 0.8 * 8
    assert res['HD95.A'] == pytest.approx(6.4)
    res = run(make_metric(('background', 'A'), keep_largest_component=True),
              samples(pred, gt, 'v'))
    assert (res['Dice.A'], res['HD95.A']) == (pytest.approx(1.0), 0.0)
    out = keep_largest_component(pred, 2)
    assert out[0, 0].tolist() == [1, 1] + [0] * 8


def test_outputs_written(tmp_path):
    import nibabel as nib
    pred, gt = tiny_case()
    metric = make_metric(output_dir=str(tmp_path / 'm'),
                         save_nifti_dir=str(tmp_path / 'nii'),
                         overlay_dir=str(tmp_path / 'png'))
    s = samples(pred, gt, 'v1', spacing=(2.0, 1.0, 0.5))
    batch = dict(inputs=[torch.rand(1, 8, 12) for _ in s])
    metric.process(batch, s)
    metric.evaluate(2)
    data = json.loads((tmp_path / 'm' / 'volume_metrics.json').read_text())
    assert data['volumes']['v1']['A']['dice'] == pytest.approx(0.5)
    assert data['hd95_unit'] == 'mm'
    rows = list(csv.DictReader(open(tmp_path / 'm' / 'volume_metrics.csv')))
    assert [(r['volume_id'], r['class']) for r in rows] == [('v1', 'A'),
                                                            ('v1', 'B')]
    img = nib.load(str(tmp_path / 'nii' / 'v1.nii.gz'))
    assert img.shape == (6, 4, 2)  # (x, y, z)
    np.testing.assert_array_equal(
        np.asarray(img.dataobj).transpose(2, 1, 0), pred)
    assert img.header.get_zooms() == (0.5, 1.0, 2.0)
    assert sorted(p.name for p in (tmp_path / 'png').iterdir()) == [
        'v1_000.png', 'v1_001.png'
    ]


def test_bad_samples_raise():
    pred, gt = tiny_case()
    s = samples(pred, gt, 'v1')
    s[0]['gt_sem_seg']['data'] = torch.zeros(1, 5, 5, dtype=torch.uint8)
    with pytest.raises(ValueError, match='differ in shape'):
        make_metric().process({}, s)
    s = samples(pred, gt, 'v1')
    s[0].pop('volume_id')
    with pytest.raises(ValueError, match='volume_id and slice_idx'):
        make_metric().process({}, s)


def test_with_base_config_pipeline_and_model(phantom_root, tiny_model):
    """The acdc_phantom base config's val loader + evaluator end to end."""
    from pathlib import Path
    from mmengine import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(
        str(Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
            'datasets' / 'acdc_phantom.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = str(phantom_root)
    ds_cfg.split_list = 'val.list'
    ds_cfg.pipeline[1].scale = (32, 32)  # keep the test fast
    ds = DATASETS.build(ds_cfg)
    evaluator = Evaluator(cfg.val_evaluator)
    evaluator.dataset_meta = ds.metainfo
    batch_size = 8
    with torch.no_grad():
        for start in range(0, len(ds), batch_size):
            batch = pseudo_collate(
                [ds[i] for i in range(start, min(start + batch_size,
                                                 len(ds)))])
            evaluator.process(tiny_model.test_step(batch), batch)
    res = evaluator.evaluate(len(ds))
    assert set(res) == {'mDice', 'mHD95', 'Dice.RV', 'HD95.RV', 'Dice.Myo',
                        'HD95.Myo', 'Dice.LV', 'HD95.LV'}
    assert 0 <= res['mDice'] <= 1 and res['mHD95'] >= 0


def test_confusion_pairs_count_left_right_swaps():
    """Class A (3 voxels) has 2 predicted as B; B (1 voxel) is right."""
    gt = np.zeros((1, 2, 4), np.uint8)
    pred = np.zeros_like(gt)
    gt[0, 0, 0:3] = 1
    pred[0, 0, 0], pred[0, 0, 1:3] = 1, 2
    gt[0, 1, 3] = pred[0, 1, 3] = 2
    res = run(make_metric(confusion_pairs=[(1, 2), (2, 1)]),
              samples(pred, gt, 'v1'), samples(pred, gt, 'v2'))
    assert res['ConfusionVoxels.A->B'] == 4.0  # 2 per volume
    assert res['Confusion.A->B'] == pytest.approx(4 / 6)
    assert res['ConfusionVoxels.B->A'] == 0.0
    assert res['Confusion.B->A'] == 0.0
    with pytest.raises(ValueError, match='confusion_pairs'):
        MedicalVolumeMetric(confusion_pairs=[(1, 1)])
    with pytest.raises(ValueError, match='names class 5'):
        run(make_metric(confusion_pairs=[(1, 5)]), samples(pred, gt, 'v1'))


def test_component_anchors_keep_the_rv_against_the_myo(tmp_path):
    """RV: truth x=3; prediction x=3 and a larger blob x=7-10 (false positive).
    Largest component: RV Dice 0 (the blob); anchored to Myo: Dice 1."""
    classes = ('background', 'RV', 'Myo')
    gt = np.zeros((1, 1, 12), np.uint8)
    gt[0, 0, 0:2] = 2
    gt[0, 0, 3] = 1
    pred = gt.copy()
    pred[0, 0, 7:11] = 1
    res = run(make_metric(classes, keep_largest_component=True),
              samples(pred, gt, 'v'))
    assert res['Dice.RV'] == pytest.approx(0.0)
    metric = make_metric(classes, keep_largest_component=True,
                         component_anchors=dict(RV=['Myo']), anchor_margin=2,
                         output_dir=str(tmp_path))
    res = run(metric, samples(pred, gt, 'v'))
    assert (res['Dice.RV'], res['HD95.RV']) == (pytest.approx(1.0), 0.0)
    assert res['Dice.Myo'] == pytest.approx(1.0)
    data = json.loads((tmp_path / 'volume_metrics.json').read_text())
    assert data['component_anchors'] == {'RV': ['Myo']}
    # the anchors act only with keep_largest_component: none kept -> 2/(5+1)
    res = run(make_metric(classes, component_anchors=dict(RV=['Myo'])),
              samples(pred, gt, 'v'))
    assert res['Dice.RV'] == pytest.approx(2 * 1 / (5 + 1))


def test_component_anchors_bad_names_are_clear_errors():
    with pytest.raises(ValueError, match='list of class names'):
        make_metric(component_anchors=dict(A='B'))
    with pytest.raises(ValueError, match='anchor_margin must be >= 1'):
        make_metric(component_anchors=dict(A=['B']), anchor_margin=0)
    pred, gt = tiny_case()
    metric = make_metric(keep_largest_component=True,
                         component_anchors=dict(A=['Septum']))
    with pytest.raises(ValueError, match="'Septum', which is not"):
        run(metric, samples(pred, gt, 'v1'))
