"""The benchmark itself: every row x seed planned, run (N at a time), reported.

``tools/benchmark.py`` parses the command line into :class:`BenchmarkOptions`
and calls :func:`run_benchmark`. Seed ``k`` sets ``randomness.seed=k`` and the
exemplar (``--exemplar-rule``, seed ``k``), so every seed trains from its own
exemplar slice and all rows of one seed share it (the paper's protocol of
averaging over exemplars). Layout of a results folder::

    RESULTS/
      results.md        command line, machine, mean ± std table, per-run table
      results.json      every run (ok and failed) and the per-row summaries
      results.png       mean Dice per row with std error bars
      runs/<row>/seed<k>/   one run folder each (:mod:`elseg.benchmark.run`)
"""
from __future__ import annotations

import os
import os.path as osp
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .machine import machine_info
from .report import write_summary
from .run import BenchmarkRun
from .run_folder import STATUS_FAILED
from .run_options import (load_run_config, resolve_exemplar,
                          schedule_options, seed_options)
from .run_reuse import find_reusable_run, link_run
from .stage1_sharing import find_stage1_source, seed_stage1, stage1_iters_of
from .suites import row_dir_name

#: ``--cfg-options`` that switch off the validation at the end of training
#: (tools/test.py evaluates every run).
NO_TRAIN_VAL = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


