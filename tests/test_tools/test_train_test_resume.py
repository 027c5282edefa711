"""End to end through the CLIs: two-stage training, resume, evaluation."""
import json
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_ROOT, write_tiny_elnet_config

pytestmark = pytest.mark.slow


def _run(*args, check=True):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def _ckpt(path):
    return torch.load(path, map_location='cpu')  # weights_only (torch>=2.6)


def test_two_stages_resume_and_evaluate(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'tiny.py', phantom_root,
                                  stage1_iters=3, max_iters=6)
    work = tmp_path / 'work'
    _run('tools/train.py', str(cfg), '--work-dir', str(work))

    # stage 1 checkpoint, complete pseudo labels, final checkpoint
    marker = json.loads((work / 'pseudo_labels' / '_COMPLETE.json').read_text())
    n_train = len((phantom_root / 'train_slices.list').read_text().split())
    assert marker['num_slices'] == n_train - 1  # all but the exemplar
    assert len(list((work / 'pseudo_labels').glob('*.npz'))) == n_train - 1
    ck3, ck6 = _ckpt(work / 'iter_3.pth'), _ckpt(work / 'iter_6.pth')
    assert ck3['meta']['iter'] == 3 and ck6['meta']['iter'] == 6
    # N_s is kept as stage1.pth whatever max_keep_ckpts deletes
    ns = _ckpt(work / 'stage1.pth')
    assert ns['meta']['iter'] == 3
    assert all(torch.equal(ns['state_dict'][k], v)
               for k, v in ck3['state_dict'].items())
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_6.pth')

    # resume for 2 more iterations: iteration count and Adam state continue
    _run('tools/train.py', str(cfg), '--work-dir', str(work), '--resume',
         '--cfg-options', 'train_cfg.max_iters=8')
    ck8 = _ckpt(work / 'iter_8.pth')
    assert ck8['meta']['iter'] == 8
    steps6 = {int(s['step']) for s in ck6['optimizer']['state'].values()}
    steps8 = {int(s['step']) for s in ck8['optimizer']['state'].values()}
    assert steps6 == {6} and steps8 == {8}
    log = max(work.glob('*/*.log')).read_text()
    assert 'resumed' in log.lower() or 'Switched to stage 2 at iteration 6' in log
    assert 'Pseudo labels complete' in log  # reused, not recomputed

    # evaluation prints the per-class table and writes per-volume files
    out = _run('tools/test.py', str(cfg), str(work / 'iter_8.pth'),
               '--work-dir', str(tmp_path / 'test'))
    text = out.stdout + out.stderr
    for name in ('RV', 'Myo', 'LV', 'mDice', 'mHD95'):
        assert name in text
    assert (tmp_path / 'test' / 'volume_metrics.json').is_file()

    # --anchored-cc: ACDC's evaluator names RV's anchors; they are applied
    out = _run('tools/test.py', str(cfg), str(work / 'iter_8.pth'),
               '--work-dir', str(tmp_path / 'test_acc'), '--anchored-cc')
    assert 'RV: components against Myo/LV' in out.stdout + out.stderr
    data = json.loads(
        (tmp_path / 'test_acc' / 'volume_metrics.json').read_text())
    assert data['keep_largest_component'] is True
    assert data['component_anchors'] == {'RV': ['Myo', 'LV']}
    # --largest-cc: plain largest component, the anchors cleared
    _run('tools/test.py', str(cfg), str(work / 'iter_8.pth'),
         '--work-dir', str(tmp_path / 'test_lcc'), '--largest-cc')
    data = json.loads(
        (tmp_path / 'test_lcc' / 'volume_metrics.json').read_text())
    assert data['keep_largest_component'] is True
    assert data['component_anchors'] is None
    proc = _run('tools/test.py', str(cfg), str(work / 'iter_8.pth'),
                '--largest-cc', '--anchored-cc', check=False)
    assert proc.returncode != 0 and 'exclusive' in proc.stderr


def test_unregistered_type_names_the_type_and_the_fix(tmp_path, phantom_root):
    cfg = write_tiny_elnet_config(
        tmp_path / 'bad.py', phantom_root,
        extra="\nmodel = dict(decode_head=dict(type='FCNHeadd'))\n"
        'custom_imports = None\n')
    proc = _run('tools/train.py', str(cfg), '--work-dir',
                str(tmp_path / 'w'), check=False)
    assert proc.returncode == 2
    assert "'FCNHeadd' is not registered" in proc.stderr
    assert "Did you mean 'FCNHead'" in proc.stderr
    assert "custom_imports = dict(imports=['elseg']" in proc.stderr
