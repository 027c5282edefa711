"""elseg.benchmark.run_options: the schedule options of ``--iters``."""
import pytest
from mmengine.config import Config

from elseg.benchmark.run_options import load_run_config, schedule_options
from tests.conftest import REPO_ROOT


def test_schedule_options_scale_every_length_by_hand():
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'elnet' /
                              'acdc_cpu.py'))
    # 4000 -> 1000 iterations: factor 1/4; stage 1 2000 -> 500, checkpoint
    # interval 500 -> 125, the poly LR ends at 1000
    assert schedule_options(cfg, 1000) == [
        'train_cfg.max_iters=1000', 'train_cfg.val_interval=1000',
        'param_scheduler.0.end=1000', 'custom_hooks.0.stage1_iters=500',
        'default_hooks.checkpoint.interval=125']
    mlds = Config.fromfile(str(REPO_ROOT / 'configs' / 'baselines' /
                               'mlds_acdc_cpu.py'))
    opts = schedule_options(mlds, 3000)  # x 0.75: ramp-up 4000 -> 3000
    assert 'model.consistency_rampup=3000' in opts
    assert not any(o.startswith('custom_hooks') for o in opts)
    # consistency's warm-up scales too: 2000 of 4000 -> 500 of 1000
    uni = Config.fromfile(str(REPO_ROOT / 'configs' / 'baselines' /
                              'unimatch_bs_acdc_cpu_warmup.py'))
    assert uni.model.consistency.start_iter == 2000
    assert 'model.consistency.start_iter=500' in schedule_options(uni, 1000)
    assert not any('rampup_iters' in o for o in schedule_options(uni, 1000))
    # re-labelling rounds keep their place in stage 2: 3000 of 4000 -> 750
    relabel = str(REPO_ROOT / 'configs' / 'elnet' /
                  'acdc_cpu_consistency_s2_relabel.py')
    opts = schedule_options(Config.fromfile(relabel), 1000)
    assert 'custom_hooks.0.relabel_iters=[750]' in opts
    hook = load_run_config(relabel, opts).custom_hooks[0]
    assert hook.stage1_iters == 500 and list(hook.relabel_iters) == [750]
    # the options apply as mmengine --cfg-options do (list entries by index)
    merged = load_run_config(str(REPO_ROOT / 'configs' / 'elnet' /
                                 'acdc_cpu.py'), schedule_options(cfg, 1000))
    assert merged.custom_hooks[0].stage1_iters == 500
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
        return 'x_slice_1'

    monkeypatch.setattr(datasets, 'select_exemplar', fake_select)
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'elnet' /
                              'chaos_cpu.py'))
    # the wrapped dataset is built (its dataset.json read): a tiny converted
    # folder with CHAOS's 5 classes stands in for data/chaos_t2
    from tests.test_datasets.test_nifti_slice_dataset import make_root
    cfg.train_dataloader.dataset.dataset.data_root = str(make_root(tmp_path))
    assert resolve_exemplar(cfg)['id'] == 'x_slice_1'
    assert seen['num_classes'] == 5
    assert seen['split_list'] == 'train_slices.list'
    assert seen['rule'] == 'representative'
