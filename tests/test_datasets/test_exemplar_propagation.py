"""Exemplar propagation in the training set: which slices it reaches, how
they are served, and that no label but the exemplar's is read."""
import numpy as np
import pytest

from elseg.datasets.exemplar_propagation import (diagnostic_propagation_dice,
                                                 propagation_chains)
from elseg.datasets.transforms.load_medical_slice import LoadMedicalSlice
from tests.conftest import build_exemplar_dataset


def test_chains_reach_neighbours_and_other_frames():
    ids = [f'patient001_frame{f:02d}_slice_{s}' for f in (1, 2)
           for s in range(1, 5)] + [
        'patient010_frame02_slice_2',  # another subject with a prefix alike
        'patient001_frame03_slice_1']  # a frame without slice 2
    chains = propagation_chains(ids, 'patient001_frame01_slice_2',
                                neighbours=2)
    assert chains == [
        ['patient001_frame01_slice_3', 'patient001_frame01_slice_4'],
        ['patient001_frame01_slice_1'],
        ['patient001_frame02_slice_2']]
    assert propagation_chains(ids, 'patient001_frame02_slice_4', 1,
                              other_frames=False) == [
        ['patient001_frame02_slice_3']]
    # a CT case id has no frames: neighbours only
    assert propagation_chains(['case1_slice_1', 'case1_slice_2'],
                              'case1_slice_1', 3) == [['case1_slice_2']]
    with pytest.raises(ValueError, match="'scan7' is not of the form"):
        propagation_chains(ids, 'scan7', 1)


@pytest.fixture
def opened_labels(monkeypatch):
    """The label files LoadMedicalSlice opens, in order (a spy)."""
    opened = []
    original = LoadMedicalSlice.transform

    def spy(self, results):
        if self.load_label and results.get('seg_map_path') is not None:
            opened.append(results['seg_map_path'])
        return original(self, results)

    monkeypatch.setattr(LoadMedicalSlice, 'transform', spy)
    return opened


def _build(root, **prop):
    cfg = dict(neighbours=1, other_frames=True,
               ratios=dict(stage1=1, stage2=2))
    cfg.update(prop)
    return build_exemplar_dataset(
        root, exemplar='patient001_frame01_slice_3', propagation=cfg,
        stream_ratios=dict(stage1=dict(exemplar=1, synthetic=1),
                           stage2=dict(exemplar=1, unlabeled=1)))


def test_propagated_slices_are_served_reading_no_other_label(
        phantom_root, opened_labels, tmp_path):
    ds = _build(phantom_root, esm_prob=1.0)
    ex_path = ds.exemplar_info['img_path']
    assert sorted(ds.propagated) == [
        'patient001_frame01_slice_2', 'patient001_frame01_slice_4',
        'patient001_frame02_slice_3']
    assert ds.patterns[1] == ['exemplar', 'synthetic', 'propagated']
    assert ds.patterns[2] == ['exemplar', 'unlabeled', 'propagated',
                              'propagated']
    for prop in ds.propagated.values():
        assert 0 < prop.confidence <= 1
        assert prop.steps == 1 and prop.source == ds.exemplar_id
    np.random.seed(0)
    seen = set()
    for i in range(12):
        out = ds[i]
        stream = out['data_samples'].metainfo['stream']
        gt = out['data_samples'].gt_sem_seg.data[0].numpy()
        if ds.stream_of(i) == 'propagated':
            assert stream == 'unlabeled'  # the pseudo-label path
            assert set(np.unique(gt)) <= {0, 1, 2, 3, 255}
            assert (gt != 255).mean() > 0.99  # the field hardly folds
            seen.add(out['data_samples'].metainfo['img_path'])
        if ds.stream_of(i) == 'synthetic':  # organs of a propagated slice
            assert (gt > 0).any()
    assert len(seen) >= 2
    ds.set_stage(2, str(tmp_path))
    for i in range(8):
        ds[i]
    assert opened_labels == [ex_path]


def test_propagation_is_off_by_default_and_checks_its_keys(phantom_root):
    ds = build_exemplar_dataset(phantom_root)
    assert ds.propagated == {} and 'propagated' not in ds.patterns[1]
    with pytest.raises(ValueError, match=r"Unknown propagation key\(s\) "
                       r"\['neighbors'\]"):
        _build(phantom_root, neighbors=2)
    with pytest.raises(ValueError, match='esm_prob must be in'):
        _build(phantom_root, esm_prob=2)


def test_low_confidence_pixels_and_slices_are_dropped(phantom_root):
    ds = _build(phantom_root, min_slice_confidence=0.0)
    conf = sorted(p.confidence for p in ds.propagated.values())
    mid = (conf[0] + conf[-1]) / 2
    assert conf[0] < conf[-1]
    # slices at or below the floor are left out
    ds2 = _build(phantom_root, min_slice_confidence=mid)
    assert sorted(ds2.propagated) == sorted(
        k for k, p in ds.propagated.items() if p.confidence > mid)
    # the dataset's pseudo-label threshold turns unsure pixels to ignore
    ds.min_confidence = 1.01
    _, _, label = ds._propagated_sample()
    assert (label == 255).all()


