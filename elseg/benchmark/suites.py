"""The suites file reader: which rows a benchmark runs, and their folder names.

A suites file (``configs/benchmarks/acdc_cpu.yaml``) maps suite names to rows;
a row is a config to train and evaluate, or an evaluation-only row on another
row's checkpoints. Rows given on the command line are read by
:func:`parse_rows`.
"""
from __future__ import annotations

import os.path as osp
import re
from typing import Any, Dict, Sequence


def load_suites(path: str) -> Dict[str, Dict[str, Any]]:
    """Read a suites file (YAML): ``suites: {name: {row: spec}}``.

    A row's spec is a config path (the row trains and evaluates it) or a
    mapping that evaluates another row's checkpoints without training::

        ELNet+LCC: {from: ELNet, test_args: [--largest-cc]}
        ELNet-N_s: {from: ELNet, checkpoint: stage1.pth}

    ``from`` names a training row listed earlier in the same suite;
    ``checkpoint`` is a file of that row's work dir (default: its final
    checkpoint); ``test_args`` are extra tools/test.py arguments.

    Args:
        path (str): The YAML file, e.g. ``configs/benchmarks/acdc_cpu.yaml``.

    Returns:
        dict: suite name -> ordered dict of row name -> config path (str) or
        ``dict(from=..., checkpoint=..., test_args=[...])``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file has no ``suites`` mapping, a suite is empty, or
            a derived row is malformed (unknown keys, ``from`` not an earlier
            training row).
    """
    import yaml
    if not osp.isfile(path):
        raise FileNotFoundError(f'Suites file not found: {path!r}.')
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    suites = data.get('suites')
    if not isinstance(suites, dict) or not suites:
        raise ValueError(f'{path!r} needs a non-empty `suites:` mapping, got '
                         f'{suites!r}.')
    out: Dict[str, Dict[str, Any]] = {}
    for name, rows in suites.items():
        if not isinstance(rows, dict) or not rows:
            raise ValueError(f'Suite {name!r} in {path!r} must map row names '
                             f'to config paths, got {rows!r}.')
        parsed: Dict[str, Any] = {}
        for row, spec in rows.items():
            if isinstance(spec, dict):
                spec = _derived_row(spec, str(row), str(name), path, parsed)
            else:
                spec = str(spec)
            parsed[str(row)] = spec
        out[str(name)] = parsed
    return out


def _derived_row(spec: dict, row: str, suite: str, path: str,
                 earlier: Dict[str, Any]) -> Dict[str, Any]:
    """Validate an evaluation-only row of a suites file (see load_suites)."""
    where = f'row {row!r} of suite {suite!r} in {path!r}'
    unknown = set(spec) - {'from', 'checkpoint', 'test_args'}
    if unknown:
        raise ValueError(f'{where}: unknown keys {sorted(unknown)}; a derived '
                         'row takes from, checkpoint, test_args.')
    source = spec.get('from')
    if not isinstance(earlier.get(source), str):
        raise ValueError(
            f'{where}: from={source!r} must name a training row listed before '
            f'it; training rows so far: '
            f'{[r for r, v in earlier.items() if isinstance(v, str)]}.')
    test_args = spec.get('test_args') or []
    if not isinstance(test_args, list) or not all(
            isinstance(a, str) for a in test_args):
        raise ValueError(f'{where}: test_args must be a list of strings, got '
                         f'{test_args!r}.')
    checkpoint = spec.get('checkpoint')
    if checkpoint is not None and (not isinstance(checkpoint, str)
                                   or osp.basename(checkpoint) != checkpoint):
        raise ValueError(f'{where}: checkpoint must be a file name in the '
                         f'source run folder, got {checkpoint!r}.')
    return {'from': source, 'checkpoint': checkpoint,
            'test_args': list(test_args)}


def parse_rows(configs: Sequence[str]) -> Dict[str, str]:
    """Row names for configs given on the command line.

    Args:
        configs (Sequence[str]): ``PATH`` (the row is the file's stem) or
            ``NAME=PATH``.

    Returns:
        dict: row name -> config path, in the given order.

    Raises:
        ValueError: Two rows with the same name.
    """
    rows: Dict[str, str] = {}
    for item in configs:
        name, sep, path = item.partition('=')
        if not sep:
            name, path = osp.splitext(osp.basename(item))[0], item
        if name in rows:
            raise ValueError(f'Row name {name!r} is given twice ({rows[name]!r}'
                             f' and {path!r}); name them with NAME=PATH.')
        rows[name] = path
    return rows


def row_dir_name(row: str) -> str:
    """Folder name of a row: characters other than ``[A-Za-z0-9_.+-]`` -> _.

    Example:
        >>> row_dir_name('ELNet w/o PCEM')
        'ELNet_w_o_PCEM'
    """
    return re.sub(r'[^A-Za-z0-9_.+-]', '_', row)
