"""Speed of ELNet on CPU: training step, PCEM overhead, ESM data path, evaluation.

Usage::

    python tools/benchmarks/bench_speed.py --out work_dirs/bench_speed
        [--config configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py] [--data-root data/ACDC]
        [--warmup 10] [--iters 30] [--data-samples 40] [--eval-volumes 2]
        [--threads N] [--cfg-options train_dataloader.batch_size=2]

Writes ``speed.json`` and ``speed.md`` (a markdown snippet) into ``--out``:

* Training iterations/s of three networks fed the same pre-built stage-1
  batches (exemplar + synthetic, the config's batch size and input): ELNet
  (the config's ``ExemplarEncoderDecoder`` with PCEM), the same network
  without PCEM (``contrastive_loss=None``), and a plain mmseg
  ``EncoderDecoder`` with the same backbone and head. Only the model step is
  timed (forward + backward + optimizer step on preprocessed batches). The
  three run interleaved in one process (each repetition steps every model
  once, rotating the order) so load drift hits them alike; ``--warmup``
  untimed + ``--iters`` timed steps per model, median seconds. Ratios are
  given from the medians and as the median of the per-repetition ratios.
* ESM data path: samples/s of ``ExemplarLearningDataset`` synthetic samples
  (background, ``ExemplarSynthesis`` and the training pipeline), in this
  process, OpenCV on one thread; and the ESM transform alone
  (``bench_esm.time_esm``).
* Evaluation seconds per volume as in tools/test.py: the test dataloader
  (one process) + slice-wise inference + ``MedicalVolumeMetric`` on the first
  ``--eval-volumes`` volumes of the split list (random weights unless
  ``--checkpoint``), ELNet's model and the plain ``EncoderDecoder`` taking
  turns volume by volume (interleaved, as the training steps).

It runs on the config's data (ACDC) when the data root exists, else on a
phantom it generates under ``--out/phantom`` (``make_phantom``).
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import shlex
import statistics
import sys
import time
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from bench_esm import time_esm  # tools/benchmarks/bench_esm.py

MODEL_LABELS = {
    'elnet': 'ELNet (ExemplarEncoderDecoder + PCEM)',
    'elnet_no_pcem': 'ELNet without PCEM (contrastive_loss=None)',
    'unet': 'mmseg UNet EncoderDecoder (same backbone/head)',
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py')
    parser.add_argument('--data-root', help='ACDC-layout data (default: the '
                        "config's); a phantom is made when it does not exist")
    parser.add_argument('--out', default='work_dirs/bench_speed',
                        help='folder for speed.json and speed.md')
    parser.add_argument('--warmup', type=int, default=10,
                        help='untimed training steps per model')
    parser.add_argument('--iters', type=int, default=30,
                        help='timed training steps per model')
    parser.add_argument('--batches', type=int, default=4,
                        help='distinct pre-built batches, cycled')
    parser.add_argument('--data-samples', type=int, default=40,
                        help='timed synthetic samples of the data path')
    parser.add_argument('--eval-volumes', type=int, default=2)
    parser.add_argument('--checkpoint', help='weights for the evaluation')
    parser.add_argument('--threads', type=int,
                        help='torch.set_num_threads (default: as the env)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_dataloader.batch_size=2')
    args = parser.parse_args()
    for name in ('iters', 'batches', 'data_samples', 'eval_volumes'):
        if getattr(args, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 1, got '
                             f'{getattr(args, name)}.')
    if args.warmup < 0:
        raise ValueError(f'--warmup must be >= 0, got {args.warmup}.')
    return args


def prepare_data(cfg: Config, data_root: str, out: str,
                 eval_volumes: int) -> str:
    """Point the config at ``data_root`` or at a generated phantom.

    Returns:
        str: 'ACDC' (the given data) or 'phantom'.
    """
    from elseg.datasets.phantom import make_phantom
    source = 'ACDC'
    if not osp.isfile(osp.join(data_root, 'train_slices.list')):
        data_root = osp.join(out, 'phantom')
        make_phantom(data_root, n_train=2, n_val=(eval_volumes + 1) // 2,
                     n_test=0, size=128, seed=0)
        source = 'phantom'
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    return source


def model_configs(cfg: Config) -> Dict[str, dict]:
    """ELNet, ELNet without PCEM and the plain EncoderDecoder configs.

    Raises:
        ValueError: The config's model is not an ExemplarEncoderDecoder with a
            contrastive loss.
    """
    model = cfg.model.to_dict()
    if model.get('type') != 'ExemplarEncoderDecoder' or not model.get(
            'contrastive_loss'):
        raise ValueError('--config must hold an ExemplarEncoderDecoder with '
                         f"PCEM, got type={model.get('type')!r}, "
                         f"contrastive_loss={model.get('contrastive_loss')!r}.")
    no_pcem = dict(copy.deepcopy(model), contrastive_loss=None)
    unet = copy.deepcopy(model)
    for key in ('stream_weights', 'contrastive_loss', 'embed_index',
                'pcem_stages'):
        unet.pop(key, None)
    unet['type'] = 'EncoderDecoder'
    return dict(elnet=model, elnet_no_pcem=no_pcem, unet=unet)


def bench_training(cfg: Config, dataset, args: argparse.Namespace) -> dict:
    """Interleaved timing of one training step of the three networks."""
    from mmseg.registry import MODELS
    bs = int(cfg.train_dataloader.batch_size)
    batches = [pseudo_collate([dataset[b * bs + i] for i in range(bs)])
               for b in range(args.batches)]
    models, wrappers = {}, {}
    for name, mcfg in model_configs(cfg).items():
        torch.manual_seed(args.seed)
        models[name] = MODELS.build(ConfigDict(mcfg)).train()
        wrappers[name] = build_optim_wrapper(models[name],
                                             copy.deepcopy(cfg.optim_wrapper))
    prep = models['elnet'].data_preprocessor  # same config for all three
    data = [prep(b, True) for b in batches]

    def step(name: str, k: int) -> float:
        model = models[name]
        start = time.perf_counter()
        losses = model(**data[k % len(data)], mode='loss')
        loss, _ = model.parse_losses(losses)
        wrappers[name].update_params(loss)
        return time.perf_counter() - start

    names = list(models)
    for k in range(args.warmup):
        for name in names:
            step(name, k)
    times: Dict[str, List[float]] = {n: [] for n in names}
    for k in range(args.iters):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(step(name, k))
    med = {n: statistics.median(t) for n, t in times.items()}

    def paired(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    return dict(
        batch_size=bs,
        input_shape=list(data[0]['inputs'].shape),
        streams=sorted({s.metainfo['stream'] for s in data[0]['data_samples']}),
        models={n: dict(label=MODEL_LABELS[n],
                        params=sum(p.numel() for p in models[n].parameters()),
                        median_s=med[n], mean_s=statistics.fmean(times[n]),
                        iters_per_s=1.0 / med[n], times_s=times[n])
                for n in names},
        ratios=dict(
            pcem_overhead=med['elnet'] / med['elnet_no_pcem'],
            pcem_overhead_paired=paired('elnet', 'elnet_no_pcem'),
            elnet_vs_unet=med['elnet'] / med['unet'],
            elnet_vs_unet_paired=paired('elnet', 'unet'),
            no_pcem_vs_unet=med['elnet_no_pcem'] / med['unet'],
            no_pcem_vs_unet_paired=paired('elnet_no_pcem', 'unet')))


def bench_plain_data(cfg: Config, dataset, args: argparse.Namespace) -> float:
    """Samples/s of a plain supervised mmseg data path on the same slices.

    What a fully supervised UNet reads per sample: a labelled training slice
    from its HDF5 file, resized to the input size, then the config's training
    pipeline (random rotation/flip, packing). Timing only; nothing trains.
    """
    from mmseg.registry import DATASETS
    h, w = dataset.scale
    pipeline = [dict(type='LoadMedicalSlice', num_classes=dataset.num_classes),
                dict(type='Resize', scale=(w, h), keep_ratio=False),
                *copy.deepcopy(cfg.train_dataloader.dataset.pipeline)]
    plain = DATASETS.build(dict(copy.deepcopy(
        cfg.train_dataloader.dataset.dataset), pipeline=pipeline))
    order = np.random.RandomState(args.seed).permutation(len(plain))
    n = min(len(plain), args.warmup + args.data_samples)
    for i in order[:min(args.warmup, n - 1)]:
        plain[int(i)]
    timed = order[min(args.warmup, n - 1):n]
    start = time.perf_counter()
    for i in timed:
        plain[int(i)]
    return len(timed) / (time.perf_counter() - start)


def bench_data(cfg: Config, dataset, args: argparse.Namespace) -> dict:
    """Synthetic samples/s of the ESM data path, and the ESM transform alone."""
    idx = [i for i in range(len(dataset.patterns[1]) * 1000)
           if dataset.stream_of(i) == 'synthetic']
    for i in idx[:args.warmup]:
        dataset[i]
    times = []
    for i in idx[args.warmup:args.warmup + args.data_samples]:
        start = time.perf_counter()
        dataset[i]
        times.append(time.perf_counter() - start)
    plain_per_s = bench_plain_data(cfg, dataset, args)
    esm_inputs = dict(exemplar_img=dataset.exemplar_img,
                      exemplar_label=dataset.exemplar_label,
                      img=dataset.exemplar_inpainted)
    esm_s = time_esm(dataset.synthesis, esm_inputs, args.data_samples,
                     warmup=args.warmup)
    return dict(samples=len(times), samples_per_s=len(times) / sum(times),
                plain_samples_per_s=plain_per_s,
                esm_vs_plain=(len(times) / sum(times)) / plain_per_s,
                median_ms=1000 * statistics.median(times),
                esm_transform_ms=1000 * esm_s,
                scale=list(dataset.scale))


def bench_eval(cfg: Config, args: argparse.Namespace) -> dict:
    """Seconds per volume of tools/test.py-style evaluation, interleaved.

    ELNet's model and mmseg's ``EncoderDecoder`` (same weights) evaluate the
    same volumes taking turns, volume by volume, the order alternating, so load
    changes during the measurement hit both alike (timed one after the other,
    their ratio follows the load). Each turn is what tools/test.py does for one
    volume: load its slices (dataloader, one process), segment them, score
    the volume (``MedicalVolumeMetric``). ``mDice`` is the mean of the
    per-volume scores.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner, load_checkpoint
    from mmseg.registry import METRICS, MODELS
    ds_cfg = cfg.test_dataloader.dataset
    root = ds_cfg.data_root
    split = ds_cfg.split_list
    with open(split if osp.isabs(split) else osp.join(root, split)) as f:
        ids = [line.strip() for line in f if line.strip()][:args.eval_volumes]
    loaders = []
    for k, vid in enumerate(ids):  # one loader per volume, for the turns
        split_path = osp.abspath(osp.join(args.out, f'bench_eval_{k}.list'))
        with open(split_path, 'w') as f:
            f.write(vid + '\n')
        loader_cfg = copy.deepcopy(cfg.test_dataloader)
        loader_cfg.update(num_workers=0, persistent_workers=False)
        loader_cfg.dataset.split_list = split_path
        loaders.append(Runner.build_dataloader(loader_cfg, seed=args.seed))
    configs = model_configs(cfg)
    names = ['elnet', 'unet']  # same weights, ELNet's vs mmseg's model
    models, evaluators = {}, {}
    for name in names:
        torch.manual_seed(args.seed)
        models[name] = MODELS.build(ConfigDict(configs[name]))
        if args.checkpoint:
            load_checkpoint(models[name], args.checkpoint, map_location='cpu',
                            strict=False)
        models[name].eval()
        evaluators[name] = Evaluator(METRICS.build(dict(cfg.test_evaluator)))
        evaluators[name].dataset_meta = loaders[0].dataset.metainfo
    times: Dict[str, List[float]] = {name: [] for name in names}
    dice: Dict[str, List[float]] = {name: [] for name in names}
    n_slices = 0
    with torch.no_grad():
        for name in names:  # warm-up, not scored
            models[name].test_step(next(iter(loaders[0])))
        for k, loader in enumerate(loaders):
            for name in (names if k % 2 == 0 else names[::-1]):
                start = time.perf_counter()
                n = 0
                for batch in loader:
                    evaluators[name].process(models[name].test_step(batch),
                                             batch)
                    n += len(batch['inputs'])
                scores = evaluators[name].evaluate(n)
                times[name].append(time.perf_counter() - start)
                dice[name].append(scores['mDice'])
            n_slices += n
    total, unet_total = sum(times['elnet']), sum(times['unet'])
    return dict(
        volumes=len(ids), weights=args.checkpoint or 'random',
        interleaved=True, slices=n_slices, total_s=total,
        s_per_volume=total / len(ids), mDice=statistics.mean(dice['elnet']),
        unet_s_per_volume=unet_total / len(ids),
        unet_mDice=statistics.mean(dice['unet']),
        elnet_vs_unet=total / unet_total,
        elnet_vs_unet_paired=statistics.median(
            a / b for a, b in zip(times['elnet'], times['unet'])))