def test_diagnostic_dice_beats_copying_on_the_phantom(phantom_root):
    """DIAGNOSTIC scores (true labels read here, in the test only)."""
    ds = _build(phantom_root)

    def true_label(info):
        loaded = ds.loader(dict(info, seg_map_path=info['img_path']))
        from elseg.datasets.exemplar_learning_dataset import _resize
        return _resize(loaded['gt_seg_map'], ds.scale, True)

    scores = diagnostic_propagation_dice(ds.propagated, ds.unlabeled_infos,
                                         ds.exemplar_label, 4, true_label)
    assert sorted(scores) == sorted(ds.propagated)
    for sid, s in scores.items():
        assert len(s['dice']) == 3
        assert s['mean_dice'] >= s['copy_mean_dice'] - 0.02, sid
        assert s['mean_dice'] > 0.6, sid


# patient090_frame01_slice_3 (one of the README's 'central' exemplars) at the
# CPU recipes' 128 x 128: mean Dice (RV, Myo, LV) of each propagated label
# measured with the defaults, against copying the exemplar's label unchanged
ACDC_MEASURED = {
    # slice: (steps, copy Dice, propagated Dice)
    'patient090_frame01_slice_1': (2, 0.768, 0.741),  # the base: RV ends
    'patient090_frame01_slice_2': (1, 0.874, 0.876),
    'patient090_frame01_slice_4': (1, 0.743, 0.902),
    'patient090_frame01_slice_5': (2, 0.688, 0.875),
    'patient090_frame02_slice_3': (1, 0.594, 0.711),  # end-systole
}


def test_real_acdc_propagation_and_its_diagnostic(acdc_root, opened_labels):
    from elseg.datasets import ExemplarLearningDataset
    from elseg.datasets.exemplar_learning_dataset import _resize
    ds = ExemplarLearningDataset(
        dataset=dict(type='ACDCDataset', data_root=str(acdc_root),
                     split_list='train_slices.list', mode='slices'),
        exemplar='patient090_frame01_slice_3', scale=(128, 128),
        num_classes=4, synthesis=dict(type='ExemplarSynthesis'),
        propagation=dict(neighbours=2, other_frames=True))
    assert opened_labels == [ds.exemplar_info['img_path']]
    assert sorted(ds.propagated) == sorted(ACDC_MEASURED)

    def true_label(info):  # DIAGNOSTIC: read here only to score
        loaded = ds.loader(dict(info, seg_map_path=info['img_path']))
        return _resize(loaded['gt_seg_map'], ds.scale, True)

    scores = diagnostic_propagation_dice(ds.propagated, ds.unlabeled_infos,
                                         ds.exemplar_label, 4, true_label)
    for sid, (steps, copy, reg) in ACDC_MEASURED.items():
        assert scores[sid]['steps'] == steps
        assert scores[sid]['copy_mean_dice'] == pytest.approx(copy, abs=0.001)
        assert scores[sid]['mean_dice'] >= reg - 0.02, sid
        assert 0.7 < scores[sid]['confidence'] <= 1.0
    # chained slices are trusted less than their first link
    assert ds.propagated['patient090_frame01_slice_5'].confidence < \
        ds.propagated['patient090_frame01_slice_4'].confidence


def test_propagated_samples_reach_the_pseudo_label_loss(phantom_root):
    """A propagated sample is supervised in stage 1 as a pseudo-labelled
    slice: ``loss_seg_unlabeled`` = lambda_u x its cross-entropy."""
    import copy

    import torch
    import torch.nn.functional as F
    from mmseg.registry import MODELS

    from tests.conftest import TINY_MODEL
    ds = _build(phantom_root)
    assert ds.patterns[1][2] == 'propagated'
    np.random.seed(0)
    samples = [ds[0], ds[2]]  # the exemplar, a propagated slice
    inputs = torch.stack([s['inputs'].float() for s in samples])
    data_samples = [s['data_samples'] for s in samples]
    assert [d.metainfo['stream'] for d in data_samples] == [
        'exemplar', 'unlabeled']
    cfg = copy.deepcopy(TINY_MODEL)
    cfg.update(type='ExemplarEncoderDecoder',
               stream_weights=dict(unlabeled=0.5))
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    losses = model.loss(inputs, data_samples)
    logits = model.decode_head.forward(model.extract_feat(inputs))
    target = data_samples[1].gt_sem_seg.data.long()
    ce = F.cross_entropy(logits[1:], target, ignore_index=255,
                         reduction='none')
    # mmseg's CrossEntropyLoss averages over every pixel (ignore counts 0)
    assert losses['loss_seg_unlabeled'].item() == pytest.approx(
        0.5 * ce.sum().item() / target.numel(), rel=1e-5)
