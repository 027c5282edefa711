"""elseg.benchmark.run_options: the schedule options of ``--iters``."""
import pytest
from mmengine.config import Config

from elseg.benchmark.run_options import load_run_config, schedule_options
from elseg.utils.schedule import resolve_iters
from tests.conftest import REPO_ROOT


def _resolved(cfg, key, value_of):
    """An iteration option of a merged config, in iterations."""
    return resolve_iters(value_of(cfg), cfg.train_cfg.max_iters, key)


def test_schedule_options_scale_every_length_by_hand():
    elnet = str(REPO_ROOT / 'configs' / 'elnet' /
                'elnet_unet-b16_128x128_acdc_cpu.py')
    cfg = Config.fromfile(elnet)
    # 4000 -> 1000 iterations: factor 1/4; checkpoint interval 500 -> 125,
    # the poly LR ends at 1000; stage 1 is half the schedule (a share, which
    # follows max_iters without an option of its own): 2000 -> 500
    assert schedule_options(cfg, 1000) == [
        'train_cfg.max_iters=1000', 'train_cfg.val_interval=1000',
        'param_scheduler.0.end=1000', 'default_hooks.checkpoint.interval=125']
    stage1 = lambda c: c.custom_hooks[0].stage1_iters  # noqa: E731
    assert _resolved(cfg, 'stage1_iters', stage1) == 2000
    merged = load_run_config(elnet, schedule_options(cfg, 1000))
    assert _resolved(merged, 'stage1_iters', stage1) == 500
    mlds_path = str(REPO_ROOT / 'configs' / 'baselines' / 'mlds_acdc_cpu.py')
    mlds = Config.fromfile(mlds_path)
    opts = schedule_options(mlds, 3000)  # x 0.75: ramp-up 4000 -> 3000
    assert not any(o.startswith('custom_hooks') for o in opts)
    rampup = lambda c: c.model.consistency_rampup  # noqa: E731
    assert _resolved(mlds, 'consistency_rampup', rampup) == 4000
    assert _resolved(load_run_config(mlds_path, opts), 'consistency_rampup',
                     rampup) == 3000
    # consistency's warm-up scales too: 2000 of 4000 -> 500 of 1000
    uni_path = str(REPO_ROOT / 'configs' / 'baselines' /
                   'unimatch_bs_acdc_cpu_warmup.py')
    uni = Config.fromfile(uni_path)
    start = lambda c: c.model.consistency.start_iter  # noqa: E731
    assert _resolved(uni, 'start_iter', start) == 2000
    uni_1000 = load_run_config(uni_path, schedule_options(uni, 1000))
    assert _resolved(uni_1000, 'start_iter', start) == 500
    assert uni_1000.model.consistency.rampup_iters == 0
    # re-labelling rounds keep their place in stage 2: 3000 of 4000 -> 750
    relabel = str(REPO_ROOT / 'configs' / 'elnet' /
                  'elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py')
    hook = load_run_config(
        relabel, schedule_options(Config.fromfile(relabel), 1000)).custom_hooks[0]
    assert resolve_iters(hook.stage1_iters, 1000, 'stage1_iters') == 500
    assert [resolve_iters(it, 1000, 'relabel_iters')
            for it in hook.relabel_iters] == [750]
    # iterations given as ints are not rescaled
    cfg.custom_hooks[0].stage1_iters = 2000
    assert not any('stage1_iters' in o for o in schedule_options(cfg, 1000))
    # the options apply as mmengine --cfg-options do (list entries by index)
    assert merged.custom_hooks[0].type == 'ExemplarTwoStageHook'
    assert merged.param_scheduler[0].end == 1000
    with pytest.raises(ValueError, match='got 0'):
        schedule_options(cfg, 0)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
    with pytest.raises(ValueError, match='max_iters'):
        schedule_options(cfg, 10)


