"""The label-free slice ranking: its pieces on hand-made volumes, and a spy
proving that no label is read."""
import h5py
import nibabel as nib
import numpy as np
import pytest

from elseg.datasets import slice_suggestion as ss
from elseg.datasets.exemplar import select_exemplar
from elseg.utils.volume import source_slice


def bar_volume(values):
    """(S, 2, 2) slices ``[[v, v], [0, 0]]``: thumbnail (v, v, 0, 0) at size
    2, RMS contrast v / 2, tissue fraction 1/2 when v > the volume mean."""
    return np.array([[[v, v], [0., 0.]] for v in values], np.float32)


def write_slices(root, vid, volume, with_label=True, suffix='.h5'):
    """SSL4MIS slices ``<vid>_slice_<k+1>`` (label: 1 on the first row)."""
    (root / 'data' / 'slices').mkdir(parents=True, exist_ok=True)
    lst = root / 'train_slices.list'
    ids = lst.read_text().split() if lst.exists() else []
    for k, img in enumerate(volume):
        sid = f'{vid}_slice_{k + 1}'
        label = np.zeros(img.shape, np.uint8)
        label[0] = 1
        path = root / 'data' / 'slices' / f'{sid}{suffix}'
        if suffix == '.npz':
            np.savez(path, image=img, label=label)
        else:
            with h5py.File(path, 'w') as f:
                f['image'] = img
                if with_label:
                    f['label'] = label
        ids.append(sid)
    lst.write_text('\n'.join(ids) + '\n')


# the two volumes of test_rank_slices_by_hand
VOL_A = [1, 1, .8, .5, .7, 1, 1]
VOL_B = [1, .6, 1.1, 1]
RANKED = ['A_frame01_slice_3', 'B_frame01_slice_3', 'A_frame01_slice_5',
          'B_frame01_slice_2', 'A_frame01_slice_4']


@pytest.fixture
def two_volumes(tmp_path):
    write_slices(tmp_path, 'A_frame01', bar_volume(VOL_A))
    write_slices(tmp_path, 'B_frame01', bar_volume(VOL_B))
    return tmp_path


def test_tissue_fractions_and_covered_extent_by_hand():
    # volume mean (0 + 1 + 4) / 12 = 0.417: tissue pixels are the 1s
    vol = np.array([[[0, 0], [0, 0]], [[1, 0], [0, 0]], [[1, 1], [1, 1]]])
    np.testing.assert_allclose(ss.tissue_fractions(vol), [0, .25, 1])
    # bar = 0.5 x 1.0: indices 2 and 3 reach it
    assert ss.covered_extent([0, .25, 1, .6, .4]) == (2, 3)
    assert ss.covered_extent([0, .25, 1, .6, .4], 0.2) == (1, 4)
    assert ss.covered_extent([0, 0, 0]) == (0, 2)  # no tissue: whole stack
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match=str(bad)):
            ss.covered_extent([1], bad)
    with pytest.raises(ValueError, match=r'\(2, 2\)'):
        ss.tissue_fractions(np.zeros((2, 2)))


def test_candidate_mask_is_the_middle_third_of_the_extent():
    # extent 0..6: positions k / 6; |p - 1/2| <= 1/6 for k = 2, 3, 4
    pos, mask = ss.candidate_mask(7, 0, 6)
    np.testing.assert_allclose(pos, np.arange(7) / 6)
    assert np.flatnonzero(mask).tolist() == [2, 3, 4]
    # extent 1..4 of 6 slices: positions (k - 1) / 3 -> k = 2 (1/3), 3 (2/3)
    assert np.flatnonzero(ss.candidate_mask(6, 1, 4)[1]).tolist() == [2, 3]
    # extent 1..2: positions 0 and 1 miss the band; the centre 1.5 -> 1
    assert np.flatnonzero(ss.candidate_mask(5, 1, 2)[1]).tolist() == [1]
    # one-slice extent: only that slice
    pos, mask = ss.candidate_mask(3, 1, 1)
    np.testing.assert_allclose(pos, [-.5, .5, 1.5])
    assert np.flatnonzero(mask).tolist() == [1]
    with pytest.raises(ValueError, match='lo=3'):
        ss.candidate_mask(3, 3, 1)


