"""The merged-config guard: moved and renamed configs train what they trained.

``tests/data/config_snapshot.json.gz`` holds what every config and every
benchmark row trained before the configs were reorganised
(``tests/config_guard.py``). Each config is compared with its snapshot
through :data:`RENAMED` and :func:`normalise`, natively and as
``tools/benchmark.py --iters N`` rescales it.
"""
import copy
import re
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from elseg.utils.schedule import resolve_iters
from tests.config_guard import (CONFIG_DIR, ITERS, RENAMED, REPO_ROOT,
                                merged_variants, read_snapshot, suite_rows)

SNAP = read_snapshot()
#: The data-root convention: every dataset under data/<name>.
DATA_ROOTS = {'../shared/data/ACDC': 'data/ACDC'}
#: The recommended recipes: at most 2 levels above the _base_ fragments.
RECIPES = ('configs/elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py',
           'configs/elnet/elnet-consistency_unet-b16_128x128_chaos_cpu.py')


# ------------------------------------------------------------ normalisation
def resolve_shares(cfg: Dict[str, Any]) -> None:
    """Iteration options given as shares of max_iters -> iterations."""
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    for hook in cfg.get('custom_hooks') or []:
        if 'stage1_iters' in hook:
            hook['stage1_iters'] = resolve_iters(hook['stage1_iters'],
                                                 max_iters, 'stage1_iters')
        if hook.get('relabel_iters'):
            hook['relabel_iters'] = sorted(
                resolve_iters(it, max_iters, 'relabel_iters')
                for it in hook['relabel_iters'])
    model = cfg.get('model') or {}
    if 'consistency_rampup' in model:
        model['consistency_rampup'] = resolve_iters(
            model['consistency_rampup'], max_iters, 'consistency_rampup')
    for key in ('start_iter', 'rampup_iters'):
        if key in (model.get('consistency') or {}):
            model['consistency'][key] = resolve_iters(
                model['consistency'][key], max_iters, key)


def data_root_convention(cfg: Any) -> Any:
    """Data roots of before the convention -> data/<name> (in place)."""
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            cfg[key] = data_root_convention(value)
    elif isinstance(cfg, list):
        return [data_root_convention(v) for v in cfg]
    elif isinstance(cfg, str):
        return DATA_ROOTS.get(cfg, cfg)
    return cfg


def cavity_contraction_transform(cfg: Dict[str, Any]) -> None:
    """``synthesis.cavity_contraction=dict(...)`` -> ``synthesis.
    source_transforms=[dict(type='CavityContraction', ...)]`` (the
    contraction became a transform of its own; same draws, same samples)."""
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    synthesis = dataset.get('synthesis') or {}
    old = synthesis.pop('cavity_contraction', None)
    if old is not None:
        synthesis['source_transforms'] = [dict(type='CavityContraction',
                                               **old)]


#: Translation rules, applied in order (each edits the dump in place); a
#: component moved elsewhere adds its rule here.
RULES: List[Callable[[Dict[str, Any]], Any]] = [
    resolve_shares, data_root_convention, cavity_contraction_transform]


#: Old config paths whose training changes on purpose -> the docs/results
#: page that measures the new version (the guard then checks they differ).
CHANGED: Dict[str, str] = {
    # the recipe's stage 2 with one strong view, no perturbed features
    'configs/elnet/acdc_cpu_consistency_s2_relabel.py':
        '2026-12-06_acdc_stage2_speed.md',
}


def normalise(dump: Dict[str, Any]) -> Dict[str, Any]:
    """A training dump in today's conventions (a copy).

    Args:
        dump (dict): :func:`tests.config_guard.training_dump` output.

    Returns:
        dict: The dump with every rule of :data:`RULES` applied.
    """
    out = copy.deepcopy(dump)
    for rule in RULES:
        rule(out)
    return out


def differences(old: Any, new: Any, where: str = '') -> List[str]:
    """Dotted keys where two dumps differ (for readable failures)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k in sorted(set(old) | set(new))
                for d in differences(old.get(k, '<absent>'),
                                     new.get(k, '<absent>'), f'{where}.{k}')]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(
            new):
        return [d for i, (a, b) in enumerate(zip(old, new))
                for d in differences(a, b, f'{where}.{i}')]
    return [] if old == new else [f'{where}: {old!r} -> {new!r}']


def check_same_training(old_path: str, variants: Dict[str, Any]) -> List[str]:
    """Differences between a snapshot entry and a config's variants now."""
    snap = SNAP['configs'][old_path]
    return [f'{name}{d}' for name in snap
            for d in differences(normalise(snap[name]),
                                 normalise(variants[name]))]


