"""The options that make one benchmark run: seed, exemplar, schedule.

A run is a config plus ``--cfg-options``: the user's, then the schedule
options of ``--iters`` (:func:`schedule_options`), the seed and exemplar of
``--seeds`` / ``--exemplar-rule`` (:func:`seed_options`).
:func:`load_run_config` merges them as ``tools/train.py`` does, and
:func:`resolve_exemplar` says which slice that run trains from.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from elseg import datasets

#: ``--exemplar-rule`` value that keeps the config's own exemplar setting.
KEEP_CONFIG_EXEMPLAR = 'config'
#: Dotted config keys the benchmark sets itself for every seed.
RESERVED_KEYS = ('randomness.seed', 'train_dataloader.dataset.exemplar')
#: Keys under them that the user may set: how many labelled slices, and where
#: the extra ones come from (the seed's rule still chooses them).
USER_EXEMPLAR_KEYS = ('train_dataloader.dataset.exemplar.num',
                      'train_dataloader.dataset.exemplar.spread')


def parse_cfg_options(options: Sequence[str]) -> Dict[str, Any]:
    """Parse ``KEY=VALUE`` strings as ``--cfg-options`` (mmengine DictAction).

    Args:
        options (Sequence[str]): ``KEY=VALUE`` items, e.g.
            ``['train_cfg.max_iters=20', 'model.x=[1,2]']``.

    Returns:
        dict: dotted key -> parsed value (numbers, lists, tuples, strings).

    Raises:
        ValueError: An item without ``=``.
    """
    from mmengine.config import DictAction
    out: Dict[str, Any] = {}
    for item in options:
        key, sep, val = item.partition('=')
        if not sep:
            raise ValueError(f'cfg option must be KEY=VALUE, got {item!r}.')
        out[key] = DictAction._parse_iterable(val)
    return out


def check_user_options(options: Sequence[str]) -> None:
    """Refuse ``--cfg-options`` that would override the per-seed settings.

    Args:
        options (Sequence[str]): The user's ``KEY=VALUE`` options.

    Raises:
        ValueError: An option sets ``randomness.seed`` or the exemplar
            (other than its ``num`` and ``spread``).
    """
    for item in options:
        key = item.partition('=')[0]
        if key in USER_EXEMPLAR_KEYS:
            continue
        if any(key == k or key.startswith(k + '.') for k in RESERVED_KEYS):
            raise ValueError(
                f'--cfg-options {item!r} conflicts with the benchmark, which '
                'sets randomness.seed and the exemplar from --seeds and '
                f'--exemplar-rule (use --exemplar-rule {KEEP_CONFIG_EXEMPLAR} '
                "to keep the config's exemplar).")


def seed_options(cfg, seed: int, rule: str) -> List[str]:
    """The ``--cfg-options`` that make run ``seed`` of a config.

    Args:
        cfg (mmengine.Config): The config (after the user's options).
        seed (int): The seed.
        rule (str): Exemplar rule (one of
            :data:`elseg.datasets.exemplar.RULES`), or ``'config'`` to keep
            the config's exemplar.

    Returns:
        list[str]: ``randomness.seed=<seed>`` and, unless ``rule='config'``,
        ``train_dataloader.dataset.exemplar.rule=<rule>`` and
        ``train_dataloader.dataset.exemplar.seed=<seed>`` (merged into the
        config's exemplar dict, so e.g. Synapse's ``slice_dir`` is kept).

    Raises:
        ValueError: A rule other than 'config' for a config whose exemplar is a
            fixed slice id or a ``dict(file=...)``.
    """
    opts = [f'randomness.seed={seed}']
    if rule == KEEP_CONFIG_EXEMPLAR:
        return opts
    exemplar = cfg.train_dataloader.dataset.get('exemplar')
    if not isinstance(exemplar, dict) or 'file' in exemplar:
        raise ValueError(
            f'The config fixes its exemplar ({exemplar!r}); --exemplar-rule '
            f'{rule!r} needs a dict(rule=..., seed=...) exemplar. Pass '
            f'--exemplar-rule {KEEP_CONFIG_EXEMPLAR} to keep it.')
    return opts + [f'train_dataloader.dataset.exemplar.rule={rule}',
                   f'train_dataloader.dataset.exemplar.seed={seed}']


def schedule_options(cfg, iters: int) -> List[str]:
    """The ``--cfg-options`` that retrain a config for ``iters`` iterations.

    The schedule's own lengths scale with it, so a shorter budget keeps the
    config's proportions: ``train_cfg.max_iters`` (and ``val_interval``,
    capped), the ``begin``/``end`` of iteration-based ``param_scheduler``
    entries and the checkpoint interval. The components' iteration-valued
    options (``stage1_iters``, ``relabel_iters``, ``start_iter``,
    ``rampup_iters``, ``consistency_rampup``) follow ``max_iters`` when the
    config gives them as shares of the schedule (floats,
    :mod:`elseg.utils.schedule`); iterations given as ints stay as they are.

    Args:
        cfg (mmengine.Config): The run's config (user options merged).
        iters (int): New number of training iterations.

    Returns:
        list[str]: ``KEY=VALUE`` options (list entries addressed by index,
        e.g. ``param_scheduler.0.end=1000``, as mmengine's ``--cfg-options``
        accepts).

    Raises:
        ValueError: ``iters`` < 1, or a config without an iteration-based
            ``train_cfg.max_iters``.
    """
    if not isinstance(iters, int) or iters < 1:
        raise ValueError(f'--iters must be a positive integer, got {iters!r}.')
    old = cfg.get('train_cfg', {}).get('max_iters')
    if not isinstance(old, int) or old < 1:
        raise ValueError(
            'The config has no iteration-based train_cfg.max_iters (got '
            f'{old!r}); --iters only rescales IterBasedTrainLoop configs.')
    factor = iters / old

    def scaled(value: int) -> int:
        return max(1, int(round(value * factor)))

    opts = [f'train_cfg.max_iters={iters}']
    if cfg.train_cfg.get('val_interval') is not None:
        opts.append('train_cfg.val_interval='
                    f'{min(iters, scaled(cfg.train_cfg.val_interval))}')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
        prefixes = ['param_scheduler']
    else:
        prefixes = [f'param_scheduler.{i}' for i in range(len(schedulers))]
    for prefix, sched in zip(prefixes, schedulers):
        if sched.get('by_epoch', True):
            continue
        for key in ('begin', 'end'):
            if isinstance(sched.get(key), int) and sched[key] > 0:
                opts.append(f'{prefix}.{key}={min(iters, scaled(sched[key]))}')
    ckpt = cfg.get('default_hooks', {}).get('checkpoint') or {}
    if isinstance(ckpt.get('interval'), int) and ckpt['interval'] > 0:
        opts.append('default_hooks.checkpoint.interval='
                    f"{min(iters, scaled(ckpt['interval']))}")
    return opts


def load_run_config(config: str, options: Sequence[str]):
    """``Config.fromfile(config)`` with ``KEY=VALUE`` options merged.

    Args:
        config (str): Config path.
        options (Sequence[str]): ``KEY=VALUE`` options, merged as
            ``--cfg-options`` are.

    Returns:
        mmengine.Config: The merged config.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(parse_cfg_options(options))
    return cfg


