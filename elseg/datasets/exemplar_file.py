"""The exemplar file: which slices are the labelled training slices.

``exemplar.json`` is written by ``tools/select_exemplar.py`` (a rule's choice)
and ``tools/convert_nifti.py`` (the slice a user annotated, with
``source_slice``: that slice as ITK-SNAP and 3D Slicer number it), and read by
``ExemplarLearningDataset(exemplar=dict(file=...))``. ``slice_id`` is the
exemplar (the first labelled slice); a file naming several labelled slices
adds ``slice_ids``, all of them, that one first. Kept below the rules
(:mod:`elseg.datasets.exemplar`) and the converters so that both import it.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import List, Sequence, Union

from elseg.utils.io import atomic_write_bytes


def write_exemplar_file(path: str,
                        slice_id: Union[str, Sequence[str]],
                        rule: str,
                        seed: int,
                        **extra) -> None:
    """Write the exemplar choice as JSON (atomically).

    Args:
        path (str): Destination, e.g. ``work_dirs/exemplar.json``.
        slice_id (str | Sequence[str]): The chosen slice id, or the ids of
            several labelled slices, the exemplar first (written as
            ``slice_id`` and ``slice_ids``; one id gives no ``slice_ids``).
        rule (str): The rule that chose it.
        seed (int): The seed used.
        **extra: More JSON-serialisable fields (data_root, split_list...).

    Raises:
        ValueError: An empty sequence of ids.
    """
    ids = [slice_id] if isinstance(slice_id, str) else [str(i) for i in slice_id]
    if not ids:
        raise ValueError(f'write_exemplar_file needs at least one slice id, '
                         f'got {slice_id!r}.')
    payload = dict(slice_id=ids[0])
    if len(ids) > 1:
        payload['slice_ids'] = ids
    payload.update(rule=rule, seed=seed, **extra)
    atomic_write_bytes(json.dumps(payload, indent=2).encode(), path)


def read_exemplar_file(path: str) -> dict:
    """Read a file written by :func:`write_exemplar_file`.

    Returns:
        dict: At least ``slice_id``, ``rule`` and ``seed`` (and
        ``slice_ids`` for several labelled slices).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is not JSON, lacks ``slice_id``, or has a
            ``slice_ids`` that is not a list of strings starting with it.
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
    ids = payload.get('slice_ids')
    if ids is not None and (
            not isinstance(ids, list) or not ids
            or not all(isinstance(i, str) for i in ids)
            or ids[0] != payload['slice_id'] or len(set(ids)) != len(ids)):
        raise ValueError(
            f'Exemplar file {path!r}: "slice_ids" must be a list of distinct '
            f'slice ids starting with "slice_id" {payload["slice_id"]!r}, got '
            f'{ids!r}. Fix the file or write it again with '
            'tools/select_exemplar.py --out.')
    return payload


def read_exemplar_ids(path: str) -> List[str]:
    """The labelled slice ids of an exemplar file, the exemplar first.

    Args:
        path (str): A file written by :func:`write_exemplar_file`.

    Returns:
        list[str]: ``slice_ids``, or ``[slice_id]`` for one slice.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: As :func:`read_exemplar_file`.
    """
    payload = read_exemplar_file(path)
    return list(payload.get('slice_ids') or [payload['slice_id']])


__all__: Sequence[str] = [
    'read_exemplar_file', 'read_exemplar_ids', 'write_exemplar_file'
]