_VARIANTS: Dict[str, Any] = {}


def variants_of(path: str) -> Dict[str, Any]:
    if path not in _VARIANTS:
        _VARIANTS[path] = merged_variants(path)
    return _VARIANTS[path]


# -------------------------------------------------------------------- tests
def test_normalise_by_hand():
    dump = dict(
        train_cfg=dict(max_iters=4000),
        custom_hooks=[dict(type='ExemplarTwoStageHook', stage1_iters=0.5,
                           relabel_iters=[5 / 6, 2 / 3])],
        model=dict(consistency_rampup=1.0,
                   consistency=dict(start_iter=0.5, rampup_iters=0)),
        train_dataloader=dict(dataset=dict(dataset=dict(
            data_root='../shared/data/ACDC', ids=['../shared/data/ACDC']))))
    out = normalise(dump)
    # 4000 / 2 = 2000; 4000 * 2/3 = 2666.7 -> 2667, * 5/6 = 3333.3 -> 3333
    assert out['custom_hooks'][0]['stage1_iters'] == 2000
    assert out['custom_hooks'][0]['relabel_iters'] == [2667, 3333]
    assert out['model']['consistency_rampup'] == 4000
    assert out['model']['consistency'] == dict(start_iter=2000, rampup_iters=0)
    inner = out['train_dataloader']['dataset']['dataset']
    assert inner == dict(data_root='data/ACDC', ids=['data/ACDC'])
    assert dump['custom_hooks'][0]['stage1_iters'] == 0.5  # a copy
    # the contraction moved into a transform of its own
    esm = normalise(dict(train_dataloader=dict(dataset=dict(synthesis=dict(
        cavity_contraction=dict(cavity=3, wall=2))))))
    assert esm['train_dataloader']['dataset']['synthesis'] == dict(
        source_transforms=[dict(type='CavityContraction', cavity=3, wall=2)])
    # iterations given as ints stay
    assert normalise(dict(train_cfg=dict(max_iters=10), custom_hooks=[
        dict(stage1_iters=3)]))['custom_hooks'][0]['stage1_iters'] == 3


def test_snapshot_covers_every_config_and_row():
    # the snapshot's tree: 62 configs outside _base_, and 72 training rows
    # in its suites files (60 acdc_cpu + 2 acdc_gpu + 10 chaos_cpu)
    assert len(SNAP['configs']) == 62 and len(SNAP['rows']) == 72
    assert 'configs/elnet/acdc_cpu_consistency_s2_relabel.py' in SNAP['configs']
    assert set(SNAP['rows'].values()) <= set(SNAP['configs'])
    assert all(set(v) == {'native', *(f'iters{n}' for n in ITERS)}
               for v in SNAP['configs'].values())
    assert set(RENAMED) <= set(SNAP['configs'])


@pytest.mark.parametrize('old_path', sorted(SNAP['configs']))
def test_config_trains_what_it_trained(old_path):
    new_path = RENAMED.get(old_path, old_path)
    assert (REPO_ROOT / new_path).is_file(), (
        f'{old_path} -> {new_path}: missing (add it to RENAMED)')
    diff = check_same_training(old_path, variants_of(new_path))
    if old_path in CHANGED:
        assert diff, f'{old_path} is in CHANGED but trains what it trained'
        assert (REPO_ROOT / 'docs' / 'results' / CHANGED[old_path]).is_file()
        return
    assert not diff, f'{old_path} -> {new_path} trains otherwise:\n' + \
        '\n'.join(diff[:20])


def test_benchmark_rows_train_what_they_trained():
    rows = suite_rows()
    assert set(rows) == set(SNAP['rows']), (
        sorted(set(rows) ^ set(SNAP['rows'])))
    for row, new_path in rows.items():
        old_path = SNAP['rows'][row]
        assert new_path == RENAMED.get(old_path, old_path), row
        if old_path in CHANGED:
            continue  # test_config_trains_what_it_trained checks it
        diff = check_same_training(old_path, variants_of(new_path))
        assert not diff, f'{row}: {diff[:5]}'


