"""What the semi-supervised segmentors share: an EMA teacher, and the
labelled-first forward that keeps unlabelled samples out of BatchNorm.

:class:`~elseg.models.segmentors.MeanTeacherEncoderDecoder` (MLDS's mean
teacher) and :class:`~elseg.models.segmentors.ConsistencyEncoderDecoder`
(UniMatch-style consistency, optionally with an EMA teacher) both use them:

* :class:`EMATeacherMixin`: the teacher (copies of the student's backbone,
  neck and decode head, no gradient, always in eval mode), its EMA update
  and its forward pass.
* :func:`split_streams`: which samples of a batch are unlabelled (metainfo
  ``stream == 'unlabeled'``, ``docs/design.md``).
* :func:`check_bn_stats`, :func:`unlabeled_bn` and
  :func:`forward_labelled_first`: ``bn_stats='batch'`` lets every sample
  into BatchNorm's training statistics; ``'labeled'`` forwards the labelled
  samples first, in training mode, and the unlabelled ones with the running
  statistics (:func:`~elseg.models.utils.frozen_batchnorm`), gradients
  flowing through both.
"""
from __future__ import annotations

import contextlib
import copy
from typing import (Any, Callable, ContextManager, Dict, List, Optional,
                    Sequence, Tuple)

import torch
from torch import Tensor, nn

from .batchnorm import frozen_batchnorm
from .ema import ema_update_

#: The ``stream`` metainfo value of an unlabelled sample.
UNLABELED = 'unlabeled'
#: Where BatchNorm's training statistics come from.
BN_STATS = ('batch', 'labeled')


def check_bn_stats(bn_stats: str) -> str:
    """Return ``bn_stats`` if it is one of :data:`BN_STATS`.

    Args:
        bn_stats (str): ``'batch'`` or ``'labeled'``.

    Returns:
        str: ``bn_stats``.

    Raises:
        ValueError: Any other value, named in the message.
    """
    if bn_stats not in BN_STATS:
        raise ValueError(f'bn_stats must be one of {BN_STATS}, got '
                         f'{bn_stats!r}')
    return bn_stats


def split_streams(data_samples: Sequence[Any]) -> Tuple[List[int], List[int]]:
    """Indices of the labelled and of the unlabelled samples of a batch.

    Args:
        data_samples (Sequence[SegDataSample]): The batch; a sample whose
            metainfo ``stream`` is ``'unlabeled'`` is unlabelled, any other
            (exemplar, synthetic, none) is labelled.

    Returns:
        tuple[list[int], list[int]]: ``(labelled, unlabelled)`` indices, each
        in batch order.
    """
    lab, unl = [], []
    for i, sample in enumerate(data_samples):
        (unl if sample.metainfo.get('stream') == UNLABELED else lab).append(i)
    return lab, unl


def unlabeled_bn(module: nn.Module, bn_stats: str) -> ContextManager[None]:
    """The context of a forward pass of unlabelled samples.

    Args:
        module (nn.Module): The student network.
        bn_stats (str): ``'labeled'``: its BatchNorm layers are frozen
            (:func:`frozen_batchnorm`); ``'batch'``: nothing changes.

    Returns:
        ContextManager: To use in a ``with`` statement.
    """
    if check_bn_stats(bn_stats) == 'labeled':
        return frozen_batchnorm(module)
    return contextlib.nullcontext()


def forward_labelled_first(
        module: nn.Module,
        inputs: Tensor,
        lab: Sequence[int],
        unl: Sequence[int],
        forward: Callable[[Tensor], Any],
        forward_unlabeled: Optional[Callable[[Tensor], Any]] = None
) -> Tuple[Any, Any]:
    """Forward the labelled samples, then the unlabelled ones with frozen BN.

    The labelled samples alone set BatchNorm's batch statistics and running
    averages; the unlabelled samples are normalised with the running
    statistics (``bn_stats='labeled'``).

    Args:
        module (nn.Module): The network whose BatchNorm layers are frozen
            for the unlabelled pass.
        inputs (Tensor): ``(N, ...)`` batch.
        lab (Sequence[int]): Indices of the labelled samples.
        unl (Sequence[int]): Indices of the unlabelled samples.
        forward (Callable): Applied to ``inputs[lab]``.
        forward_unlabeled (Callable, optional): Applied to ``inputs[unl]``;
            defaults to ``forward``.

    Returns:
        tuple: ``(forward(inputs[lab]), forward_unlabeled(inputs[unl]))``,
        each None when its index list is empty.
    """
    forward_unlabeled = forward_unlabeled or forward
    out_lab = out_unl = None
    if len(lab):
        out_lab = forward(inputs[torch.as_tensor(
            list(lab), device=inputs.device, dtype=torch.long)])
    if len(unl):
        with frozen_batchnorm(module):
            out_unl = forward_unlabeled(inputs[torch.as_tensor(
                list(unl), device=inputs.device, dtype=torch.long)])
    return out_lab, out_unl


class EMATeacherMixin:
    """An EMA teacher for an mmseg ``EncoderDecoder`` student.

    Mix it in before the segmentor class (``class X(EMATeacherMixin,
    EncoderDecoder)``) and call :meth:`build_teacher` at the end of
    ``__init__``; a segmentor whose teacher is optional sets
    ``self.teacher = None`` instead. (No class attribute: ``nn.Module`` keeps
    submodules in ``_modules``, which a class attribute would shadow.)
    """

    def _student_modules(self) -> Dict[str, nn.Module]:
        """The student's parts the teacher copies: backbone, neck, head."""
        modules = dict(backbone=self.backbone, decode_head=self.decode_head)
        if self.with_neck:
            modules['neck'] = self.neck
        return modules

    def build_teacher(self) -> None:
        """Copy the student's modules into ``self.teacher``.

        The copies take no gradient and stay in eval mode.
        """
        self.teacher = nn.ModuleDict({
            name: copy.deepcopy(module)
            for name, module in self._student_modules().items()
        })
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode: bool = True):
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        if getattr(self, 'teacher', None) is not None:
            self.teacher.eval()
        return self

    @torch.no_grad()
    def ema_update(self, momentum: float) -> None:
        """``teacher = momentum * teacher + (1 - momentum) * student``.

        Buffers (BatchNorm running statistics) are copied from the student;
        ``momentum=0`` copies the student (see :func:`ema_update_`).

        Args:
            momentum (float): The teacher's share in [0, 1].

        Raises:
            ValueError: Without a teacher (a ``ConsistencyEncoderDecoder``
                without ``consistency.ema_momentum``), or a momentum outside
                [0, 1].
        """
        if getattr(self, 'teacher', None) is None:
            raise ValueError(f'{type(self).__name__} has no EMA teacher: set '
                             'consistency.ema_momentum to train with one.')
        for name, student in self._student_modules().items():
            ema_update_(self.teacher[name], student, momentum)

    def teacher_forward(self, inputs: Tensor) -> Tensor:
        """Teacher logits (no gradient) at the decode head's resolution.

        Args:
            inputs (Tensor): ``(N, C, H, W)`` images.

        Returns:
            Tensor: ``(N, K, h, w)`` logits.
        """
        with torch.no_grad():
            x = self.teacher['backbone'](inputs)
            if 'neck' in self.teacher:
                x = self.teacher['neck'](x)
            return self.teacher['decode_head'].forward(x)
