"""Checkpoint I/O that works on torch >= 2.6 and never leaves half-written files.

Two problems of mmengine 0.10.7 on recent torch are solved here:

1. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6. mmengine's
   checkpoints pickle a few non-tensor objects (the message hub's
   :class:`~mmengine.logging.HistoryBuffer`, numpy arrays and scalars of the logged
   values), so ``load_checkpoint`` and ``--resume`` fail with ``UnpicklingError``.
   Rather than switching the safe loader off, :func:`register_safe_globals` adds
   exactly those types to torch's allow-list, so every checkpoint is still loaded
   by the restricted unpickler. A checkpoint that holds any other object still
   fails, with a message that names the object and the fix.
2. mmengine writes a checkpoint straight to its final name: a job killed while
   writing leaves a truncated ``iter_N.pth`` that ``--resume`` then picks. The
   local storage backend is replaced by :class:`AtomicLocalBackend`, which writes
   to a temporary file in the same folder and renames it (``os.replace`` is atomic
   on POSIX), so a checkpoint file is either complete or absent.

3. mmengine's ``CheckpointHook`` writes ``last_checkpoint`` with a plain
   ``open(..., 'w')``: a kill between the truncation and the write leaves it
   empty and ``--resume`` then fails. That one write is made atomic as well
   (:func:`_atomic_last_checkpoint_open`), and :func:`find_resume_checkpoint`
   falls back to the newest complete ``iter_*.pth`` when ``last_checkpoint``
   is empty, dangling or names a truncated file (older work dirs).

4. A file that is not a checkpoint (empty, truncated, random bytes, a
   directory) made torch print a long traceback ending in advice to allow-list
   a class. :func:`check_checkpoint_file` names the file and what it is, and
   mmengine's local loader calls it first; the allow-list advice is kept for
   readable checkpoints that hold an object outside the allow-list.

All are applied once when :mod:`elseg` is imported (``custom_imports`` in every
config), see :func:`setup_checkpoint_io`.
"""
from __future__ import annotations

import builtins
import glob
import os
import os.path as osp
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend, register_backend

from .io import (AtomicTextFile, atomic_write_bytes,  # noqa: F401
                 remove_stale_temp_files)

_SETUP_DONE = False


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
    if obj is HistoryBuffer:
        if name in HistoryBuffer._statistics_methods:
            return HistoryBuffer._statistics_methods[name]
        if name in ('min', 'max', 'current', 'mean'):  # registered lazily
            return getattr(HistoryBuffer, name)
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


#: First bytes of file kinds a checkpoint is mistaken for, and their names.
_FILE_KINDS = ((b'\x89HDF', 'an HDF5 file'), (b'\x1f\x8b', 'a gzip file'),
               (b'\x89PNG', 'a PNG image'), (b'\x93NUMPY', 'a .npy array'))


def describe_non_checkpoint(path: str) -> Optional[str]:
    """What ``path`` is when it cannot be a torch checkpoint, else None.

    A cheap look at the file, before torch unpickles it: a directory, an empty
    file, a zip archive cut off before its end (a copy or write that did not
    finish), a zip without torch's ``data.pkl`` (an ``.npz``...), a text file
    (a ``last_checkpoint`` pointer, a config) or other data. torch's zip
    format and the legacy pickle format pass (None); they may still fail to
    load (see :func:`setup_checkpoint_io`).

    Args:
        path (str): An existing local path.

    Returns:
        str | None: e.g. ``'is empty (0 bytes)'``, or None for a file that
        looks like a checkpoint.
    """
    if osp.isdir(path):
        pths = sorted(glob.glob(osp.join(path, '*.pth')), key=osp.getmtime)
        hint = f' (it holds {osp.basename(pths[-1])!r}, the newest .pth)' \
            if pths else ''
        return f'is a directory, not a checkpoint file{hint}'
    size = osp.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    with open(path, 'rb') as f:
        head = f.read(512)
    if head.startswith(b'PK\x03\x04'):
        if not zipfile.is_zipfile(path):
            return (f'is truncated: a zip archive (torch\'s checkpoint format) '
                    f'cut off at {size} bytes, before its end, as a copy or '
                    'save that did not finish leaves it')
        with zipfile.ZipFile(path) as zf:
            if any(n.endswith('data.pkl') for n in zf.namelist()):
                return None
        return ('is a zip archive without torch\'s data.pkl (e.g. an .npz), '
                'not a torch checkpoint')
    if head.startswith(b'\x80'):  # a pickle: torch's legacy format
        return None
    for magic, kind in _FILE_KINDS:
        if head.startswith(magic):
            return f'is {kind}, not a torch checkpoint'
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in '\n\r\t'
                                for c in text):
        first = text.strip().splitlines()[0][:80] if text.strip() else ''
        return f'is a text file starting with {first!r}, not a checkpoint'
    return (f'holds {size} bytes of unrecognised data (first bytes '
            f'{head[:8].hex(" ")}), not a torch checkpoint')


