"""The report writer: results.md, results.json and results.png of a benchmark.

Cells are mean ± sample std over the seeds (exemplars) of a row. results.json
is meant to be kept (``docs/results/<name>/``) and read on other machines, so
the paths it stores (run folders, checkpoints, logs, the runs a run was reused
or started from, ``--reuse-from`` folders) are relative to the results folder
(``"paths": "relative to the results folder"``); :func:`read_results` makes
them usable again and still reads older files, whose paths are as the
benchmark was given them.
"""
from __future__ import annotations

import json
import math
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from elseg.utils.io import atomic_write_bytes
from .machine import describe_machine
from .run_folder import STATUS_NOT_RUN, STATUS_OK

#: Keys of a run record that hold a path (a file or a folder).
PATH_KEYS = ('run_dir', 'checkpoint', 'source', 'stage1_from', 'reused_from',
             'log')
#: The ``paths`` entry of a results.json whose paths are relative to its
#: folder; older files have none.
RELATIVE_PATHS = 'relative to the results folder'


def mean_std(values: Sequence[float]) -> Tuple[Optional[float],
                                               Optional[float]]:
    """Mean and sample standard deviation (ddof=1) over the seeds.

    Args:
        values (Sequence[float]): One value per run.

    Returns:
        tuple: ``(mean, std)``; ``std`` is None for fewer than 2 values and
        both are None for none.
    """
    vals = [float(v) for v in values]
    if not vals:
        return None, None
    mean = sum(vals) / len(vals)
    if len(vals) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in vals) / (len(vals) - 1)
    return mean, math.sqrt(var)


def format_mean_std(values: Sequence[float], scale: float = 1.0,
                    digits: int = 2) -> str:
    """``'mean ± std'`` of ``values * scale``; the mean alone for one value.

    Example:
        >>> format_mean_std([0.8, 0.9], scale=100)
        '85.00 ± 7.07'
        >>> format_mean_std([])
        '–'
    """
    mean, std = mean_std([v * scale for v in values])
    if mean is None:
        return '–'
    if std is None:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def class_names(runs: Sequence[dict]) -> List[str]:
    """Foreground class names from the runs' ``Dice.<class>`` keys, in order."""
    names: List[str] = []
    for run in runs:
        for key in run.get('metrics', {}):
            if key.startswith('Dice.') and key[5:] not in names:
                names.append(key[5:])
    return names


def summarize_row(runs: Sequence[dict], classes: Sequence[str]) -> dict:
    """Mean and std over a row's successful runs.

    Args:
        runs (Sequence[dict]): The row's run records (``status`` 'ok' or
            'failed'); ok ones have ``metrics`` with ``mDice``, ``mHD95``,
            ``Dice.<c>``, ``HD95.<c>``.
        classes (Sequence[str]): Foreground class names.

    Returns:
        dict: ``n_ok``, ``n_runs``, and for each metric key and
        ``train_time_s`` / ``eval_time_s``: ``dict(mean, std, values)``.
    """
    ok = [r for r in runs if r.get('status') == STATUS_OK]
    keys = (['mDice', 'mHD95'] + [f'Dice.{c}' for c in classes] +
            [f'HD95.{c}' for c in classes])
    stats: Dict[str, Any] = dict(n_ok=len(ok), n_runs=len(runs))
    for key in keys:
        vals = [r['metrics'][key] for r in ok if key in r['metrics']]
        mean, std = mean_std(vals)
        stats[key] = dict(mean=mean, std=std, values=vals)
    for key in ('train_time_s', 'eval_time_s'):
        vals = [r[key] for r in ok if r.get(key) is not None]
        mean, std = mean_std(vals)
        stats[key] = dict(mean=mean, std=std, values=vals)
    return stats


