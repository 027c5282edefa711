"""Checkpoint I/O on torch >= 2.6 (weights_only loading) and atomic writes."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint

import elseg  # noqa: F401  (installs the safe globals and the atomic backend)
from elseg.utils.checkpoint import (AtomicLocalBackend, check_checkpoint_file,
                                    describe_non_checkpoint)


def _runner_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', np.float64(0.75))
    hub.update_scalar('train/loss', 0.5)
    return dict(
        meta=dict(iter=7, seed=np.int64(3), arr=np.arange(3, dtype=np.float32),
                  message_hub=hub.state_dict()),
        state_dict=dict(w=torch.ones(2, 2)))


def test_weights_only_load_of_mmengine_checkpoint(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint(_runner_like_checkpoint(), path)
    # plain torch.load with the safe loader, as torch >= 2.6 does by default
    ckpt = torch.load(path, weights_only=True)
    assert ckpt['meta']['iter'] == 7
    assert ckpt['meta']['seed'] == 3
    np.testing.assert_array_equal(ckpt['meta']['arr'], [0.0, 1.0, 2.0])
    buf = ckpt['meta']['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.625)
    # and through mmengine's loader, which runs torch.load with its default
    ckpt2 = _load_checkpoint(path, map_location='cpu')
    assert torch.equal(ckpt2['state_dict']['w'], torch.ones(2, 2))


class NotAllowed:
    """A class no checkpoint allow-list knows."""


class GetattrEscape:
    """Pickles as ``getattr(HistoryBuffer, '__init__')``: a route to globals."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_unknown_object_is_refused_with_a_clear_message(tmp_path):
    path = str(tmp_path / 'unknown.pth')
    torch.save(dict(obj=NotAllowed()), path)
    with pytest.raises(pickle.UnpicklingError, match='register_safe_globals'):
        _load_checkpoint(path, map_location='cpu')


def test_getattr_in_checkpoint_is_limited_to_history_buffer(tmp_path):
    path = str(tmp_path / 'escape.pth')
    torch.save(dict(obj=GetattrEscape()), path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        torch.load(path, weights_only=True)


def test_local_backend_is_atomic(tmp_path):
    backend = get_file_backend(str(tmp_path / 'x.pth'))
    assert isinstance(backend, AtomicLocalBackend)
    target = tmp_path / 'sub' / 'x.bin'
    backend.put(b'abc', str(target))
    assert target.read_bytes() == b'abc'
    # no temporary file is left behind
    assert os.listdir(target.parent) == ['x.bin']


def _zip_without_data_pkl(path):
    np.savez(str(path), a=np.ones(3))
    os.replace(str(path) + '.npz', path)


@pytest.mark.parametrize('write, what', [
    (lambda p: p.write_bytes(b''), 'is empty (0 bytes)'),
    (lambda p: p.write_bytes(b'PK\x03\x04' + b'\x00' * 96),
     "is truncated: a zip archive (torch's checkpoint format) cut off at "
     '100 bytes'),
    (_zip_without_data_pkl, "is a zip archive without torch's data.pkl"),
    (lambda p: p.write_bytes(b'\x89HDF\r\n\x1a\n' + b'\x00' * 8),
     'is an HDF5 file, not a torch checkpoint'),
    (lambda p: p.write_text('work_dirs/x/iter_4.pth\n'),
     "is a text file starting with 'work_dirs/x/iter_4.pth', not a checkpoint"),
    (lambda p: p.write_bytes(bytes([1, 2, 250, 251, 0, 9, 17, 200]) * 4),
     'holds 32 bytes of unrecognised data (first bytes 01 02 fa fb 00 09 11 '
     'c8), not a torch checkpoint'),
    (lambda p: p.mkdir(), 'is a directory, not a checkpoint file'),
])
def test_a_file_that_is_not_a_checkpoint_is_named(write, what, tmp_path):
    path = tmp_path / 'bad.pth'
    write(path)
    assert describe_non_checkpoint(str(path)).startswith(what)
    with pytest.raises(ValueError) as info:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(info.value)
    assert message.startswith(f"'{path}' is not a checkpoint: it {what}")
    assert 'register_safe_globals' not in message


def test_checkpoints_pass_the_quick_look(tmp_path):
    zipped, legacy = tmp_path / 'new.pth', tmp_path / 'legacy.pth'
    torch.save(dict(w=torch.ones(2)), str(zipped))
    torch.save(dict(w=torch.ones(2)), str(legacy),
               _use_new_zipfile_serialization=False)
    assert describe_non_checkpoint(str(zipped)) is None
    assert describe_non_checkpoint(str(legacy)) is None
    (tmp_path / 'run').mkdir()
    torch.save({}, str(tmp_path / 'run' / 'iter_2.pth'))
    assert describe_non_checkpoint(str(tmp_path / 'run')) == (
        "is a directory, not a checkpoint file (it holds 'iter_2.pth', the "
        'newest .pth)')
    with pytest.raises(FileNotFoundError, match="Checkpoint not found: '"):
        check_checkpoint_file(str(tmp_path / 'missing.pth'))
    check_checkpoint_file('https://example.com/x.pth')  # left to mmengine


def test_a_pickle_torch_cannot_read_is_not_a_checkpoint(tmp_path):
    path = tmp_path / 'bad_pickle.pth'
    path.write_bytes(b'\x80\x02\xaeGARBAGE')  # pickle header, bad opcode
    assert describe_non_checkpoint(str(path)) is None  # looks like one
    with pytest.raises(ValueError, match='cannot be unpickled by torch'):
        _load_checkpoint(str(path), map_location='cpu')
