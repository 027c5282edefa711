"""Accuracy benchmark: train and evaluate configs over seeds, then tabulate.

Used by ``tools/benchmark.py``. Each run (one row = one config, one seed) is
``tools/train.py`` then ``tools/test.py`` in subprocesses, so a crash in one run
is recorded and the others go on. Layout of a results folder::

    RESULTS/
      results.md        command line, machine, mean ± std table, per-run table
      results.json      every run (ok and failed) and the per-row summaries
      results.png       mean Dice per row with std error bars
      runs/<row>/seed<k>/
        result.json     metrics, exemplar, wall times, machine (run done)
        failure.json    stage, return code and log tail (run failed)
        attempts.json   wall time of every training attempt
        bench_train.log / bench_test.log   stdout + stderr of the subprocesses
        iter_*.pth ...  the tools/train.py work dir
        test/           the tools/test.py work dir (volume_metrics.json)

Seeds: seed ``k`` sets ``randomness.seed=k`` and the exemplar,
``train_dataloader.dataset.exemplar.rule=<rule>`` and ``...exemplar.seed=k``,
so every seed trains from a different exemplar slice (the paper's protocol of
averaging over exemplars) and all rows share the same exemplar for one seed.
"""
from __future__ import annotations

import json
import math
import os
import os.path as osp
import platform
import re
import shlex
import subprocess
import sys
import time
import traceback
from typing import Any, Dict, List, Optional, Sequence, Tuple

from elseg.utils.checkpoint import atomic_write_bytes

#: ``--exemplar-rule`` value that keeps the config's own exemplar setting.
KEEP_CONFIG_EXEMPLAR = 'config'
#: Dotted config keys the benchmark sets itself for every seed.
RESERVED_KEYS = ('randomness.seed', 'train_dataloader.dataset.exemplar')
LOG_TAIL_LINES = 40
#: ``status`` of a run record: evaluated, failed (``failure.json``), or left
#: out by ``--no-train``. Only ``STATUS_FAILED`` makes the benchmark exit 1.
STATUS_OK, STATUS_FAILED, STATUS_NOT_RUN = 'ok', 'failed', 'not run'
#: File in a run folder naming the run whose N_s it started from
#: (``--share-stage1``, :mod:`elseg.utils.benchmark_stage1`).
STAGE1_MARKER = 'stage1_from.json'


# ----------------------------------------------------------------- suites
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
    """Folder name of a row: characters other than ``[A-Za-z0-9_.+-]`` -> _."""
    return re.sub(r'[^A-Za-z0-9_.+-]', '_', row)


# ------------------------------------------------------------- exemplars
def parse_cfg_options(options: Sequence[str]) -> Dict[str, Any]:
    """Parse ``KEY=VALUE`` strings as ``--cfg-options`` (mmengine DictAction).

    Raises:
        ValueError: An item without ``=``.
    """
    from mmengine.config import DictAction
    out: Dict[str, Any] = {}
    for item in options:
        key, sep, val = item.partition('=')
        if not sep:
            raise ValueError(f'cfg option must be KEY=VALUE, got {item!r}.')
        out[key] = DictAction._parse_iterable(val)
    return out


def check_user_options(options: Sequence[str]) -> None:
    """Refuse ``--cfg-options`` that would override the per-seed settings.

    Raises:
        ValueError: An option sets ``randomness.seed`` or the exemplar.
    """
    for item in options:
        key = item.partition('=')[0]
        if any(key == k or key.startswith(k + '.') for k in RESERVED_KEYS):
            raise ValueError(
                f'--cfg-options {item!r} conflicts with the benchmark, which '
                'sets randomness.seed and the exemplar from --seeds and '
                f'--exemplar-rule (use --exemplar-rule {KEEP_CONFIG_EXEMPLAR} '
                "to keep the config's exemplar).")


