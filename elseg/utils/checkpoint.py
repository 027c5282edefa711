"""Checkpoint I/O that works on torch >= 2.6 and never leaves half-written files.

Two problems of mmengine 0.10.7 on recent torch are solved here:

1. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6. mmengine's
   checkpoints pickle a few non-tensor objects (the message hub's
   :class:`~mmengine.logging.HistoryBuffer`, numpy arrays and scalars of the logged
   values), so ``load_checkpoint`` and ``--resume`` fail with ``UnpicklingError``.
   Rather than switching the safe loader off, :func:`register_safe_globals` adds
   exactly those types to torch's allow-list, so every checkpoint is still loaded
   by the restricted unpickler. A checkpoint that holds any other object still
   fails, now with a message that names the object and the fix.
2. mmengine writes a checkpoint straight to its final name: a job killed while
   writing leaves a truncated ``iter_N.pth`` that ``--resume`` then picks. The
   local storage backend is replaced by :class:`AtomicLocalBackend`, which writes
   to a temporary file in the same folder and renames it (``os.replace`` is atomic
   on POSIX), so a checkpoint file is either complete or absent.

Both are applied once when :mod:`elseg` is imported (``custom_imports`` in every
config), see :func:`setup_checkpoint_io`.
"""
from __future__ import annotations

import os
import os.path as osp
import pickle
import tempfile
from pathlib import Path
from typing import Any, Iterable, List, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend, register_backend

_SETUP_DONE = False


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    Args:
        data (bytes): Content to write.
        filepath (str | Path): Destination; its folder is created if missing.
    """
    filepath = os.fspath(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(filepath) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose ``put``/``put_text`` are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically (temporary file, fsync, rename)."""
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text atomically (temporary file, fsync, rename)."""
        atomic_write_bytes(obj.encode(encoding), filepath)


def _numpy_safe_globals() -> List[Any]:
    """The numpy objects that pickled arrays, dtypes and scalars refer to."""
    out: List[Any] = [np.ndarray, np.dtype]
    try:  # numpy >= 2
        from numpy._core import multiarray as _ma
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray as _ma
    out += [_ma._reconstruct, _ma.scalar]
    # Pickles made with numpy 1.x name ``numpy.core.multiarray``; numpy 2 keeps
    # that alias importable, so allow the same functions under that name too.
    dtype_classes = set()
    for name in ('bool_', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
                 'uint32', 'uint64', 'float16', 'float32', 'float64',
                 'complex64', 'complex128', 'str_', 'bytes_', 'object_'):
        dtype_classes.add(type(np.dtype(getattr(np, name))))
    out += sorted(dtype_classes, key=lambda c: c.__name__)
    return out


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``getattr`` inside checkpoints, limited to HistoryBuffer.

    mmengine pickles a :class:`HistoryBuffer` with its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allowing the real ``getattr`` would let a
    malicious checkpoint reach any attribute (and from there ``os.system``), so
    checkpoints get this function instead: it only returns the statistics
    methods registered on ``HistoryBuffer``.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in HistoryBuffer._statistics_methods:
        return HistoryBuffer._statistics_methods[name]
    raise pickle.UnpicklingError(
        f'Checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer '
        'statistics methods are allowed.')


def _mmengine_safe_globals() -> List[Any]:
    """Non-tensor objects that mmengine's runner puts into a checkpoint."""
    from mmengine.logging import HistoryBuffer
    from mmengine.config import ConfigDict
    return [
        HistoryBuffer, ConfigDict,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
    ]


def register_safe_globals(extra: Iterable[Any] = ()) -> None:
    """Allow mmengine's checkpoint contents in torch's ``weights_only`` loader.

    Args:
        extra (Iterable): More classes or functions to allow, for checkpoints
            written by hooks that store other objects. Only add types you trust.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 has no allow-list and no weights_only default
        return
    items = _numpy_safe_globals() + _mmengine_safe_globals() + list(extra)
    add(items)
    # numpy 2 pickles ``numpy._core.multiarray._reconstruct`` while numpy 1.x
    # pickles ``numpy.core.multiarray._reconstruct``; torch looks globals up by
    # their module path, so register the legacy path as well.
    try:
        from numpy._core import multiarray as _ma
        add([(_ma._reconstruct, 'numpy.core.multiarray._reconstruct'),
             (_ma.scalar, 'numpy.core.multiarray.scalar')])
    except (ImportError, TypeError):  # pragma: no cover
        pass


def _wrap_load_from_local() -> None:
    """Turn mmengine's bare ``UnpicklingError`` into an actionable message."""
    from mmengine.runner.checkpoint import CheckpointLoader
    original = CheckpointLoader._schemes.get('')
    if original is None or getattr(original, '_elseg_wrapped', False):
        return

    def load_from_local(filename, map_location):
        try:
            return original(filename, map_location)
        except pickle.UnpicklingError as err:
            raise pickle.UnpicklingError(
                f'Could not load checkpoint {filename!r} with torch\'s safe '
                f'(weights_only) loader: {err}\nIf you trust this file, allow '
                'the object it names with '
                '`elseg.utils.register_safe_globals([TheClass])` before '
                'loading it (or in a custom import of your config).') from err

    load_from_local._elseg_wrapped = True
    CheckpointLoader._schemes[''] = load_from_local


def setup_checkpoint_io() -> None:
    """Install the safe-globals allow-list and the atomic local backend once."""
    global _SETUP_DONE
    if _SETUP_DONE:
        return
    register_safe_globals()
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    _wrap_load_from_local()
    _SETUP_DONE = True
