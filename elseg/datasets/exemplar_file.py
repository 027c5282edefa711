"""The exemplar file: which slice is the one labelled training slice.

``exemplar.json`` is written by ``tools/select_exemplar.py`` (a rule's choice)
and ``tools/convert_nifti.py`` (the slice a user annotated, with
``source_slice``: that slice as ITK-SNAP and 3D Slicer number it), and read by
``ExemplarLearningDataset(exemplar=dict(file=...))``. Kept below the rules
(:mod:`elseg.datasets.exemplar`) and the converters so that both import it.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Sequence

from elseg.utils.io import atomic_write_bytes


def write_exemplar_file(path: str,
                        slice_id: str,
                        rule: str,
                        seed: int,
                        **extra) -> None:
    """Write the exemplar choice as JSON (atomically).

    Args:
        path (str): Destination, e.g. ``work_dirs/exemplar.json``.
        slice_id (str): The chosen slice id.
        rule (str): The rule that chose it.
        seed (int): The seed used.
        **extra: More JSON-serialisable fields (data_root, split_list...).
    """
    payload = dict(slice_id=slice_id, rule=rule, seed=seed, **extra)
    atomic_write_bytes(json.dumps(payload, indent=2).encode(), path)


def read_exemplar_file(path: str) -> dict:
    """Read a file written by :func:`write_exemplar_file`.

    Returns:
        dict: At least ``slice_id``, ``rule`` and ``seed``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is not JSON or lacks ``slice_id``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Exemplar file not found: {path!r}. Create it with '
            'tools/select_exemplar.py --out ' + os.fspath(path))
    try:
        with open(path) as f:
            payload = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'Exemplar file {path!r} is not valid JSON: '
                         f'{err}') from err
    if not isinstance(payload, dict) or not isinstance(
            payload.get('slice_id'), str):
        raise ValueError(f'Exemplar file {path!r} has no string "slice_id" '
                         f'(got {payload!r}).')
    return payload


__all__: Sequence[str] = ['read_exemplar_file', 'write_exemplar_file']