def test_percentile_ranks_and_thumbnails_by_hand():
    np.testing.assert_allclose(ss.percentile_ranks([3, 1, 2]), [1, 0, .5])
    np.testing.assert_allclose(
        ss.percentile_ranks([3, 1, 2], higher_is_better=False), [0, 1, .5])
    np.testing.assert_allclose(ss.percentile_ranks([7]), [1])
    # 4x4 -> 2x2 by area: the means of the 2x2 blocks
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    np.testing.assert_allclose(ss.thumbnails(img, 2), [[2.5, 4.5, 10.5, 12.5]])
    with pytest.raises(ValueError, match='got 0'):
        ss.thumbnails(img, 0)


def test_rank_slices_by_hand():
    """A (7 slices, v = 1 1 .8 .5 .7 1 1) and B (4 slices, v = 1 .6 1.1 1):
    every slice's tissue fraction is 1/2, so each extent is the whole stack
    and the candidates are A's slices 3, 4, 5 (k = 2..4 of 0..6) and B's
    slices 2, 3 (positions 1/3, 2/3). The mean thumbnail's v is
    m = (6.0 + 3.7) / 11 = 0.8818 and a distance is sqrt(2)|v - m|:
    A3 .082, A5 .182, B3 .218, B2 .282, A4 .382, so the representativeness
    ranks are A3 1, A5 .75, B3 .5, B2 .25, A4 0; the contrasts v / 2 order
    B3, A3, A5, B2, A4: ranks 1, .75, .5, .25, 0. Scores (mean): A3 .875,
    B3 .75, A5 .625, B2 .25, A4 0. A's best beats B's best; round 2 takes
    A5 then B2."""
    vols = [('A_frame01', range(1, 8), bar_volume(VOL_A)),
            ('B_frame01', range(1, 5), bar_volume(VOL_B))]
    ranked = ss.rank_slices(iter(vols), descriptor_size=2)
    assert [s.slice_id for s in ranked] == RANKED
    by_id = {s.slice_id: s for s in ranked}
    m = 9.7 / 11
    for sid, v, score, pos in (('A_frame01_slice_3', .8, .875, 1 / 3),
                               ('B_frame01_slice_3', 1.1, .75, 2 / 3),
                               ('A_frame01_slice_5', .7, .625, 2 / 3),
                               ('B_frame01_slice_2', .6, .25, 1 / 3),
                               ('A_frame01_slice_4', .5, 0., 1 / 2)):
        s = by_id[sid]
        assert s.score == pytest.approx(score)
        assert s.position == pytest.approx(pos)
        assert s.contrast == pytest.approx(v / 2, rel=1e-6)
        assert s.distance == pytest.approx(np.sqrt(2) * abs(v - m), rel=1e-5)
    with pytest.raises(ValueError, match='twice'):
        ss.rank_slices(vols + vols[:1], descriptor_size=2)
    with pytest.raises(ValueError, match='No training volume'):
        ss.rank_slices([])


def test_dark_end_slices_leave_the_extent():
    """Six slices, the first and last black: tissue fractions 0 .5 .5 .5 .5
    0, extent 1..4, candidates k = 2, 3 (slice numbers 3, 4) although the
    stack's own middle third would also be k = 2, 3; with three black
    slices at the start (extent 3..5) only slice 5 (k = 4) is a candidate."""
    vol = bar_volume([0, 1, 1, 1, 1, 0])
    ranked = ss.rank_slices([('v', range(1, 7), vol)], descriptor_size=2)
    assert sorted(s.number for s in ranked) == [3, 4]
    vol = bar_volume([0, 0, 0, 1, 1, 1])
    ranked = ss.rank_slices([('v', range(1, 7), vol)], descriptor_size=2)
    assert [s.number for s in ranked] == [5]


