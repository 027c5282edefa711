"""elseg.benchmark.train_log: seconds per iteration from mmengine's log."""
import json

import pytest

from elseg.benchmark.train_log import train_log_stats


def test_train_log_stats_against_hand_numbers(tmp_path):
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        train_log_stats(str(tmp_path))
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    rows = [(10, 9.0, 100), (20, 1.0, 300), (30, 3.0, 200), (40, 2.0, 250),
            (50, 7.0, 280), (60, 4.0, 260), (70, 6.0, 270)]
    (vis / 'scalars.json').write_text('\n'.join(
        json.dumps(dict(iter=i, time=t, memory=m, loss=0.1))
        for i, t, m in rows) + '\n' + json.dumps(dict(mDice=0.5, step=70)))
    stats = train_log_stats(str(tmp_path), stage1_iters=40)
    # warm-up interval (iter 10) dropped: all = median(1,3,2,7,4,6) = 3.5;
    # stage 1 = iters 20-40: median(1,3,2) = 2; stage 2 = iters 50-70 minus
    # its first interval: median(4, 6) = 5; peak memory over every record
    assert stats == dict(s_per_iter=3.5, s_per_iter_stage1=2.0,
                         s_per_iter_stage2=5.0, peak_memory_mb=300,
                         intervals=7)
    assert train_log_stats(str(tmp_path))['s_per_iter_stage2'] is None