def seed_options(cfg, seed: int, rule: str) -> List[str]:
    """The ``--cfg-options`` that make run ``seed`` of a config.

    Args:
        cfg (mmengine.Config): The config (after the user's options).
        seed (int): The seed.
        rule (str): Exemplar rule ('random', 'central', 'largest_area'), or
            ``'config'`` to keep the config's exemplar.

    Returns:
        list[str]: ``randomness.seed=<seed>`` and, unless ``rule='config'``,
        ``train_dataloader.dataset.exemplar.rule=<rule>`` and
        ``train_dataloader.dataset.exemplar.seed=<seed>`` (merged into the
        config's exemplar dict, so e.g. Synapse's ``slice_dir`` is kept).

    Raises:
        ValueError: A rule other than 'config' for a config whose exemplar is a
            fixed slice id or a ``dict(file=...)``.
    """
    opts = [f'randomness.seed={seed}']
    if rule == KEEP_CONFIG_EXEMPLAR:
        return opts
    exemplar = cfg.train_dataloader.dataset.get('exemplar')
    if not isinstance(exemplar, dict) or 'file' in exemplar:
        raise ValueError(
            f'The config fixes its exemplar ({exemplar!r}); --exemplar-rule '
            f'{rule!r} needs a dict(rule=..., seed=...) exemplar. Pass '
            f'--exemplar-rule {KEEP_CONFIG_EXEMPLAR} to keep it.')
    return opts + [f'train_dataloader.dataset.exemplar.rule={rule}',
                   f'train_dataloader.dataset.exemplar.seed={seed}']


def schedule_options(cfg, iters: int) -> List[str]:
    """The ``--cfg-options`` that retrain a config for ``iters`` iterations.

    Everything tied to the schedule's length scales with it, so a shorter
    budget keeps the config's proportions: ``train_cfg.max_iters`` (and
    ``val_interval``, capped), the ``begin``/``end`` of iteration-based
    ``param_scheduler`` entries, ``stage1_iters`` of an
    ``ExemplarTwoStageHook`` (the stage switch stays at the same fraction), a
    mean teacher's ``model.consistency_rampup`` and the checkpoint interval.

    Args:
        cfg (mmengine.Config): The run's config (user options merged).
        iters (int): New number of training iterations.

    Returns:
        list[str]: ``KEY=VALUE`` options (list entries addressed by index,
        e.g. ``custom_hooks.0.stage1_iters=1000``, as mmengine's
        ``--cfg-options`` accepts).

    Raises:
        ValueError: ``iters`` < 1, or a config without an iteration-based
            ``train_cfg.max_iters``.
    """
    if not isinstance(iters, int) or iters < 1:
        raise ValueError(f'--iters must be a positive integer, got {iters!r}.')
    old = cfg.get('train_cfg', {}).get('max_iters')
    if not isinstance(old, int) or old < 1:
        raise ValueError(
            'The config has no iteration-based train_cfg.max_iters (got '
            f'{old!r}); --iters only rescales IterBasedTrainLoop configs.')
    factor = iters / old

    def scaled(value: int) -> int:
        return max(1, int(round(value * factor)))

    opts = [f'train_cfg.max_iters={iters}']
    if cfg.train_cfg.get('val_interval') is not None:
        opts.append('train_cfg.val_interval='
                    f'{min(iters, scaled(cfg.train_cfg.val_interval))}')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
        prefixes = ['param_scheduler']
    else:
        prefixes = [f'param_scheduler.{i}' for i in range(len(schedulers))]
    for prefix, sched in zip(prefixes, schedulers):
        if sched.get('by_epoch', True):
            continue
        for key in ('begin', 'end'):
            if isinstance(sched.get(key), int) and sched[key] > 0:
                opts.append(f'{prefix}.{key}={min(iters, scaled(sched[key]))}')
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if isinstance(hook.get('stage1_iters'), int):
            opts.append(f'custom_hooks.{i}.stage1_iters='
                        f"{min(iters - 1, scaled(hook['stage1_iters']))}")
    rampup = cfg.get('model', {}).get('consistency_rampup')
    if isinstance(rampup, int) and rampup > 0:
        opts.append(f'model.consistency_rampup={scaled(rampup)}')
    ckpt = cfg.get('default_hooks', {}).get('checkpoint') or {}
    if isinstance(ckpt.get('interval'), int) and ckpt['interval'] > 0:
        opts.append('default_hooks.checkpoint.interval='
                    f"{min(iters, scaled(ckpt['interval']))}")
    return opts


