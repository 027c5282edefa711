"""tools/dist_train.sh with 2 CPU processes (gloo) through the stage switch."""
import json
import os
import re
import socket
import subprocess

import pytest
import torch

from tests.conftest import REPO_ROOT, write_tiny_elnet_config

pytestmark = pytest.mark.slow

# diff_rank_seed: the ranks draw different random numbers, so the re-drawn
# stage-2 weights would differ between replicas unless the hook syncs them
EXTRA = '''
custom_imports = dict(imports=['elseg', 'tests.test_tools._test_hooks'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=2, batch_size=4,
                     reinit_stage2=True),
                dict(type='ParamChecksumHook')]
randomness = dict(seed=0, diff_rank_seed=True)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the automatic CPU (gloo) fallback')
def test_two_cpu_processes_split_pseudo_labels(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'tiny.py', phantom_root,
                                  stage1_iters=2, max_iters=4, extra=EXTRA)
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PYTHONPATH=str(REPO_ROOT), PORT=str(_free_port()))
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir',
         str(work)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    log = sorted(work.glob('2*/2*.log'))[-1].read_text()
    assert 'uses the gloo backend on CPU instead of nccl' in log
    assert 'Switched to stage 2 at iteration 2' in log
    assert re.findall(r'Iter\(train\) \[\s*(\d+)/', log) == ['1', '2', '3',
                                                            '4']

    # every unlabelled slice labelled exactly once, by one of the two ranks
    n_unlabeled = len((phantom_root / 'train_slices.list').read_text().split()
                      ) - 1
    pl_dir = work / 'pseudo_labels'
    assert len(list(pl_dir.glob('*.npz'))) == n_unlabeled
    assert json.loads((pl_dir / '_COMPLETE.json').read_text()
                      )['num_slices'] == n_unlabeled
    assert not list(pl_dir.glob('.*'))
    per_rank = re.search(r'Pseudo labels per rank \(new/already done\): '
                         r'rank 0: (\d+)/0, rank 1: (\d+)/0; (\d+) of (\d+)',
                         log)
    assert per_rank, log[-3000:]
    r0, r1, total, expected = map(int, per_rank.groups())
    assert (r0, r1) == ((n_unlabeled + 1) // 2, n_unlabeled // 2)
    assert r0 + r1 == total == expected == n_unlabeled

    # the re-initialised stage-2 weights are the same on both replicas
    sums = [(work / f'params_rank{r}.txt').read_text() for r in (0, 1)]
    assert sums[0] and sums[0] == sums[1]
    ck = torch.load(work / 'iter_4.pth', map_location='cpu')
    assert ck['meta']['iter'] == 4
