"""The experiment runner behind ``tools/benchmark.py`` (an application, not a helper).

It trains and evaluates suites of configs over seeds as ``tools/train.py`` /
``tools/test.py`` subprocesses and writes the report. One module per job:

* :mod:`.suites`: the suites file reader (rows, evaluation-only rows);
* :mod:`.run_options`: the ``--cfg-options`` of one run (seed, exemplar,
  schedule) and the exemplar it trains from;
* :mod:`.run_folder`: what a run folder holds (statuses, JSON records,
  checkpoints);
* :mod:`.run`: the run state machine (:class:`BenchmarkRun`: new, resume,
  evaluate, done);
* :mod:`.run_reuse`: hard-linking finished runs of other results folders
  (``--reuse-from``);
* :mod:`.stage1_sharing`: starting stage-2 ablations from a finished run's N_s
  (``--share-stage1``);
* :mod:`.report`: results.md / results.json / results.png, portable paths;
* :mod:`.machine`, :mod:`.train_log`: the machine and a training's speed;
* :mod:`.runner`: everything together (:func:`run_benchmark`).

Imports go down only: this package uses :mod:`elseg.utils` and, for the
exemplar, :mod:`elseg.datasets`; nothing below imports it.
"""
from .machine import describe_machine, machine_info
from .report import (format_mean_std, mean_std, read_results, results_table,
                     runs_table, summarize_row, write_summary)
from .run import BenchmarkRun, settle_interrupted
from .run_folder import (STAGE1_MARKER, STATUS_FAILED, STATUS_NOT_RUN,
                         STATUS_OK, final_checkpoint, has_checkpoint)
from .run_options import (KEEP_CONFIG_EXEMPLAR, check_data_roots,
                          check_user_options, load_run_config,
                          parse_cfg_options,
                          resolve_exemplar, schedule_options, seed_options)
from .run_reuse import (config_signature, find_reusable_run, finished_runs,
                        link_run)
from .runner import BenchmarkOptions, run_benchmark
from .stage1_sharing import (find_stage1_source, seed_stage1,
                             stage1_iters_of, stage1_signature)
from .suites import load_suites, parse_rows, row_dir_name
from .train_log import train_log_stats

__all__ = [
    'BenchmarkOptions', 'BenchmarkRun', 'KEEP_CONFIG_EXEMPLAR',
    'STAGE1_MARKER', 'STATUS_FAILED', 'STATUS_NOT_RUN', 'STATUS_OK',
    'check_data_roots', 'check_user_options', 'config_signature',
    'describe_machine',
    'final_checkpoint', 'find_reusable_run', 'find_stage1_source',
    'finished_runs', 'format_mean_std', 'has_checkpoint', 'link_run',
    'load_run_config', 'load_suites', 'machine_info', 'mean_std',
    'parse_cfg_options', 'parse_rows', 'read_results', 'resolve_exemplar',
    'results_table', 'row_dir_name', 'run_benchmark', 'runs_table',
    'schedule_options', 'seed_options', 'seed_stage1', 'settle_interrupted',
    'stage1_iters_of', 'stage1_signature', 'summarize_row',
    'train_log_stats', 'write_summary'
]
