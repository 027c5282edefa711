"""The permission bits a plain ``open()`` / ``mkdir()`` would give.

elseg writes its outputs atomically through ``tempfile.mkstemp`` /
``tempfile.mkdtemp`` and a rename (checkpoints, ``last_checkpoint``, pseudo
labels, predictions, converted data roots). Those temporaries are created
private (``0600`` / ``0700``) whatever the umask, and a rename keeps the mode,
so on a shared lab server the colleague who should read the predictions could
not. :func:`chmod_as_created` gives such a temporary the mode a plain
``open(path, 'w')`` (``0666``) or ``os.mkdir(path)`` (``0777``) would have
had under the caller's umask, before it is renamed into place.
"""
from __future__ import annotations

import os
import threading

_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it for other threads.

    Linux exposes it in ``/proc/self/status``; elsewhere it is read by
    setting and restoring it under a lock.

    Returns:
        int: The umask, e.g. ``0o022``.
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def created_mode(directory: bool = False) -> int:
    """The mode a new file (``0666``) or folder (``0777``) gets under the umask.

    Args:
        directory (bool): A folder instead of a file.

    Returns:
        int: e.g. ``0o644`` for a file under umask ``0o022``.
    """
    return (0o777 if directory else 0o666) & ~current_umask()


def chmod_as_created(path: str, directory: bool = False) -> None:
    """Give ``path`` the mode a plain ``open()`` / ``mkdir()`` would have.

    Args:
        path (str): A file (or folder, with ``directory=True``) that
            ``tempfile`` created.
        directory (bool): ``path`` is a folder.
    """
    os.chmod(path, created_mode(directory))


__all__ = ['chmod_as_created', 'created_mode', 'current_umask']
