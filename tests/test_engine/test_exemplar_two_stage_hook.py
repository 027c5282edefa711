"""ExemplarTwoStageHook with a mock runner: no unlabelled slice, model checks."""
import copy
from types import SimpleNamespace

import pytest
from mmengine.config import ConfigDict
from mmseg.registry import MODELS

from elseg.datasets import ExemplarLearningDataset
from elseg.engine.hooks import ExemplarTwoStageHook
from tests.conftest import TINY_MODEL

EXEMPLAR = 'patient001_frame01_slice_2'


def _dataset(root, ids):
    return ExemplarLearningDataset(
        dataset=dict(type='ACDCDataset', data_root=str(root), ids=ids,
                     mode='slices'),
        exemplar=EXEMPLAR, scale=(32, 32), num_classes=4,
        synthesis=dict(type='ExemplarSynthesis'))


def _model(**changes):
    cfg = copy.deepcopy(TINY_MODEL)
    for key, value in changes.items():
        part, name = key.split('.')
        cfg[part][name] = value
    return MODELS.build(ConfigDict(cfg))


def _runner(dataset, model, it, tmp_path):
    logged = dict(info=[], warning=[])

    def save_checkpoint(*args, **kwargs):
        raise AssertionError('no stage-1 checkpoint without stage 2')

    return SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=dataset), model=model,
        iter=it, max_iters=6, work_dir=str(tmp_path),
        save_checkpoint=save_checkpoint,
        logger=SimpleNamespace(info=logged['info'].append,
                               warning=logged['warning'].append)), logged


def test_no_unlabelled_slice_stays_in_stage1(phantom_root, tmp_path,
                                             monkeypatch):
    ds = _dataset(phantom_root, [EXEMPLAR])
    assert ds.unlabeled_infos == []
    hook = ExemplarTwoStageHook(stage1_iters=3)
    restarts = []
    monkeypatch.setattr(hook, '_restart_data',
                        lambda runner, skip=0: restarts.append(skip))

    # end of stage 1 in a fresh run
    runner, logged = _runner(ds, _model(), 2, tmp_path)
    hook.before_train(runner)
    runner.iter = 2
    hook.after_train_iter(runner, 0)
    assert hook.stage == 1 and ds.stage == 1
    assert len(logged['warning']) == 1
    assert 'No unlabelled slice' in logged['warning'][0]
    assert 'iterations 4..6 continue stage 1' in logged['warning'][0]
    assert not (tmp_path / 'pseudo_labels').exists()

    # a run resumed after stage1_iters
    runner, logged = _runner(ds, _model(), 5, tmp_path)
    hook.before_train(runner)
    assert hook.stage == 1 and ds.stage == 1 and restarts[-1] == 5
    assert 'No unlabelled slice' in logged['warning'][0]
    assert not any('Switched' in m for m in logged['info'])


@pytest.mark.parametrize('changes, words', [
    ({'decode_head.num_classes': 3},
     ['decode_head.num_classes=3', '4 classes', 'num_classes=4']),
    ({'backbone.in_channels': 3},
     ['1 channel', "in_channels=1 (it is 3)"]),
])
def test_model_that_does_not_fit_the_data(changes, words, phantom_root,
                                          tmp_path):
    ds = _dataset(phantom_root, [EXEMPLAR, 'patient001_frame01_slice_3'])
    runner, _ = _runner(ds, _model(**changes), 0, tmp_path)
    with pytest.raises(ValueError) as exc:
        ExemplarTwoStageHook(stage1_iters=3).before_train(runner)
    for word in words:
        assert word in str(exc.value)


def test_fitting_model_passes_and_stays_in_train_mode(phantom_root, tmp_path):
    ds = _dataset(phantom_root, [EXEMPLAR, 'patient001_frame01_slice_3'])
    model = _model()
    model.train()
    runner, logged = _runner(ds, model, 0, tmp_path)
    ExemplarTwoStageHook(stage1_iters=3).before_train(runner)
    assert model.training and not logged['warning'] and ds.stage == 1


def test_flip_pairs_checked_and_kept():
    hook = ExemplarTwoStageHook(stage1_iters=2, flip_pairs=[[2, 3]])
    assert hook.flip_pairs == ((2, 3), )
    for bad in ([(2, 2)], [(1, 2, 3)]):
        with pytest.raises(ValueError, match='flip_pairs'):
            ExemplarTwoStageHook(stage1_iters=2, flip_pairs=bad)