def results_table(rows: Sequence[dict], classes: Sequence[str],
                  hd95_unit: str = 'mm') -> str:
    """The markdown table of results.md.

    Dice in %, HD95 in ``hd95_unit``, each ``mean ± sample std`` over the
    row's successful runs; ``n`` is ok/total runs; times are means per run.

    Args:
        rows (Sequence[dict]): ``dict(name=..., runs=[...])`` per row.
        classes (Sequence[str]): Foreground class names (column order).
        hd95_unit (str): Unit shown in the HD95 headers.

    Returns:
        str: The table (header, separator, one line per row).
    """
    head = (['Row'] + [f'Dice {c} (%)' for c in classes] + ['mDice (%)'] +
            [f'HD95 {c} ({hd95_unit})' for c in classes] +
            [f'mHD95 ({hd95_unit})', 'n', 'train s/run', 'eval s/run'])
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '|'.join(['---'] + ['---:'] * (len(head) - 1)) + '|']
    for row in rows:
        ok = [r for r in row['runs'] if r.get('status') == STATUS_OK]

        def col(key: str, scale: float = 1.0, digits: int = 2) -> str:
            return format_mean_std(
                [r['metrics'][key] for r in ok if key in r['metrics']],
                scale, digits)

        def tmean(key: str) -> str:
            mean = mean_std([r[key] for r in ok if r.get(key) is not None])[0]
            return '–' if mean is None else f'{mean:.1f}'

        cells = ([row['name']] + [col(f'Dice.{c}', 100) for c in classes] +
                 [col('mDice', 100)] + [col(f'HD95.{c}') for c in classes] +
                 [col('mHD95'), f"{len(ok)}/{len(row['runs'])}",
                  tmean('train_time_s'), tmean('eval_time_s')])
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _exemplar_cell(exemplar: dict) -> str:
    """The run's labelled slice ids (``ids``, else ``id``), or a dash."""
    ids = exemplar.get('ids') or [exemplar.get('id', '–')]
    return ', '.join(str(i) for i in ids)


def runs_table(rows: Sequence[dict]) -> str:
    """Markdown table of every run: seed, exemplar, mDice, mHD95, times."""
    lines = ['| Row | Seed | Exemplar | Status | mDice (%) | mHD95 | '
             'train s | eval s |', '|---|---:|---|---|---:|---:|---:|---:|']
    for row in rows:
        for r in row['runs']:
            m = r.get('metrics', {})

            def num(v: Optional[float], scale: float = 1.0,
                    digits: int = 2) -> str:
                return '–' if v is None else f'{v * scale:.{digits}f}'

            status = r.get('status', '?')
            if status not in (STATUS_OK, STATUS_NOT_RUN):
                status = f"failed ({r.get('stage', '?')})"
            lines.append(
                f"| {row['name']} | {r.get('seed')} | "
                f"{_exemplar_cell(r.get('exemplar') or {})} | {status} | "
                f"{num(m.get('mDice'), 100)} | {num(m.get('mHD95'))} | "
                f"{num(r.get('train_time_s'), digits=1)} | "
                f"{num(r.get('eval_time_s'), digits=1)} |")
    return '\n'.join(lines)


