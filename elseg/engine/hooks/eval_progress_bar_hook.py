"""A progress bar for validation and test loops."""
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmseg.registry import HOOKS


@HOOKS.register_module()
class EvalProgressBarHook(Hook):
    """Show a terminal progress bar over the slices of a val/test run.

    ``tools/test.py`` adds it, so evaluating hundreds of volumes shows how far
    the run is. Only the main process draws; under distributed testing the bar
    counts that process's share of the batches.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: Optional[ProgressBar] = None

    def _start(self, runner, loader) -> None:
        if is_main_process():
            self._bar = ProgressBar(len(loader))

    def _step(self) -> None:
        if self._bar is not None:
            self._bar.update()

    def _stop(self) -> None:
        if self._bar is not None:
            print('', flush=True)
        self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader)

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._step()

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._stop()

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        self._step()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._stop()
