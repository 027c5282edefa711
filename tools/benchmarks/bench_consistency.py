"""Speed of consistency learning on CPU: training step vs ELNet, strong views.

Usage::

    python tools/benchmarks/bench_consistency.py --out work_dirs/bench_consistency
        [--config configs/ablations/consistency/acdc_cpu_consistency.py]
        [--elnet-config configs/ablations/systole/acdc_cpu_systole_pcem_s2.py]
        [--warmup 5] [--iters 20] [--batches 4] [--threads N]
        [--device cuda] [--stage 2]

Writes ``consistency_speed.json`` and ``consistency_speed.md`` into ``--out``:

* Seconds per training step of the consistency config's model
  (``ConsistencyEncoderDecoder``: labelled losses + weak view + strong views +
  feature-perturbation stream) and of ELNet's (the ``--elnet-config`` model),
  each fed pre-built stage-1 batches of its own config (same batch size and
  input size; the consistency batches hold unlabelled slices). The two run
  interleaved in one process, the order alternating, so load drift hits both
  alike; the ratio is given from the medians and as the median of the
  per-repetition ratios. Only the model step is timed (forward, backward,
  optimizer step on preprocessed batches); data loading runs in workers
  during real training. ``--device cuda`` times on the GPU (synchronised
  before each clock read) and records each model's peak allocated memory
  (both models stay on the GPU, so each peak includes the other's weights,
  gradients and optimizer state).
  ``--stage 2`` times both models in stage 2 (``set_stage(2)``: PCEM and
  consistency as their configs apply them there), with batches drawn from each
  config's stage-2 stream mix (unlabelled slices carry no pseudo labels here,
  so the fixed-pseudo-label loss is not timed): the way to time a config whose
  consistency starts after stage 1, e.g. ``configs/elnet/acdc_consistency.py``.
* Samples per second of the batch-level strong views: the intensity
  perturbation (``StrongViewAugment``) alone, and the whole strong-view
  construction of the model (all ``num_strong`` views with CutMix of image,
  pseudo label and confidence) on a batch of unlabelled images.

It runs on the configs' data (ACDC) when the data root exists, else on a
phantom it generates under ``--out/phantom``.
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import statistics
import sys
import time

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from bench_speed import prepare_data  # tools/benchmarks/bench_speed.py


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config',
                        default='configs/ablations/consistency/acdc_cpu_consistency.py')
    parser.add_argument('--elnet-config',
                        default='configs/ablations/systole/acdc_cpu_systole_pcem_s2.py')
    parser.add_argument('--data-root', default='data/ACDC')
    parser.add_argument('--out', default='work_dirs/bench_consistency')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--batches', type=int, default=4)
    parser.add_argument('--view-reps', type=int, default=50,
                        help='timed repetitions of the strong-view builders')
    parser.add_argument('--threads', type=int)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu',
                        help="'cpu' or a torch device such as 'cuda'")
    parser.add_argument('--stage', type=int, default=1, choices=(1, 2),
                        help='the stage the models are timed in')
    args = parser.parse_args()
    if args.device != 'cpu' and not (args.device.startswith('cuda')
                                     and torch.cuda.is_available()):
        raise ValueError(f'--device {args.device!r}: use cpu, or cuda on a '
                         'machine where torch.cuda.is_available().')
    for name in ('iters', 'batches', 'view_reps'):
        if getattr(args, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 1, got '
                             f'{getattr(args, name)}.')
    return args


def build(cfg_path: str, args: argparse.Namespace):
    """Model, optim wrapper and preprocessed stage-1 batches of a config."""
    from mmseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(cfg_path)
    source = prepare_data(cfg, args.data_root, args.out, 1)
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.exemplar = dict(rule='central', seed=args.seed)
    if args.stage == 2:  # stage-2 stream mix, drawn without pseudo labels
        ds_cfg.stream_ratios.stage1 = copy.deepcopy(ds_cfg.stream_ratios.stage2)
    dataset = DATASETS.build(ds_cfg)
    bs = int(cfg.train_dataloader.batch_size)
    torch.manual_seed(args.seed)
    batches = [pseudo_collate([dataset[b * bs + i] for i in range(bs)])
               for b in range(args.batches)]
    model = MODELS.build(ConfigDict(cfg.model.to_dict()))
    model = model.to(args.device).train()
    if args.stage == 2 and hasattr(model, 'set_stage'):
        model.set_stage(2)
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = [model.data_preprocessor(b, True) for b in batches]
    return dict(model=model, wrapper=wrapper, data=data, source=source,
                batch_size=bs, input_shape=list(data[0]['inputs'].shape))


def bench_steps(runs: dict, args: argparse.Namespace) -> dict:
    """Interleaved medians of one training step per model."""

    cuda = args.device.startswith('cuda')

    def step(run: dict, k: int) -> float:
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        losses = run['model'](**run['data'][k % len(run['data'])],
                              mode='loss')
        loss, _ = run['model'].parse_losses(losses)
        run['wrapper'].update_params(loss)
        if cuda:
            torch.cuda.synchronize()
            run['peak_mib'] = max(run.get('peak_mib', 0.0),
                                  torch.cuda.max_memory_allocated() / 2**20)
        return time.perf_counter() - start

    names = list(runs)
    for k in range(args.warmup):
        for n in names:
            step(runs[n], k)
    times = {n: [] for n in names}
    for k in range(args.iters):
        order = names if k % 2 == 0 else names[::-1]
        for n in order:
            times[n].append(step(runs[n], k))
    med = {n: statistics.median(t) for n, t in times.items()}
    paired = statistics.median(
        a / b for a, b in zip(times['consistency'], times['elnet']))
    res = dict(median_s=med, times_s=times,
               ratio=med['consistency'] / med['elnet'], ratio_paired=paired)
    if cuda:
        res['peak_mib'] = {n: runs[n]['peak_mib'] for n in names}
    return res


def bench_views(model, shape, args: argparse.Namespace) -> dict:
    """Samples/s of the strong-view builders on a batch of ``shape``."""
    g = torch.Generator(args.device).manual_seed(args.seed)
    dev = dict(generator=g, device=args.device)
    x = torch.rand(shape, **dev)
    pseudo = torch.randint(0, 4, (shape[0], shape[2], shape[3]), **dev)
    conf = torch.rand(shape[0], shape[2], shape[3], **dev)
    sync = (torch.cuda.synchronize if args.device.startswith('cuda') else
            (lambda: None))
    res = {}
    for name, fn in (
            ('intensity', lambda: model.strong_aug(x, generator=g)),
            ('all_views', lambda: model.strong_views(x, pseudo, conf, g))):
        for _ in range(3):
            fn()
        sync()
        start = time.perf_counter()
        for _ in range(args.view_reps):
            fn()
        sync()
        sec = (time.perf_counter() - start) / args.view_reps
        res[name] = dict(ms_per_batch=1000 * sec,
                         samples_per_s=shape[0] / sec)
    res['batch_shape'] = list(shape)
    res['num_strong'] = int(model.cons['num_strong'])
    return res


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    import elseg  # noqa: F401
    from elseg.utils.cli import flush_denormals
    flush_denormals()
    init_default_scope('mmseg')
    runs = dict(consistency=build(args.config, args),
                elnet=build(args.elnet_config, args))
    steps = bench_steps(runs, args)
    shape = list(runs['consistency']['input_shape'])
    views = bench_views(runs['consistency']['model'], shape, args)
    res = dict(
        command=' '.join([osp.basename(sys.executable)] + sys.argv),
        machine=dict(platform=platform.platform(),
                     processor=platform.processor(),
                     torch_threads=torch.get_num_threads(),
                     cpus=os.cpu_count(), device=args.device,
                     gpu=(torch.cuda.get_device_name(args.device)
                          if args.device.startswith('cuda') else None)),
        stage=args.stage,
        data=runs['consistency']['source'],
        configs=dict(consistency=args.config, elnet=args.elnet_config),
        batch_size=runs['consistency']['batch_size'],
        input_shape=shape,
        steps=steps, views=views)
    with open(osp.join(args.out, 'consistency_speed.json'), 'w') as f:
        json.dump(res, f, indent=1)
    md = (
        f"| | s / training step (median of {args.iters}) |\n|---|---|\n"
        f"| ELNet (`{args.elnet_config}`) | {steps['median_s']['elnet']:.3f} |\n"
        f"| ELNet + consistency (`{args.config}`) | "
        f"{steps['median_s']['consistency']:.3f} |\n"
        f"| ratio (medians / paired) | {steps['ratio']:.2f}x / "
        f"{steps['ratio_paired']:.2f}x |\n\n"
        f"Strong views of a batch {views['batch_shape']}: intensity "
        f"perturbation {views['intensity']['samples_per_s']:.0f} samples/s, "
        f"all {views['num_strong']} views with CutMix "
        f"{views['all_views']['samples_per_s']:.0f} samples/s "
        f"({torch.get_num_threads()} thread(s), {res['data']} data, "
        f"device {res['machine']['gpu'] or 'cpu'}, stage {args.stage}).\n")
    if 'peak_mib' in steps:
        md += ('Peak allocated GPU memory of a training step: ELNet '
               f"{steps['peak_mib']['elnet']:.0f} MiB, ELNet + consistency "
               f"{steps['peak_mib']['consistency']:.0f} MiB (both models "
               'resident on the GPU: each peak includes the other\'s weights, '
               'gradients and optimizer state).\n')
    with open(osp.join(args.out, 'consistency_speed.md'), 'w') as f:
        f.write(md)
    print(md)


if __name__ == '__main__':
    main()
