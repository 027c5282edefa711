"""ExemplarLearningDataset: streams, backgrounds, and no label leak."""
import numpy as np
import pytest

from elseg.datasets.transforms.load_medical_slice import LoadMedicalSlice
from tests.conftest import build_exemplar_dataset


def test_stream_pattern_follows_ratios(phantom_root):
    ds = build_exemplar_dataset(phantom_root, stream_ratios=dict(
        stage1=dict(exemplar=1, synthetic=3),
        stage2=dict(exemplar=1, synthetic=1, unlabeled=2)))
    assert [ds.stream_of(i) for i in range(8)] == ['exemplar'] + [
        'synthetic'] * 3 + ['exemplar'] + ['synthetic'] * 3
    ds.set_stage(2)
    assert [ds.stream_of(i) for i in range(4)] == [
        'exemplar', 'synthetic', 'unlabeled', 'unlabeled']
    sample = ds[0]
    assert sample['inputs'].shape == (1, 48, 48)
    assert sample['data_samples'].metainfo['stream'] == 'exemplar'


def test_exemplar_sample_is_the_exemplar(phantom_root):
    ds = build_exemplar_dataset(phantom_root)
    out = ds[0]
    np.testing.assert_array_equal(
        out['data_samples'].gt_sem_seg.data[0].numpy(), ds.exemplar_label)
    np.testing.assert_allclose(out['inputs'][0].numpy(), ds.exemplar_img,
                               atol=1e-6)
    assert set(np.unique(ds.exemplar_label)) == {0, 1, 2, 3}


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


def test_unlabeled_slices_never_load_their_labels(phantom_root, opened_labels,
                                                  tmp_path):
    """The only label file opened is the exemplar's, in every stage."""
    opened = opened_labels
    ds = build_exemplar_dataset(phantom_root, backgrounds=dict(
        stage1=dict(black=1, exemplar_inpainted=1),
        stage2=dict(unlabeled_inpainted=1, unlabeled_raw=1)))
    ex_path = ds.exemplar_info['img_path']
    assert opened == [ex_path]
    assert all(info['seg_map_path'] is None for info in ds.unlabeled_infos)
    assert len(ds.unlabeled_infos) == len(ds.dataset) - 1
    for i in range(12):
        ds[i]
    ds.set_stage(2, str(tmp_path))  # no pseudo labels written: all ignore
    for i in range(12):
        out = ds[i]
        if out['data_samples'].metainfo['stream'] == 'unlabeled':
            assert (out['data_samples'].gt_sem_seg.data == 255).all()
    assert opened == [ex_path]


def test_pseudo_labels_are_used_and_low_confidence_ignored(phantom_root,
                                                          tmp_path):
    from elseg.datasets.pseudo_labels import save_pseudo_label
    ds = build_exemplar_dataset(phantom_root, min_confidence=0.5, stream_ratios=dict(
        stage1=dict(exemplar=1), stage2=dict(unlabeled=1)))
    info = ds.unlabeled_infos[0]
    shape = ds.loader(dict(info))['img'].shape
    label = np.zeros(shape, np.uint8)
    label[:, shape[1] // 2:] = 2
    conf = np.ones(shape, np.float32)
    conf[: shape[0] // 2] = 0.1  # top half unsure
    save_pseudo_label(str(tmp_path), ds._slice_id(info), label, conf)
    ds.set_stage(2, str(tmp_path))
    out = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    assert (out[:20] == 255).all()  # low confidence -> ignore
    assert set(np.unique(out[30:, :20])) == {0}
    assert set(np.unique(out[30:, 30:])) == {2}


def test_bad_arguments(phantom_root):
    with pytest.raises(ValueError, match='not a slice of the training set'):
        build_exemplar_dataset(phantom_root, exemplar='patient999_frame01_slice_1')
    with pytest.raises(ValueError, match='Unknown stream'):
        build_exemplar_dataset(phantom_root, stream_ratios=dict(stage1=dict(labelled=1)))
    with pytest.raises(ValueError, match='needs pseudo labels'):
        build_exemplar_dataset(phantom_root, backgrounds=dict(
            stage1=dict(unlabeled_inpainted=1)))


def test_num_classes_checked_against_classes_and_exemplar(phantom_root,
                                                          tmp_path):
    import shutil

    import h5py
    with pytest.raises(ValueError, match=r"num_classes=5 but the dataset "
                       r"ACDCDataset has 4 classes \['background', 'RV'"):
        build_exemplar_dataset(phantom_root, num_classes=5)
    root = tmp_path / 'data'
    shutil.copytree(phantom_root, root)
    sid = 'patient001_frame01_slice_2'
    path = root / 'data' / 'slices' / f'{sid}.h5'
    with h5py.File(path, 'a') as f:
        label = f['label'][()]
        label[0, :3] = 9
        del f['label']
        f['label'] = label
    with pytest.raises(ValueError) as exc:
        build_exemplar_dataset(root, exemplar=sid)
    assert f"Exemplar '{sid}' ({path}) has label values [9] outside the 4 " \
        'classes (0..3, ignore 255)' in str(exc.value)


def test_consistency_stream_reads_no_unlabelled_label(phantom_root,
                                                      opened_labels):
    """Consistency configs put unlabelled slices in stage-1 batches: their
    label files are never opened, and after the shared augmentation their
    targets are still all ignore (rotation borders included), so the model
    can only learn from them through consistency."""
    opened = opened_labels
    ds = build_exemplar_dataset(
        phantom_root,
        stream_ratios=dict(stage1=dict(exemplar=1, synthetic=3, unlabeled=4),
                           stage2=dict(exemplar=1, synthetic=3, unlabeled=4)),
        exemplar_pipeline=[dict(type='SegScaleIntensity', prob=1.0)],
        pipeline=[dict(type='SegRotFlip', rotate_prob=1.0, degree=(10, 30)),
                  dict(type='PackSegInputs',
                       meta_keys=('img_path', 'volume_id', 'stream'))])
    np.random.seed(0)
    seen = 0
    for i in range(16):
        out = ds[i]
        if out['data_samples'].metainfo['stream'] == 'unlabeled':
            seen += 1
            assert (out['data_samples'].gt_sem_seg.data == 255).all()
    assert seen == 8
    assert opened == [ds.exemplar_info['img_path']]