def test_guard_fails_on_a_changed_config(tmp_path):
    recipe = RECIPES[0]
    old = 'configs/elnet/acdc_cpu_consistency_s2_relabel.py'
    assert RENAMED[old] == recipe
    for body, key in (
            ("model = dict(consistency=dict(conf_thresh=0.9))\n",
             'model.consistency.conf_thresh: 0.95 -> 0.9'),
            ("custom_hooks = [dict(type='ExemplarTwoStageHook', "
             "stage1_iters=0.4, relabel_iters=[0.75])]\n",
             'custom_hooks.0.stage1_iters: 2000 -> 1600'),
            ("train_dataloader = dict(dataset=dict(dataset=dict("
             "data_root='data/other')))\n",
             "data_root: 'data/ACDC' -> 'data/other'")):
        cfg = CONFIG_DIR / 'elnet' / f'_guard_probe_{tmp_path.name}.py'
        cfg.write_text(f"_base_ = ['./{Path(recipe).name}']\n" + body)
        try:
            diff = check_same_training(
                old, merged_variants(str(cfg.relative_to(REPO_ROOT))))
        finally:
            cfg.unlink()
        assert any(key in d for d in diff), (key, diff[:5])
    # the fraction follows --iters: 0.4 of 1000 is 400, not 500
    assert 'iters1000.custom_hooks.0.stage1_iters: 500 -> 400' in [
        d for d in check_same_training(old, {
            name: dict(v, custom_hooks=[dict(
                v['custom_hooks'][0], stage1_iters=0.4)])
            for name, v in variants_of(recipe).items()})]


def _base_files(path: Path) -> List[Path]:
    text = path.read_text()
    match = re.search(r'^_base_\s*=\s*\[(.*?)\]', text, re.S | re.M)
    if match is None:
        return []
    return [(path.parent / p).resolve()
            for p in re.findall(r"'([^']+)'", match.group(1))]


def depth(path: Path) -> int:
    """Inheritance steps from ``path`` down to the _base_ fragments."""
    if '_base_' in path.parts:
        return 0
    return 1 + max([depth(p) for p in _base_files(path)] or [0])


def test_recipes_read_in_one_file():
    for recipe in RECIPES:
        assert depth(REPO_ROOT / recipe) <= 2, recipe
    assert depth(REPO_ROOT / RECIPES[0]) == 1
    # the user's commands keep working
    for path in ('configs/elnet/acdc.py', 'configs/elnet/own_data_cpu.py',
                 'configs/elnet/demo_phantom.py',
                 'configs/baselines/unet_bs_acdc_cpu.py'):
        assert (REPO_ROOT / path).is_file(), path
    assert depth(REPO_ROOT / 'configs/elnet/own_data_cpu.py') == 2


def test_rename_page_lists_every_pair():
    page = (REPO_ROOT / 'docs' / 'results' / '2026-12-06_configs_renamed.md').read_text()
    for old, new in RENAMED.items():
        assert f'| `{old}` | `{new}` |' in page, old


ABLATIONS = CONFIG_DIR / 'ablations'
_LINK = re.compile(r'\[[^\]]*\]\(([^)#]+)(?:#[^)]*)?\)')


def ablation_rows(readme: Path) -> List[Dict[str, str]]:
    """The result table of an ablation folder's README.

    Args:
        readme (Path): ``configs/ablations/<question>/README.md``.

    Returns:
        list[dict]: One dict per table row: ``row``, ``config``, ``mdice``
        (the cell's text) and ``page`` (the linked page, resolved; the row
        above's for "same page"; '' for none).
    """
    rows, page = [], ''
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not line.startswith('| ') or cells[0] == 'row' or len(cells) != 4:
            continue
        link = _LINK.search(cells[3])
        if link:
            page = str((readme.parent / link.group(1)).resolve())
        elif not cells[3].startswith('same page'):
            page = ''
        rows.append(dict(row=cells[0], config=cells[1], mdice=cells[2],
                         page=page))
    return rows


def test_ablation_readme_parser_by_hand(tmp_path):
    (tmp_path / 'p.md').write_text('x')
    readme = tmp_path / 'README.md'
    readme.write_text(
        '| row | config | mDice | page |\n|---|---|---:|---|\n'
        '| a | `a.py` | 0.5 (0, 1) | [p](p.md#s) |\n'
        '| b | `b.py` | 0.4 | same page |\n| c | `c.py` | - | |\n')
    page = str((tmp_path / 'p.md').resolve())
    assert ablation_rows(readme) == [
        dict(row='a', config='`a.py`', mdice='0.5 (0, 1)', page=page),
        dict(row='b', config='`b.py`', mdice='0.4', page=page),
        dict(row='c', config='`c.py`', mdice='-', page='')]