def load_run_config(config: str, options: Sequence[str]):
    """``Config.fromfile(config)`` with ``KEY=VALUE`` options merged."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(parse_cfg_options(options))
    return cfg


def resolve_exemplar(cfg, cache: Optional[dict] = None) -> Dict[str, Any]:
    """The exemplar slice a config trains on, chosen as the dataset does.

    Mirrors ``ExemplarLearningDataset._init_exemplar``: a slice id, a
    ``dict(file=...)`` or ``select_exemplar(**exemplar, data_root=<wrapped
    dataset's data_root>)``.

    Args:
        cfg (mmengine.Config): The run's config (all options merged).
        cache (dict, optional): Memo of ``select_exemplar`` calls (rows share
            the exemplar of a seed; choosing it reads every training label).

    Returns:
        dict: ``id`` (slice id) and ``spec`` (the config's exemplar setting).
    """
    from elseg.datasets import read_exemplar_file, select_exemplar
    dataset = cfg.train_dataloader.dataset
    exemplar = dataset.get('exemplar')
    if isinstance(exemplar, dict):
        spec = exemplar.to_dict() if hasattr(exemplar, 'to_dict') else dict(
            exemplar)
        if 'file' in spec:
            return dict(id=read_exemplar_file(spec['file'])['slice_id'],
                        spec=spec)
        kwargs = dict(spec)
        kwargs.setdefault('data_root', dataset.dataset.data_root)
        key = json.dumps(kwargs, sort_keys=True, default=str)
        if cache is None or key not in cache:
            chosen = select_exemplar(**kwargs)
            if cache is None:
                return dict(id=chosen, spec=spec)
            cache[key] = chosen
        return dict(id=cache[key], spec=spec)
    return dict(id=str(exemplar), spec=exemplar)


def train_log_stats(work_dir: str,
                    stage1_iters: Optional[int] = None) -> Dict[str, Any]:
    """Median seconds per iteration and peak memory from a training log.

    Reads the newest ``<work_dir>/<timestamp>/vis_data/scalars.json`` that
    mmengine's logger writes (one JSON line per logging interval; ``time`` is
    the mean iteration time of the interval, ``memory`` the peak CUDA memory
    in MB, present on CUDA only). The first interval (warm-up) is skipped
    when there are others.

    Args:
        work_dir (str): The tools/train.py work dir.
        stage1_iters (int, optional): Split the iterations into stage 1
            (``iter <= stage1_iters``) and stage 2.

    Returns:
        dict: ``s_per_iter`` (median over intervals), ``s_per_iter_stage1`` /
        ``s_per_iter_stage2`` (None without that stage), ``peak_memory_mb``
        (None on CPU), ``intervals``.

    Raises:
        FileNotFoundError: No scalars.json under ``work_dir``.
    """
    import glob
    import statistics
    paths = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not paths:
        raise FileNotFoundError(
            f'No */vis_data/scalars.json under {work_dir!r}: was it trained '
            'with tools/train.py (mmengine LocalVisBackend)?')
    records = []
    with open(paths[-1]) as f:
        for line in f:
            line = line.strip()
            if line:
                rec = json.loads(line)
                if 'time' in rec and 'iter' in rec:
                    records.append(rec)
    timed = records[1:] if len(records) > 1 else records

    def median(recs: List[dict]) -> Optional[float]:
        return statistics.median(r['time'] for r in recs) if recs else None

    stage1 = [r for r in timed
              if stage1_iters is None or r['iter'] <= stage1_iters]
    stage2 = [] if stage1_iters is None else [
        r for r in timed if r['iter'] > stage1_iters]
    if stage2 and len(stage2) > 1:
        stage2 = stage2[1:]  # the first stage-2 interval holds a warm-up
    memory = [r['memory'] for r in records if r.get('memory') is not None]
    return dict(s_per_iter=median(timed), s_per_iter_stage1=median(stage1),
                s_per_iter_stage2=median(stage2),
                peak_memory_mb=max(memory) if memory else None,
                intervals=len(records))


# --------------------------------------------------------------- machine
def machine_info() -> Dict[str, Any]:
    """Platform, CPU count, torch version and the training processes' threads.

    The runs are subprocesses that inherit this environment: their torch uses
    ``OMP_NUM_THREADS`` threads when it is set (this process's torch may have
    started before it was set), else torch's default, as here.
    """
    import torch
    omp = os.environ.get('OMP_NUM_THREADS', '')
    threads = int(omp) if omp.isdigit() and int(omp) > 0 else \
        torch.get_num_threads()
    return dict(
        platform=platform.platform(),
        processor=platform.processor() or platform.machine(),
        python=platform.python_version(),
        cpu_count=os.cpu_count(),
        torch=torch.__version__,
        torch_num_threads=threads,
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        cuda=torch.cuda.is_available())


def describe_machine(m: Dict[str, Any]) -> str:
    """One line for results.md."""
    return (f"{m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
            f"({m['torch_num_threads']} threads, OMP_NUM_THREADS="
            f"{m['omp_num_threads']}), CUDA {'yes' if m['cuda'] else 'no'}")


# ------------------------------------------------------------ statistics
def mean_std(values: Sequence[float]) -> Tuple[Optional[float],
                                               Optional[float]]:
    """Mean and sample standard deviation (ddof=1) over the seeds.

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
                f"{(r.get('exemplar') or {}).get('id', '–')} | {status} | "
                f"{num(m.get('mDice'), 100)} | {num(m.get('mHD95'))} | "
                f"{num(r.get('train_time_s'), digits=1)} | "
                f"{num(r.get('eval_time_s'), digits=1)} |")
    return '\n'.join(lines)


