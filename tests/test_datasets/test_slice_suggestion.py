"""The slice suggestion from the data layouts: the 'suggested' and
'middle_third' rules, the source slice numbers, the label diagnostic, and a
spy proving that no label is read."""
import h5py
import nibabel as nib
import numpy as np
import pytest

from elseg.datasets import slice_suggestion as ss
from elseg.datasets.exemplar import select_exemplar
from elseg.datasets.suggestion_sheet import check_suggestions
from elseg.utils.volume import source_slice
from tests.test_datasets.test_slice_ranking import (RANKED, VOL_A, VOL_B,
                                                    bar_volume)


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


@pytest.fixture
def two_volumes(tmp_path):
    write_slices(tmp_path, 'A_frame01', bar_volume(VOL_A))
    write_slices(tmp_path, 'B_frame01', bar_volume(VOL_B))
    return tmp_path


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
        check_suggestions(str(two_volumes), RANKED[:1], 2)
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
    assert check_suggestions(str(two_volumes), RANKED[:2], 3) == {
        RANKED[0]: [2], RANKED[1]: [2]}
    assert check_suggestions(str(two_volumes), RANKED[:1], 2) == {
        RANKED[0]: []}
    with pytest.raises(ValueError, match='got 1'):
        check_suggestions(str(two_volumes), RANKED[:1], 1)


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


def test_read_split_ids(tmp_path):
    (tmp_path / 'train.list').write_text(
        '# a comment\np_slice_2\n\np_slice_1\np_slice_2\n')
    path, ids = ss.read_split_ids(str(tmp_path), 'train.list')
    assert path == str(tmp_path / 'train.list')
    assert ids == ['p_slice_1', 'p_slice_2']  # sorted, distinct, no comment
    # an absolute list ignores data_root
    assert ss.read_split_ids('/nowhere', path)[1] == ids
    (tmp_path / 'empty.list').write_text('# nothing\n\n')
    with pytest.raises(ValueError, match='No slice ids in .*empty.list'):
        ss.read_split_ids(str(tmp_path), 'empty.list')
    with pytest.raises(FileNotFoundError, match='missing.list'):
        ss.read_split_ids(str(tmp_path), 'missing.list')
