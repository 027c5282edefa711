"""tools/benchmark.py (runs, resume, failures, summary) and bench_speed.py."""
import importlib.util
import json
import os
import statistics
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.conftest import REPO_ROOT, write_tiny_elnet_config


def _load_benchmark_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', REPO_ROOT / 'tools' / 'benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------- end to end
@pytest.mark.slow
def test_benchmark_runs_resumes_and_records_failures(phantom_root, tmp_path,
                                                     capsys, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    from mmseg.registry import DATASETS
    tool = _load_benchmark_tool()
    good = write_tiny_elnet_config(tmp_path / 'elnet.py', phantom_root,
                                   stage1_iters=2, max_iters=4)
    no_pcem = write_tiny_elnet_config(
        tmp_path / 'no_pcem.py', phantom_root, stage1_iters=2, max_iters=4,
        extra='model = dict(contrastive_loss=None)\n')
    bad = write_tiny_elnet_config(
        tmp_path / 'bad.py', phantom_root, stage1_iters=2, max_iters=4,
        extra="model = dict(decode_head=dict(type='FCNHeadd'))\n")
    res = tmp_path / 'results'
    common = ['--seeds', '0', '1', '--results-dir', str(res), '--data-root',
              str(phantom_root), '--split-list', 'val.list',
              '--cfg-options', 'default_hooks.logger.interval=2']
    rc = tool.main([f'ELNet={good}', f'NoPCEM={no_pcem}', f'Bad={bad}',
                    *common])
    assert rc == 1  # one row failed, the others completed

    runs = {}
    for row in ('ELNet', 'NoPCEM'):
        for seed in (0, 1):
            r = json.loads((res / 'runs' / row / f'seed{seed}' /
                            'result.json').read_text())
            assert r['status'] == 'ok' and r['seed'] == seed
            assert set(r['dice']) == set(r['hd95']) == {'RV', 'Myo', 'LV'}
            assert r['train_time_s'] > 0 and r['eval_time_s'] > 0
            assert r['num_volumes'] == 2  # phantom val: 1 patient x 2 frames
            assert {'platform', 'cpu_count', 'torch',
                    'torch_num_threads'} <= set(r['machine'])
            assert r['machine']['torch_num_threads'] == 1
            # the extra options reach both tools, the seed reaches training
            assert 'default_hooks.logger.interval=2' in r['commands']['test']
            assert (f'default_hooks.logger.interval=2 val_cfg=None '
                    f'val_dataloader=None val_evaluator=None '
                    f'randomness.seed={seed} ') in r['commands']['train'][0]
            runs[row, seed] = r
    # the exemplar recorded is the one the training set uses for that seed
    for seed in (0, 1):
        cfg = Config.fromfile(str(good))
        cfg.merge_from_dict({'train_dataloader.dataset.exemplar.rule': 'random',
                             'train_dataloader.dataset.exemplar.seed': seed})
        ds = DATASETS.build(cfg.train_dataloader.dataset)
        assert runs['ELNet', seed]['exemplar']['id'] == ds.exemplar_id
        assert runs['NoPCEM', seed]['exemplar']['id'] == ds.exemplar_id
    # the failed row: recorded with its log tail, no result
    for seed in (0, 1):
        fail = json.loads((res / 'runs' / 'Bad' / f'seed{seed}' /
                           'failure.json').read_text())
        assert fail['status'] == 'failed' and fail['stage'] == 'train'
        assert fail['returncode'] == 2
        assert "'FCNHeadd' is not registered" in fail['log_tail']
        assert not (res / 'runs' / 'Bad' / f'seed{seed}' /
                    'result.json').exists()

    # results.md: each row's mean ± std equals a hand computation
    md = (res / 'results.md').read_text()
    assert md.splitlines()[2].startswith('Command: `python tools/benchmark.py '
                                         f'ELNet={good}')
    lines = {ln.split(' | ')[0][2:]: ln for ln in md.splitlines()
             if ' | 2/2 | ' in ln or ' | 0/2 | ' in ln}
    for row in ('ELNet', 'NoPCEM'):
        for key, scale in (('mDice', 100), ('Dice.RV', 100), ('Dice.LV', 100),
                           ('mHD95', 1), ('HD95.Myo', 1)):
            vals = [runs[row, s]['metrics'][key] * scale for s in (0, 1)]
            cell = (f'{statistics.mean(vals):.2f} ± '
                    f'{statistics.stdev(vals):.2f}')
            assert cell in lines[row], (row, key, cell, lines[row])
    assert lines['Bad'].startswith('| Bad | – |')
    assert 'Dice Myo (%)' in md and 'HD95 LV (px)' in md
    summary = json.loads((res / 'results.json').read_text())
    assert [r['name'] for r in summary['rows']] == ['ELNet', 'NoPCEM', 'Bad']
    assert summary['rows'][0]['summary']['mDice']['mean'] == pytest.approx(
        statistics.mean(runs['ELNet', s]['metrics']['mDice'] for s in (0, 1)))
    assert (res / 'results.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    # rerun as a suite with two runs at a time and evaluation-only rows:
    # nothing is retrained or re-evaluated; the derived rows evaluate the
    # ELNet runs' checkpoints (final with --largest-cc, and stage 1)
    ckpt = res / 'runs' / 'ELNet' / 'seed0' / 'iter_4.pth'
    stamps = {p: p.stat().st_mtime_ns for p in
              [ckpt, *res.glob('runs/*/seed*/result.json')]}
    suites = tmp_path / 'suites.yaml'
    suites.write_text(
        f'suites:\n  t:\n    ELNet: {good}\n    NoPCEM: {no_pcem}\n'
        '    ELNet+LCC: {from: ELNet, test_args: [--largest-cc]}\n'
        '    ELNet-Ns: {from: ELNet, checkpoint: iter_2.pth}\n')
    capsys.readouterr()
    assert tool.main(['--suite', 't', '--suites-file', str(suites),
                      '--jobs', '2', *common]) == 0
    out = capsys.readouterr().out
    assert out.count('result.json exists, skipped') == 4
    assert 'training' not in out and 'resuming' not in out
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    for seed in (0, 1):
        lcc = json.loads((res / 'runs' / 'ELNet+LCC' / f'seed{seed}' /
                          'result.json').read_text())
        ns = json.loads((res / 'runs' / 'ELNet-Ns' / f'seed{seed}' /
                         'result.json').read_text())
        src = runs['ELNet', seed]
        assert lcc['exemplar'] == ns['exemplar'] == src['exemplar']
        assert lcc['train_time_s'] == src['train_time_s']
        assert lcc['checkpoint'] == src['checkpoint']
        assert lcc['commands']['test'].endswith(
            '--largest-cc --cfg-options default_hooks.logger.interval=2')
        assert ns['checkpoint'].endswith(f'seed{seed}/iter_2.pth')
        assert '--largest-cc' not in ns['commands']['test']
    md = (res / 'results.md').read_text()
    assert ('Row ELNet+LCC trains nothing: it evaluates the runs of row ELNet '
            '(checkpoint final, tools/test.py --largest-cc)') in md

    # --no-train: a row never trained is listed, not started; the rest is read
    capsys.readouterr()
    assert tool.main([f'ELNet={good}', f'Fresh={no_pcem}', '--no-train',
                      *common]) == 0
    out = capsys.readouterr().out
    assert out.count('not trained, left out (--no-train)') == 2
    assert not list((res / 'runs' / 'Fresh').glob('seed*/*.pth'))
    md = (res / 'results.md').read_text()
    assert 'Left out by `--no-train` (not trained yet): Fresh seed 0, ' \
        'Fresh seed 1.' in md
    assert '| Fresh | 0 | ' in md and '| not run |' in md

    # --reuse-from: a new folder's row with the same training as ELNet (same
    # config, options and seeds) is hard-linked, not trained; NoPCEM under a
    # new name is reused too, a row with other options is not
    res2 = tmp_path / 'results2'
    common2 = [a if a != str(res) else str(res2) for a in common]
    capsys.readouterr()
    assert tool.main([f'Copy={good}', f'Other={no_pcem}', '--no-train',
                      '--reuse-from', str(res), *common2]) == 0
    out = capsys.readouterr().out
    assert out.count('reused the finished run') == 4
    assert 'Copy seed 0: reused the finished run ' + str(
        res / 'runs' / 'ELNet' / 'seed0') in out
    for seed in (0, 1):
        copy = json.loads((res2 / 'runs' / 'Copy' / f'seed{seed}' /
                           'result.json').read_text())
        assert copy['row'] == 'Copy'
        assert copy['metrics'] == runs['ELNet', seed]['metrics']
        assert copy['reused_from'] == str(res / 'runs' / 'ELNet' /
                                          f'seed{seed}')
    assert 'Reused runs (`--reuse-from`' in (res2 / 'results.md').read_text()
    capsys.readouterr()
    assert tool.main([f'Longer={good}', '--no-train', '--reuse-from',
                      str(res), *common2, 'train_cfg.max_iters=6']) == 0
    assert 'reused' not in capsys.readouterr().out

    # --share-stage1: a row that differs from ELNet in a stage-2 option only
    # starts from the ELNet run's stage1.pth and trains stage 2 alone
    conf = write_tiny_elnet_config(
        tmp_path / 'conf.py', phantom_root, stage1_iters=2, max_iters=4,
        extra="train_dataloader['dataset']['min_confidence'] = 0.5\n")
    capsys.readouterr()
    assert tool.main([f'Conf={conf}', '--share-stage1', *common]) == 0
    out = capsys.readouterr().out
    for seed in (0, 1):
        src = res / 'runs' / 'ELNet' / f'seed{seed}'
        run = res / 'runs' / 'Conf' / f'seed{seed}'
        assert f'Conf seed {seed}: stage 1 shared from {src}' in out
        r = json.loads((run / 'result.json').read_text())
        assert r['status'] == 'ok' and r['stage1_from'] == str(src)
        assert r['exemplar'] == runs['ELNet', seed]['exemplar']
        assert os.path.samefile(run / 'stage1.pth', src / 'stage1.pth')
        attempts = json.loads((run / 'attempts.json').read_text())
        assert [a['resumed'] for a in attempts] == [True]
        log = (run / 'bench_train.log').read_text()
        assert 'Iter(train) [4/4]' in log and 'Iter(train) [2/4]' not in log
        assert len(list((run / 'pseudo_labels').glob('*.npz'))) > 0
    assert 'Runs that share stage 1 (`--share-stage1`' in (
        res / 'results.md').read_text()


@pytest.mark.slow
def test_bench_speed_smoke_on_generated_phantom(tmp_path):
    out = tmp_path / 'speed'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/bench_speed.py', '--out', str(out),
         '--data-root', str(tmp_path / 'no_data'), '--warmup', '1',
         '--iters', '2', '--data-samples', '3', '--eval-volumes', '1',
         '--cfg-options', 'train_dataloader.batch_size=4'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((out / 'speed.json').read_text())
    assert res['data_source'] == 'phantom'
    assert (out / 'phantom' / 'train_slices.list').is_file()
    tr = res['training']
    assert set(tr['models']) == {'elnet', 'elnet_no_pcem', 'unet'}
    assert tr['batch_size'] == 4 and tr['input_shape'][0] == 4
    for m in tr['models'].values():
        assert len(m['times_s']) == 2 and m['iters_per_s'] > 0
    # same network with and without PCEM, and the plain UNet of the same size
    params = {m['params'] for m in tr['models'].values()}
    assert len(params) == 1
    assert set(tr['ratios']) == {
        'pcem_overhead', 'pcem_overhead_paired', 'elnet_vs_unet',
        'elnet_vs_unet_paired', 'no_pcem_vs_unet', 'no_pcem_vs_unet_paired'}
    assert all(v > 0 for v in tr['ratios'].values())
    assert res['data']['samples'] == 3 and res['data']['samples_per_s'] > 0
    assert res['data']['esm_transform_ms'] > 0
    assert res['eval']['volumes'] == 1 and res['eval']['s_per_volume'] > 0
    assert res['eval']['unet_s_per_volume'] > 0
    assert res['eval']['elnet_vs_unet'] > 0
    # the two models take turns volume by volume (interleaved)
    assert res['eval']['interleaved'] and res['eval']['elnet_vs_unet_paired'] > 0
    assert res['data']['plain_samples_per_s'] > 0
    assert res['data']['esm_vs_plain'] == pytest.approx(
        res['data']['samples_per_s'] / res['data']['plain_samples_per_s'])
    assert 'PCEM overhead' in (out / 'speed.md').read_text()


@pytest.mark.slow
def test_bench_gpu_script_on_cpu(phantom_root, tmp_path):
    # stage 1 as a share of the schedule (half), the checkpoint every 10
    cfg = write_tiny_elnet_config(
        tmp_path / 'elnet.py', phantom_root, stage1_iters=10, max_iters=20,
        extra="custom_hooks = [dict(type='ExemplarTwoStageHook', "
        "stage1_iters=0.5, batch_size=8)]\n")
    out = tmp_path / 'gpu'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/bench_gpu.py', '--out', str(out),
         '--config', str(cfg), '--iters', '60'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    res = json.loads((out / 'gpu.json').read_text())
    assert res['device'] == 'cpu' and res['peak_memory_mb'] is None
    assert res['intervals'] == 6  # 60 iterations logged every 10
    assert res['s_per_iter_stage1'] > 0 and res['s_per_iter_stage2'] > 0
    # the schedule was rescaled proportionally: stage 1 = 30 of 60 (the share
    # follows max_iters; no option of its own)
    assert res['stage1_iters'] == 30 and 'stage1_iters' not in res['command']
    assert (out / 'work' / 'iter_30.pth').is_file()
    assert '| cpu |' in (out / 'gpu.md').read_text()