def plot_results(rows: Sequence[dict], path: str) -> None:
    """Bar chart of mean Dice per row with sample-std error bars (Agg)."""
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
    runs = [r for row in rows for r in row['runs']]
    classes = class_names(runs)
    units = sorted({r['hd95_unit'] for r in runs if r.get('hd95_unit')})
    unit = '/'.join(units) or 'mm'
    summaries = [dict(name=row['name'], config=row['config'],
                      summary=summarize_row(row['runs'], classes),
                      runs=list(row['runs'])) for row in rows]
    payload = dict(command=command, created=time.strftime('%Y-%m-%d %H:%M:%S'),
                   machine=machine, settings=settings, classes=classes,
                   hd95_unit=unit, rows=summaries)
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
    """results.md lines listing the runs whose record has ``key`` (or none)."""
    runs = [f"{row['name']} seed {r.get('seed')} {link} `{r[key]}`"
            for row in rows for r in row['runs'] if r.get(key)]
    return [f"{intro}: {'; '.join(runs)}.", ''] if runs else []


# ------------------------------------------------------------------ runs
def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _write_json(obj: Any, path: str) -> None:
    atomic_write_bytes(json.dumps(obj, indent=2).encode(), path)


def _tail(path: str, n: int = LOG_TAIL_LINES) -> str:
    if not osp.isfile(path):
        return ''
    with open(path, errors='replace') as f:
        return ''.join(f.readlines()[-n:])


def _run_logged(cmd: List[str], log: str, cwd: str,
                extra_env: Optional[Dict[str, str]] = None
                ) -> Tuple[int, float]:
    """Run ``cmd``, appending stdout+stderr to ``log``; (return code, s)."""
    env = dict(os.environ, PYTHONUNBUFFERED='1', **(extra_env or {}))
    os.makedirs(osp.dirname(log), exist_ok=True)
    with open(log, 'a') as f:
        f.write(f'\n$ {shlex.join(cmd)}\n')
        f.flush()
        start = time.perf_counter()
        rc = subprocess.call(cmd, cwd=cwd, env=env, stdout=f,
                             stderr=subprocess.STDOUT)
        return rc, time.perf_counter() - start


