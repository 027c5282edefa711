"""Pseudo-label files: one ``<slice id>.npz`` per unlabelled slice.

Each file holds ``label`` (uint8, the slice's native size) and ``confidence``
(float16 max softmax probability), written atomically; ``_COMPLETE.json``
marks a finished set with its number of slices and summary statistics.
:mod:`elseg.apis.pseudo_label` writes them from the stage-1 network,
:class:`~elseg.datasets.ExemplarLearningDataset` reads them in stage 2 and
:class:`~elseg.engine.hooks.ExemplarTwoStageHook` checks that a set is
complete.
"""
from __future__ import annotations

import io
import json
import os.path as osp
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from ..utils.io import atomic_write_bytes

COMPLETE_MARKER = '_COMPLETE.json'


def pseudo_label_path(out_dir: str, slice_id: str) -> str:
    """Path of the pseudo-label file of ``slice_id``."""
    return osp.join(out_dir, f'{slice_id}.npz')


def save_pseudo_label(out_dir: str, slice_id: str, label: np.ndarray,
                      confidence: np.ndarray) -> None:
    """Write one pseudo label atomically (temporary file, then rename).

    Args:
        out_dir (str): Pseudo-label folder.
        slice_id (str): Slice id (file stem).
        label (np.ndarray): uint8 (H, W) label map.
        confidence (np.ndarray): (H, W) max softmax probability.
    """
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        label=label.astype(np.uint8),
        confidence=confidence.astype(np.float16))
    atomic_write_bytes(buf.getvalue(), pseudo_label_path(out_dir, slice_id))


def load_pseudo_label(out_dir: str,
                      slice_id: str) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Read one pseudo label.

    Args:
        out_dir (str): Pseudo-label folder.
        slice_id (str): Slice id.

    Returns:
        tuple | None: ``(label uint8, confidence float32)`` or None when the
        file does not exist.

    Raises:
        ValueError: When the file exists but cannot be read (it names the file
            and says to delete it so it is regenerated).
    """
    path = pseudo_label_path(out_dir, slice_id)
    if not osp.exists(path):
        return None
    try:
        with np.load(path) as data:
            return data['label'], data['confidence'].astype(np.float32)
    except Exception as err:  # noqa: BLE001 - any read failure is reported
        raise ValueError(
            f'Corrupt pseudo-label file {path}: {err}. Delete it; the '
            'two-stage hook regenerates missing pseudo labels on --resume.'
        ) from err


def is_complete(out_dir: str, expected: int) -> bool:
    """Whether ``out_dir`` holds a finished set of ``expected`` pseudo labels."""
    marker = osp.join(out_dir, COMPLETE_MARKER)
    if not osp.exists(marker):
        return False
    try:
        with open(marker) as f:
            return int(json.load(f).get('num_slices', -1)) == expected
    except (OSError, ValueError):
        return False


def write_complete_marker(out_dir: str, infos: Sequence[dict],
                          slice_id: Callable[[dict], str],
                          num_classes: int) -> dict:
    """Check that every pseudo label exists and write ``_COMPLETE.json``.

    Args:
        out_dir (str): Pseudo-label folder.
        infos (Sequence[dict]): All unlabelled slices.
        slice_id (Callable): Maps an info to its slice id.
        num_classes (int): Number of classes, for the class fractions.

    Returns:
        dict: The summary written (count, mean confidence, class fractions).

    Raises:
        RuntimeError: If a pseudo label is missing.
    """
    counts = np.zeros(num_classes, dtype=np.int64)
    conf_sum, n_pix = 0.0, 0
    for info in infos:
        pl = load_pseudo_label(out_dir, slice_id(info))
        if pl is None:
            raise RuntimeError(
                f'Pseudo label of {slice_id(info)} missing in {out_dir}.')
        label, conf = pl
        counts += np.bincount(label.ravel(), minlength=num_classes)[:num_classes]
        conf_sum += float(conf.sum())
        n_pix += conf.size
    summary = dict(
        num_slices=len(infos),
        mean_confidence=conf_sum / max(n_pix, 1),
        class_fraction=(counts / max(counts.sum(), 1)).round(5).tolist())
    atomic_write_bytes(
        json.dumps(summary, indent=2).encode(), osp.join(out_dir,
                                                         COMPLETE_MARKER))
    return summary
