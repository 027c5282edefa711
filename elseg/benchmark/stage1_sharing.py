"""Share stage 1 between benchmark rows that differ in stage 2 only.

ELNet trains in two stages (``ExemplarTwoStageHook``): N_s on the exemplar and
synthetic data, then N_e with N_s's pseudo labels. Ideas that act on the
pseudo labels or on stage 2 alone (confidence filtering, the largest component
of the pseudo labels, the stage-2 stream ratios) leave stage 1 unchanged, so
retraining it for their ablation rows costs half the CPU time for nothing and
adds stage-1 noise to the comparison. ``tools/benchmark.py --share-stage1``
starts such a run from the ``stage1.pth`` of a finished run that trained the
same stage 1: the same seed and the same merged config once the keys below,
which only stage 2 reads, are left out. The run then resumes at stage 2
(pseudo labels are made afresh in its own folder) and its ``result.json``
records ``stage1_from``; its training time is stage 2's only.
"""
from __future__ import annotations

import copy
import json
import os
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from elseg.utils.io import atomic_write_bytes
from elseg.utils.schedule import resolve_iters
from .run_folder import STAGE1_MARKER, has_checkpoint, write_json
from .run_reuse import (comparable_part, finished_run_signature,
                        finished_runs, link_or_copy)

#: ``train_dataloader.dataset`` keys read only in stage 2.
STAGE2_DATASET_KEYS = ('min_confidence', )
#: ``stream_ratios`` / ``backgrounds`` entries read only in stage 2.
STAGE2_SUBKEYS = ('stream_ratios', 'backgrounds')
#: ``ExemplarTwoStageHook`` arguments that only shape the pseudo labels or
#: stage 2.
STAGE2_HOOK_KEYS = ('pseudo_label_dir', 'batch_size', 'flip',
                    'reinit_stage2', 'largest_component', 'relabel_iters')
#: ``model.consistency`` keys that stage 1 reads even when consistency runs in
#: stage 2 only: the stages themselves and the EMA teacher (its weights are
#: part of the model, so of ``stage1.pth`` and of the optimizer's groups).
CONSISTENCY_STAGE1_KEYS = ('stages', 'ema_momentum')


def _two_stage_hook(cfg: dict) -> Optional[dict]:
    for hook in cfg.get('custom_hooks') or []:
        if isinstance(hook, dict) and hook.get('type') == 'ExemplarTwoStageHook':
            return hook
    return None


def stage1_signature(config: str, options: Sequence[str],
                     loader: Callable[[str, Sequence[str]], Any]
                     ) -> Optional[str]:
    """A canonical text of what a run's stage 1 trains.

    Args:
        config (str): Config path.
        options (Sequence[str]): ``KEY=VALUE`` training options.
        loader (Callable): ``(config, options) -> mmengine Config``.

    Returns:
        str | None: JSON of the merged config's ``TRAINING_KEYS`` without
        the stage-2-only keys (``STAGE2_*``; ``model.consistency`` but
        ``CONSISTENCY_STAGE1_KEYS`` when its ``stages`` leave out stage 1),
        or None for a config without ``ExemplarTwoStageHook`` (nothing to
        share).
    """
    cfg = copy.deepcopy(loader(config, options).to_dict())
    hook = _two_stage_hook(cfg)
    if hook is None:
        return None
    for key in STAGE2_HOOK_KEYS:
        hook.pop(key, None)
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    for key in STAGE2_DATASET_KEYS:
        dataset.pop(key, None)
    for key in STAGE2_SUBKEYS:
        if isinstance(dataset.get(key), dict):
            dataset[key].pop('stage2', None)
    consistency = (cfg.get('model') or {}).get('consistency')
    if (isinstance(consistency, dict)
            and 1 not in tuple(consistency.get('stages', (1, 2)))):
        # consistency in stage 2 only: its threshold, views and weights
        # leave stage 1 untouched
        cfg['model']['consistency'] = {
            k: consistency[k] for k in CONSISTENCY_STAGE1_KEYS
            if k in consistency}
    return json.dumps(comparable_part(cfg), sort_keys=True, default=repr)


