"""``--reuse-from``: a finished run is reused only for the same training."""
import json
import os
import os.path as osp
import shlex

import pytest

from elseg.benchmark.run_options import load_run_config
from elseg.benchmark.run_reuse import (config_signature, find_reusable_run,
                                       link_run)

BS = 'tests/data/configs/unet_bs_copy.py'
UNET_BS = 'configs/baselines/unet_bs_acdc_cpu.py'  # the same training
ELNET = 'configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py'
RECIPE = 'configs/elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py'
OPTS = ['train_cfg.max_iters=1000', 'randomness.seed=1',
        'train_dataloader.dataset.exemplar.rule=central',
        'train_dataloader.dataset.exemplar.seed=1']


def _finished_run(results_dir, row, config, seed, opts, status='ok'):
    run_dir = osp.join(results_dir, 'runs', row, f'seed{seed}')
    os.makedirs(run_dir)
    with open(osp.join(run_dir, 'iter_1000.pth'), 'wb') as f:
        f.write(b'weights')
    cmd = shlex.join(['python', 'tools/train.py', config, '--work-dir',
                      run_dir, '--cfg-options', *opts])
    record = dict(row=row, config=config, seed=seed, run_dir=run_dir,
                  status=status, train_time_s=600.0,
                  checkpoint=osp.abspath(osp.join(run_dir, 'iter_1000.pth')),
                  metrics=dict(mDice=0.25), commands=dict(train=[cmd]))
    with open(osp.join(run_dir, 'result.json'), 'w') as f:
        json.dump(record, f)
    return run_dir


def test_signature_equal_for_the_same_training_only():
    sig = config_signature(BS, OPTS, load_run_config)
    assert config_signature(UNET_BS, OPTS, load_run_config) == sig
    assert config_signature(ELNET, OPTS, load_run_config) != sig
    other_seed = [o.replace('=1', '=2') for o in OPTS]
    assert config_signature(BS, other_seed, load_run_config) != sig


def test_signature_reads_shares_and_linked_data_roots_as_one(tmp_path):
    """A run dumped with iterations and a data path trains what a config
    with shares and a link to that data trains."""
    data = tmp_path / 'ACDC'
    data.mkdir()
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'ACDC').symlink_to(data)
    root = 'train_dataloader.dataset.dataset.data_root'
    hook = 'custom_hooks.0'
    # the recipe: stage1_iters=0.5, relabel_iters=[0.75]; of 1000 iterations
    # that is 500 and 750, as a run retrained by the benchmark before the
    # shares dumped them
    now = config_signature(RECIPE, OPTS + [
        f'{root}={tmp_path}/data/ACDC'], load_run_config)
    dumped = config_signature(RECIPE, OPTS + [
        f'{root}={data}', f'{hook}.stage1_iters=500',
        f'{hook}.relabel_iters=[750]'], load_run_config)
    assert now == dumped
    assert '"stage1_iters": 500' in now and '"relabel_iters": [750]' in now
    assert config_signature(RECIPE, OPTS + [
        f'{root}={data}', f'{hook}.stage1_iters=400'], load_run_config) != now
    assert config_signature(RECIPE, OPTS + [
        f'{root}={tmp_path}'], load_run_config) != now


def test_find_matches_config_seed_options_and_status(tmp_path):
    main = str(tmp_path / 'main')
    source = _finished_run(main, 'UNet-BS', UNET_BS, 1, OPTS)
    _finished_run(main, 'ELNet', ELNET, 1, OPTS)
    _finished_run(main, 'broken', BS, 2, OPTS, status='failed')
    assert find_reusable_run([main], 1, BS, OPTS, load_run_config) == source
    # a different schedule, seed, or only a failed run: nothing to reuse
    assert find_reusable_run([main], 1, BS, OPTS[1:],
                             load_run_config) is None
    assert find_reusable_run([main], 2, BS, OPTS, load_run_config) is None
    with pytest.raises(ValueError, match='no such folder'):
        find_reusable_run([str(tmp_path / 'nope')], 1, BS, OPTS,
                          load_run_config)


def test_the_dumped_config_decides_not_the_file_as_it_reads_today(tmp_path):
    """A run trained before its config file was edited (or renamed) is
    compared through the config it dumped into its folder."""
    main = str(tmp_path / 'main')
    # recorded as the ELNet config, but its dump (what it trained) is the BS
    # config
    run = _finished_run(main, 'old', ELNET, 1, OPTS)
    load_run_config(BS, OPTS).dump(osp.join(run, osp.basename(ELNET)))
    assert find_reusable_run([main], 1, BS, OPTS, load_run_config) == run
    assert find_reusable_run([main], 1, ELNET, OPTS, load_run_config) is None
    # the config file is gone (renamed since): the dump still counts
    gone = _finished_run(str(tmp_path / 'gone'), 'x', 'configs/nope.py', 1,
                         OPTS)
    load_run_config(UNET_BS, OPTS).dump(osp.join(gone, 'nope.py'))
    assert find_reusable_run([str(tmp_path / 'gone')], 1, BS, OPTS,
                             load_run_config) == gone


def test_link_run_renames_row_and_keeps_source(tmp_path):
    source = _finished_run(str(tmp_path / 'main'), 'UNet-BS', UNET_BS, 1,
                           OPTS)
    run_dir = str(tmp_path / 't4' / 'runs' / 'Le' / 'seed1')
    record = link_run(source, run_dir, 'Le')
    with open(osp.join(run_dir, 'result.json')) as f:
        written = json.load(f)
    assert written == record
    assert (written['row'], written['reused_from']) == ('Le', source)
    assert written['train_time_s'] == 600.0
    assert written['checkpoint'] == osp.abspath(
        osp.join(run_dir, 'iter_1000.pth'))
    # checkpoints are hard links; the source's record is untouched
    assert os.stat(osp.join(run_dir, 'iter_1000.pth')).st_ino == os.stat(
        osp.join(source, 'iter_1000.pth')).st_ino
    with open(osp.join(source, 'result.json')) as f:
        assert json.load(f)['row'] == 'UNet-BS'
    with pytest.raises(ValueError, match='already holds'):
        link_run(source, run_dir, 'Le')