@dataclass
class BenchmarkOptions:
    """What ``tools/benchmark.py`` was asked to do (its command-line flags).

    Args:
        seeds (list[int]): One run per seed and row.
        results_dir (str): The results folder.
        exemplar_rule (str): Exemplar rule of every run, or ``'config'``.
        cfg_options (list[str]): ``KEY=VALUE`` options for every train and
            test run.
        data_root (str, optional): Evaluation data root.
        split_list (str, optional): Evaluation split list.
        train_val (bool): Keep the validation at the end of training.
        iters (int, optional): Retrain every row for this many iterations.
        jobs (int): Runs at a time.
        no_train (bool): Start no training.
        reuse_from (list[str]): Results folders whose finished runs are
            hard-linked instead of retrained.
        share_stage1 (bool): Start runs that differ in stage 2 only from a
            finished run's ``stage1.pth``.
        dry_run (bool): Print the commands only.
        suite (str, optional): The suite's name (recorded).
        suites_file (str, optional): The suites file (recorded).
    """

    seeds: List[int]
    results_dir: str
    exemplar_rule: str = 'random'
    cfg_options: List[str] = field(default_factory=list)
    data_root: Optional[str] = None
    split_list: Optional[str] = None
    train_val: bool = False
    iters: Optional[int] = None
    jobs: int = 1
    no_train: bool = False
    reuse_from: List[str] = field(default_factory=list)
    share_stage1: bool = False
    dry_run: bool = False
    suite: Optional[str] = None
    suites_file: Optional[str] = None

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError(f'seeds must not be empty, got {self.seeds!r}.')
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(f'jobs must be >= 1, got {self.jobs!r}.')
        if self.iters is not None and (not isinstance(self.iters, int)
                                       or self.iters < 1):
            raise ValueError(f'iters must be >= 1, got {self.iters!r}.')

    def test_args(self) -> List[str]:
        """tools/test.py arguments of every run (``--data-root``...)."""
        args: List[str] = []
        if self.data_root:
            args += ['--data-root', self.data_root]
        if self.split_list:
            args += ['--split-list', self.split_list]
        return args

    def subprocess_env(self) -> Dict[str, str]:
        """Threads per run: CPUs // jobs when runs share the machine."""
        if self.jobs > 1 and 'OMP_NUM_THREADS' not in os.environ:
            threads = str(max(1, (os.cpu_count() or 1) // self.jobs))
            return dict(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        return {}

    def record(self, repo_root: str) -> Dict[str, Any]:
        """The settings written to results.json.

        Args:
            repo_root (str): The repository; a suites file inside it is
                recorded relative to it.

        Returns:
            dict: Seeds, exemplar rule, schedule, jobs, options, data, suite.
        """
        suites_file = self.suites_file
        if suites_file:
            rel = osp.relpath(osp.abspath(suites_file), osp.abspath(repo_root))
            if not rel.startswith(os.pardir):
                suites_file = rel
        return dict(seeds=self.seeds, exemplar_rule=self.exemplar_rule,
                    train_val=self.train_val, iters=self.iters,
                    jobs=self.jobs, cfg_options=self.cfg_options,
                    data_root=self.data_root, split_list=self.split_list,
                    suite=self.suite, suites_file=suites_file,
                    reuse_from=self.reuse_from,
                    share_stage1=self.share_stage1)


#: A planned run: (row index, run, exemplar resolver).
Task = Tuple[int, BenchmarkRun, Callable[[], dict]]


def run_benchmark(rows: Dict[str, Any], options: BenchmarkOptions,
                  command: str, tools_dir: str) -> int:
    """Train and evaluate every row x seed, then write the report.

    Runs start seed by seed (all rows of seed 0 first), ``options.jobs`` at a
    time; evaluation-only rows follow once the training rows are done. A run
    with ``result.json`` is skipped, a trained one only evaluated, one with
    checkpoints resumed.

    Args:
        rows (dict): row name -> config path, or an evaluation-only row
            ``dict(from=..., checkpoint=..., test_args=[...])``
            (:func:`elseg.benchmark.suites.load_suites`).
        options (BenchmarkOptions): What to run and how.
        command (str): The command line, recorded in results.md.
        tools_dir (str): The folder with train.py and test.py.

    Returns:
        int: 0, or 1 when a run failed.
    """
    machine = machine_info()
    tasks, derived = _plan(rows, options, tools_dir)
    if options.dry_run:
        return 0
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        futures = [(index, pool.submit(run.run, resolver, machine,
                                       not options.no_train))
                   for index, run, resolver in tasks]
        results = [(index, future.result()) for index, future in futures]
        futures = [(index, pool.submit(run.run, lambda: None, machine))
                   for index, run in derived]
        results += [(index, future.result()) for index, future in futures]
    records = [dict(name=name, config=config,
                    runs=[r for i, r in results if i == index])
               for index, (name, config) in enumerate(rows.items())]
    write_summary(options.results_dir, records, command, machine,
                  options.record(osp.dirname(osp.abspath(tools_dir))))
    n_failed = sum(r['status'] == STATUS_FAILED
                   for row in records for r in row['runs'])
    n_runs = sum(len(r['runs']) for r in records)
    print(f'[benchmark] {n_runs - n_failed} ok, {n_failed} failed; summary: '
          f'{osp.join(options.results_dir, "results.md")}')
    return 1 if n_failed else 0


def _plan(rows: Dict[str, Any], options: BenchmarkOptions, tools_dir: str
          ) -> Tuple[List[Task], List[Tuple[int, BenchmarkRun]]]:
    """Build every run, reusing or sharing stage 1 where asked.

    With ``options.dry_run`` the commands are printed instead.

    Returns:
        tuple: training tasks (seed-major order) and evaluation-only runs.
    """
    env = options.subprocess_env()
    test_args = options.test_args()
    train_extra = list(options.cfg_options)
    no_val = [] if options.train_val else list(NO_TRAIN_VAL)
    cache: dict = {}  # exemplar choices, shared by the rows of a seed
    signatures: dict = {}  # merged-config memo of --reuse-from/--share-stage1
    cache_lock = threading.Lock()
    tasks: List[Task] = []
    derived: List[Tuple[int, BenchmarkRun]] = []
    for seed in options.seeds:
        for index, (name, config) in enumerate(rows.items()):
            run_dir = _run_dir(options.results_dir, name, seed)
            if isinstance(config, dict):  # evaluates another row's run
                run = BenchmarkRun(
                    name, rows[config['from']], seed, run_dir, [],
                    test_args + config['test_args'], list(options.cfg_options),
                    tools_dir, os.getcwd(), env,
                    source_dir=_run_dir(options.results_dir, config['from'],
                                        seed),
                    checkpoint=config['checkpoint'])
                if options.dry_run:
                    print(run.describe())
                else:
                    derived.append((index, run))
                continue
            setup_error: Optional[Exception] = None
            try:
                cfg = load_run_config(config, options.cfg_options)
                schedule = ([] if options.iters is None else
                            schedule_options(cfg, options.iters))
                train_options = train_extra + schedule + no_val + seed_options(
                    cfg, seed, options.exemplar_rule)
            except Exception as err:  # recorded as a failed run
                setup_error = err
                train_options = list(train_extra)
            run = BenchmarkRun(name, config, seed, run_dir, train_options,
                               test_args, list(options.cfg_options),
                               tools_dir, os.getcwd(), env)
            if setup_error is None and _start_from_finished(
                    run, options, signatures):
                continue  # dry run: the reused run was printed
            if options.dry_run:
                print(run.describe() if setup_error is None else
                      f'# {name} seed {seed}: setup error: {setup_error}')
                continue

            def exemplar(config=config, opts=train_options,
                         error=setup_error) -> dict:
                if error is not None:
                    raise error
                with cache_lock:  # runs share the per-seed memo across jobs
                    return resolve_exemplar(load_run_config(config, opts),
                                            cache)

            tasks.append((index, run, exemplar))
    return tasks, derived


def _run_dir(results_dir: str, row: str, seed: int) -> str:
    """``RESULTS/runs/<row folder>/seed<k>``."""
    return osp.join(results_dir, 'runs', row_dir_name(row), f'seed{seed}')


def _start_from_finished(run: BenchmarkRun, options: BenchmarkOptions,
                         signatures: dict) -> bool:
    """Reuse a finished run (``--reuse-from``) or its N_s (``--share-stage1``).

    Only a new run is touched: a run with checkpoints or a result is resumed
    or kept, never replaced.

    Returns:
        bool: True in a dry run where a reusable run was found (printed; the
        run needs no command of its own), else False.
    """
    name, seed, config = run.row, run.seed, run.config
    if options.reuse_from and run.state() == 'new':
        source = find_reusable_run(options.reuse_from, seed, config,
                                   run.train_options, load_run_config,
                                   signatures)
        if source is not None and options.dry_run:
            print(f'# {name} seed {seed}: would reuse {source}')
            return True
        if source is not None:
            link_run(source, run.run_dir, name)
            print(f'[benchmark] {name} seed {seed}: reused the finished run '
                  f'{source} (same seed and merged config)', flush=True)
    if options.share_stage1 and run.state() == 'new':
        source = find_stage1_source(
            [options.results_dir, *options.reuse_from], seed, config,
            run.train_options, load_run_config, signatures)
        if source is not None and options.dry_run:
            print(f'# {name} seed {seed}: would start from '
                  f'{source}/stage1.pth (stage 1 shared)')
        elif source is not None:
            seed_stage1(source, run.run_dir, stage1_iters_of(
                config, run.train_options, load_run_config))
            print(f'[benchmark] {name} seed {seed}: stage 1 shared from '
                  f'{source}; training stage 2', flush=True)
    return False

