"""elseg.benchmark.report: statistics, tables, portable results.json."""
import json
import os

import pytest

from elseg.benchmark.report import (format_mean_std, mean_std, read_results,
                                    results_table, write_summary)


def test_mean_std_and_format_against_hand_numbers():
    # 80, 90: mean 85, sample variance (25 + 25) / 1 = 50 -> std 7.0711
    assert mean_std([0.8, 0.9]) == pytest.approx((0.85, 0.0707107), abs=1e-6)
    assert format_mean_std([0.8, 0.9], scale=100) == '85.00 ± 7.07'
    # 1, 2, 6: mean 3, variance (4 + 1 + 9) / 2 = 7 -> std 2.6458
    assert format_mean_std([1, 2, 6], digits=3) == '3.000 ± 2.646'
    assert mean_std([4.0]) == (4.0, None)
    assert format_mean_std([0.5], scale=100) == '50.00'
    assert format_mean_std([]) == '–'


def _ok(seed, rv, lv, hd_rv, hd_lv, train, ev):
    m = {'mDice': (rv + lv) / 2, 'mHD95': (hd_rv + hd_lv) / 2,
         'Dice.RV': rv, 'HD95.RV': hd_rv, 'Dice.LV': lv, 'HD95.LV': hd_lv}
    return dict(status='ok', seed=seed, metrics=m, train_time_s=train,
                eval_time_s=ev, exemplar=dict(id=f'ex{seed}'))


def test_results_table_against_hand_numbers():
    rows = [
        dict(name='A', runs=[_ok(0, 0.8, 0.6, 2.0, 4.0, 10.0, 2.0),
                             _ok(1, 0.9, 0.8, 4.0, 4.0, 20.0, 4.0)]),
        dict(name='B', runs=[_ok(0, 0.5, 0.7, 1.0, 3.0, 5.0, 1.0),
                             dict(status='failed', seed=1, stage='train')]),
    ]
    table = results_table(rows, ['RV', 'LV'], 'mm').splitlines()
    assert table[0] == ('| Row | Dice RV (%) | Dice LV (%) | mDice (%) | '
                        'HD95 RV (mm) | HD95 LV (mm) | mHD95 (mm) | n | '
                        'train s/run | eval s/run |')
    # A: RV 80/90 -> 85 ± 7.07; LV 60/80 -> 70 ± 14.14; mDice 70/85 ->
    # 77.5 ± 10.61; HD95 RV 2/4 -> 3 ± 1.41; LV 4/4 -> 4 ± 0; mHD95 3/4 ->
    # 3.5 ± 0.71; times 15 and 3 s
    assert table[2] == ('| A | 85.00 ± 7.07 | 70.00 ± 14.14 | 77.50 ± 10.61 | '
                        '3.00 ± 1.41 | 4.00 ± 0.00 | 3.50 ± 0.71 | 2/2 | '
                        '15.0 | 3.0 |')
    # B: one ok run -> the mean alone; n counts the failed run
    assert table[3] == ('| B | 50.00 | 70.00 | 60.00 | 1.00 | 3.00 | 2.00 | '
                        '1/2 | 5.0 | 1.0 |')


def _run(results, row, seed, **extra):
    run_dir = os.path.join(str(results), 'runs', row, f'seed{seed}')
    return dict(_ok(seed, 0.8, 0.6, 2.0, 4.0, 10.0, 2.0), row=row,
                run_dir=run_dir,
                checkpoint=os.path.join(run_dir, 'iter_4.pth'), **extra)


def test_results_json_paths_are_relative_to_the_results_folder(tmp_path):
    res, other = tmp_path / 'work' / 'res', tmp_path / 'work' / 'other'
    res.mkdir(parents=True)
    source = str(other / 'runs' / 'A' / 'seed0')
    rows = [dict(name='A', config='configs/a.py',
                 runs=[_run(res, 'A', 0, reused_from=source)]),
            dict(name='B', config='configs/b.py',
                 runs=[dict(status='failed', seed=0, stage='train',
                            run_dir=str(res / 'runs' / 'B' / 'seed0'),
                            log=str(res / 'runs' / 'B' / 'seed0' /
                                    'bench_train.log'))])]
    settings = dict(seeds=[0], exemplar_rule='central', reuse_from=[str(other)])
    write_summary(str(res), rows, 'python tools/benchmark.py', MACHINE,
                  settings)
    stored = json.loads((res / 'results.json').read_text())
    assert stored['paths'] == 'relative to the results folder'
    assert stored['settings']['reuse_from'] == ['../other']
    a, b = stored['rows'][0]['runs'][0], stored['rows'][1]['runs'][0]
    assert a['run_dir'] == 'runs/A/seed0'
    assert a['checkpoint'] == 'runs/A/seed0/iter_4.pth'
    assert a['reused_from'] == '../other/runs/A/seed0'
    assert b['log'] == 'runs/B/seed0/bench_train.log'
    assert rows[0]['runs'][0]['run_dir'] == str(res / 'runs' / 'A' / 'seed0')
    md = (res / 'results.md').read_text()
    assert 'A seed 0 = `../other/runs/A/seed0`' in md
    assert 'see `runs/B/seed0/bench_train.log`' in md
    # read back from another working directory: joined to the folder
    read = read_results(str(res))
    assert read['rows'][0]['runs'][0]['checkpoint'] == str(
        res / 'runs' / 'A' / 'seed0' / 'iter_4.pth')
    assert read['rows'][0]['runs'][0]['reused_from'] == source
    assert read['settings']['reuse_from'] == [str(other)]


def test_an_old_results_folder_still_reads(tmp_path):
    # written before the paths were relative: no "paths" entry, paths as the
    # benchmark was given them (absolute or from its working directory)
    old = dict(command='python tools/benchmark.py --suite main',
               settings=dict(seeds=[0], reuse_from=['work_dirs/b/main']),
               classes=['RV', 'LV'],
               rows=[dict(name='A', config='configs/a.py',
                          summary=dict(n_ok=1, n_runs=1),
                          runs=[dict(status='ok', seed=0,
                                     run_dir='work_dirs/b/x/runs/A/seed0',
                                     checkpoint='/elsewhere/iter_4.pth')])])
    (tmp_path / 'results.json').write_text(json.dumps(old))
    assert read_results(str(tmp_path)) == old
    with pytest.raises(FileNotFoundError, match='No results.json in'):
        read_results(str(tmp_path / 'missing'))


def test_the_kept_results_folders_read():
    from tests.conftest import REPO_ROOT
    folder = REPO_ROOT / 'docs' / 'results' / 'acdc_cpu_rotfix'
    results = read_results(str(folder))
    best = results['rows'][0]
    assert best['name'] == 'ELNet+systole+Lc_s2'
    # results.md of that folder: mDice 43.40 ± 14.07 over 3 exemplars
    assert best['summary']['mDice']['mean'] == pytest.approx(0.4340, abs=5e-5)
    assert best['runs'][0]['run_dir'] == str(
        folder / 'runs' / 'ELNet+systole+Lc_s2' / 'seed0')


MACHINE = dict(platform='Linux', cpu_count=2, torch='2.13.0',
               torch_num_threads=1, omp_num_threads='1', cuda=False)