def settle_interrupted(attempts: List[dict], log: str) -> List[dict]:
    """Give the training attempts that were killed a wall time.

    An attempt is written to ``attempts.json`` when it starts
    (``returncode`` None) and completed when it ends. One still open when the
    benchmark starts again was killed with the benchmark: its wall time is
    taken as the last write to its log minus its start, so the run's training
    time still counts it (``interrupted`` marks the estimate).

    Args:
        attempts (list[dict]): ``attempts.json`` entries, oldest first.
        log (str): The run's ``bench_train.log`` (every attempt appends).

    Returns:
        list[dict]: ``attempts`` with the open entries settled (in place).
    """
    for attempt in attempts:
        if attempt.get('returncode') is None and attempt.get('started'):
            end = osp.getmtime(log) if osp.isfile(log) else attempt['started']
            attempt.update(returncode=-1, interrupted=True,
                           wall_s=max(0.0, end - attempt['started']))
    return attempts


def has_checkpoint(work_dir: str) -> bool:
    """Whether a tools/train.py work dir holds a checkpoint to resume."""
    if not osp.isdir(work_dir):
        return False
    return osp.isfile(osp.join(work_dir, 'last_checkpoint')) or any(
        f.endswith('.pth') for f in os.listdir(work_dir))


def final_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, if it exists."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    if not osp.isabs(ckpt) and not osp.isfile(ckpt):
        ckpt = osp.join(work_dir, osp.basename(ckpt))
    return ckpt if osp.isfile(ckpt) else None


