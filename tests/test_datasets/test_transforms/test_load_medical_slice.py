"""LoadMedicalSlice: reading .h5 / .npz slices and its error messages."""
import h5py
import numpy as np
import pytest

from elseg.datasets.transforms import LoadMedicalSlice


def write_h5(path, **arrays):
    with h5py.File(path, 'w') as f:
        for k, v in arrays.items():
            f.create_dataset(k, data=v)
    return str(path)


def test_reads_3d_slice_and_2d_file(tmp_path):
    img = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    lab = (np.arange(24).reshape(2, 3, 4) % 4).astype(np.uint8)
    vol = write_h5(tmp_path / 'v.h5', image=img, label=lab)
    out = LoadMedicalSlice(num_classes=4)(
        dict(img_path=vol, seg_map_path=vol, slice_idx=1, seg_fields=[]))
    assert out['img'].dtype == np.float32 and out['img'].shape == (3, 4)
    np.testing.assert_array_equal(out['img'], img[1])
    np.testing.assert_array_equal(out['gt_seg_map'], lab[1])
    assert out['gt_seg_map'].dtype == np.uint8
    assert out['img_shape'] == out['ori_shape'] == (3, 4)
    assert out['seg_fields'] == ['gt_seg_map']
    npz = tmp_path / 's.npz'
    np.savez(npz, image=img[0].astype(np.float32), label=lab[0])
    out = LoadMedicalSlice()(dict(img_path=str(npz), seg_map_path=str(npz),
                                  slice_idx=None))
    np.testing.assert_array_equal(out['gt_seg_map'], lab[0])


def test_never_reads_label_without_seg_map_path(tmp_path):
    # no 'label' dataset at all: reading it would raise
    path = write_h5(tmp_path / 's.h5', image=np.zeros((3, 4), np.float32))
    out = LoadMedicalSlice()(dict(img_path=path, seg_map_path=None,
                                  slice_idx=None))
    assert 'gt_seg_map' not in out and out['seg_fields'] == []


def test_label_after_resize_keeps_original_size(tmp_path):
    vol = write_h5(tmp_path / 'v.h5', image=np.zeros((1, 3, 4), np.float32),
                   label=np.ones((1, 3, 4), np.uint8))
    res = LoadMedicalSlice(load_label=False)(
        dict(img_path=vol, seg_map_path=vol, slice_idx=0))
    assert 'gt_seg_map' not in res
    res['img'] = np.zeros((8, 8), np.float32)  # as Resize would
    res['img_shape'] = (8, 8)
    res = LoadMedicalSlice(load_image=False)(res)
    assert res['gt_seg_map'].shape == (3, 4) and res['img_shape'] == (8, 8)
    with pytest.raises(ValueError, match='does nothing'):
        LoadMedicalSlice(load_image=False, load_label=False)


@pytest.mark.parametrize('case,exc,words', [
    ('missing', FileNotFoundError, ['not found', 'nope.h5']),
    ('no_image', KeyError, ["no dataset 'image'", 'bad.h5']),
    ('no_label', KeyError, ["no dataset 'label'", 'bad.h5']),
    ('out_of_classes', ValueError, ['[7]', 'outside the 4 classes', 'bad.h5']),
    ('shape', ValueError, ['shape mismatch', '(3, 4)', '(3, 5)', 'bad.h5']),
    ('unreadable', ValueError, ['Cannot read', 'bad.h5', 'HDF5']),
    ('ndim', ValueError, ['expected a 3D', 'bad.h5']),
])
def test_errors_name_file_and_problem(tmp_path, case, exc, words):
    bad = tmp_path / 'bad.h5'
    img = np.zeros((3, 4), np.float32)
    lab = np.zeros((3, 4), np.uint8)
    idx = None
    if case == 'no_image':
        write_h5(bad, label=lab)
    elif case == 'no_label':
        write_h5(bad, image=img)
    elif case == 'out_of_classes':
        lab[0, 0] = 7
        write_h5(bad, image=img, label=lab)
    elif case == 'shape':
        write_h5(bad, image=img, label=np.zeros((3, 5), np.uint8))
    elif case == 'unreadable':
        bad.write_bytes(b'not an hdf5 file at all')
    elif case == 'ndim':
        write_h5(bad, image=img, label=lab)
        idx = 0  # a 2D file indexed as a volume
    path = str(tmp_path / 'nope.h5') if case == 'missing' else str(bad)
    with pytest.raises(exc) as info:
        LoadMedicalSlice(num_classes=4)(
            dict(img_path=path, seg_map_path=path, slice_idx=idx))
    for w in words:
        assert w in str(info.value)


def test_bad_npz_and_type(tmp_path):
    bad = tmp_path / 'x.npz'
    bad.write_bytes(b'garbage')
    with pytest.raises(ValueError, match='x.npz'):
        LoadMedicalSlice()(dict(img_path=str(bad), seg_map_path=None))
    with pytest.raises(ValueError, match='Unsupported file type'):
        LoadMedicalSlice()(dict(img_path=str(tmp_path / 'a.png'),
                                seg_map_path=None))
    with pytest.raises(ValueError, match='num_classes'):
        LoadMedicalSlice(num_classes=0)
