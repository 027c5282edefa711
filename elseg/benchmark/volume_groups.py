"""Per-volume metrics split into groups of volumes (e.g. ACDC's cardiac phases).

``tools/test.py`` writes ``volume_metrics.csv`` (``volume_id,class,dice,hd95``)
into its work dir; a benchmark run keeps it under ``runs/<row>/seed<k>/test``.
:func:`group_volume_metrics` averages those rows per group of volumes, chosen
by a substring of the volume id (ACDC: ``_frame01`` = end-diastole, ``_frame02``
= end-systole in the SSL4MIS naming), first within each run and then over the
runs, as the benchmark's own means over exemplars.
"""
from __future__ import annotations

import csv
import os
from typing import Dict, List, Mapping, Sequence

import numpy as np

CSV_NAME = 'volume_metrics.csv'


def find_volume_csvs(path: str) -> List[str]:
    """The ``volume_metrics.csv`` files a path stands for.

    Args:
        path (str): A CSV file; a run folder holding ``test/volume_metrics.csv``
            (or ``volume_metrics.csv``); or a row folder whose ``seed*``
            subfolders are such run folders.

    Returns:
        list[str]: The CSV paths, seeds in order.

    Raises:
        FileNotFoundError: When the path holds no such file.
    """
    if os.path.isfile(path):
        return [path]

    def csv_in(folder: str) -> List[str]:
        subs = (os.path.join(folder, 'test', CSV_NAME),
                os.path.join(folder, CSV_NAME))
        return [p for p in subs if os.path.isfile(p)][:1]

    found = csv_in(path)
    if not found and os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if name.startswith('seed'):
                found += csv_in(os.path.join(path, name))
    if not found:
        raise FileNotFoundError(
            f'{path}: no {CSV_NAME} there, in its test/ folder or in its '
            f'seed*/ folders; give the work dir of tools/test.py or a '
            f'benchmark row folder (RESULTS/runs/ROW).')
    return found


def read_volume_csv(path: str) -> List[Dict[str, object]]:
    """Rows of one ``volume_metrics.csv`` with float ``dice`` and ``hd95``.

    Raises:
        ValueError: On missing columns, naming the file.
    """
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        need = {'volume_id', 'class', 'dice', 'hd95'}
        if not need <= set(reader.fieldnames or ()):
            raise ValueError(f'{path}: columns {reader.fieldnames} lack '
                             f'{sorted(need - set(reader.fieldnames or ()))}; '
                             f'expected the {CSV_NAME} of tools/test.py.')
        return [dict(volume_id=r['volume_id'], cls=r['class'],
                     dice=float(r['dice']), hd95=float(r['hd95']))
                for r in reader]


def group_volume_metrics(csv_paths: Sequence[str],
                         groups: Mapping[str, str]) -> Dict[str, dict]:
    """Mean Dice / HD95 per group of volumes, per class and over classes.

    Each run (CSV) is averaged over the volumes of a group first; the group's
    value is the mean of those run means (so every run weighs the same).

    Args:
        csv_paths (Sequence[str]): ``volume_metrics.csv`` files, one per run.
        groups (Mapping[str, str]): group name -> substring of the volume ids
            that belong to it (a volume may fall in several groups).

    Returns:
        dict: per group ``{'dice': {cls: mean}, 'hd95': {cls: mean},
        'mDice': float, 'mHD95': float, 'per_run_mDice': [float, ...],
        'num_volumes': [int, ...]}``.

    Raises:
        ValueError: Without groups, or when a group matches no volume of a
            run (names the file and the substring).
    """
    if not groups:
        raise ValueError('give at least one group, e.g. ED=_frame01')
    out: Dict[str, dict] = {}
    runs = [(p, read_volume_csv(p)) for p in csv_paths]
    for name, key in groups.items():
        per_run: List[Dict[str, Dict[str, float]]] = []
        counts = []
        for path, rows in runs:
            sel = [r for r in rows if key in str(r['volume_id'])]
            if not sel:
                raise ValueError(f'{path}: no volume id contains {key!r} '
                                 f'(group {name}); ids look like '
                                 f'{rows[0]["volume_id"] if rows else "-"}.')
            counts.append(len({r['volume_id'] for r in sel}))
            classes = list(dict.fromkeys(str(r['cls']) for r in sel))
            per_run.append({
                m: {c: float(np.mean([r[m] for r in sel if r['cls'] == c]))
                    for c in classes} for m in ('dice', 'hd95')})
        classes = list(per_run[0]['dice'])
        res = {m: {c: float(np.mean([run[m][c] for run in per_run]))
                   for c in classes} for m in ('dice', 'hd95')}
        res['mDice'] = float(np.mean(list(res['dice'].values())))
        res['mHD95'] = float(np.mean(list(res['hd95'].values())))
        res['per_run_mDice'] = [float(np.mean(list(run['dice'].values())))
                                for run in per_run]
        res['num_volumes'] = counts
        out[name] = res
    return out


def groups_table(result: Mapping[str, dict]) -> str:
    """A Markdown table of :func:`group_volume_metrics`' result."""
    first = next(iter(result.values()))
    classes = list(first['dice'])
    head = ['group', 'volumes'] + classes + ['**mDice** (per run)', 'mHD95']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|---|---|' + '---:|' * (len(classes) + 2)]
    for name, r in result.items():
        per = ', '.join(f'{v:.3f}' for v in r['per_run_mDice'])
        cells = [name, '/'.join(map(str, r['num_volumes']))]
        cells += [f'{r["dice"][c]:.3f}' for c in classes]
        cells += [f'**{r["mDice"]:.3f}** ({per})', f'{r["mHD95"]:.1f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
