"""Reuse finished benchmark runs across results folders (``--reuse-from``).

Several suites share rows: Table 4's "L_e" row is Table 3's "BS" row, its
"full" row and the transform table's "all" row are ELNet. Retraining them
costs hours on a CPU, so ``tools/benchmark.py --reuse-from OTHER_RESULTS``
hard-links a finished run of another folder into the new one when, and only
when, it trained the same thing: the same seed, and the same merged config
(the config file with every training ``--cfg-options`` of the run applied,
the exemplar and schedule options included). Row names and config file names
may differ (a config and a copy under another name build the same training).

The copy's ``result.json`` names its own row and folder and records where it
came from (``reused_from``); checkpoints are hard links (no disk cost), or
copies where the file system cannot link.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import shlex
import shutil
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

from elseg.utils.schedule import resolve_shares
from .run_folder import STATUS_OK, has_checkpoint, read_json, write_json


def train_options_of(result: dict) -> List[str]:
    """The ``--cfg-options`` of a run's first training command.

    Args:
        result (dict): The run's ``result.json`` record.

    Returns:
        list[str]: The ``KEY=VALUE`` options (none without a command).
    """
    commands = (result.get('commands') or {}).get('train') or []
    if not commands:
        return []
    tokens = shlex.split(commands[0])
    if '--cfg-options' not in tokens:
        return []
    return tokens[tokens.index('--cfg-options') + 1:]


#: The config keys that decide what a training run learns; helper variables of
#: the config files (``train_pipeline``, ``crop_size``...) act only through
#: them and may differ between files that train the same thing.
TRAINING_KEYS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                 'param_scheduler', 'custom_hooks', 'randomness',
                 'default_hooks', 'env_cfg', 'model_wrapper_cfg', 'load_from',
                 'resume')


def config_signature(config: str, options: Sequence[str],
                     loader: Callable[[str, Sequence[str]], Any]) -> str:
    """A canonical text of what a training run's merged config trains.

    Args:
        config (str): Config path.
        options (Sequence[str]): ``KEY=VALUE`` training options.
        loader (Callable): ``(config, options) -> mmengine Config``
            (:func:`elseg.benchmark.run_options.load_run_config`).

    Returns:
        str: JSON (sorted keys) of the merged config's :data:`TRAINING_KEYS`
        (``work_dir``, ``launcher`` and the files' helper variables left
        out: they do not change what a run trains).
    """
    cfg = loader(config, options).to_dict()
    return json.dumps(comparable_part(cfg), sort_keys=True, default=repr)


def _real_data_roots(node: Any) -> Any:
    """Every ``data_root`` string of a config as its real path (a copy)."""
    if isinstance(node, dict):
        return {k: (osp.realpath(v) if k == 'data_root' and isinstance(v, str)
                    and v else _real_data_roots(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_real_data_roots(v) for v in node]
    return node


def comparable_part(cfg: dict) -> dict:
    """:func:`training_part` in one form, to compare what runs trained.

    Shares of the schedule become iterations
    (:func:`elseg.utils.schedule.resolve_shares`: a run dumped with
    ``stage1_iters=500`` of 1000 compares equal to one with ``0.5``), and
    each ``data_root`` its real path (``data/ACDC`` linked to a folder
    compares equal to that folder's path).

    Args:
        cfg (dict): A merged config as a dict.

    Returns:
        dict: The training keys, normalised.
    """
    part = training_part(cfg)
    max_iters = (part.get('train_cfg') or {}).get('max_iters')
    return _real_data_roots(resolve_shares(part, max_iters))


def training_part(cfg: dict) -> dict:
    """The :data:`TRAINING_KEYS` of a config dict, resuming left out.

    A run resumed from a checkpoint of its own folder (``--resume``; a
    shared stage 1) dumps ``resume=True`` and ``load_from=<its folder>/
    iter_*.pth``; it trained what the same config trains from scratch. A
    ``load_from`` elsewhere (pre-trained weights) is kept: it changes what is
    learned.

    Args:
        cfg (dict): A merged config as a dict (``work_dir`` included when
            the config was dumped by a run).

    Returns:
        dict: The training keys.
    """
    part = {k: cfg.get(k) for k in TRAINING_KEYS}
    load_from, work_dir = part.get('load_from'), cfg.get('work_dir')
    if part.get('resume') and load_from and work_dir and osp.normpath(
            osp.dirname(str(load_from))).endswith(
                osp.normpath(str(work_dir))):
        part['load_from'], part['resume'] = None, False
    return part


def dumped_config(run_dir: str, result: dict) -> Optional[str]:
    """The merged config a finished run wrote into its folder, if any.

    ``tools/train.py`` (mmengine's runner) dumps the config it trained with,
    options applied, as ``<run folder>/<config file name>``. Comparing that
    copy, not the config file as it reads today, keeps an edited config from
    matching runs trained before the edit.

    Args:
        run_dir (str): The run folder.
        result (dict): Its ``result.json`` record (``config``: the path).

    Returns:
        str | None: The dumped config's path, or None when absent.
    """
    path = osp.join(run_dir, osp.basename(result.get('config', '')))
    return path if osp.isfile(path) and path.endswith('.py') else None


def finished_run_signature(run_dir: str, result: dict,
                           signature: Callable[[str, Sequence[str]], Any]
                           ) -> Any:
    """The signature of what a finished run trained.

    From the config the run dumped into its folder (:func:`dumped_config`),
    else from its recorded config file and training options.

    Args:
        run_dir (str): The run folder.
        result (dict): Its ``result.json`` record.
        signature (Callable): ``(config path, options) -> signature``.

    Returns:
        Whatever ``signature`` returns.
    """
    dumped = dumped_config(run_dir, result)
    if dumped is not None:
        return signature(dumped, ())
    return signature(result['config'], train_options_of(result))


def find_reusable_run(reuse_dirs: Sequence[str], seed: int, config: str,
                      options: Sequence[str],
                      loader: Callable[[str, Sequence[str]], Any],
                      cache: Optional[Dict[Tuple, str]] = None
                      ) -> Optional[str]:
    """The run folder of a finished run that trained the same thing.

    Args:
        reuse_dirs (Sequence[str]): Results folders to search
            (``DIR/runs/<row>/seed<k>/result.json``).
        seed (int): The run's seed.
        config (str): The run's config path.
        options (Sequence[str]): The run's training ``--cfg-options``.
        loader (Callable): Config loader, see :func:`config_signature`.
        cache (dict, optional): Signature memo shared between calls.

    Returns:
        str | None: The matching run folder, or None.

    Raises:
        ValueError: A folder in ``reuse_dirs`` does not exist.
    """
    cache = {} if cache is None else cache

    def signature(cfg_path: str, opts: Sequence[str]) -> str:
        key = (cfg_path, tuple(opts))
        if key not in cache:
            cache[key] = config_signature(cfg_path, opts, loader)
        return cache[key]

    for results_dir in reuse_dirs:
        if not osp.isdir(results_dir):
            raise ValueError(
                f'--reuse-from {results_dir!r}: no such folder; give a '
                'results folder of an earlier tools/benchmark.py run')
    wanted = None
    for run_dir, result in finished_runs(reuse_dirs, seed):
        if wanted is None:
            wanted = signature(config, options)
        if finished_run_signature(run_dir, result, signature) == wanted:
            return run_dir
    return None


def finished_runs(results_dirs: Sequence[str],
                  seed: int) -> Iterator[Tuple[str, dict]]:
    """The successful training runs of one seed in results folders.

    Args:
        results_dirs (Sequence[str]): Results folders
            (``DIR/runs/<row>/seed<k>/result.json``); missing ones yield
            nothing.
        seed (int): The seed.

    Yields:
        tuple[str, dict]: ``(run folder, result.json record)`` of each run
        with status ok, that seed and its dumped config (or its config
        file); evaluation-only rows (``source``) are left out.
    """
    for results_dir in results_dirs:
        pattern = osp.join(results_dir, 'runs', '*', f'seed{seed}',
                           'result.json')
        for path in sorted(glob.glob(pattern)):
            result = read_json(path) or {}
            if (result.get('status') != STATUS_OK or result.get('seed') != seed
                    or result.get('source')):  # evaluation-only row
                continue
            if not (osp.isfile(result.get('config', ''))
                    or dumped_config(osp.dirname(path), result)):
                continue  # nothing left to compare with
            yield osp.dirname(path), result


def link_or_copy(src: str, dst: str) -> None:
    """Hard-link ``src`` to ``dst``; copy where the file system cannot link."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def link_run(source_dir: str, run_dir: str, row: str) -> dict:
    """Hard-link a finished run into ``run_dir``; rewrite its result.json.

    Args:
        source_dir (str): The finished run's folder.
        run_dir (str): The new run folder (must not hold a result.json).
        row (str): The new row's name.

    Returns:
        dict: The new run record (``reused_from`` = ``source_dir``).

    Raises:
        ValueError: ``run_dir`` already holds a finished run or checkpoints
            (training there is resumed, never thrown away).
    """
    if osp.isfile(osp.join(run_dir, 'result.json')) or has_checkpoint(
            run_dir):
        raise ValueError(
            f'{run_dir} already holds a result.json or checkpoints; remove '
            'them to reuse another run there')

    staging = run_dir.rstrip('/') + '.reusing'
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source_dir, staging, copy_function=link_or_copy)
    result_path = osp.join(staging, 'result.json')
    record = read_json(result_path)
    os.remove(result_path)  # a hard link: never write through it
    src_abs, dst_abs = osp.abspath(source_dir), osp.abspath(run_dir)
    ckpt = record.get('checkpoint')
    if isinstance(ckpt, str) and osp.abspath(ckpt).startswith(src_abs):
        record['checkpoint'] = dst_abs + osp.abspath(ckpt)[len(src_abs):]
    record.update(row=row, run_dir=run_dir, reused_from=source_dir)
    write_json(record, result_path)
    if osp.isdir(run_dir):  # logs of a failed start at most: replaced
        shutil.rmtree(run_dir)
    os.makedirs(osp.dirname(osp.abspath(run_dir)), exist_ok=True)
    os.replace(staging, run_dir)
    return record