def check_checkpoint_file(path: str) -> None:
    """Refuse a path that is not a checkpoint file, with one paragraph.

    Args:
        path (str): The checkpoint given to a tool (``tools/test.py``,
            ``tools/infer.py``, ``--resume``, ``load_from``). URLs and other
            non-local paths are left to mmengine.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is not a checkpoint (see
            :func:`describe_non_checkpoint`); the message names it and what
            it is.
    """
    if '://' in str(path):
        return
    path = osp.expanduser(os.fspath(path))
    if not osp.exists(path):
        raise FileNotFoundError(
            f'Checkpoint not found: {path!r}. Pass the .pth file written by '
            'tools/train.py (see the work dir: iter_*.pth, stage1.pth, or the '
            'path in last_checkpoint).')
    what = describe_non_checkpoint(path)
    if what is not None:
        raise ValueError(_not_a_checkpoint(path, what))


def _not_a_checkpoint(path: str, what: str) -> str:
    """The one-paragraph message for a file that is not a checkpoint."""
    return (f'{path!r} is not a checkpoint: it {what}. Pass a .pth file '
            'written by tools/train.py (iter_*.pth, stage1.pth, or the path '
            'in the work dir\'s last_checkpoint).')


def _load_error_reason(err: BaseException) -> str:
    """The useful line of torch's message for a file it could not read."""
    text = str(err)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    reason = lines[0] if lines else type(err).__name__
    return reason[:200]


def _wrap_load_from_local() -> None:
    """Make mmengine's local checkpoint loading fail with one clear paragraph.

    A file that is not a checkpoint (empty, truncated, random bytes, a
    directory...) raises ``ValueError`` naming the file and what it is; only a
    readable checkpoint that holds an object outside the allow-list raises
    ``pickle.UnpicklingError`` with the advice to allow-list it.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    original = CheckpointLoader._schemes.get('')
    if original is None or getattr(original, '_elseg_wrapped', False):
        return

    def load_from_local(filename, map_location):
        check_checkpoint_file(filename)
        try:
            return original(filename, map_location)
        except pickle.UnpicklingError as err:
            if 'Unsupported global' not in str(err):
                raise ValueError(_not_a_checkpoint(
                    filename, 'cannot be unpickled by torch '
                    f'({_load_error_reason(err)})')) from err
            raise pickle.UnpicklingError(
                f'Could not load checkpoint {filename!r} with torch\'s safe '
                f'(weights_only) loader: {err}\nIf you trust this file, allow '
                'the object it names with '
                '`elseg.utils.register_safe_globals([TheClass])` before '
                'loading it (or in a custom import of your config).') from err
        except (EOFError, RuntimeError) as err:
            if isinstance(err, RuntimeError) and (
                    'PytorchStreamReader' not in str(err)):
                raise
            raise ValueError(_not_a_checkpoint(
                filename, f'is damaged ({_load_error_reason(err)})')) from err

    load_from_local._elseg_wrapped = True
    CheckpointLoader._schemes[''] = load_from_local


def _atomic_last_checkpoint_open(file, mode: str = 'r', *args, **kwargs):
    """``open`` for mmengine's checkpoint hook: ``last_checkpoint`` is atomic.

    mmengine writes ``last_checkpoint`` with ``open(path, 'w')``; this
    replacement of ``open`` in that module buffers that one write and renames a
    complete temporary file into place. Every other call is the builtin.
    """
    if mode == 'w' and osp.basename(os.fspath(file)) == 'last_checkpoint':
        return AtomicTextFile(os.fspath(file), kwargs.get('encoding') or
                               'utf-8')
    return builtins.open(file, mode, *args, **kwargs)


def _is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete torch zip checkpoint (cheap check)."""
    return osp.isfile(path) and zipfile.is_zipfile(path)


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint ``--resume`` should continue from, and why.

    Reads ``last_checkpoint`` as mmengine does. When it is missing, empty,
    names a file that does not exist (a moved work dir) or a truncated one,
    the newest complete ``iter_<N>.pth`` in ``work_dir`` is used instead.

    Args:
        work_dir (str): The training work dir.

    Returns:
        tuple: ``(path or None, notes)``; ``notes`` are warnings to log, one
        per problem found (empty when ``last_checkpoint`` was usable).
    """
    notes: List[str] = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and _is_complete_checkpoint(named):
            return named, notes
        problem = ('is empty' if not named else
                   f'names {named!r}, which does not exist' if
                   not osp.exists(named) else
                   f'names {named!r}, which is truncated or not a checkpoint')
        notes.append(f'{pointer} {problem} (the previous run was probably '
                     'killed while writing it).')
    candidates = []
    for path in glob.glob(osp.join(work_dir, 'iter_*.pth')):
        m = re.fullmatch(r'iter_(\d+)\.pth', osp.basename(path))
        if m:
            candidates.append((int(m.group(1)), path))
    for _, path in sorted(candidates, reverse=True):
        if _is_complete_checkpoint(path):
            if notes:
                notes.append(f'Resuming from the newest complete checkpoint '
                             f'{path} instead.')
            return path, notes
        notes.append(f'Skipping the truncated checkpoint {path}.')
    if notes:
        notes.append(f'No complete iter_*.pth in {work_dir}: training starts '
                     'from scratch.')
    return None, notes


def setup_checkpoint_io() -> None:
    """Install the safe-globals allow-list and the atomic local backend once."""
    global _SETUP_DONE
    if _SETUP_DONE:
        return
    register_safe_globals()
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    _wrap_load_from_local()
    from mmengine.hooks import checkpoint_hook
    checkpoint_hook.open = _atomic_last_checkpoint_open
    _SETUP_DONE = True
