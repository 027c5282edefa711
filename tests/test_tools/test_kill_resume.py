"""SIGKILL tools/train.py in stage 1, in pseudo-labelling and in stage 2; resume.

One work dir goes through four runs: run 1 is killed in stage 1, run 2
(``--resume``) is killed while writing pseudo labels, run 3 (``--resume``) is
killed in stage 2, and run 4 (``--resume``, with ``last_checkpoint`` emptied as
a kill inside mmengine's write of it would leave it) finishes. A test-only hook
(:mod:`tests.test_tools._test_hooks`) stretches the tiny training so each kill
lands in its phase; the kill moment is found by polling the work dir.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import REPO_ROOT, write_tiny_elnet_config

pytestmark = pytest.mark.slow

STAGE1, MAX_ITERS = 6, 10
EXTRA = f'''
custom_imports = dict(imports=['elseg', 'tests.test_tools._test_hooks'],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type='ExemplarTwoStageHook', stage1_iters={STAGE1}, batch_size=4),
    dict(type='SlowDownForTestHook', iter_delay=0.25, pseudo_label_delay=0.1),
]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, max_keep_ckpts=10))
'''


def _env():
    return dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1',
                PYTHONPATH=str(REPO_ROOT))


def _start(cfg, work, out, *args):
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work),
         *args], cwd=REPO_ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT)


def _kill_when(proc, condition, out_path, what, timeout=90):
    """SIGKILL ``proc`` as soon as ``condition()`` holds."""
    deadline = time.time() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f'run ended (rc {proc.returncode}) before '
                                 f'{what}:\n{out_path.read_text()[-3000:]}')
        if time.time() > deadline:
            proc.kill()
            raise AssertionError(f'timed out waiting for {what}')
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _finish(proc, out_path):
    rc = proc.wait(timeout=300)
    assert rc == 0, out_path.read_text()[-3000:]


def _latest_log(work):
    return sorted(work.glob('2*/2*.log'))[-1].read_text()


def _logged_iters(log):
    return [int(m) for m in re.findall(r'Iter\(train\) \[\s*(\d+)/', log)]


def _adam_steps(path):
    ck = torch.load(path, map_location='cpu')  # weights_only (torch>=2.6)
    return ck['meta']['iter'], {int(s['step'])
                                for s in ck['optimizer']['state'].values()}


def test_kill_in_each_phase_then_resume(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'tiny.py', phantom_root,
                                  stage1_iters=STAGE1, max_iters=MAX_ITERS,
                                  extra=EXTRA)
    work = tmp_path / 'work'
    pl_dir = work / 'pseudo_labels'
    n_unlabeled = len((phantom_root / 'train_slices.list').read_text().split()
                      ) - 1
    npz = lambda: list(pl_dir.glob('*.npz'))  # noqa: E731
    marker = pl_dir / '_COMPLETE.json'

    # (a) run 1: killed in stage 1, once iter_2.pth exists
    with open(tmp_path / 'run1.out', 'w') as out:
        proc = _start(cfg, work, out)
        _kill_when(proc, (work / 'iter_2.pth').exists, tmp_path / 'run1.out',
                   'iter_2.pth')
    assert not (work / f'iter_{STAGE1}.pth').exists() and not pl_dir.exists()

    # (b) run 2 resumes at 2, trains to 6, killed while writing pseudo labels
    with open(tmp_path / 'run2.out', 'w') as out:
        proc = _start(cfg, work, out, '--resume')
        _kill_when(proc, lambda: len(npz()) >= 3 and not marker.exists(),
                   tmp_path / 'run2.out', 'pseudo-labelling')
    log2 = _latest_log(work)
    assert min(_logged_iters(log2)) == 3  # stage 1 continued, not redone
    assert _adam_steps(work / f'iter_{STAGE1}.pth') == (STAGE1, {STAGE1})
    done_before = len(npz())
    assert 3 <= done_before < n_unlabeled and not marker.exists()
    # what a kill inside a write leaves: temporary files, removed on resume
    (pl_dir / f'.{npz()[0].stem}.npz.abc123.tmp').write_bytes(b'partial')
    (work / '.iter_8.pth.abc123.tmp').write_bytes(b'partial')

    # (c) run 3 resumes at 6: finishes pseudo labels, stage 2, killed at 8
    with open(tmp_path / 'run3.out', 'w') as out:
        proc = _start(cfg, work, out, '--resume')
        _kill_when(proc, (work / 'iter_8.pth').exists, tmp_path / 'run3.out',
                   'iter_8.pth')
    assert not (work / f'iter_{MAX_ITERS}.pth').exists()
    log3 = _latest_log(work)
    assert (f'Pseudo-labelled {n_unlabeled - done_before} slices on rank 0 '
            f'({done_before} already done)') in log3
    assert f'Switched to stage 2 at iteration {STAGE1}' in log3
    assert min(_logged_iters(log3)) == STAGE1 + 1
    assert '.iter_8.pth.abc123.tmp' in log3  # reported as removed
    assert not (work / '.iter_8.pth.abc123.tmp').exists()
    # (this kill may itself leave e.g. .last_checkpoint.*.tmp: run 4 cleans)

    # run 4: last_checkpoint truncated to nothing -> newest iter_*.pth
    (work / 'last_checkpoint').write_text('')
    with open(tmp_path / 'run4.out', 'w') as out:
        _finish(_start(cfg, work, out, '--resume'), tmp_path / 'run4.out')
    log4 = _latest_log(work)
    assert 'last_checkpoint is empty' in log4
    assert 'Resuming from the newest complete checkpoint' in log4
    assert 'Pseudo labels complete' in log4  # reused, not recomputed
    assert 'Switched to stage 2 at iteration 8' in log4
    assert _logged_iters(log4) == [9, 10]
    assert _adam_steps(work / 'iter_8.pth') == (8, {8})
    assert _adam_steps(work / f'iter_{MAX_ITERS}.pth') == (MAX_ITERS,
                                                           {MAX_ITERS})
    assert (work / 'last_checkpoint').read_text().strip().endswith(
        f'iter_{MAX_ITERS}.pth')

    # pseudo labels: complete, readable, no temporary files
    assert len(npz()) == n_unlabeled
    assert json.loads(marker.read_text())['num_slices'] == n_unlabeled
    for path in npz():
        with np.load(path) as data:
            assert data['label'].shape == data['confidence'].shape == (64, 64)
    assert not list(pl_dir.glob('.*')) and not list(work.glob('.*.tmp'))

    # the final checkpoint evaluates
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', str(cfg),
         str(work / f'iter_{MAX_ITERS}.pth'), '--work-dir',
         str(tmp_path / 'test')], cwd=REPO_ROOT, env=_env(),
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'mDice' in proc.stdout + proc.stderr
    assert (tmp_path / 'test' / 'volume_metrics.json').is_file()
