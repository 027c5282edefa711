"""volume_groups: per-group means computed by hand; the CLI and its errors."""
import os
import subprocess
import sys

import pytest

from elseg.benchmark.volume_groups import (find_volume_csvs,
                                           group_volume_metrics, groups_table)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('volume_id,class,dice,hd95\n')
        for r in rows:
            f.write(','.join(map(str, r)) + '\n')


@pytest.fixture
def row_dir(tmp_path):
    # run 0: ED volumes a, b; ES volume a
    _write(str(tmp_path / 'seed0' / 'test' / 'volume_metrics.csv'), [
        ('a_frame01', 'RV', 0.8, 2), ('a_frame01', 'LV', 0.6, 4),
        ('b_frame01', 'RV', 0.4, 6), ('b_frame01', 'LV', 1.0, 8),
        ('a_frame02', 'RV', 0.2, 10), ('a_frame02', 'LV', 0.0, 30)])
    # run 1: one ED and one ES volume
    _write(str(tmp_path / 'seed1' / 'test' / 'volume_metrics.csv'), [
        ('a_frame01', 'RV', 0.2, 4), ('a_frame01', 'LV', 0.4, 4),
        ('a_frame02', 'RV', 0.6, 2), ('a_frame02', 'LV', 0.2, 6)])
    return tmp_path


def test_group_means_by_hand(row_dir):
    csvs = find_volume_csvs(str(row_dir))
    assert [os.path.basename(os.path.dirname(os.path.dirname(p)))
            for p in csvs] == ['seed0', 'seed1']
    res = group_volume_metrics(csvs, {'ED': '_frame01', 'ES': '_frame02'})
    ed, es = res['ED'], res['ES']
    # ED: run 0 RV (0.8+0.4)/2=0.6, LV 0.8; run 1 RV 0.2, LV 0.4
    assert ed['dice']['RV'] == pytest.approx(0.4)
    assert ed['dice']['LV'] == pytest.approx(0.6)
    assert ed['per_run_mDice'] == pytest.approx([0.7, 0.3])
    assert ed['mDice'] == pytest.approx(0.5)
    # HD95 ED: run 0 RV 4, LV 6; run 1 RV 4, LV 4 -> RV 4, LV 5
    assert ed['hd95'] == pytest.approx({'RV': 4.0, 'LV': 5.0})
    assert ed['num_volumes'] == [2, 1]
    # ES: run 0 (0.2, 0.0), run 1 (0.6, 0.2) -> RV 0.4, LV 0.1
    assert es['dice'] == pytest.approx({'RV': 0.4, 'LV': 0.1})
    assert es['mHD95'] == pytest.approx((6.0 + 18.0) / 2)
    table = groups_table(res)
    assert '| ED | 2/1 | 0.400 | 0.600 | **0.500** (0.700, 0.300) | 4.5 |' in table


def test_errors_name_file_and_value(row_dir, tmp_path):
    csvs = find_volume_csvs(str(row_dir))
    with pytest.raises(ValueError, match="'_frame09'"):
        group_volume_metrics(csvs, {'X': '_frame09'})
    with pytest.raises(FileNotFoundError, match='volume_metrics.csv'):
        find_volume_csvs(str(tmp_path / 'nowhere'))


def test_cli(row_dir):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'group_volumes.py'),
         str(row_dir), '--group', 'ED=_frame01', '--group', 'ES=_frame02'],
        capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert '**0.500** (0.700, 0.300)' in out.stdout
    bad = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'group_volumes.py'),
         str(row_dir), '--group', 'ED'],
        capture_output=True, text=True, env=env, cwd=ROOT)
    assert bad.returncode == 2 and "NAME=SUBSTRING" in bad.stderr