def test_resolve_exemplar_uses_the_dataset_class_count(monkeypatch, tmp_path):
    """The benchmark reports the exemplar the dataset trains on: with the
    dataset's 5 classes (CHAOS), not select_exemplar's default 4 (ACDC)."""
    import elseg.datasets as datasets
    from elseg.benchmark.run_options import resolve_exemplar
    seen = {}

    def fake_select(**kwargs):
        seen.update(kwargs)
        return ['x_slice_1']

    monkeypatch.setattr(datasets, 'select_exemplars', fake_select)
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'elnet' /
                              'elnet_unet-b16_128x128_chaos_cpu.py'))
    # the wrapped dataset is built (its dataset.json read): a tiny converted
    # folder with CHAOS's 5 classes stands in for data/chaos_t2
    from tests.test_datasets.test_nifti_slice_dataset import make_root
    cfg.train_dataloader.dataset.dataset.data_root = str(make_root(tmp_path))
    assert resolve_exemplar(cfg)['id'] == 'x_slice_1'
    assert seen['num_classes'] == 5
    assert seen['split_list'] == 'train_slices.list'
    assert seen['rule'] == 'representative'


def test_resolve_exemplar_records_every_labelled_slice(monkeypatch, tmp_path):
    """One slice: ``id`` only, as before; several: ``ids`` too, the exemplar
    first (a list in the config, or a rule with num)."""
    import elseg.datasets as datasets
    from elseg.benchmark.run_options import resolve_exemplar
    from tests.conftest import write_tiny_elnet_config
    cfg = Config.fromfile(str(write_tiny_elnet_config(
        tmp_path / 'c.py', tmp_path / 'data')))
    cfg.train_dataloader.dataset.exemplar = 'p_slice_1'
    assert resolve_exemplar(cfg) == dict(id='p_slice_1', spec='p_slice_1')
    cfg.train_dataloader.dataset.exemplar = ['p_slice_2', 'p_slice_1']
    assert resolve_exemplar(cfg) == dict(
        id='p_slice_2', spec=['p_slice_2', 'p_slice_1'],
        ids=['p_slice_2', 'p_slice_1'])
    monkeypatch.setattr(datasets, 'select_exemplars',
                        lambda **kw: ['a_slice_1', 'b_slice_4'][:kw['num']])
    spec = dict(rule='central', seed=0, num=2, spread='patients')
    cfg.train_dataloader.dataset.exemplar = spec
    cache = {}
    record = resolve_exemplar(cfg, cache)
    assert record == dict(id='a_slice_1', spec=spec,
                          ids=['a_slice_1', 'b_slice_4'])
    assert list(cache.values()) == [['a_slice_1', 'b_slice_4']]
    from elseg.benchmark.report import runs_table
    table = runs_table([dict(name='r', runs=[dict(seed=0, exemplar=record)])])
    assert '| r | 0 | a_slice_1, b_slice_4 |' in table


def test_check_data_roots_before_any_run(tmp_path):
    from elseg.benchmark.run_options import check_data_roots
    from tests.conftest import write_tiny_elnet_config
    missing = tmp_path / 'data' / 'ACDC'
    cfg = str(write_tiny_elnet_config(tmp_path / 'c.py', missing))
    rows = {'ELNet': cfg, 'ELNet+LCC': {'from': 'ELNet', 'test_args': []}}
    with pytest.raises(FileNotFoundError) as err:
        check_data_roots(rows, [])
    assert str(err.value).startswith(f"row 'ELNet' ({cfg}): data folder "
                                     f"'{missing}' does not exist")
    # a data_root given as an option counts; evaluation-only rows train nothing
    root = 'train_dataloader.dataset.dataset.data_root'
    assert check_data_roots(rows, [f'{root}={tmp_path}']) is None
    assert check_data_roots({'ELNet+LCC': rows['ELNet+LCC']}, []) is None
    missing.mkdir(parents=True)
    assert check_data_roots(rows, []) is None
