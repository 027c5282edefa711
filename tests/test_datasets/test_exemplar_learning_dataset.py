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


# ------------------------------------------------ several labelled slices
#: largest_area's slice on the phantom (patient002 has 7 slices per frame)
#: and its nearest slices n+1, n-1 (absent), n+2.
VOLUME3 = ['patient002_frame01_slice_1', 'patient002_frame01_slice_2',
           'patient002_frame01_slice_3']


def _slice_id(path):
    return str(path).rsplit('/', 1)[-1][:-len('.h5')]


def test_k_slices_read_exactly_their_labels(phantom_root, opened_labels,
                                            tmp_path):
    """Training opens the labels of the K labelled slices, once each, in
    every stage; none of them is in the unlabelled pool."""
    ds = build_exemplar_dataset(
        phantom_root, exemplar=dict(rule='largest_area', num=3,
                                    spread='volume'),
        backgrounds=dict(stage1=dict(black=1, exemplar_inpainted=1),
                         stage2=dict(unlabeled_inpainted=1, unlabeled_raw=1)))
    assert ds.exemplar_ids == VOLUME3
    assert ds.exemplar_id == VOLUME3[0]
    assert [_slice_id(p) for p in opened_labels] == VOLUME3
    assert ds.exemplar_info['img_path'] == opened_labels[0]
    assert len(ds.unlabeled_infos) == len(ds.dataset) - 3
    assert not {ds._slice_id(i) for i in ds.unlabeled_infos} & set(VOLUME3)
    np.random.seed(0)
    for i in range(12):
        ds[i]
    ds.set_stage(2, str(tmp_path))
    for i in range(12):
        ds[i]
    assert [_slice_id(p) for p in opened_labels] == VOLUME3


def test_exemplar_stream_draws_uniformly_among_the_k_slices(phantom_root):
    """The only draw of an exemplar-stream sample is the slice index, so the
    counts are those of np.random.randint(3) after the same seed."""
    ds = build_exemplar_dataset(
        phantom_root, exemplar=VOLUME3,
        stream_ratios=dict(stage1=dict(exemplar=1), stage2=dict(exemplar=1)))
    np.random.seed(0)
    counts = [0, 0, 0]
    for i in range(300):
        out = ds[i]
        k = VOLUME3.index(_slice_id(out['data_samples'].metainfo['img_path']))
        counts[k] += 1
        np.testing.assert_array_equal(
            out['data_samples'].gt_sem_seg.data[0].numpy(),
            ds.exemplar_labels[k])
    np.random.seed(0)
    assert counts == np.bincount([np.random.randint(3) for _ in range(300)],
                                 minlength=3).tolist()
    assert min(counts) >= 80  # 100 expected each


def test_esm_sources_and_inpainted_backgrounds_drawn_among_the_k(
        phantom_root):
    """Each synthetic sample cuts its organs from one labelled slice and
    pastes them on one of their inpainted backgrounds, both drawn
    uniformly; the sample's meta names the organs' slice."""
    ds = build_exemplar_dataset(
        phantom_root, exemplar=VOLUME3,
        stream_ratios=dict(stage1=dict(synthetic=1), stage2=dict(synthetic=1)),
        backgrounds=dict(stage1=dict(exemplar_inpainted=1)))
    seen = []

    def record(results):
        src = [k for k, lab in enumerate(ds.exemplar_labels)
               if lab is results['exemplar_label']]
        bg = [k for k, img in enumerate(ds.exemplar_inpainted_imgs)
              if np.array_equal(img, results['img'])]
        assert _slice_id(results['img_path']) == VOLUME3[src[0]]
        seen.append((src[0], bg[0]))
        results['gt_seg_map'] = results['exemplar_label'].copy()
        return results

    ds.synthesis = record
    np.random.seed(0)
    for i in range(150):
        ds.prepare_sample(i)
    sources = np.bincount([s for s, _ in seen], minlength=3)
    backgrounds = np.bincount([b for _, b in seen], minlength=3)
    assert sources.sum() == backgrounds.sum() == 150
    assert sources.min() >= 35 and backgrounds.min() >= 35  # 50 expected