def plot_results(rows: Sequence[dict], path: str) -> None:
    """Bar chart of mean Dice per row with sample-std error bars (Agg).

    Args:
        rows (Sequence[dict]): ``dict(name, runs)`` per row.
        path (str): The PNG file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names, means, stds = [], [], []
    for row in rows:
        vals = [r['metrics']['mDice'] * 100 for r in row['runs']
                if r.get('status') == STATUS_OK]
        mean, std = mean_std(vals)
        names.append(row['name'])
        means.append(0.0 if mean is None else mean)
        stds.append(0.0 if std is None else std)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(names) + 1), 3.5))
    ax.bar(range(len(names)), means, yerr=stds, capsize=4, color='#4c72b0')
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha='right')
    ax.set_ylabel('mean Dice (%)')
    ax.set_ylim(0, 100)
    for i, row in enumerate(rows):
        if not any(r.get('status') == STATUS_OK for r in row['runs']):
            ax.text(i, 2, 'failed', ha='center', va='bottom', rotation=90)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_summary(results_dir: str, rows: Sequence[dict], command: str,
                  machine: Dict[str, Any], settings: Dict[str, Any]) -> None:
    """Write results.md, results.json and results.png.

    Args:
        results_dir (str): The results folder.
        rows (Sequence[dict]): ``dict(name, config, runs)`` per row.
        command (str): The command line, shown at the top of results.md.
        machine (dict): :func:`machine_info` of the benchmark process.
        settings (dict): Seeds, exemplar rule, cfg options, eval data.
    """
    rows = [dict(row, runs=[portable_record(r, results_dir)
                            for r in row['runs']]) for row in rows]
    settings = dict(settings)
    if settings.get('reuse_from'):
        settings['reuse_from'] = [relative_to(d, results_dir)
                                  for d in settings['reuse_from']]
    runs = [r for row in rows for r in row['runs']]
    classes = class_names(runs)
    units = sorted({r['hd95_unit'] for r in runs if r.get('hd95_unit')})
    unit = '/'.join(units) or 'mm'
    summaries = [dict(name=row['name'], config=row['config'],
                      summary=summarize_row(row['runs'], classes),
                      runs=list(row['runs'])) for row in rows]
    payload = dict(command=command, created=time.strftime('%Y-%m-%d %H:%M:%S'),
                   machine=machine, settings=settings, classes=classes,
                   hd95_unit=unit, paths=RELATIVE_PATHS, rows=summaries)
    atomic_write_bytes(json.dumps(payload, indent=2).encode(),
                       osp.join(results_dir, 'results.json'))
    failed = [(row['name'], r) for row in rows for r in row['runs']
              if r.get('status') not in (STATUS_OK, STATUS_NOT_RUN)]
    not_run = [f"{row['name']} seed {r.get('seed')}" for row in rows
               for r in row['runs'] if r.get('status') == STATUS_NOT_RUN]
    md = [
        '# Benchmark results', '',
        f'Command: `{command}`', '',
        f'Machine: {describe_machine(machine)}.', '',
        f"Seeds {settings['seeds']}: seed k sets `randomness.seed=k` and the "
        f"exemplar (rule `{settings['exemplar_rule']}`, seed k), so each "
        'seed trains from its own exemplar slice, the same for every row. '
        'Cells are mean ± sample std (ddof=1) over the successful runs of a '
        'row (the mean alone for one run); Dice in %, HD95 in '
        f"{unit}; `n` = ok/total runs; times are wall seconds of the "
        'tools/train.py and tools/test.py processes (start-up included; '
        'training summed over resumed attempts).', '',
        results_table(rows, classes, unit), '',
        *[f"Row {row['name']} trains nothing: it evaluates the runs of row "
          f"{row['config']['from']} (checkpoint "
          f"{row['config']['checkpoint'] or 'final'}"
          + (f", tools/test.py {' '.join(row['config']['test_args'])}"
             if row['config']['test_args'] else '') +
          '); its train s is that row\'s.\n'
          for row in rows if isinstance(row['config'], dict)],
        *_listed_runs(rows, 'reused_from', '=', 'Reused runs (`--reuse-from`: '
                      'the same seed and merged training config, hard-linked, '
                      'not retrained)'),
        *_listed_runs(rows, 'stage1_from', 'from', 'Runs that share stage 1 '
                      '(`--share-stage1`: stage 1 of another run with the same '
                      'seed and the same merged config up to stage-2 options; '
                      'train s is stage 2 only)'),
        '![mean Dice per row](results.png)', '',
        '## Runs', '', runs_table(rows), ''
    ]
    if not_run:
        md += ['## Not run', '', 'Left out by `--no-train` (not trained yet): '
               + ', '.join(not_run) + '.', '']
    if failed:
        md += ['## Failed runs', '']
        for name, r in failed:
            md += [f"* {name} seed {r.get('seed')}: {r.get('stage')} failed "
                   f"(return code {r.get('returncode')}); see "
                   f"`{r.get('log')}`.", '']
    atomic_write_bytes('\n'.join(md).encode(),
                       osp.join(results_dir, 'results.md'))
    plot_results(rows, osp.join(results_dir, 'results.png'))


def _listed_runs(rows: Sequence[dict], key: str, link: str,
                 intro: str) -> List[str]:
    """results.md lines listing the runs whose record has ``key`` (or none).

    Args:
        rows (Sequence[dict]): ``dict(name, runs)`` per row.
        key (str): The record key to list, e.g. ``'reused_from'``.
        link (str): The word between a run and the value (``'='``).
        intro (str): The sentence before the list.

    Returns:
        list[str]: One line and a blank line, or nothing when no run has it.
    """
    runs = [f"{row['name']} seed {r.get('seed')} {link} `{r[key]}`"
            for row in rows for r in row['runs'] if r.get(key)]
    return [f"{intro}: {'; '.join(runs)}.", ''] if runs else []


# ------------------------------------------------------------- portable paths
def relative_to(path: str, start: str) -> str:
    """``path`` relative to the folder ``start``, both as seen from here.

    Args:
        path (str): A path, absolute or relative to the working directory.
        start (str): A folder, absolute or relative to the working directory.

    Returns:
        str: The relative path (``path`` itself where none exists, e.g. on
        another Windows drive).

    Example:
        >>> relative_to('work_dirs/b/runs/A/seed0', 'work_dirs/b')
        'runs/A/seed0'
        >>> relative_to('work_dirs/main/runs/A/seed0', 'work_dirs/b')
        '../main/runs/A/seed0'
    """
    try:
        return osp.relpath(osp.abspath(path), osp.abspath(start))
    except ValueError:
        return path


def portable_record(record: Dict[str, Any], results_dir: str) -> dict:
    """A run record with its paths relative to the results folder.

    The keys of :data:`PATH_KEYS` are rewritten with :func:`relative_to`.

    Args:
        record (dict): A run record (``result.json``, ``failure.json`` or a
            'not run' record), paths as the benchmark was given them.
        results_dir (str): The results folder.

    Returns:
        dict: A copy; other keys unchanged.
    """
    out = dict(record)
    for key in PATH_KEYS:
        if isinstance(out.get(key), str) and out[key]:
            out[key] = relative_to(out[key], results_dir)
    return out


def read_results(results_dir: str) -> Dict[str, Any]:
    """Read ``results_dir/results.json`` with paths usable from here.

    Paths stored relative to the results folder (files with
    ``"paths": "relative to the results folder"``) are joined to
    ``results_dir``; a file written before that (no ``paths`` entry) stores
    them as the benchmark was given them and is returned as it is.

    Args:
        results_dir (str): The results folder, e.g.
            ``docs/results/acdc_cpu_rotfix``.

    Returns:
        dict: The results (``command``, ``machine``, ``settings``,
        ``classes``, ``rows`` with ``summary`` and ``runs``).

    Raises:
        FileNotFoundError: The folder has no results.json.
    """
    path = osp.join(results_dir, 'results.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'No results.json in {results_dir!r}: give a results folder '
            'written by tools/benchmark.py.')
    with open(path) as f:
        payload = json.load(f)
    if payload.get('paths') != RELATIVE_PATHS:
        return payload

    def resolve(rel: str) -> str:
        return osp.normpath(osp.join(results_dir, rel))

    for row in payload.get('rows', []):
        for run in row.get('runs', []):
            for key in PATH_KEYS:
                if isinstance(run.get(key), str) and run[key]:
                    run[key] = resolve(run[key])
    settings = payload.get('settings') or {}
    if settings.get('reuse_from'):
        settings['reuse_from'] = [resolve(d) for d in settings['reuse_from']]
    return payload
