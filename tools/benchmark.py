"""Train and evaluate configs over seeds; tabulate mean ± std (Tables 1, 3, 4).

Each run (row x seed) is ``tools/train.py`` then ``tools/test.py`` in a
subprocess: a failed run is recorded (``failure.json`` with its log tail) and
the benchmark goes on. Seed ``k`` sets ``randomness.seed=k`` and the exemplar
``train_dataloader.dataset.exemplar.rule=<--exemplar-rule>`` /
``...exemplar.seed=k``, so every seed trains from a different exemplar slice
and all rows of one seed share it. Rerunning the same command resumes: a run
with ``result.json`` is skipped, a trained run is only evaluated, a run with
checkpoints is resumed with ``--resume``. The validation at the end of
training is switched off (``tools/test.py`` evaluates; ``--train-val`` keeps
it). The runner itself, the layout of a results folder and its files:
:mod:`elseg.benchmark` (this script only reads the command line).

Examples::

    # Table 1 / 3 / 4 on the CPU configs, 3 seeds (exemplars)
    python tools/benchmark.py --suite table1 --seeds 0 1 2 \\
        --results-dir work_dirs/benchmarks/table1
    python tools/benchmark.py --suite table3 --seeds 0 1 2
    python tools/benchmark.py --suite table4_loss --seeds 0 1 2
    python tools/benchmark.py --suite table4_transforms --seeds 0 1 2
    # any configs (row name = file stem, or NAME=PATH), shortened smoke run
    python tools/benchmark.py BS=configs/baselines/unet_bs_acdc_cpu.py \\
        configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py --seeds 0 --results-dir work_dirs/smoke \\
        --cfg-options train_cfg.max_iters=20 custom_hooks.0.stage1_iters=10
    # two runs at a time (one thread each), every row retrained for 2000 iters
    python tools/benchmark.py --suite main --iters 2000 --jobs 2
    # rows that another results folder already ran (same seed and merged
    # config, any row name) are hard-linked instead of retrained
    python tools/benchmark.py --suite table4_loss --iters 1000 \\
        --reuse-from work_dirs/benchmarks/main
    # rows that differ from a finished row in stage 2 only (pseudo-label
    # options) start from that run's stage1.pth instead of retraining N_s
    python tools/benchmark.py --suite main --iters 1000 --share-stage1
    # print the commands only
    python tools/benchmark.py --suite table1 --seeds 0 1 2 --dry-run
"""
import argparse
import os.path as osp
import shlex
import sys
from typing import List, Optional

from elseg.benchmark import (KEEP_CONFIG_EXEMPLAR, BenchmarkOptions,
                             check_data_roots, check_user_options,
                             load_suites, parse_rows, run_benchmark)
from elseg.datasets.exemplar import RULES

TOOLS_DIR = osp.dirname(osp.abspath(__file__))
DEFAULT_SUITES = osp.join(osp.dirname(TOOLS_DIR), 'configs', 'benchmarks',
                          'acdc_cpu.yaml')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train + evaluate configs over seeds and tabulate',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='*',
                        help='config paths (row = file stem) or NAME=PATH')
    parser.add_argument('--suite', help='a suite of --suites-file (e.g. '
                        'table1, table3, table4_loss, table4_transforms)')
    parser.add_argument('--suites-file', default=DEFAULT_SUITES,
                        help='YAML with suites (default: %(default)s)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds = exemplar seeds (default: 0 1 2)')
    parser.add_argument(
        '--exemplar-rule', default='random',
        choices=[*RULES, KEEP_CONFIG_EXEMPLAR],
        help="exemplar rule of every run (seeded by the seed); 'config' keeps "
        "the config's exemplar (default: random, the paper's)")
    parser.add_argument('--results-dir',
                        help='results folder (default: work_dirs/benchmarks/'
                        '<suite>, or .../custom)')
    parser.add_argument('--data-root',
                        help='evaluation data root (tools/test.py --data-root)')
    parser.add_argument('--split-list',
                        help='evaluation split list (tools/test.py '
                        '--split-list), e.g. test.list')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
        help='passed to every tools/train.py and tools/test.py run, e.g. '
        'train_cfg.max_iters=20 (not randomness.seed / the exemplar, but '
        'its num and spread)')
    parser.add_argument(
        '--train-val', action='store_true',
        help='keep the validation at the end of training (off by default: '
        'val_cfg/val_dataloader/val_evaluator=None, tools/test.py evaluates)')
    parser.add_argument(
        '--iters', type=int,
        help='retrain every row for this many iterations; the LR schedule, '
        'the stage-1 length, the mean-teacher ramp-up and the checkpoint '
        'interval scale with it (default: each config\'s own schedule)')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='runs at a time (default 1). Runs are started seed by seed (all '
        'rows of seed 0 first); with N > 1 each run gets OMP_NUM_THREADS = '
        'CPUs // N unless OMP_NUM_THREADS is set')
    parser.add_argument(
        '--no-train', action='store_true',
        help='start no training: evaluate trained runs and evaluation-only '
        'rows, tabulate; untrained runs are listed as not run')
    parser.add_argument(
        '--reuse-from', nargs='+', default=[], metavar='RESULTS_DIR',
        help='before training a run, look for a finished run with the same '
        'seed and the same merged training config in these results folders '
        '(any row name) and hard-link it instead of retraining')
    parser.add_argument(
        '--share-stage1', action='store_true',
        help='a new two-stage run whose stage 1 equals that of a finished run '
        '(same seed, same merged config up to stage-2-only options such as '
        'min_confidence or the hook\'s largest_component) in the results '
        'folder or the --reuse-from folders starts from that run\'s '
        'stage1.pth and trains stage 2 only')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the commands and exit')
    args = parser.parse_args(argv)
    if bool(args.configs) == bool(args.suite):
        parser.error('give configs or --suite (one of them)')
    if args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    if args.iters is not None and args.iters < 1:
        parser.error(f'--iters must be >= 1, got {args.iters}')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the benchmark; returns 0, or 1 when a run failed."""
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join(['python', 'tools/benchmark.py', *argv])
    check_user_options(args.cfg_options)
    if args.suite:
        suites = load_suites(args.suites_file)
        if args.suite not in suites:
            raise SystemExit(f'Unknown suite {args.suite!r}; '
                             f'{args.suites_file} has {sorted(suites)}.')
        rows = suites[args.suite]
    else:
        rows = parse_rows(args.configs)
    if not (args.dry_run or args.no_train):
        try:  # a fresh clone has no data/<name>: say so before any run
            check_data_roots(rows, args.cfg_options)
        except FileNotFoundError as err:
            raise SystemExit(f'Error: {err}') from None
    options = BenchmarkOptions(
        seeds=args.seeds,
        results_dir=args.results_dir or osp.join(
            'work_dirs', 'benchmarks', args.suite or 'custom'),
        exemplar_rule=args.exemplar_rule, cfg_options=args.cfg_options,
        data_root=args.data_root, split_list=args.split_list,
        train_val=args.train_val, iters=args.iters, jobs=args.jobs,
        no_train=args.no_train, reuse_from=args.reuse_from,
        share_stage1=args.share_stage1, dry_run=args.dry_run,
        suite=args.suite, suites_file=args.suites_file)
    return run_benchmark(rows, options, command, TOOLS_DIR)


if __name__ == '__main__':
    sys.exit(main())
