"""``--share-stage1``: stage 1 is shared only between runs that train it alike."""
import json
import os
import os.path as osp
import shlex

import pytest

from elseg.benchmark.run_options import load_run_config
from elseg.benchmark.stage1_sharing import (find_stage1_source, seed_stage1,
                                            stage1_iters_of, stage1_signature)

BEST = 'configs/ablations/systole/acdc_cpu_systole_pcem_s2.py'
PL_CONF = 'configs/ablations/pseudo_labels/acdc_cpu_systole_pcem_s2_pl_conf.py'
PL_LCC = 'configs/ablations/pseudo_labels/acdc_cpu_systole_pcem_s2_pl_lcc.py'
SYSTOLE = 'configs/ablations/systole/acdc_cpu_systole.py'  # PCEM also in stage 1
UNET_BS = 'configs/baselines/unet_bs_acdc_cpu.py'  # one stage


def _opts(seed, stage1=500):
    return ['train_cfg.max_iters=1000', f'custom_hooks.0.stage1_iters={stage1}',
            f'randomness.seed={seed}',
            'train_dataloader.dataset.exemplar.rule=central',
            f'train_dataloader.dataset.exemplar.seed={seed}']


def _sig(config, opts):
    return stage1_signature(config, opts, load_run_config)


def test_signature_ignores_stage2_options_only():
    base = _sig(BEST, _opts(1))
    assert base is not None
    # confidence filter and pseudo-label component: stage 2 only
    assert _sig(PL_CONF, _opts(1)) == base
    assert _sig(PL_LCC, _opts(1)) == base
    assert _sig(BEST, _opts(1) + [
        'train_dataloader.dataset.stream_ratios.stage2.unlabeled=5']) == base
    # anything stage 1 reads differs: PCEM stages, seed/exemplar, length
    assert _sig(SYSTOLE, _opts(1)) != base
    assert _sig(BEST, _opts(2)) != base
    assert _sig(BEST, _opts(1, stage1=400)) != base
    assert _sig(BEST, _opts(1) + [
        'train_dataloader.dataset.stream_ratios.stage1.synthetic=5']) != base
    # a one-stage baseline has no stage 1 to share
    assert _sig(UNET_BS, _opts(1)[:1] + _opts(1)[2:]) is None
    # the config's own share (0.5 of 1000) is the 500 iterations of a run
    # dumped with stage1_iters=500
    assert _sig(BEST, _opts(1)[:1] + _opts(1)[2:]) == base
    assert _sig(BEST, _opts(1, stage1=0.4)) == _sig(BEST, _opts(1, stage1=400))
    assert stage1_iters_of(PL_LCC, _opts(1), load_run_config) == 500
    with pytest.raises(ValueError, match='no ExemplarTwoStageHook'):
        stage1_iters_of(UNET_BS, [], load_run_config)


AFTER_S1 = 'configs/ablations/consistency/acdc_cpu_consistency_s2.py'
FROM_FIRST_STEP = 'configs/ablations/consistency/acdc_cpu_consistency.py'
ABL = 'configs/ablations/consistency/acdc_cpu_consistency_{}.py'


def test_signature_ignores_consistency_in_stage2_only():
    base = _sig(AFTER_S1, _opts(0))
    assert base is not None
    # threshold, CutMix, feature perturbation: stage 2 only after stage 1
    for name in ('after_s1_no_thresh', 'after_s1_no_cutmix', 'after_s1_no_fp'):
        assert _sig(ABL.format(name), _opts(0)) == base, name
    # a re-labelling round happens in stage 2: N_s is shared
    assert _sig('configs/elnet/'
                'elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py',
                _opts(0)) == base
    # an EMA teacher is part of the model (and of stage1.pth): not shared
    assert _sig(ABL.format('after_s1_ema'), _opts(0)) != base
    # consistency from the first step trains stage 1 differently
    assert _sig(FROM_FIRST_STEP, _opts(0)) != base
    assert (_sig(ABL.format('no_thresh'), _opts(0))
            != _sig(FROM_FIRST_STEP, _opts(0)))


def _finished(results_dir, row, config, seed, opts, stage1=True, **extra):
    run_dir = osp.join(results_dir, 'runs', row, f'seed{seed}')
    os.makedirs(run_dir)
    if stage1:
        with open(osp.join(run_dir, 'stage1.pth'), 'wb') as f:
            f.write(b'N_s weights')
    cmd = shlex.join(['python', 'tools/train.py', config, '--work-dir',
                      run_dir, '--cfg-options', *opts])
    record = dict(row=row, config=config, seed=seed, status='ok',
                  commands=dict(train=[cmd]), **extra)
    with open(osp.join(run_dir, 'result.json'), 'w') as f:
        json.dump(record, f)
    return run_dir


def test_find_source_by_seed_stage1_and_checkpoint(tmp_path):
    res = str(tmp_path / 'res')
    _finished(res, 'Systole', SYSTOLE, 1, _opts(1))  # other stage 1
    _finished(res, 'NoCkpt', BEST, 1, _opts(1), stage1=False)
    _finished(res, 'Shared', BEST, 1, _opts(1), stage1_from='x')  # a copy
    best1 = _finished(res, 'Best', BEST, 1, _opts(1))
    _finished(res, 'Best', BEST, 2, _opts(2))

    def find(config, seed, dirs=(res, ), opts=None):
        opts = _opts(seed) if opts is None else opts
        return find_stage1_source(list(dirs), seed, config, opts,
                                  load_run_config)

    assert find(PL_CONF, 1) == best1
    assert find(PL_LCC, 1, dirs=(str(tmp_path / 'missing'), res)) == best1
    assert find(PL_CONF, 0) is None  # no run of that seed
    assert find(UNET_BS, 1, opts=_opts(1)[:1] + _opts(1)[2:]) is None


def test_seed_stage1_links_and_makes_the_run_resumable(tmp_path):
    src = _finished(str(tmp_path / 'res'), 'Best', BEST, 1, _opts(1))
    run_dir = str(tmp_path / 'res' / 'runs' / 'Conf' / 'seed1')
    marker = seed_stage1(src, run_dir, 500)
    assert marker == dict(stage1_from=src, stage1_iters=500)
    ckpt = osp.join(run_dir, 'iter_500.pth')
    assert osp.samefile(ckpt, osp.join(src, 'stage1.pth'))
    assert osp.samefile(osp.join(run_dir, 'stage1.pth'), ckpt)
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.abspath(ckpt)
    with open(osp.join(run_dir, 'stage1_from.json')) as f:
        assert json.load(f) == marker
    # never over a run that already trained
    with pytest.raises(ValueError, match='already holds'):
        seed_stage1(src, run_dir, 500)
    with pytest.raises(ValueError, match='no stage1.pth'):
        seed_stage1(str(tmp_path), str(tmp_path / 'new'), 500)
