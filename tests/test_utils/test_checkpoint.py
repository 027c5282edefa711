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
from elseg.utils.checkpoint import AtomicLocalBackend, atomic_write_bytes


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