def find_stage1_source(search_dirs: Sequence[str], seed: int, config: str,
                       options: Sequence[str],
                       loader: Callable[[str, Sequence[str]], Any],
                       cache: Optional[Dict[Tuple, Optional[str]]] = None
                       ) -> Optional[str]:
    """A finished run whose ``stage1.pth`` this run's stage 1 would repeat.

    Args:
        search_dirs (Sequence[str]): Results folders
            (``DIR/runs/<row>/seed<k>``); missing folders are skipped.
        seed (int): The run's seed.
        config (str): The run's config path.
        options (Sequence[str]): The run's training ``--cfg-options``.
        loader (Callable): Config loader (``load_run_config``).
        cache (dict, optional): Signature memo shared between calls.

    Returns:
        str | None: The source run folder, or None.
    """
    cache = {} if cache is None else cache

    def signature(cfg_path: str, opts: Sequence[str]) -> Optional[str]:
        key = ('stage1', cfg_path, tuple(opts))
        if key not in cache:
            cache[key] = stage1_signature(cfg_path, opts, loader)
        return cache[key]

    wanted = signature(config, options)
    if wanted is None:
        return None
    for run_dir, result in finished_runs(search_dirs, seed):
        if (result.get('stage1_from')
                or not osp.isfile(osp.join(run_dir, 'stage1.pth'))):
            continue
        if finished_run_signature(run_dir, result, signature) == wanted:
            return run_dir
    return None


def seed_stage1(source_dir: str, run_dir: str, stage1_iters: int) -> dict:
    """Put a source run's N_s into a new run folder so training resumes there.

    ``stage1.pth`` is hard-linked (copied across file systems) as
    ``stage1.pth`` and ``iter_{stage1_iters}.pth``; ``last_checkpoint``
    names the latter, so ``tools/train.py --resume`` continues at stage 2.

    Args:
        source_dir (str): The finished source run.
        run_dir (str): The new run's folder (no checkpoint in it yet).
        stage1_iters (int): Iterations of stage 1 (the checkpoint's name).

    Returns:
        dict: The marker written to ``run_dir/stage1_from.json``.

    Raises:
        ValueError: ``run_dir`` already holds a result or checkpoints, or
            the source has no ``stage1.pth``.
    """
    src = osp.join(source_dir, 'stage1.pth')
    if not osp.isfile(src):
        raise ValueError(f'{source_dir} has no stage1.pth to share')
    if osp.isfile(osp.join(run_dir, 'result.json')) or has_checkpoint(run_dir):
        raise ValueError(f'{run_dir} already holds a result.json or '
                         'checkpoints; stage 1 is shared only into a new run')
    os.makedirs(run_dir, exist_ok=True)
    ckpt = osp.abspath(osp.join(run_dir, f'iter_{int(stage1_iters)}.pth'))
    for dst in (osp.join(run_dir, 'stage1.pth'), ckpt):
        link_or_copy(src, dst)
    marker = dict(stage1_from=source_dir, stage1_iters=int(stage1_iters))
    write_json(marker, osp.join(run_dir, STAGE1_MARKER))
    # last: only a complete seed makes the run resumable
    atomic_write_bytes(ckpt.encode(), osp.join(run_dir, 'last_checkpoint'))
    return marker


def stage1_iters_of(config: str, options: Sequence[str],
                    loader: Callable[[str, Sequence[str]], Any]) -> int:
    """``stage1_iters`` of the run's ``ExemplarTwoStageHook``.

    Args:
        config (str): Config path.
        options (Sequence[str]): ``KEY=VALUE`` training options.
        loader (Callable): Config loader (``load_run_config``).

    Returns:
        int: Iterations of stage 1 after the options are merged (a share of
        the schedule resolved against ``train_cfg.max_iters``).

    Raises:
        ValueError: The config has no ``ExemplarTwoStageHook``.
    """
    cfg = loader(config, options).to_dict()
    hook = _two_stage_hook(cfg)
    if hook is None:
        raise ValueError(f'{config} has no ExemplarTwoStageHook: no stage 1 '
                         'to share')
    return resolve_iters(hook['stage1_iters'],
                         (cfg.get('train_cfg') or {}).get('max_iters'),
                         'stage1_iters')
