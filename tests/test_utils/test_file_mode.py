"""Every file and folder elseg writes gets the mode a plain open()/mkdir() would.

The atomic writers go through ``tempfile`` (0600 files, 0700 folders) and a
rename; under umask 022 their outputs must come out 0644 / 0755, under 077
0600 / 0700, as ``open(path, 'w')`` and ``os.mkdir`` give.
"""
import os
import stat

import numpy as np
import pytest
import torch

from elseg.utils.file_mode import created_mode, current_umask

UMASKS = [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]


@pytest.fixture(params=UMASKS, ids=['umask022', 'umask077'])
def umask(request):
    mask, file_mode, dir_mode = request.param
    old = os.umask(mask)
    try:
        yield file_mode, dir_mode
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_created_mode_by_hand(umask):
    file_mode, dir_mode = umask
    assert created_mode() == file_mode
    assert created_mode(directory=True) == dir_mode
    assert current_umask() == 0o777 & ~dir_mode
    # what a plain open() gives, for comparison
    assert created_mode() == (0o666 & ~current_umask())


def test_atomic_writers(tmp_path, umask):
    from elseg.utils.checkpoint import atomic_write_bytes
    from elseg.utils.io import atomic_save_h5, atomic_save_npz, save_nifti
    file_mode, _ = umask
    atomic_write_bytes(b'x', tmp_path / 'a.bin')
    atomic_save_npz(tmp_path / 'b.npz', a=np.zeros(2))
    atomic_save_h5(tmp_path / 'c.h5', dict(image=np.zeros((2, 2))))
    save_nifti(tmp_path / 'd_pred.nii.gz', np.zeros((2, 2, 2), np.uint8))
    with open(tmp_path / 'plain.txt', 'w') as f:
        f.write('x')
    for name in ('a.bin', 'b.npz', 'c.h5', 'd_pred.nii.gz', 'plain.txt'):
        assert mode(tmp_path / name) == file_mode, name


def test_checkpoints_last_checkpoint_and_pseudo_labels(tmp_path, umask):
    from mmengine.fileio import get_file_backend

    from elseg.apis.pseudo_label import save_pseudo_label
    from elseg.utils.checkpoint import (_atomic_last_checkpoint_open,
                                        setup_checkpoint_io)
    setup_checkpoint_io()
    file_mode, _ = umask
    ckpt = tmp_path / 'iter_2.pth'
    backend = get_file_backend(str(ckpt))
    import io
    buf = io.BytesIO()
    torch.save(dict(state_dict={}), buf)
    backend.put(buf.getvalue(), str(ckpt))  # how mmengine saves iter_*.pth
    with _atomic_last_checkpoint_open(str(tmp_path / 'last_checkpoint'),
                                      'w') as f:
        f.write(str(ckpt))
    save_pseudo_label(str(tmp_path / 'pl'), 's_slice_1',
                      np.zeros((2, 2), np.uint8), np.ones((2, 2)))
    assert mode(ckpt) == file_mode
    assert mode(tmp_path / 'last_checkpoint') == file_mode
    assert mode(tmp_path / 'pl' / 's_slice_1.npz') == file_mode


def test_converted_data_root(tmp_path, umask):
    from tests.test_tools.test_convert_nifti import user_folder

    from elseg.datasets.converters.nifti_folder import convert_nifti
    file_mode, dir_mode = umask
    src = user_folder(tmp_path / 'src')
    out = tmp_path / 'out'
    convert_nifti(str(src), str(out), modality='MRI',
                  classes=[('liver', (1, )), ('spleen', (2, ))],
                  splits=dict(val=['9'], train=['1', '2', '3']),
                  exemplar_label=str(src / 'annotation.nii.gz'),
                  exemplar_case='2')
    assert mode(out) == dir_mode
    assert mode(out / 'data') == dir_mode
    for name in ('dataset.json', 'exemplar.json', 'val.list',
                 'data/9.h5', 'data/slices/2_slice_3.h5'):
        assert mode(out / name) == file_mode, name
