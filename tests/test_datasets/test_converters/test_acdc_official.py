"""ACDC official NIfTI -> SSL4MIS layout, on tiny NIfTI files made here."""
import h5py
import nibabel as nib
import numpy as np
import pytest

from elseg.datasets.converters.acdc_official import (convert_acdc,
                                                     default_split)


def write_patient(root, num, frames=(1, 3), shape=(5, 4, 3),
                  zooms=(1.5, 1.25, 10.0), bad_label=False):
    folder = root / f'patient{num:03d}'
    folder.mkdir(parents=True)
    (folder / 'Info.cfg').write_text(
        f'ED: {frames[0]}\nES: {frames[1]}\nGroup: NOR\nHeight: 180\n')
    rng = np.random.default_rng(num)
    affine = np.diag(list(zooms) + [1.0])
    out = {}
    for fr in frames:
        img = rng.integers(0, 500, shape).astype(np.int16)
        lab = rng.integers(0, 4, shape).astype(np.uint8)
        if bad_label:
            lab[0, 0, 0] = 9
        for arr, suffix in ((img, ''), (lab, '_gt')):
            nifti = nib.Nifti1Image(arr, affine)
            nifti.header.set_zooms(zooms)
            nib.save(nifti, folder / f'patient{num:03d}_frame{fr:02d}'
                     f'{suffix}.nii.gz')
        out[fr] = (img, lab)
    return out


def test_convert_layout_spacing_and_scaling(tmp_path):
    src = tmp_path / 'training'
    p1 = write_patient(src, 1)
    write_patient(src, 3)  # 3 % 10 == 3 -> val by default
    lists = convert_acdc([str(src)], str(tmp_path / 'out'))
    out = tmp_path / 'out'
    assert (out / 'train.list').read_text().split() == [
        'patient001_frame01', 'patient001_frame02']
    assert (out / 'val.list').read_text().split() == [
        'patient003_frame01', 'patient003_frame02']
    assert (out / 'test.list').read_text() == ''
    assert lists['train_slices'][:3] == [
        'patient001_frame01_slice_1', 'patient001_frame01_slice_2',
        'patient001_frame01_slice_3']
    img, lab = p1[3]  # ES (frame 3) -> frame02
    with h5py.File(out / 'data' / 'patient001_frame02.h5') as f:
        assert f['image'].shape == (3, 4, 5)  # (z, y, x)
        assert tuple(f.attrs['spacing']) == (10.0, 1.25, 1.5)
        np.testing.assert_array_equal(f['label'][()], lab.transpose(2, 1, 0))
        scaled = (img - img.min()) / (img.max() - img.min())
        np.testing.assert_allclose(f['image'][()], scaled.transpose(2, 1, 0),
                                   rtol=1e-6)
        assert f['image'].dtype == np.float32 and f['label'].dtype == np.uint8
    with h5py.File(out / 'data' / 'slices' /
                   'patient001_frame02_slice_2.h5') as f:
        np.testing.assert_array_equal(f['label'][()], lab[:, :, 1].T)
        assert tuple(f.attrs['spacing']) == (10.0, 1.25, 1.5)


def test_explicit_split_and_errors(tmp_path):
    src = tmp_path / 'training'
    write_patient(src, 1)
    write_patient(src, 2)
    lists = convert_acdc([str(src)], str(tmp_path / 'o'), val_patients=[],
                         test_patients=[2])
    assert lists['test'] == ['patient002_frame01', 'patient002_frame02']
    with pytest.raises(ValueError, match=r'Patients \[7\]'):
        convert_acdc([str(src)], str(tmp_path / 'o'), test_patients=[7])
    write_patient(tmp_path / 'bad', 4, bad_label=True)
    with pytest.raises(ValueError, match='outside 0..3'):
        convert_acdc([str(tmp_path / 'bad')], str(tmp_path / 'o2'))
    with pytest.raises(ValueError, match='No patientXXX'):
        convert_acdc([str(tmp_path / 'empty')], str(tmp_path / 'o3'))


def test_default_split_is_70_10_20_per_pathology():
    split = default_split(range(1, 101))
    assert [len(split[k]) for k in ('train', 'val', 'test')] == [70, 10, 20]
    group = range(21, 41)  # one pathology group
    assert sum(n in group for n in split['val']) == 2
    assert sum(n in group for n in split['test']) == 4