def test_source_slice_numbers_the_file_axis():
    ras = np.diag([1., 1., 2., 1.])
    assert source_slice(ras, 10, 2) == dict(axis='k', itk_snap=3, slicer=2)
    # the file's third axis runs superior -> inferior: index 9 - 2 = 7
    flipped = np.diag([1., 1., -2., 1.])
    assert source_slice(flipped, 10, 2) == dict(axis='k', itk_snap=8,
                                                   slicer=7)
    # the first file axis is the axial one (world z)
    perm = np.array([[0, 0, 1., 0], [0, 1., 0, 0], [1., 0, 0, 0], [0, 0, 0,
                                                                   1.]])
    assert source_slice(perm, 4, 0) == dict(axis='i', itk_snap=1, slicer=0)
    with pytest.raises(ValueError, match='Axial index 10'):
        source_slice(ras, 10, 10)


@pytest.mark.parametrize('affine', [
    np.diag([1., 1., 2., 1.]), np.diag([-1., 1., -2., 1.]),
    np.array([[0, 0, 1., 0], [0, -1., 0, 0], [-2., 0, 0, 0], [0, 0, 0, 1.]])
])
def test_source_slice_matches_the_converter_cut(tmp_path, affine):
    """A bright marker at file index ``i`` along the axial file axis: the
    converter's axial slice that holds it maps back to ``i``."""
    from elseg.datasets.converters.nifti_folder import read_axial
    data = np.zeros((4, 5, 6), np.float32)
    axis = int(np.flatnonzero(np.abs(affine[2, :3]) > 0)[0])
    index = [slice(None)] * 3
    index[axis] = 1
    data[tuple(index)] = 1
    nib.save(nib.Nifti1Image(data, affine), str(tmp_path / 'x.nii.gz'))
    slices, _, aff = read_axial(str(tmp_path / 'x.nii.gz'))
    k = int(np.flatnonzero(slices.reshape(len(slices), -1).max(1) > 0)[0])
    where = source_slice(aff, len(slices), k)
    assert where['slicer'] == 1 and where['itk_snap'] == 2
    assert where['axis'] == 'ijk'[axis]


def test_suggested_rule_takes_the_seed_th_suggestion(two_volumes):
    picks = [select_exemplar(str(two_volumes), rule='suggested', seed=s)
             for s in range(6)]
    assert picks == RANKED + RANKED[:1]  # wraps after the 5 candidates
    assert ss.suggested_slice(str(two_volumes), 1) == RANKED[1]
    with pytest.raises(ValueError, match='got -1'):
        ss.suggested_slice(str(two_volumes), -1)


def _clear_label(root, sid):
    with h5py.File(root / 'data' / 'slices' / f'{sid}.h5', 'r+') as f:
        f['label'][...] = 0


def test_suggested_checked_skips_suggestions_lacking_a_class(two_volumes):
    # the 1st and 3rd suggestions lose their only foreground class
    for sid in (RANKED[0], RANKED[2]):
        _clear_label(two_volumes, sid)
    picks = [select_exemplar(str(two_volumes), rule='suggested_checked',
                             seed=s, num_classes=2) for s in range(4)]
    # each volume's first all-class suggestion (B slice 3, A slice 4), then
    # the rest
    assert picks == [RANKED[1], RANKED[4], RANKED[3], RANKED[1]]
    # the pure rule does not look: its seed 0 is still the first suggestion
    assert select_exemplar(str(two_volumes), rule='suggested',
                           seed=0) == RANKED[0]
    with pytest.raises(ValueError, match='got -1'):
        select_exemplar(str(two_volumes), rule='suggested_checked', seed=-1,
                        num_classes=2)


def test_suggested_checked_without_any_all_class_suggestion(two_volumes):
    # only a slice outside the candidates (A slice 1) shows the class
    for sid in RANKED:
        _clear_label(two_volumes, sid)
    with pytest.raises(ValueError, match="'representative'"):
        select_exemplar(str(two_volumes), rule='suggested_checked',
                        num_classes=2)


