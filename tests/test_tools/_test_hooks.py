"""Test-only hooks, loaded by test configs through ``custom_imports``.

``SlowDownForTestHook`` stretches a tiny training (a few ms per iteration) so a
test can SIGKILL ``tools/train.py`` at a chosen moment: it sleeps after every
iteration and after every pseudo-label file written. ``ParamChecksumHook``
writes each rank's parameter checksum at the end of training, so a test can
check that all replicas hold the same weights. Nothing in elseg depends on
this module.
"""
import os.path as osp
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module(force=True)
class SlowDownForTestHook(Hook):
    """Sleep ``iter_delay`` s per iteration, ``pseudo_label_delay`` s per file."""

    def __init__(self, iter_delay: float = 0.0,
                 pseudo_label_delay: float = 0.0) -> None:
        self.iter_delay = float(iter_delay)
        if pseudo_label_delay:
            from elseg.apis import pseudo_label
            original = pseudo_label.save_pseudo_label

            def slow_save(*args, **kwargs):
                original(*args, **kwargs)
                time.sleep(pseudo_label_delay)

            pseudo_label.save_pseudo_label = slow_save

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        time.sleep(self.iter_delay)


@HOOKS.register_module(force=True)
class ParamChecksumHook(Hook):
    """Write ``params_rank<r>.txt`` (sum of |w| per tensor) after training."""

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        sums = [f'{p.detach().double().abs().sum().item():.10e}'
                for p in model.parameters()]
        with open(osp.join(runner.work_dir, f'params_rank{get_rank()}.txt'),
                  'w') as f:
            f.write('\n'.join(sums))
