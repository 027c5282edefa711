"""MeanTeacherEncoderDecoder: EMA teacher for MLDS's unlabelled images."""
from typing import Any, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         SampleList, add_prefix)
from torch import Tensor

from ..utils.rampup import sigmoid_rampup
from ..utils.teacher import (EMATeacherMixin, check_bn_stats,
                             forward_labelled_first, split_streams)
from ...utils.schedule import check_iters, resolve_iters, runner_max_iters


def foreground_ratio(probs: Tensor) -> Tensor:
    """Share of pixels whose most likely class is not background (class 0).

    A label-free monitor of a mean teacher on unlabelled images: with one
    labelled image a too strong consistency term can drive the teacher (and
    the student with it) to predict background everywhere, which shows as
    this ratio falling towards 0 (``docs/mlds_investigation.md``).

    Args:
        probs (Tensor): ``(N, C, H, W)`` softmax probabilities, or
            ``(N, 1, H, W)`` sigmoid probabilities of the foreground.

    Returns:
        Tensor: Scalar in [0, 1] (no gradient).

    Raises:
        ValueError: If ``probs`` is not 4D.

    Example:
        >>> import torch
        >>> p = torch.tensor([[0.7, 0.2], [0.3, 0.8]])[None, :, None]
        >>> float(foreground_ratio(p))
        0.5
    """
    if probs.dim() != 4:
        raise ValueError(f'probs must be (N, C, H, W), got shape '
                         f'{tuple(probs.shape)}')
    with torch.no_grad():
        if probs.shape[1] == 1:
            fg = probs[:, 0] > 0.5
        else:
            fg = probs.argmax(dim=1) != 0
        return fg.float().mean()


