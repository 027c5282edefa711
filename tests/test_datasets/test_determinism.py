"""Same seed, same samples and losses; another seed, other ones (CPU)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import (REPO_ROOT, build_exemplar_dataset,
                            write_tiny_elnet_config)


def _dataset(root):
    return build_exemplar_dataset(root, pipeline=[
        dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.5,
             degree=(-20, 20)),
        dict(type='PackSegInputs', meta_keys=('img_path', 'stream'))])


def _samples(ds, seed):
    np.random.seed(seed)
    out = []
    for i in range(8):  # exemplar and synthetic streams, with augmentation
        s = ds[i]
        out.append((s['data_samples'].metainfo['stream'], s['inputs'].numpy(),
                    s['data_samples'].gt_sem_seg.data.numpy()))
    return out


def test_same_seed_same_synthetic_samples(phantom_root):
    ds = _dataset(phantom_root)
    a, b, c = _samples(ds, 3), _samples(ds, 3), _samples(ds, 4)
    assert {s[0] for s in a} == {'exemplar', 'synthetic'}
    for (sa, ia, la), (sb, ib, lb) in zip(a, b):
        assert sa == sb
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(la, lb)
    synthetic = [i for i, s in enumerate(a) if s[0] == 'synthetic']
    assert any(not np.array_equal(a[i][1], c[i][1]) for i in synthetic)
    assert any(not np.array_equal(a[i][2], c[i][2]) for i in synthetic)


def _losses(cfg, work, seed):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work),
         '--cfg-options', f'randomness.seed={seed}'], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scalars = next(work.glob('2*/vis_data/scalars.json'))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    return {r['step']: (r['loss'], r['loss_seg_synthetic'], r['loss_pcem'])
            for r in rows if 'loss' in r}


@pytest.mark.slow
def test_same_seed_same_losses_on_cpu(phantom_root, tmp_path):
    # 2 stage-1 iterations, pseudo-labelling, 1 stage-2 iteration
    cfg = write_tiny_elnet_config(tmp_path / 'tiny.py', phantom_root,
                                  stage1_iters=2, max_iters=3)
    first = _losses(cfg, tmp_path / 'a', 7)
    again = _losses(cfg, tmp_path / 'b', 7)
    other = _losses(cfg, tmp_path / 'c', 8)
    assert sorted(first) == [1, 2, 3]
    assert first == again
    assert all(first[k] != other[k] for k in first)
