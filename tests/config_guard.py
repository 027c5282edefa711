"""What each config and benchmark row trains, as a comparable snapshot.

The merged-config guard (``tests/test_config_guard.py``) compares the configs
of today with :data:`SNAPSHOT`, the training part of every config and every
benchmark row of the tree before the configs moved (the tree
docs/results/2026-12-06_configs_renamed.md names): a moved or renamed config must still train
what it trained. The snapshot is written from that tree, never from today's
(whose paths and forms it checks)::

    git archive <that tree> | tar -x -C /tmp/pre
    cp tests/config_guard.py /tmp/pre/tests/
    (cd /tmp/pre && PYTHONPATH=$PWD python -m tests.config_guard --write)
    cp /tmp/pre/tests/data/config_snapshot.json.gz tests/data/

A new form of the same training (a share of the schedule for an int, a
component moved elsewhere) gets a rule in ``RULES`` of the guard; a config
that trains otherwise on purpose is listed in its ``CHANGED``.

Each entry holds the config as ``tools/train.py`` merges it (``native``) and
as ``tools/benchmark.py --iters N`` rescales it (``iters<N>``, for each N of
:data:`ITERS`), reduced to the keys that decide what a run learns
(:data:`elseg.benchmark.run_reuse.TRAINING_KEYS`: no ``work_dir``, no
evaluation settings, no helper variables of the config files).
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
from pathlib import Path
from typing import Any, Dict, Optional

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / 'configs'
SNAPSHOT = Path(__file__).resolve().parent / 'data' / 'config_snapshot.json.gz'
#: ``--iters`` values whose rescaled configs the snapshot holds.
ITERS = (1000, 3000)


#: Configs moved or renamed by the reorganisation: old path -> new path (a
#: deleted alias maps to the config that trains the same thing). Paths not
#: listed kept their name. docs/results/2026-12-06_configs_renamed.md lists the same pairs.
RENAMED = {
    'configs/elnet/ablations/acdc_cpu_bs.py':
        'configs/baselines/unet_bs_acdc_cpu.py',
    'configs/elnet/ablations/acdc_cpu_consistency_after_s1.py':
        'configs/ablations/consistency/acdc_cpu_consistency_s2.py',
    'configs/elnet/ablations/acdc_cpu_consistency_after_s1_ema.py':
        'configs/ablations/consistency/acdc_cpu_consistency_after_s1_ema.py',
    'configs/elnet/ablations/acdc_cpu_consistency_after_s1_no_cutmix.py':
        'configs/ablations/consistency/acdc_cpu_consistency_after_s1_no_cutmix.py',
    'configs/elnet/ablations/acdc_cpu_consistency_after_s1_no_fp.py':
        'configs/ablations/consistency/acdc_cpu_consistency_after_s1_no_fp.py',
    'configs/elnet/ablations/acdc_cpu_consistency_after_s1_no_thresh.py':
        'configs/ablations/consistency/acdc_cpu_consistency_after_s1_no_thresh.py',
    'configs/elnet/ablations/acdc_cpu_consistency_ema.py':
        'configs/ablations/consistency/acdc_cpu_consistency_ema.py',
    'configs/elnet/ablations/acdc_cpu_consistency_no_cutmix.py':
        'configs/ablations/consistency/acdc_cpu_consistency_no_cutmix.py',
    'configs/elnet/ablations/acdc_cpu_consistency_no_fp.py':
        'configs/ablations/consistency/acdc_cpu_consistency_no_fp.py',
    'configs/elnet/ablations/acdc_cpu_consistency_no_thresh.py':
        'configs/ablations/consistency/acdc_cpu_consistency_no_thresh.py',
    'configs/elnet/ablations/acdc_cpu_consistency_s2_relabel2.py':
        'configs/ablations/pseudo_labels/acdc_cpu_consistency_s2_relabel2.py',
    'configs/elnet/ablations/acdc_cpu_consistency_s2_relabel_160.py':
        'configs/ablations/resolution/acdc_cpu_consistency_s2_relabel_160.py',
    'configs/elnet/ablations/acdc_cpu_esm.py':
        'configs/ablations/paper_table3/acdc_cpu_esm.py',
    'configs/elnet/ablations/acdc_cpu_esm_pcem_s1.py':
        'configs/ablations/paper_table3/acdc_cpu_esm_pcem_s1.py',
    'configs/elnet/ablations/acdc_cpu_no_ls.py':
        'configs/ablations/paper_table4/acdc_cpu_no_ls.py',
    'configs/elnet/ablations/acdc_cpu_noflip.py':
        'configs/ablations/laterality/acdc_cpu_noflip.py',
    'configs/elnet/ablations/acdc_cpu_pcem_s1_only.py':
        'configs/ablations/paper_table4/acdc_cpu_pcem_s1_only.py',
    'configs/elnet/ablations/acdc_cpu_pcem_s2_only.py':
        'configs/ablations/paper_table4/acdc_cpu_pcem_s2_only.py',
    'configs/elnet/ablations/acdc_cpu_systole_pcem_s2_pl_conf.py':
        'configs/ablations/pseudo_labels/acdc_cpu_systole_pcem_s2_pl_conf.py',
    'configs/elnet/ablations/acdc_cpu_systole_pcem_s2_pl_lcc.py':
        'configs/ablations/pseudo_labels/acdc_cpu_systole_pcem_s2_pl_lcc.py',
    'configs/elnet/ablations/acdc_cpu_tf_geo_e_geo_b.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_geo_e_geo_b.py',
    'configs/elnet/ablations/acdc_cpu_tf_int_e_geo_e.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_int_e_geo_e.py',
    'configs/elnet/ablations/acdc_cpu_tf_int_e_int_b.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_int_e_int_b.py',
    'configs/elnet/ablations/acdc_cpu_tf_no_geo_b.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_no_geo_b.py',
    'configs/elnet/ablations/acdc_cpu_tf_no_int_b.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_no_int_b.py',
    'configs/elnet/ablations/acdc_cpu_tf_none.py':
        'configs/ablations/paper_table4/acdc_cpu_tf_none.py',
    'configs/elnet/ablations/chaos_cpu_flip.py':
        'configs/ablations/laterality/chaos_cpu_flip.py',
    'configs/elnet/ablations/chaos_cpu_flip_swap.py':
        'configs/ablations/laterality/chaos_cpu_flip_swap.py',
    'configs/elnet/acdc_cpu.py':
        'configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py',
    'configs/elnet/acdc_cpu_consistency.py':
        'configs/ablations/consistency/acdc_cpu_consistency.py',
    'configs/elnet/acdc_cpu_consistency_s2.py':
        'configs/ablations/consistency/acdc_cpu_consistency_s2.py',
    'configs/elnet/acdc_cpu_consistency_s2_relabel.py':
        'configs/elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py',
    'configs/elnet/acdc_cpu_consistency_s2_rv.py':
        'configs/ablations/systole/acdc_cpu_consistency_s2_rv.py',
    'configs/elnet/acdc_cpu_exaug.py':
        'configs/ablations/systole/acdc_cpu_exaug.py',
    'configs/elnet/acdc_cpu_mtunet.py':
        'configs/ablations/backbones/acdc_cpu_mtunet.py',
    'configs/elnet/acdc_cpu_systole.py':
        'configs/ablations/systole/acdc_cpu_systole.py',
    'configs/elnet/acdc_cpu_systole_pcem_s2.py':
        'configs/ablations/systole/acdc_cpu_systole_pcem_s2.py',
    'configs/elnet/chaos_cpu.py':
        'configs/elnet/elnet_unet-b16_128x128_chaos_cpu.py',
    'configs/elnet/chaos_cpu_consistency.py':
        'configs/elnet/elnet-consistency_unet-b16_128x128_chaos_cpu.py',
}

def config_paths() -> list:
    """Every config under configs/ (``_base_`` fragments left out).

    Returns:
        list[str]: Paths relative to the repo root, sorted.
    """
    return sorted(
        str(p.relative_to(REPO_ROOT)) for p in CONFIG_DIR.rglob('*.py')
        if '_base_' not in p.parts)


def suite_rows() -> Dict[str, str]:
    """The training rows of every suites file of configs/benchmarks/.

    Returns:
        dict: ``'<file stem>:<suite>:<row>'`` -> config path (evaluation-only
        rows, which train nothing, are left out).
    """
    from elseg.benchmark.suites import load_suites
    rows = {}
    for path in sorted((CONFIG_DIR / 'benchmarks').glob('*.yaml')):
        for suite, entries in load_suites(str(path)).items():
            for row, spec in entries.items():
                if isinstance(spec, str):
                    rows[f'{path.stem}:{suite}:{row}'] = spec
    return rows


def training_dump(cfg) -> Any:
    """The training keys of a merged config as plain JSON data.

    Args:
        cfg (mmengine.Config): A merged config.

    Returns:
        dict: :func:`elseg.benchmark.run_reuse.training_part` of it, through
        JSON (tuples become lists, other objects their ``repr``).
    """
    from elseg.benchmark.run_reuse import training_part
    part = training_part(cfg.to_dict())
    return json.loads(json.dumps(part, sort_keys=True, default=repr))


def merged_variants(path: str) -> Dict[str, Any]:
    """A config as trained natively and as rescaled by ``--iters``.

    Args:
        path (str): Config path relative to the repo root.

    Returns:
        dict: ``native`` and ``iters<N>`` -> :func:`training_dump`.
    """
    from mmengine.config import Config

    from elseg.benchmark.run_options import parse_cfg_options, schedule_options
    cfg = Config.fromfile(str(REPO_ROOT / path))
    out = {'native': training_dump(cfg)}
    for iters in ITERS:
        rescaled = copy.deepcopy(cfg)
        rescaled.merge_from_dict(
            parse_cfg_options(schedule_options(cfg, iters)))
        out[f'iters{iters}'] = training_dump(rescaled)
    return out


def build_snapshot(paths: Optional[list] = None) -> Dict[str, Any]:
    """The snapshot of the configs as they read now.

    Args:
        paths (list[str], optional): Configs to include (default: every
            config of :func:`config_paths` and every row's config).

    Returns:
        dict: ``configs`` (path -> :func:`merged_variants`) and ``rows``
        (:func:`suite_rows`).
    """
    rows = suite_rows()
    if paths is None:
        paths = sorted(set(config_paths()) | set(rows.values()))
    return dict(configs={p: merged_variants(p) for p in paths}, rows=rows)


def read_snapshot() -> Dict[str, Any]:
    """The committed snapshot (:data:`SNAPSHOT`)."""
    with gzip.open(SNAPSHOT, 'rt') as f:
        return json.load(f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--write', action='store_true',
                        help=f'write {SNAPSHOT.relative_to(REPO_ROOT)}')
    args = parser.parse_args()
    snap = build_snapshot()
    text = json.dumps(snap, sort_keys=True, separators=(',', ':'))
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0: the same configs give the same bytes
        with gzip.GzipFile(SNAPSHOT, 'wb', mtime=0) as f:
            f.write(text.encode())
        print(f'{SNAPSHOT}: {len(snap["configs"])} configs, '
              f'{len(snap["rows"])} rows')
    else:
        print(f'{len(snap["configs"])} configs, {len(snap["rows"])} rows '
              '(--write to store them)')


if __name__ == '__main__':
    main()
