"""Short training run of a config: seconds per iteration and peak GPU memory.

The prepared device check of the GPU recipe (docs/gpu_and_distributed.md, "GPU recipe"): ELNet at the
paper's scale (``configs/elnet/acdc.py``: MT-UNet, 224x224, batch 12) trained
for ``--iters`` iterations with the schedule shortened proportionally (stage 1
is the first half, then pseudo labels, then stage 2), timed from mmengine's own
log (``vis_data/scalars.json``: ``time`` per iteration, ``memory`` = peak
``torch.cuda.max_memory_allocated`` in MB, logged on CUDA only).

Usage::

    python tools/benchmarks/bench_gpu.py --out work_dirs/bench_gpu \\
        [--config configs/elnet/acdc.py] [--iters 300] [--amp] \\
        [--cfg-options KEY=VALUE ...]

Writes ``gpu.json`` and ``gpu.md`` into ``--out``. Runs on the CPU too (no
memory figure), which is how its test runs.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from elseg.benchmark import (load_run_config, machine_info,  # noqa: E402
                             schedule_options, train_log_stats)
from elseg.utils.schedule import resolve_iters  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--config', default='configs/elnet/acdc.py')
    parser.add_argument('--iters', type=int, default=300,
                        help='training iterations (default 300)')
    parser.add_argument('--amp', action='store_true',
                        help='tools/train.py --amp (CUDA only)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    cfg = load_run_config(args.config, args.cfg_options)
    options = (list(args.cfg_options) + schedule_options(cfg, args.iters) +
               ['default_hooks.logger.interval=10', 'val_cfg=None',
                'val_dataloader=None', 'val_evaluator=None'])
    merged = load_run_config(args.config, options)
    stage1 = next((resolve_iters(hook.stage1_iters, merged.train_cfg.max_iters,
                                 'stage1_iters')
                   for hook in merged.get('custom_hooks') or []
                   if 'stage1_iters' in hook), None)
    work = osp.join(args.out, 'work')
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), args.config,
           '--work-dir', work] + (['--amp'] if args.amp else []) + [
               '--cfg-options', *options]
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    with open(osp.join(args.out, 'train.log'), 'w') as log:
        rc = subprocess.call(cmd, cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    if rc != 0:
        print(f'training failed (return code {rc}); see '
              f"{osp.join(args.out, 'train.log')}", file=sys.stderr)
        return rc
    stats = train_log_stats(work, stage1_iters=stage1)
    result = dict(
        config=args.config, iters=args.iters, stage1_iters=stage1, amp=args.amp,
        batch_size=cfg.train_dataloader.batch_size,
        command=shlex.join(cmd), wall_s=wall, machine=machine_info(),
        device=(torch.cuda.get_device_name(0) if torch.cuda.is_available()
                else 'cpu'), **stats)
    with open(osp.join(args.out, 'gpu.json'), 'w') as f:
        json.dump(result, f, indent=2)

    def fmt(v, spec):
        return '–' if v is None else format(v, spec)

    md = (f"| {result['device']} | {args.config} | batch "
          f"{result['batch_size']} | {'AMP' if args.amp else 'fp32'} | "
          f"{fmt(stats['s_per_iter_stage1'], '.3f')} | "
          f"{fmt(stats['s_per_iter_stage2'], '.3f')} | "
          f"{fmt(stats['peak_memory_mb'], '.0f')} | {wall:.0f} |")
    header = ('| device | config | batch | precision | s/iter stage 1 | '
              's/iter stage 2 | peak memory (MB) | wall s (all) |\n'
              '|---|---|---|---|---:|---:|---:|---:|\n')
    with open(osp.join(args.out, 'gpu.md'), 'w') as f:
        f.write(header + md + '\n')
    print(header + md)
    return 0


if __name__ == '__main__':
    sys.exit(main())
