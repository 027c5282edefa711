"""tools/benchmarks/bench_consistency.py on a generated phantom."""
import json
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_ROOT


def _bench(tmp_path, *args) -> dict:
    """Run the tool on a generated phantom (no data root); its JSON output."""
    out = tmp_path / 'speed'
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/bench_consistency.py', '--out',
         str(out), '--data-root', str(tmp_path / 'no_data'), '--warmup', '0',
         '--batches', '1', *args],
        cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / 'consistency_speed.json').read_text())


@pytest.mark.slow
def test_bench_consistency_smoke_on_generated_phantom(tmp_path):
    out = tmp_path / 'speed'
    res = _bench(tmp_path, '--iters', '2', '--view-reps', '2')
    assert res['data'] == 'phantom'
    steps = res['steps']
    assert set(steps['median_s']) == {'consistency', 'elnet'}
    assert all(len(t) == 2 for t in steps['times_s'].values())
    assert steps['ratio'] == pytest.approx(
        steps['median_s']['consistency'] / steps['median_s']['elnet'])
    views = res['views']
    assert views['num_strong'] == 2 and views['batch_shape'][0] == 8
    assert views['intensity']['samples_per_s'] > 0
    assert views['all_views']['samples_per_s'] > 0
    assert 'samples/s' in (out / 'consistency_speed.md').read_text()


@pytest.mark.slow
def test_bench_consistency_stage2_times_a_stage2_consistency_config(tmp_path):
    """``--stage 2``: the after-stage-1 recipe is timed with its consistency on."""
    out = tmp_path / 'speed'
    res = _bench(tmp_path, '--iters', '1', '--view-reps', '1', '--stage', '2',
                 '--config',
                 'configs/ablations/consistency/acdc_cpu_consistency_s2.py')
    assert res['stage'] == 2 and res['machine']['device'] == 'cpu'
    assert 'peak_mib' not in res['steps']  # GPU memory only on a GPU
    med = res['steps']['median_s']
    assert res['steps']['ratio'] == pytest.approx(
        med['consistency'] / med['elnet'])
    assert 'stage 2' in (out / 'consistency_speed.md').read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has CUDA')
def test_bench_consistency_cuda_without_gpu_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/bench_consistency.py', '--out',
         str(tmp_path), '--device', 'cuda'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "--device 'cuda'" in proc.stderr and 'cuda.is_available' in \
        proc.stderr