@MODELS.register_module()
class MeanTeacherEncoderDecoder(EMATeacherMixin, EncoderDecoder):
    """Encoder-decoder student with an EMA teacher (mean teacher).

    Mean teacher (Tarvainen & Valpola, NeurIPS 2017) as MLDS (Reiss et al.,
    CVPR 2021) uses it for unlabelled images. A sample is unlabelled when its
    metainfo ``stream == 'unlabeled'`` (elseg's ``docs/design.md``); its
    ``gt_sem_seg`` is never read. Per batch:

    * supervised loss: the decode head's loss (with MLDS deep supervision if
      the head has ``forward_with_deep``, e.g. :class:`MLDSHead`) and the
      auxiliary heads' losses on the labelled samples only (keys
      ``decode.*``, ``aux.*``);
    * ``loss_consistency``: MSE between the student's and the teacher's
      softmax (sigmoid for one output channel) on the unlabelled samples,
      averaged over N, C, H, W, times ``consistency_weight *
      sigmoid_rampup(cur_iter, consistency_rampup)``. The teacher sees the
      image plus clipped Gaussian noise (as SSL4MIS's mean teacher). The
      current weight is logged as ``consistency_weight``, and the share
      of unlabelled pixels the teacher assigns to a foreground class as
      ``teacher_fg_ratio`` (:func:`foreground_ratio`; not optimised).

    ``bn_stats`` says which samples BatchNorm's training statistics come from.
    ``'batch'`` (SSL4MIS, MLDS): labelled and unlabelled samples in one
    forward. With one labelled slice that collapses the network, even with
    the consistency weight at 0 (docs/mlds_investigation.md). ``'labeled'``: the
    labelled samples are forwarded alone (BatchNorm statistics and running
    averages from them only, as an exemplar-only UNet), the unlabelled ones
    in a second student pass (full-resolution head only) with the running
    statistics (:func:`~elseg.models.utils.teacher.forward_labelled_first`),
    gradients flowing through both.

    The teacher (``self.teacher``: copies of backbone, neck and decode head,
    :class:`~elseg.models.utils.teacher.EMATeacherMixin`) has
    ``requires_grad=False``, always runs in eval mode and is updated by
    :meth:`momentum_update`, which :class:`MLDSMeanTeacherHook` calls after
    every training iteration (the hook also sets ``cur_iter`` and copies the
    student into the teacher before training from scratch). Without the hook
    the teacher stays fixed and the ramp-up stays at iteration 0.

    Args:
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
            data_preprocessor, pretrained, init_cfg: As
            :class:`mmseg.models.EncoderDecoder`.
        consistency_weight (float): Final consistency weight. Default: 1.0.
        consistency_rampup (int | float): Ramp-up length in iterations, or
            a float in [0, 1]: that share of the runner's ``max_iters``
            (:mod:`elseg.utils.schedule`). Default: 1000.
        teacher_noise_std (float): Std of the Gaussian noise added to the
            teacher's input, clipped to ``+-2 std``; 0 disables. Default: 0.1.
        predict_with (str): ``'teacher'`` (mean teacher's usual choice) or
            ``'student'`` for ``predict`` / ``encode_decode``.
            Default: 'teacher'.
        bn_stats (str): ``'batch'`` or ``'labeled'`` (see above).
            Default: 'batch'.

    Raises:
        ValueError: On a negative weight, ramp-up or noise std, or an unknown
            ``predict_with`` or ``bn_stats``.
    """

    #: An EMA teacher is copied from the student when training starts, so a
    #: checkpoint without it (a stage-1 or plain model) still fits.
    optional_checkpoint_prefixes = ('teacher.', )

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 consistency_weight: float = 1.0,
                 consistency_rampup: Union[int, float] = 1000,
                 teacher_noise_std: float = 0.1,
                 predict_with: str = 'teacher',
                 bn_stats: str = 'batch') -> None:
        consistency_rampup = check_iters(consistency_rampup,
                                         'consistency_rampup')
        for name, value in dict(
                consistency_weight=consistency_weight,
                teacher_noise_std=teacher_noise_std).items():
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        if predict_with not in ('teacher', 'student'):
            raise ValueError(f"predict_with must be 'teacher' or 'student', "
                             f'got {predict_with!r}')
        check_bn_stats(bn_stats)
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.consistency_weight = float(consistency_weight)
        self.consistency_rampup = consistency_rampup
        self.teacher_noise_std = float(teacher_noise_std)
        self.predict_with = predict_with
        self.bn_stats = bn_stats
        self.cur_iter = 0
        self.build_teacher()

    def momentum_update(self, momentum: float) -> None:
        """The EMA update that :class:`MLDSMeanTeacherHook` calls.

        ``teacher = momentum * teacher + (1 - momentum) * student``; buffers
        (BN running statistics) are copied from the student. ``momentum=0``
        copies the student (this is the opposite convention to mmdet's
        ``MeanTeacherHook``, whose momentum is the student's share). See
        :meth:`~elseg.models.utils.teacher.EMATeacherMixin.ema_update`.

        Args:
            momentum (float): Teacher's share in [0, 1].

        Raises:
            ValueError: If ``momentum`` is outside [0, 1].
        """
        self.ema_update(momentum)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Logits at input size from the teacher or student (``predict_with``)."""
        if self.predict_with == 'student':
            return super().encode_decode(inputs, batch_img_metas)
        x = self.teacher['backbone'](inputs)
        if 'neck' in self.teacher:
            x = self.teacher['neck'](x)
        return self.teacher['decode_head'].predict(x, batch_img_metas,
                                                   self.test_cfg)

    def _student_parts(self, inputs: Tensor, lab: List[int],
                       unl: List[int]) -> Tuple[List[Tensor], Any, Tensor]:
        """The student's outputs, split into labelled and unlabelled samples.

        With ``bn_stats='labeled'`` the labelled samples are forwarded alone
        and the unlabelled ones with frozen BatchNorm
        (:func:`~elseg.models.utils.teacher.forward_labelled_first`), also in
        a batch without labelled samples; otherwise the batch is forwarded at once and indexed.

        Args:
            inputs (Tensor): ``(N, C, H, W)`` images.
            lab (list[int]): Indices of the labelled samples.
            unl (list[int]): Indices of the unlabelled samples.

        Returns:
            tuple: Backbone features of the labelled samples; their head
            output (logits, or ``(logits, deep logits)`` for a head with
            ``forward_with_deep`` such as :class:`MLDSHead`); the unlabelled
            samples' logits (empty without unlabelled samples).
        """
        head = self.decode_head
        with_deep = hasattr(head, 'forward_with_deep')
        if self.bn_stats == 'labeled' and unl:

            def labelled(x: Tensor) -> Tuple[List[Tensor], Any]:
                feats = list(self.extract_feat(x))
                return feats, (head.forward_with_deep(feats) if with_deep
                               else head.forward(feats))

            out_lab, unl_logits = forward_labelled_first(
                self, inputs, lab, unl, labelled,
                lambda x: head.forward(self.extract_feat(x)))
            x_lab, seg = out_lab if out_lab is not None else ([], None)
            return x_lab, seg, unl_logits
        lab_t = torch.as_tensor(lab, device=inputs.device, dtype=torch.long)
        unl_t = torch.as_tensor(unl, device=inputs.device, dtype=torch.long)
        x = self.extract_feat(inputs)
        if with_deep:
            logits, deep = head.forward_with_deep(x)
            seg = (logits[lab_t], [d[lab_t] for d in deep])
        else:
            logits = head.forward(x)
            seg = logits[lab_t]
        return [f[lab_t] for f in x], seg, logits[unl_t]

    def _probs(self, logits: Tensor) -> Tensor:
        return logits.sigmoid() if logits.shape[1] == 1 else logits.softmax(1)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Supervised loss on labelled samples + consistency on unlabelled.

        Args:
            inputs (Tensor): ``(N, C, H, W)`` images.
            data_samples (list[SegDataSample]): Samples; ``stream`` metainfo
                ``'unlabeled'`` marks unlabelled ones.

        Returns:
            dict[str, Tensor]: ``decode.*`` (and ``aux.*``) of the labelled
            samples (absent when there are none), ``loss_consistency``,
            ``consistency_weight`` and, with unlabelled samples,
            ``teacher_fg_ratio``.
        """
        lab, unl = split_streams(data_samples)
        x_lab, seg, unl_logits = self._student_parts(inputs, lab, unl)
        head = self.decode_head

        losses = dict()
        if lab:
            samples = [data_samples[i] for i in lab]
            losses.update(add_prefix(head.loss_by_feat(seg, samples),
                                     'decode'))
            if self.with_auxiliary_head:
                losses.update(
                    self._auxiliary_head_forward_train(x_lab, samples))

        weight = self.consistency_weight * sigmoid_rampup(
            self.cur_iter, resolve_iters(self.consistency_rampup,
                                         runner_max_iters(),
                                         'consistency_rampup'))
        if unl:
            t_in = inputs[torch.as_tensor(unl, device=inputs.device)]
            if self.teacher_noise_std > 0:
                std = self.teacher_noise_std
                t_in = t_in + (torch.randn_like(t_in) * std).clamp(
                    -2 * std, 2 * std)
            t_logits = self.teacher_forward(t_in)
            if t_logits.shape[2:] != unl_logits.shape[2:]:
                t_logits = resize(
                    t_logits, size=unl_logits.shape[2:], mode='bilinear',
                    align_corners=self.align_corners)
            t_probs = self._probs(t_logits).detach()
            consistency = F.mse_loss(self._probs(unl_logits), t_probs)
            losses['teacher_fg_ratio'] = foreground_ratio(t_probs)
        else:
            consistency = unl_logits.sum() * 0.
        losses['loss_consistency'] = weight * consistency
        losses['consistency_weight'] = unl_logits.new_tensor(weight)
        return losses