class BenchmarkRun:
    """One row x seed: train, evaluate, write result.json (resumable).

    Args:
        row (str): Row name.
        config (str): Config path.
        seed (int): Seed (``randomness.seed`` and the exemplar seed).
        run_dir (str): ``RESULTS/runs/<row>/seed<k>``.
        train_options (list[str]): All ``--cfg-options`` of training (the
            user's first, then :func:`seed_options`).
        test_args (list[str]): Extra tools/test.py arguments
            (``--data-root``...).
        test_options (list[str]): ``--cfg-options`` of evaluation.
        tools_dir (str): Folder with train.py and test.py.
        cwd (str): Working directory of the subprocesses.
        env (dict, optional): Extra environment of the subprocesses (e.g.
            ``OMP_NUM_THREADS`` when runs share the machine).
        source_dir (str, optional): An evaluation-only run: the run folder of
            the training row whose checkpoint it evaluates (nothing is
            trained; its exemplar and training time are the source's).
        checkpoint (str, optional): With ``source_dir``, the checkpoint file
            in it (default: its final checkpoint).
    """

    def __init__(self, row: str, config: str, seed: int, run_dir: str,
                 train_options: List[str], test_args: List[str],
                 test_options: List[str], tools_dir: str, cwd: str,
                 env: Optional[Dict[str, str]] = None,
                 source_dir: Optional[str] = None,
                 checkpoint: Optional[str] = None) -> None:
        self.env = dict(env or {})
        self.source_dir, self.checkpoint_name = source_dir, checkpoint
        self.row, self.config, self.seed = row, config, seed
        self.run_dir = run_dir
        self.train_options = list(train_options)
        self.test_args = list(test_args)
        self.test_options = list(test_options)
        self.tools_dir, self.cwd = tools_dir, cwd
        self.result_path = osp.join(run_dir, 'result.json')
        self.failure_path = osp.join(run_dir, 'failure.json')
        self.attempts_path = osp.join(run_dir, 'attempts.json')
        self.test_dir = osp.join(run_dir, 'test')

    # -------------------------------------------------------- commands
    def train_command(self, resume: bool) -> List[str]:
        """The tools/train.py command line."""
        cmd = [sys.executable, osp.join(self.tools_dir, 'train.py'),
               self.config, '--work-dir', self.run_dir]
        if resume:
            cmd.append('--resume')
        return cmd + ['--cfg-options', *self.train_options]

    def test_command(self, checkpoint: str) -> List[str]:
        """The tools/test.py command line."""
        cmd = [sys.executable, osp.join(self.tools_dir, 'test.py'),
               self.config, checkpoint, '--work-dir', self.test_dir,
               *self.test_args]
        if self.test_options:
            cmd += ['--cfg-options', *self.test_options]
        return cmd

    def state(self) -> str:
        """'done', 'evaluate' (trained), 'resume', or 'new'."""
        if osp.isfile(self.result_path):
            return 'done'
        if self.source_dir is not None:
            return 'evaluate'
        attempts = _read_json(self.attempts_path) or []
        if attempts and attempts[-1]['returncode'] == 0 and final_checkpoint(
                self.run_dir):
            return 'evaluate'
        return 'resume' if has_checkpoint(self.run_dir) else 'new'

    def describe(self) -> str:
        """The commands this run would execute now (for --dry-run)."""
        state = self.state()
        if state == 'done':
            return f'# {self.row} seed {self.seed}: done ({self.result_path})'
        lines = [f'# {self.row} seed {self.seed}: {state}']
        if state != 'evaluate':
            lines.append(shlex.join(self.train_command(state == 'resume')))
        ckpt = self._checkpoint() or '<checkpoint in ' + (
            self.source_dir or self.run_dir) + '>'
        lines.append(shlex.join(self.test_command(ckpt)))
        return '\n'.join(lines)

    def _checkpoint(self) -> Optional[str]:
        """The checkpoint to evaluate (None while there is none)."""
        if self.source_dir is None:
            return final_checkpoint(self.run_dir)
        if self.checkpoint_name is None:
            return final_checkpoint(self.source_dir)
        path = osp.join(self.source_dir, self.checkpoint_name)
        return path if osp.isfile(path) else None

    def _run_derived(self, record: dict) -> Optional[dict]:
        """Fill an evaluation-only run's record; a failure record or None."""
        source = _read_json(osp.join(self.source_dir, 'result.json'))
        if source is None or source.get('status') != STATUS_OK:
            return self._fail(
                record, 'setup', '', -1, f'the source run {self.source_dir} '
                'has no successful result.json: run its row first')
        record.update(exemplar=source.get('exemplar'), source=self.source_dir,
                      train_time_s=source.get('train_time_s'),
                      train_attempts=0)
        if self._checkpoint() is None:
            return self._fail(
                record, 'setup', '', -1,
                f'no checkpoint {self.checkpoint_name or "(final)"} in '
                f'{self.source_dir}')
        return None

    # ------------------------------------------------------------- run
    def _fail(self, record: dict, stage: str, log: str, returncode: int,
              message: str = '') -> dict:
        record.update(status=STATUS_FAILED, stage=stage,
                      returncode=returncode,
                      log=log, log_tail=message or _tail(log))
        _write_json(record, self.failure_path)
        print(f'[benchmark] {self.row} seed {self.seed}: {stage} FAILED '
              f'(return code {returncode}); log: {log}', flush=True)
        return record

    def run(self, exemplar_fn, machine: Dict[str, Any],
            allow_train: bool = True) -> dict:
        """Train (or resume), evaluate, write result.json; never raises.

        Args:
            exemplar_fn (Callable[[], dict]): Resolves the exemplar
                (:func:`resolve_exemplar` on the run's config).
            machine (dict): :func:`machine_info`.
            allow_train (bool): False: a run that still needs training is
                not started and comes back with status 'not run' (trained
                runs and evaluation-only rows are still evaluated).

        Returns:
            dict: The run record (``status`` 'ok' or 'failed').
        """
        if osp.isfile(self.result_path):
            print(f'[benchmark] {self.row} seed {self.seed}: result.json '
                  'exists, skipped', flush=True)
            return _read_json(self.result_path)
        os.makedirs(self.run_dir, exist_ok=True)
        record: Dict[str, Any] = dict(
            row=self.row, config=self.config, seed=self.seed,
            run_dir=self.run_dir, machine=machine)
        if self.source_dir is not None:
            failed = self._run_derived(record)
            return failed if failed is not None else self._evaluate(
                record, [])
        shared = _read_json(osp.join(self.run_dir, STAGE1_MARKER))
        if shared:  # --share-stage1: N_s is another run's (benchmark_stage1)
            record['stage1_from'] = shared['stage1_from']
        try:
            record['exemplar'] = exemplar_fn()
        except Exception:  # a broken config: record it, go on with the rest
            return self._fail(record, 'setup', '', -1,
                              traceback.format_exc()[-4000:])
        train_log = osp.join(self.run_dir, 'bench_train.log')
        attempts = settle_interrupted(
            _read_json(self.attempts_path) or [], train_log)
        state = self.state()
        if state in ('new', 'resume') and not allow_train:
            record.update(status=STATUS_NOT_RUN,
                          stage=f'not trained ({state})')
            print(f'[benchmark] {self.row} seed {self.seed}: not trained, '
                  'left out (--no-train)', flush=True)
            return record
        if state != 'evaluate':
            resume = state == 'resume'
            print(f'[benchmark] {self.row} seed {self.seed}: '
                  f"{'resuming' if resume else 'training'}", flush=True)
            cmd = self.train_command(resume)
            # recorded before it starts, so a kill still leaves its start
            attempts.append(dict(command=shlex.join(cmd), resumed=resume,
                                 returncode=None, wall_s=None,
                                 started=time.time()))
            _write_json(attempts, self.attempts_path)
            rc, wall = _run_logged(cmd, train_log, self.cwd, self.env)
            attempts[-1].update(returncode=rc, wall_s=wall,
                                finished=time.strftime('%Y-%m-%d %H:%M:%S'))
            _write_json(attempts, self.attempts_path)
            if rc != 0:
                return self._fail(record, 'train', train_log, rc)
        else:
            print(f'[benchmark] {self.row} seed {self.seed}: trained, '
                  'evaluating', flush=True)
        record['train_time_s'] = sum(a['wall_s'] or 0.0 for a in attempts)
        record['train_attempts'] = len(attempts)
        if final_checkpoint(self.run_dir) is None:
            return self._fail(record, 'train', train_log, 0,
                              'training exited 0 but wrote no last_checkpoint')
        return self._evaluate(record, [a['command'] for a in attempts])

    def _evaluate(self, record: dict, train_commands: List[str]) -> dict:
        """Run tools/test.py on the run's checkpoint; write result.json."""
        ckpt = self._checkpoint()
        record['checkpoint'] = ckpt
        test_log = osp.join(self.run_dir, 'bench_test.log')
        cmd = self.test_command(ckpt)
        rc, wall = _run_logged(cmd, test_log, self.cwd, self.env)
        record['eval_time_s'] = wall
        metrics = _read_json(osp.join(self.test_dir, 'volume_metrics.json'))
        if rc != 0 or metrics is None:
            return self._fail(record, 'test', test_log, rc)
        mean = metrics['mean']
        classes = [k[5:] for k in mean if k.startswith('Dice.')]
        record.update(
            status=STATUS_OK, metrics=mean,
            hd95_unit=metrics.get('hd95_unit'),
            dice={c: mean[f'Dice.{c}'] for c in classes},
            hd95={c: mean[f'HD95.{c}'] for c in classes},
            num_volumes=len(metrics.get('volumes', {})),
            commands=dict(train=train_commands, test=shlex.join(cmd)),
            finished=time.strftime('%Y-%m-%d %H:%M:%S'))
        _write_json(record, self.result_path)
        if osp.isfile(self.failure_path):
            os.remove(self.failure_path)
        print(f'[benchmark] {self.row} seed {self.seed}: mDice '
              f"{mean['mDice']:.4f} mHD95 {mean['mHD95']:.2f} "
              f"(train {record['train_time_s']:.0f} s, eval {wall:.0f} s)",
              flush=True)
        return record