def machine_info() -> dict:
    return dict(platform=platform.platform(), cpu_count=os.cpu_count(),
                torch=torch.__version__,
                torch_num_threads=torch.get_num_threads(),
                omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
                load_avg=[round(v, 2) for v in os.getloadavg()]
                if hasattr(os, 'getloadavg') else None)


def markdown(res: dict) -> str:
    """The markdown snippet of speed.md."""
    tr, dp, ev, m = res['training'], res['data'], res['eval'], res['machine']
    unet = tr['models']['unet']['median_s']
    lines = [
        '### Speed (tools/benchmarks/bench_speed.py)', '',
        f"Command: `{res['command']}`", '',
        f"Machine: {m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
        f"({m['torch_num_threads']} threads), load average at start "
        f"{m['load_avg']}. Data: {res['data_source']}. Config "
        f"`{res['config']}`, batch {tr['batch_size']} "
        f"({'+'.join(tr['streams'])}), input {tr['input_shape']}; "
        f"{res['warmup']} warm-up + {res['iters']} timed steps per model, "
        'interleaved, median.', '',
        '| Model | Params | s/iter (median) | iter/s | time vs UNet |',
        '|---|---:|---:|---:|---:|']
    for m_ in tr['models'].values():
        lines.append(f"| {m_['label']} | {m_['params'] / 1e6:.2f} M | "
                     f"{m_['median_s']:.4f} | {m_['iters_per_s']:.2f} | "
                     f"{m_['median_s'] / unet:.2f}x |")
    r = tr['ratios']
    lines += [
        '', f"PCEM overhead (ELNet / without PCEM): {r['pcem_overhead']:.3f}x "
        f"(median of paired ratios {r['pcem_overhead_paired']:.3f}x); ELNet / "
        f"UNet: {r['elnet_vs_unet']:.3f}x "
        f"(paired {r['elnet_vs_unet_paired']:.3f}x).", '',
        f"ESM data path (synthetic samples incl. background and pipeline, one "
        f"process, {dp['scale'][0]}x{dp['scale'][1]}): "
        f"{dp['samples_per_s']:.1f} samples/s (median "
        f"{dp['median_ms']:.2f} ms/sample) vs {dp['plain_samples_per_s']:.1f} "
        f"samples/s for a plain supervised slice (HDF5 load + resize + the "
        f"training pipeline): {dp['esm_vs_plain']:.2f}x; the ESM transform "
        f"alone on the inpainted-exemplar background "
        f"{dp['esm_transform_ms']:.2f} ms.",
        '',
        f"Evaluation (tools/test.py-style, {ev['weights']} weights): ELNet "
        f"{ev['s_per_volume']:.2f} s/volume vs mmseg UNet EncoderDecoder "
        f"{ev['unet_s_per_volume']:.2f} s/volume ({ev['elnet_vs_unet']:.2f}x, "
        f"median of per-volume ratios {ev['elnet_vs_unet_paired']:.2f}x; "
        f"{ev['volumes']} volumes, {ev['slices']} slices, the two models "
        'taking turns volume by volume).', '']
    if ev['weights'] == 'random':
        lines[-2] += (' Random weights predict mostly empty maps, so HD95 is '
                      'cheap: pass --checkpoint for a trained model\'s time.')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    from elseg.utils.cli import flush_denormals
    flush_denormals()  # as tools/train.py does
    if args.threads:
        torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    import elseg  # noqa: F401  (registers elseg's components)
    init_default_scope('mmseg')
    from mmseg.registry import DATASETS

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    source = prepare_data(
        cfg, args.data_root or cfg.train_dataloader.dataset.dataset.data_root,
        args.out, args.eval_volumes)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)  # stage 1
    res = dict(command=shlex.join(['python', *sys.argv]), config=args.config,
               data_source=source, warmup=args.warmup, iters=args.iters,
               machine=machine_info(),
               exemplar=dataset.exemplar_id)
    if len(dataset.exemplar_ids) > 1:  # several labelled slices
        res['exemplar_ids'] = dataset.exemplar_ids
    t0 = time.perf_counter()
    res['training'] = bench_training(cfg, dataset, args)
    res['data'] = bench_data(cfg, dataset, args)
    res['eval'] = bench_eval(cfg, args)
    res['total_s'] = time.perf_counter() - t0
    with open(osp.join(args.out, 'speed.json'), 'w') as f:
        json.dump(res, f, indent=2)
    md = markdown(res)
    with open(osp.join(args.out, 'speed.md'), 'w') as f:
        f.write(md)
    print(md)


if __name__ == '__main__':
    main()