@pytest.mark.parametrize('folder', sorted(
    p.name for p in ABLATIONS.iterdir() if p.is_dir() and p.name[0] != '_'))
def test_ablation_readme_table(folder):
    """Each ablation config is in its folder's table, with its recorded mDice.

    A result is ``-`` (none recorded) or the mean DSC as the linked
    docs/results page writes it.
    """
    readme = ABLATIONS / folder / 'README.md'
    text = readme.read_text()
    for cfg in (ABLATIONS / folder).glob('*.py'):
        assert f'`{cfg.name}`' in text, (folder, cfg.name)
    rows = ablation_rows(readme)
    assert rows, readme
    for row in rows:
        for name in re.findall(r'`([^`]+\.py)`', row['config']):
            assert ((readme.parent / name).is_file()
                    or (REPO_ROOT / name).is_file()), (folder, name)
        if row['mdice'] == '-':
            continue
        value = re.match(r'(\d\.\d{3})( \([0-9, ]+\))?$', row['mdice'])
        assert value, (folder, row)
        assert row['page'] and Path(row['page']).is_file(), (folder, row)
        page = Path(row['page']).read_text()
        assert re.search(rf'(?<![\d.]){re.escape(value.group(1))}(?!\d)',
                         page), (folder, row['row'], value.group(1))


def load_config(path: str) -> Any:
    """A config by its repository-relative path, merged (mmengine Config)."""
    from mmengine import Config
    return Config.fromfile(str(REPO_ROOT / path))


def test_acdc_recipe_settings():
    """The ACDC recipe: the suggested exemplar, a one-view stage 2; the two-view
    file differs from it in exactly those settings."""
    recipe = load_config(RECIPES[0])
    two = load_config(
        'configs/ablations/consistency/acdc_cpu_recipe_two_strong_views.py')
    assert recipe.train_dataloader.dataset.exemplar == dict(rule='suggested',
                                                           seed=0)
    cons = recipe.model.consistency
    assert (cons.num_strong, cons.fp, tuple(cons.stages)) == (1, False, (2, ))
    assert two.train_dataloader.dataset.exemplar.rule == 'central'
    assert (two.model.consistency.num_strong, two.model.consistency.fp) == (
        2, True)
    two.model.consistency.update(num_strong=1, fp=False)
    two.train_dataloader.dataset.exemplar.rule = 'suggested'
    assert two.model == recipe.model
    assert two.train_dataloader == recipe.train_dataloader


def test_propagation_ablation_settings():
    """The propagation rows differ from the recipe they build on in
    ``propagation`` only: both ingredients, neighbours only, other frame only
    (ACDC); the CHAOS one-view rows differ from the CHAOS recipe in the
    stage-2 views (and propagation) only."""
    recipe = load_config(RECIPES[0])
    rows = {name: load_config(
                f'configs/ablations/propagation/acdc_cpu_recipe_{name}.py')
            for name in ('propagation', 'propagation_neighbours',
                         'propagation_other_frame')}
    expected = {'propagation': (2, True), 'propagation_neighbours': (2, False),
                'propagation_other_frame': (0, True)}
    for name, cfg in rows.items():
        prop = cfg.train_dataloader.dataset.pop('propagation')
        assert (prop.neighbours, prop.other_frames) == expected[name], name
        assert (prop.max_folding, prop.esm_prob) == (0.02, 0.5), name
        assert cfg.train_dataloader == recipe.train_dataloader, name
        assert cfg.model == recipe.model, name
    chaos = load_config(RECIPES[1])
    one = load_config(
        'configs/ablations/consistency/chaos_cpu_recipe_one_strong_view.py')
    one_prop = load_config(
        'configs/ablations/propagation/chaos_cpu_one_strong_view_propagation.py')
    assert (chaos.model.consistency.num_strong, chaos.model.consistency.fp) == (
        2, True)
    assert (one.model.consistency.num_strong, one.model.consistency.fp) == (
        1, False)
    prop = one_prop.train_dataloader.dataset.pop('propagation')
    assert (prop.neighbours, prop.other_frames) == (2, False)
    assert one_prop.model == one.model
    assert one_prop.train_dataloader == one.train_dataloader
    one.model.consistency.update(num_strong=2, fp=True)
    assert one.model == chaos.model
    assert one.train_dataloader == chaos.train_dataloader
