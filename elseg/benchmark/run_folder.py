"""What a benchmark run folder holds: statuses, file names, JSON records.

A run folder is ``RESULTS/runs/<row>/seed<k>``: the ``tools/train.py`` work
dir of one row x seed plus the benchmark's own files (``result.json``,
``failure.json``, ``attempts.json``, the ``--share-stage1`` marker). Every
other module of :mod:`elseg.benchmark` reads and writes them through here.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any, Optional

from elseg.utils.io import atomic_write_bytes

#: ``status`` of a run record: evaluated, failed (``failure.json``), or left
#: out by ``--no-train``. Only ``STATUS_FAILED`` makes the benchmark exit 1.
STATUS_OK, STATUS_FAILED, STATUS_NOT_RUN = 'ok', 'failed', 'not run'
#: File in a run folder naming the run whose N_s it started from
#: (``--share-stage1``, :mod:`elseg.benchmark.stage1_sharing`).
STAGE1_MARKER = 'stage1_from.json'


def read_json(path: str) -> Optional[Any]:
    """The JSON content of ``path``, or None when the file does not exist."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON, atomically (temporary file + rename)."""
    atomic_write_bytes(json.dumps(obj, indent=2).encode(), path)


def has_checkpoint(work_dir: str) -> bool:
    """Whether a tools/train.py work dir holds a checkpoint to resume.

    Args:
        work_dir (str): The work dir (need not exist).

    Returns:
        bool: True when it has a ``last_checkpoint`` file or a ``*.pth``.
    """
    if not osp.isdir(work_dir):
        return False
    return osp.isfile(osp.join(work_dir, 'last_checkpoint')) or any(
        f.endswith('.pth') for f in os.listdir(work_dir))


def final_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, if it exists.

    ``last_checkpoint`` holds the path mmengine saved to; when that path does
    not exist (a relative path from another working directory, or a folder
    moved since), the file of the same name in ``work_dir`` is taken.

    Args:
        work_dir (str): The tools/train.py work dir.

    Returns:
        str | None: The checkpoint path, or None without one.
    """
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    if not osp.isfile(ckpt):
        ckpt = osp.join(work_dir, osp.basename(ckpt))
    return ckpt if osp.isfile(ckpt) else None
