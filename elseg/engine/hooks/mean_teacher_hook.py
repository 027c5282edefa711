"""MLDSMeanTeacherHook: drives MeanTeacherEncoderDecoder's EMA teacher."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class MLDSMeanTeacherHook(Hook):
    """EMA update of the teacher after every training iteration.

    For :class:`~elseg.models.segmentors.MeanTeacherEncoderDecoder` (mean
    teacher, Tarvainen & Valpola 2017, as used by MLDS, Reiss et al. 2021).
    Before training from scratch (``runner.iter == 0``) the teacher is set to
    the student. Before each iteration the segmentor's ``cur_iter`` is set
    (consistency ramp-up). After each iteration (the optimizer step has run)
    the teacher becomes ``m * teacher + (1 - m) * student`` with
    ``m = min(momentum, 1 - 1 / (iter + 2))`` when ``warmup`` is on (the
    teacher follows the student closely in the first iterations, as SSL4MIS
    does), else ``m = momentum``. Resuming keeps the checkpointed teacher.

    Args:
        momentum (float): Teacher's share ``m`` in [0, 1). Default: 0.99.
        interval (int): Update every ``interval`` iterations. Default: 1.
        warmup (bool): Use the ``1 - 1 / (iter + 2)`` cap. Default: True.

    Raises:
        ValueError: On ``momentum`` outside [0, 1) or ``interval < 1``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 momentum: float = 0.99,
                 interval: int = 1,
                 warmup: bool = True) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'interval must be an int >= 1, got {interval!r}')
        self.momentum = float(momentum)
        self.interval = interval
        self.warmup = warmup

    @staticmethod
    def _model(runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'momentum_update'):
            raise TypeError('MLDSMeanTeacherHook needs a model with '
                            '`momentum_update` (MeanTeacherEncoderDecoder), '
                            f'got {type(model).__name__}')
        return model

    def before_train(self, runner) -> None:
        """Copy the student into the teacher when training starts at 0."""
        model = self._model(runner)
        if runner.iter == 0:
            model.momentum_update(0.0)
            runner.logger.info('MLDSMeanTeacherHook: teacher <- student')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Tell the segmentor the current iteration (ramp-up)."""
        self._model(runner).cur_iter = runner.iter

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """EMA-update the teacher every ``interval`` iterations."""
        if (runner.iter + 1) % self.interval:
            return
        momentum = self.momentum
        if self.warmup:
            momentum = min(momentum, 1.0 - 1.0 / (runner.iter + 2))
        self._model(runner).momentum_update(momentum)
