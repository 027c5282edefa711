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


def test_relabel_iters_checked():
    assert ExemplarTwoStageHook(stage1_iters=2,
                                relabel_iters=[5, 3]).relabel_iters == (3, 5)
    for bad in ([2], [1], [3.5], [True]):
        with pytest.raises(ValueError, match='relabel_iters'):
            ExemplarTwoStageHook(stage1_iters=2, relabel_iters=bad)


def _favour(model, cls):
    """Make the head predict class ``cls`` everywhere (a huge bias)."""
    import torch
    with torch.no_grad():
        model.decode_head.conv_seg.weight.zero_()
        model.decode_head.conv_seg.bias.zero_()
        model.decode_head.conv_seg.bias[cls] = 50.0


def test_relabel_round_labels_with_the_current_network_and_resumes(
        phantom_root, tmp_path, monkeypatch):
    import numpy as np
    from elseg.datasets.pseudo_labels import load_pseudo_label
    ids = [EXEMPLAR, 'patient001_frame01_slice_3',
           'patient001_frame01_slice_4']
    ds = _dataset(phantom_root, ids)
    unlabeled = [ds._slice_id(info) for info in ds.unlabeled_infos]
    assert len(unlabeled) == 2
    model = _model()
    saved = []

    def save_checkpoint(work_dir, filename):
        saved.append(filename)
        (tmp_path / filename).write_bytes(b'weights')

    hook = ExemplarTwoStageHook(stage1_iters=2, relabel_iters=[4], flip=False)
    monkeypatch.setattr(hook, '_restart_data', lambda runner, skip=0: None)
    runner, logged = _runner(ds, model, 0, tmp_path)
    runner.save_checkpoint = save_checkpoint
    hook.before_train(runner)
    # end of stage 1 (2 finished iterations): N_s predicts class 1
    _favour(model, 1)
    runner.iter = 1
    hook.after_train_iter(runner, 0)
    assert hook.stage == 2 and saved == ['iter_2.pth']
    assert ds.pseudo_label_dir == str(tmp_path / 'pseudo_labels')
    # 3 finished iterations: no round
    _favour(model, 3)
    runner.iter = 2
    hook.after_train_iter(runner, 0)
    assert saved == ['iter_2.pth']
    # 4 finished: the current network (class 3) labels into a new folder
    runner.iter = 3
    hook.after_train_iter(runner, 0)
    assert saved == ['iter_2.pth', 'iter_4.pth']
    assert (tmp_path / 'last_checkpoint').read_text().endswith('iter_4.pth')
    new_dir = str(tmp_path / 'pseudo_labels_iter4')
    assert ds.pseudo_label_dir == new_dir
    for slice_id in unlabeled:
        first, _ = load_pseudo_label(str(tmp_path / 'pseudo_labels'), slice_id)
        second, conf = load_pseudo_label(new_dir, slice_id)
        assert np.all(first == 1) and np.all(second == 3)
        assert np.allclose(conf, 1.0)
    assert any('labels of the network of iteration 4' in m
               for m in logged['info'])
    # a run resumed after the round trains on the round's labels (reused)
    ds.set_stage(1)
    hook = ExemplarTwoStageHook(stage1_iters=2, relabel_iters=[4, 9])
    monkeypatch.setattr(hook, '_restart_data', lambda runner, skip=0: None)
    runner, logged = _runner(ds, model, 5, tmp_path)
    hook.before_train(runner)
    assert ds.stage == 2 and ds.pseudo_label_dir == new_dir
    assert any('reused' in m for m in logged['info'])
    assert logged['warning'] == [
        'relabel_iters [9] are not before max_iters=6: those re-labelling '
        'rounds are skipped.']
