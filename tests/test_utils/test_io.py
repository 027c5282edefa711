"""elseg.utils.io: atomic writes, checked reads, NIfTI round trip."""
import os

import nibabel as nib
import numpy as np
import pytest

from elseg.utils.io import (AtomicTextFile, atomic_save_h5, atomic_save_npz,
                            atomic_write_bytes, load_nifti, nifti_spacing_zyx,
                            read_h5_array, read_h5_attr, read_npz_array,
                            remove_stale_temp_files, save_nifti)


def test_atomic_npz_and_h5(tmp_path):
    path = tmp_path / 'sub' / 'a.npz'
    atomic_save_npz(path, label=np.arange(3), confidence=np.ones(3))
    assert read_npz_array(path, 'label').tolist() == [0, 1, 2]
    assert [p.name for p in path.parent.iterdir()] == ['a.npz']  # no temp
    with pytest.raises(KeyError, match="no array 'image'"):
        read_npz_array(path, 'image')
    with pytest.raises(ValueError, match='no arrays'):
        atomic_save_npz(tmp_path / 'b.npz')
    h5 = tmp_path / 'v.h5'
    atomic_save_h5(h5, dict(image=np.zeros((2, 3, 4), np.float32)),
                   dict(spacing=(5.0, 1.0, 1.0), skipped=None))
    assert read_h5_array(h5, 'image', 1).shape == (3, 4)
    assert tuple(read_h5_attr(h5, 'spacing')) == (5.0, 1.0, 1.0)
    with pytest.raises(ValueError, match='out of range'):
        read_h5_array(h5, 'image', 2)


def test_nifti_roundtrip_keeps_affine_and_header(tmp_path):
    affine = np.array([[0, -0.7, 0, 12], [0.7, 0, 0, -3], [0, 0, 5, 40],
                       [0, 0, 0, 1.]])
    img = nib.Nifti1Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4),
                          affine)
    img.header['descrip'] = b'elseg test'
    nib.save(img, tmp_path / 'in.nii.gz')
    data, aff, hdr = load_nifti(tmp_path / 'in.nii.gz')
    assert data.dtype == np.int16 and data[1, 2, 3] == 23
    assert nifti_spacing_zyx(hdr) == pytest.approx((5.0, 0.7, 0.7))
    save_nifti(tmp_path / 'out' / 'o.nii.gz', (data % 4).astype(np.uint8),
               affine=aff, header=hdr)
    out = nib.load(tmp_path / 'out' / 'o.nii.gz')
    np.testing.assert_allclose(out.affine, affine)
    assert out.get_data_dtype() == np.uint8
    assert out.header['descrip'].tobytes().startswith(b'elseg test')
    np.testing.assert_array_equal(np.asarray(out.dataobj), data % 4)


def test_unreadable_nifti(tmp_path):
    bad = tmp_path / 'bad.nii.gz'
    bad.write_bytes(b'\x1f\x8b truncated')
    with pytest.raises(ValueError, match='bad.nii.gz.*NIfTI'):
        load_nifti(bad)
    with pytest.raises(FileNotFoundError, match='none.nii'):
        load_nifti(tmp_path / 'none.nii')


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'
    atomic_write_bytes(b'old', target)

    def boom(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', boom)
    with pytest.raises(OSError, match='disk full'):
        atomic_write_bytes(b'new-but-truncated', target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']


def test_remove_stale_temp_files(tmp_path):
    stale = tmp_path / '.iter_4.pth.k2j3.tmp'
    stale.write_bytes(b'partial')
    keep = [tmp_path / 'iter_4.pth', tmp_path / 'notes.tmp']
    for p in keep:
        p.write_bytes(b'x')
    assert remove_stale_temp_files(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and all(p.exists() for p in keep)


def test_atomic_text_file_appears_only_when_closed_cleanly(tmp_path):
    target = tmp_path / 'last_checkpoint'
    with AtomicTextFile(str(target)) as f:
        assert f.write('work/iter_8.pth') == 15
        f.write('\n')
        assert not target.exists()  # nothing on disk before the block ends
    assert target.read_text() == 'work/iter_8.pth\n'
    with pytest.raises(RuntimeError):
        with AtomicTextFile(str(target)) as f:
            f.write('half')
            raise RuntimeError('killed')
    assert target.read_text() == 'work/iter_8.pth\n'  # old content kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ['last_checkpoint']