def test_num_one_gives_the_same_samples_as_without_num(phantom_root):
    pipeline = [dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.5,
                     degree=(-20, 20)),
                dict(type='PackSegInputs', meta_keys=('img_path', 'stream'))]
    plain = build_exemplar_dataset(phantom_root, pipeline=pipeline)
    one = build_exemplar_dataset(
        phantom_root, pipeline=pipeline,
        exemplar=dict(rule='random', seed=0, num=1, spread='volume'))
    assert one.exemplar_ids == [plain.exemplar_id]
    for ds in (plain, one):
        ds.set_stage(2)
    samples = []
    for ds in (plain, one):
        np.random.seed(5)
        samples.append([ds[i] for i in range(12)])
    for a, b in zip(*samples):
        np.testing.assert_array_equal(a['inputs'].numpy(), b['inputs'].numpy())
        np.testing.assert_array_equal(a['data_samples'].gt_sem_seg.data,
                                      b['data_samples'].gt_sem_seg.data)


def test_only_the_first_slice_must_show_every_class(phantom_root):
    """Slice 6 of patient001 frame01 shows no RV (label 1)."""
    ds = build_exemplar_dataset(phantom_root, exemplar=[
        'patient001_frame01_slice_5', 'patient001_frame01_slice_6'])
    assert set(np.unique(ds.exemplar_labels[1])) == {0, 2, 3}
    with pytest.raises(ValueError) as err:
        build_exemplar_dataset(phantom_root, exemplar=[
            'patient001_frame01_slice_6', 'patient001_frame01_slice_5'])
    assert "Exemplar 'patient001_frame01_slice_6'" in str(err.value)
    assert "lacks class(es) ['RV']" in str(err.value)
    assert 'put a slice showing every class first' in str(err.value)


@pytest.mark.parametrize('exemplar, message', [
    (dict(rule='random', num=0), 'exemplar num must be an integer >= 1'),
    (dict(rule='random', num=2, spread='slices'),
     "exemplar spread must be one of ('patients', 'volume'), got 'slices'"),
    (['patient001_frame01_slice_5', 'patient999_frame01_slice_1'],
     "Labelled slice 2 of 2 'patient999_frame01_slice_1' is not a slice of "
     'the training set'),
    (dict(rule='largest_area', num=8, spread='volume'),
     "the volume 'patient002_frame01' of the first slice "
     "'patient002_frame01_slice_1' has only 7 training slice(s). Lower num "
     'to at most 7'),
    (dict(rule='largest_area', num=3, spread='patients'),
     "offers slices of only 2 patient(s) (['patient001', 'patient002'])"),
])
def test_bad_labelled_slices(phantom_root, exemplar, message):
    with pytest.raises(ValueError) as err:
        build_exemplar_dataset(phantom_root, exemplar=exemplar)
    assert message in str(err.value)


def test_patients_spread_and_propagation_from_the_first(phantom_root):
    """Two patients on the phantom; with K slices propagation still starts
    from the first, and the labelled neighbour is not a target."""
    ds = build_exemplar_dataset(
        phantom_root, exemplar=dict(rule='largest_area', num=2))
    assert ds.exemplar_ids[0] == 'patient002_frame01_slice_1'
    assert ds.exemplar_ids[1].startswith('patient001_frame0')
    ds = build_exemplar_dataset(
        phantom_root, exemplar=['patient001_frame01_slice_3',
                                'patient001_frame01_slice_4'],
        propagation=dict(neighbours=1, other_frames=True))
    assert sorted(ds.propagated) == ['patient001_frame01_slice_2',
                                     'patient001_frame02_slice_3']
    assert {p.source for p in ds.propagated.values()} == {
        'patient001_frame01_slice_3'}