# ---------------------------------------------------------------- the spy
@pytest.fixture
def label_spy(monkeypatch):
    """Fail any read of a 'label' dataset/array or a label NIfTI."""
    opened = []

    def guard(what):
        opened.append(what)
        raise AssertionError(f'the ranking read a label: {what}')

    group_getitem = h5py.Group.__getitem__

    def h5_getitem(self, name):
        if 'label' in str(name):
            guard(f'h5 {self.file.filename}:{name}')
        return group_getitem(self, name)

    npz_getitem = np.lib.npyio.NpzFile.__getitem__

    def npz_get(self, key):
        if 'label' in str(key):
            guard(f'npz {key}')
        return npz_getitem(self, key)

    nib_load = nib.load

    def nib_get(path, *args, **kwargs):
        if 'label' in str(path).rsplit('/', 1)[-1]:
            guard(f'nifti {path}')
        return nib_load(path, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, '__getitem__', h5_getitem)
    monkeypatch.setattr(np.lib.npyio.NpzFile, '__getitem__', npz_get)
    monkeypatch.setattr(nib, 'load', nib_get)
    return opened


def test_the_ranking_reads_no_label(two_volumes, tmp_path, label_spy):
    # slice layout (h5): the rule and the ranking run; the diagnostic trips
    assert ss.suggest_slices(str(two_volumes))[0].slice_id == RANKED[0]
    assert select_exemplar(str(two_volumes), rule='suggested') == RANKED[0]
    assert label_spy == []
    with pytest.raises(AssertionError, match='read a label'):
        ss.check_suggestions(str(two_volumes), RANKED[:1], 2)
    assert len(label_spy) == 1  # the spy sees label reads
    # npz slices (Synapse layout)
    npz = tmp_path / 'npz'
    write_slices(npz, 'case1', bar_volume([1, .5, 1]), suffix='.npz')
    assert ss.suggested_slice(str(npz), 0, slice_dir='data/slices',
                              suffix='.npz') == 'case1_slice_2'
    # raw NIfTI folder with label files beside the images
    raw = tmp_path / 'raw'
    raw.mkdir()
    for cid in ('1', '2'):
        img = np.zeros((4, 4, 5), np.float32)
        img[:2, :, :] = 1
        nib.save(nib.Nifti1Image(img, np.eye(4)), str(raw / f'image_{cid}.nii.gz'))
        nib.save(nib.Nifti1Image(np.ones((4, 4, 5), np.uint8), np.eye(4)),
                 str(raw / f'label_{cid}.nii.gz'))
    ranked = ss.suggest_slices(str(raw))
    assert {s.number for s in ranked} == {3}  # the middle of 5 slices
    assert len(label_spy) == 1


def test_check_suggestions_reports_missing_classes(two_volumes):
    """Diagnostic: the labels hold class 1 only, so of 3 classes 2 lacks."""
    assert ss.check_suggestions(str(two_volumes), RANKED[:2], 3) == {
        RANKED[0]: [2], RANKED[1]: [2]}
    assert ss.check_suggestions(str(two_volumes), RANKED[:1], 2) == {
        RANKED[0]: []}
    with pytest.raises(ValueError, match='got 1'):
        ss.check_suggestions(str(two_volumes), RANKED[:1], 1)


def test_middle_third_baseline_reads_the_list_only(tmp_path, monkeypatch):
    """Volumes a (9 slices) and b (3 slices): the draw is a volume, then a
    slice of its middle third (a: numbers 4-6; b: number 2), and no slice
    file is opened (there are none)."""
    (tmp_path / 'train_slices.list').write_text(''.join(
        f'a_slice_{k}\n' for k in range(1, 10)) + ''.join(
        f'b_slice_{k}\n' for k in range(1, 4)))
    picks = {ss.middle_third_slice(str(tmp_path), seed) for seed in range(40)}
    assert picks == {'a_slice_4', 'a_slice_5', 'a_slice_6', 'b_slice_2'}
    # the same draw as numpy's, by hand for seed 0
    rng = np.random.default_rng(0)
    vol = 'ab'[int(rng.integers(2))]
    lo, hi = (3, 6) if vol == 'a' else (1, 2)
    expected = f'{vol}_slice_{int(rng.integers(lo, hi)) + 1}'
    assert ss.middle_third_slice(str(tmp_path), 0) == expected
    assert select_exemplar(str(tmp_path), rule='middle_third',
                           seed=0) == expected
    with pytest.raises(ValueError, match='seed must be >= 0'):
        ss.middle_third_slice(str(tmp_path), -1)