def _data_roots(node: Any) -> List[str]:
    """Every ``data_root`` value under a (nested) dataset config."""
    if isinstance(node, dict):
        found = [node['data_root']] if node.get('data_root') else []
        return found + [r for k, v in node.items() if k != 'data_root'
                        for r in _data_roots(v)]
    if isinstance(node, (list, tuple)):
        return [r for v in node for r in _data_roots(v)]
    return []


def check_data_roots(rows: Dict[str, Any], options: Sequence[str]) -> None:
    """Check, before any run starts, that every training row finds its data.

    Args:
        rows (dict): Row name -> config path (evaluation-only rows, which
            are dicts, are skipped).
        options (Sequence[str]): The user's ``KEY=VALUE`` options (a
            ``data_root`` given there counts).

    Raises:
        FileNotFoundError: A training data folder does not exist; the message
            names the row and the fixes
            (:func:`elseg.utils.io.check_data_root`).
    """
    from elseg.utils.io import check_data_root
    checked = set()
    for row, config in rows.items():
        if not isinstance(config, str):
            continue
        cfg = load_run_config(config, options).to_dict()
        for root in _data_roots(cfg.get('train_dataloader') or {}):
            if root in checked:
                continue
            try:
                check_data_root(root)
            except FileNotFoundError as err:
                raise FileNotFoundError(
                    f'row {row!r} ({config}): {err}') from None
            checked.add(root)


def resolve_exemplar(cfg, cache: Optional[dict] = None) -> Dict[str, Any]:
    """The labelled slice(s) a config trains on, chosen as the dataset does.

    A slice id, a list of them, a ``dict(file=...)``, or a rule:
    ``select_exemplars`` with the arguments ``exemplar_selection_kwargs``
    fills from the wrapped dataset (built without reading its files), as
    ``ExemplarLearningDataset`` does.

    Args:
        cfg (mmengine.Config): The run's config (all options merged).
        cache (dict, optional): Memo of ``select_exemplars`` calls (rows
            share the exemplar of a seed; choosing it reads every training
            label).

    Returns:
        dict: ``id`` (the exemplar's slice id: the first labelled slice),
        ``spec`` (the config's exemplar setting) and, with several labelled
        slices, ``ids`` (all of them, the exemplar first).
    """
    from mmseg.registry import DATASETS
    dataset = cfg.train_dataloader.dataset
    exemplar = dataset.get('exemplar')
    spec = exemplar.to_dict() if hasattr(exemplar, 'to_dict') else exemplar
    if isinstance(spec, dict) and 'file' not in spec:
        wrapped_cfg = dataset.dataset.to_dict() if hasattr(
            dataset.dataset, 'to_dict') else dict(dataset.dataset)
        wrapped = DATASETS.build(dict(wrapped_cfg, lazy_init=True))
        kwargs = datasets.exemplar_selection_kwargs(
            spec, wrapped, dataset.get('num_classes'))
        key = json.dumps(kwargs, sort_keys=True, default=str)
        if cache is not None and key in cache:
            ids = cache[key]
        else:
            ids = datasets.select_exemplars(**kwargs)
            if cache is not None:
                cache[key] = ids
    else:
        ids = datasets.exemplar_ids(spec)
    record = dict(id=ids[0], spec=spec)
    if len(ids) > 1:
        record['ids'] = list(ids)
    return record
