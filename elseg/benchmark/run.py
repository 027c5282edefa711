"""The run state machine: one row x seed trained, evaluated, recorded.

:class:`BenchmarkRun` looks at its run folder to decide what is left to do
(:meth:`BenchmarkRun.state`: done, evaluate, resume or new), runs
``tools/train.py`` and ``tools/test.py`` as subprocesses (so a crash in one
run is recorded and the others go on) and writes ``result.json`` or
``failure.json``. Rerunning a killed benchmark picks every run up where it
stopped. Layout of a run folder::

    runs/<row>/seed<k>/
      result.json     metrics, exemplar, wall times, machine (run done)
      failure.json    stage, return code and log tail (run failed)
      attempts.json   wall time of every training attempt
      bench_train.log / bench_test.log   stdout + stderr of the subprocesses
      iter_*.pth ...  the tools/train.py work dir
      test/           the tools/test.py work dir (volume_metrics.json)
"""
from __future__ import annotations

import os
import os.path as osp
import shlex
import subprocess
import sys
import time
import traceback
from typing import Any, Dict, List, Optional, Tuple

from .run_folder import (STAGE1_MARKER, STATUS_FAILED, STATUS_NOT_RUN,
                         STATUS_OK, final_checkpoint, has_checkpoint,
                         read_json, write_json)

#: Lines of a failed subprocess's log kept in ``failure.json``.
LOG_TAIL_LINES = 40


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
        attempts = read_json(self.attempts_path) or []
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
        source = read_json(osp.join(self.source_dir, 'result.json'))
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
        write_json(record, self.failure_path)
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
            return read_json(self.result_path)
        os.makedirs(self.run_dir, exist_ok=True)
        record: Dict[str, Any] = dict(
            row=self.row, config=self.config, seed=self.seed,
            run_dir=self.run_dir, machine=machine)
        if self.source_dir is not None:
            failed = self._run_derived(record)
            return failed if failed is not None else self._evaluate(
                record, [])
        shared = read_json(osp.join(self.run_dir, STAGE1_MARKER))
        if shared:  # --share-stage1: N_s is another run's (stage1_sharing)
            record['stage1_from'] = shared['stage1_from']
        try:
            record['exemplar'] = exemplar_fn()
        except Exception:  # a broken config: record it, go on with the rest
            return self._fail(record, 'setup', '', -1,
                              traceback.format_exc()[-4000:])
        train_log = osp.join(self.run_dir, 'bench_train.log')
        attempts = settle_interrupted(
            read_json(self.attempts_path) or [], train_log)
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
            write_json(attempts, self.attempts_path)
            rc, wall = _run_logged(cmd, train_log, self.cwd, self.env)
            attempts[-1].update(returncode=rc, wall_s=wall,
                                finished=time.strftime('%Y-%m-%d %H:%M:%S'))
            write_json(attempts, self.attempts_path)
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
        metrics = read_json(osp.join(self.test_dir, 'volume_metrics.json'))
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
        write_json(record, self.result_path)
        if osp.isfile(self.failure_path):
            os.remove(self.failure_path)
        print(f'[benchmark] {self.row} seed {self.seed}: mDice '
              f"{mean['mDice']:.4f} mHD95 {mean['mHD95']:.2f} "
              f"(train {record['train_time_s']:.0f} s, eval {wall:.0f} s)",
              flush=True)
        return record
