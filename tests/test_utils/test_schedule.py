"""elseg.utils.schedule: iteration options as iterations or shares of max_iters."""
import numpy as np
import pytest

from elseg.utils.schedule import (ITER_OPTION, check_iters, is_fraction,
                                  resolve_iters, resolve_shares,
                                  runner_max_iters)


def test_check_iters():
    assert check_iters(3, 'x') == 3 and isinstance(check_iters(3, 'x'), int)
    assert check_iters(np.int64(7), 'x') == 7
    assert type(check_iters(np.int64(7), 'x')) is int
    assert check_iters(0.25, 'x') == 0.25 and is_fraction(0.25)
    assert check_iters(1.0, 'x') == 1.0 and not is_fraction(1)
    assert check_iters(0, 'x') == 0
    for bad, words in ((True, 'got True'), ('3', "got '3'"),
                       (1.5, 'x=1.5: a float is a share'),
                       (-1, 'must be >= 0, got -1'), (-0.5, 'x=-0.5')):
        with pytest.raises(ValueError, match=words):
            check_iters(bad, 'x')
    with pytest.raises(ValueError, match='must be > 0, got 0'):
        check_iters(0, 'x', positive=True)
    with pytest.raises(ValueError, match='must be > 0, got 0.0'):
        check_iters(0.0, 'x', positive=True)


def test_resolve_iters_by_hand():
    assert resolve_iters(300, None, 'x') == 300  # an int needs no schedule
    assert resolve_iters(0.5, 4000, 'x') == 2000
    assert resolve_iters(2 / 3, 4000, 'x') == 2667  # 2666.67 rounds up
    assert resolve_iters(0.75, 1000, 'x') == 750
    assert resolve_iters(0.5, 3, 'x') == 2  # 1.5 rounds half up
    assert resolve_iters(1.0, 10, 'x') == 10
    for max_iters in (None, 0, True):
        with pytest.raises(ValueError, match='share of max_iters'):
            resolve_iters(0.5, max_iters, 'x')


def test_runner_max_iters_outside_a_runner():
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('test_schedule')
    hub.update_info('max_iters', 1200)
    assert runner_max_iters() == 1200
    hub.update_info('max_iters', None)
    assert runner_max_iters() is None


def test_resolve_shares_by_hand():
    assert [bool(ITER_OPTION.search(k)) for k in (
        'stage1_iters', 'relabel_iters', 'start_iter', 'rampup_iters',
        'consistency_rampup', 'interval', 'tau', 'iterations')] == [
            True] * 5 + [False] * 3
    cfg = dict(
        train_cfg=dict(max_iters=1000, val_interval=1000),
        custom_hooks=[dict(stage1_iters=0.5, relabel_iters=[0.75, 900],
                           momentum=0.99)],
        model=dict(consistency_rampup=1.0, consistency=dict(
            start_iter=0.5, rampup_iters=0, conf_thresh=0.95)))
    out = resolve_shares(cfg)
    assert out == dict(
        train_cfg=dict(max_iters=1000, val_interval=1000),
        custom_hooks=[dict(stage1_iters=500, relabel_iters=[750, 900],
                           momentum=0.99)],
        model=dict(consistency_rampup=1000, consistency=dict(
            start_iter=500, rampup_iters=0, conf_thresh=0.95)))
    assert cfg['custom_hooks'][0]['stage1_iters'] == 0.5  # a copy
    # against another schedule length, e.g. a part without train_cfg
    assert resolve_shares(dict(stage1_iters=0.5), 3000) == dict(
        stage1_iters=1500)
    with pytest.raises(ValueError, match='stage1_iters=0.5 is a share'):
        resolve_shares(dict(stage1_iters=0.5))
