"""Seconds per iteration and peak memory of a training, from mmengine's log.

Used by ``tools/benchmarks/bench_gpu.py`` to time a short run.
"""
from __future__ import annotations

import glob
import json
import os.path as osp
import statistics
from typing import Any, Dict, List, Optional


def train_log_stats(work_dir: str,
                    stage1_iters: Optional[int] = None) -> Dict[str, Any]:
    """Median seconds per iteration and peak memory from a training log.

    Reads the newest ``<work_dir>/<timestamp>/vis_data/scalars.json`` that
    mmengine's logger writes (one JSON line per logging interval; ``time`` is
    the mean iteration time of the interval, ``memory`` the peak CUDA memory
    in MB, present on CUDA only). The first interval (warm-up) is skipped
    when there are others.

    Args:
        work_dir (str): The tools/train.py work dir.
        stage1_iters (int, optional): Split the iterations into stage 1
            (``iter <= stage1_iters``) and stage 2.

    Returns:
        dict: ``s_per_iter`` (median over intervals), ``s_per_iter_stage1`` /
        ``s_per_iter_stage2`` (None without that stage), ``peak_memory_mb``
        (None on CPU), ``intervals``.

    Raises:
        FileNotFoundError: No scalars.json under ``work_dir``.
    """
    paths = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not paths:
        raise FileNotFoundError(
            f'No */vis_data/scalars.json under {work_dir!r}: was it trained '
            'with tools/train.py (mmengine LocalVisBackend)?')
    records = []
    with open(paths[-1]) as f:
        for line in f:
            line = line.strip()
            if line:
                rec = json.loads(line)
                if 'time' in rec and 'iter' in rec:
                    records.append(rec)
    timed = records[1:] if len(records) > 1 else records

    def median(recs: List[dict]) -> Optional[float]:
        return statistics.median(r['time'] for r in recs) if recs else None

    stage1 = [r for r in timed
              if stage1_iters is None or r['iter'] <= stage1_iters]
    stage2 = [] if stage1_iters is None else [
        r for r in timed if r['iter'] > stage1_iters]
    if stage2 and len(stage2) > 1:
        stage2 = stage2[1:]  # the first stage-2 interval holds a warm-up
    memory = [r['memory'] for r in records if r.get('memory') is not None]
    return dict(s_per_iter=median(timed), s_per_iter_stage1=median(stage1),
                s_per_iter_stage2=median(stage2),
                peak_memory_mb=max(memory) if memory else None,
                intervals=len(records))
