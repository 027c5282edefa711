"""Synapse raw NIfTI -> TransUNet layout: tiny NIfTI files and the real CT."""
import h5py
import nibabel as nib
import numpy as np
import pytest

from elseg.datasets.converters.synapse_raw import (convert_synapse,
                                                   remap_labels)


def write_case(raw, num, img, lab, affine):
    for sub, arr, name in (('img', img, 'img'), ('label', lab, 'label')):
        (raw / sub).mkdir(parents=True, exist_ok=True)
        nib.save(nib.Nifti1Image(arr, affine), raw / sub /
                 f'{name}{num:04d}.nii.gz')


def test_remap():
    raw = np.arange(14)
    assert remap_labels(raw).tolist() == [0, 7, 4, 3, 2, 0, 5, 8, 1, 0, 0, 6,
                                          0, 0]


def test_convert_tiny_cases_orientation_and_split(tmp_path):
    x, y, z = 6, 5, 4
    img = np.full((x, y, z), -1000, np.int16)
    lab = np.zeros((x, y, z), np.uint8)
    img[0, y - 1, 0] = 75  # patient-left-most, most anterior, most inferior
    lab[0, y - 1, 0] = 8  # aorta
    lab[1, 1, 1] = 5  # esophagus -> background
    ras = np.diag([0.8, 0.8, 3.0, 1.0])
    raw = tmp_path / 'raw'
    write_case(raw, 1, img, lab, ras)  # TransUNet test case
    # case 5: the same scan stored LPS (x and y flipped): same output expected
    lps = ras.copy()
    lps[0, 0], lps[1, 1] = -0.8, -0.8
    write_case(raw, 5, img[::-1, ::-1].copy(), lab[::-1, ::-1].copy(), lps)
    lists = convert_synapse(str(raw), str(tmp_path / 'out'))
    out = tmp_path / 'out'
    assert lists['test_vol'] == ['case0001']
    assert lists['train'] == [f'case0005_slice{k:03d}' for k in range(z)]
    assert (out / 'test_vol.txt').read_text() == 'case0001\n'
    with h5py.File(out / 'test_vol_h5' / 'case0001.npy.h5') as f:
        vol, seg = f['image'][()], f['label'][()]
        assert tuple(f.attrs['spacing']) == pytest.approx((3.0, 0.8, 0.8))
    assert vol.shape == (z, y, x) and vol.dtype == np.float32
    # anterior at the top (row 0), patient's left on the right (last column)
    assert vol[0, 0, x - 1] == pytest.approx(0.5) and vol.sum() == \
        pytest.approx(0.5)
    assert seg[0, 0, x - 1] == 1 and seg.sum() == 1
    s0 = np.load(out / 'train_npz' / 'case0005_slice000.npz')
    np.testing.assert_allclose(s0['image'], vol[0])
    np.testing.assert_array_equal(s0['label'], seg[0])
    np.testing.assert_allclose(s0['spacing'], (3.0, 0.8, 0.8))


def test_missing_raw(tmp_path):
    with pytest.raises(ValueError, match='RawData/Training'):
        convert_synapse(str(tmp_path), str(tmp_path / 'o'))
    (tmp_path / 'img').mkdir()
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.int16), np.eye(4)),
             tmp_path / 'img' / 'img0002.nii.gz')
    with pytest.raises(FileNotFoundError, match='label0002.nii.gz'):
        convert_synapse(str(tmp_path), str(tmp_path / 'o'))


def test_real_ct(abdomen_ct_root, tmp_path):
    lists = convert_synapse(str(abdomen_ct_root), str(tmp_path), [1])
    assert lists == dict(train=[], test_vol=['case0001'])
    with h5py.File(tmp_path / 'test_vol_h5' / 'case0001.npy.h5') as f:
        vol, seg = f['image'][()], f['label'][()]
        assert tuple(f.attrs['spacing']) == (3.0, 3.0, 3.0)
    assert vol.shape == (112, 101, 122)  # axial slices of 101 x 122
    assert 0 <= vol.min() and vol.max() <= 1
    assert set(np.unique(seg)) <= set(range(9)) and {1, 5, 7} <= set(
        np.unique(seg))
    # radiological view: liver (5) on the image left, spleen (7) on the right
    w = vol.shape[2]
    assert np.nonzero(seg == 5)[2].mean() < w / 2 < np.nonzero(seg == 7)[2].mean()
    # anterior at the top: the stomach (8) lies in front of the aorta (1)
    assert np.nonzero(seg == 8)[1].mean() < np.nonzero(seg == 1)[1].mean()
