"""MLDSHead: multi-label deep supervision (Reiss et al., CVPR 2021)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn


def mlds_multilabel_targets(label: Tensor,
                            num_classes: int,
                            size: Union[int, Sequence[int]],
                            ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Multi-label targets of MLDS for one coarse output size.

    The label is one-hot encoded and every class channel is adaptively
    max-pooled to ``size``, so a coarse pixel is positive for every class
    present in its window (Reiss et al., "Every Annotation Counts:
    Multi-label Deep Supervision for Medical Image Segmentation", CVPR 2021).
    Ignored pixels get no class (they never create positives); a coarse pixel
    whose window is entirely ignored is marked invalid so the loss skips it.

    Args:
        label (Tensor): Integer labels ``(N, H, W)`` or ``(N, 1, H, W)``.
        num_classes (int): Number of classes ``C``.
        size (int | Sequence[int]): Coarse output size ``(h, w)``.
        ignore_index (int): Label value to ignore. Default: 255.

    Returns:
        tuple[Tensor, Tensor]: ``targets`` float ``(N, C, h, w)`` in {0, 1} and
        ``valid`` bool ``(N, h, w)``.

    Raises:
        ValueError: On a bad ``num_classes``, label shape or a label value
            outside ``[0, num_classes)`` that is not ``ignore_index``.

    Example:
        >>> import torch
        >>> label = torch.tensor([[[0, 0, 1, 255], [0, 0, 255, 255]]])
        >>> t, v = mlds_multilabel_targets(label, 2, (1, 2))
        >>> t[0, :, 0].tolist(), v.tolist()
        ([[1.0, 0.0], [0.0, 1.0]], [[[True, True]]])
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f'num_classes must be a positive int, got '
                         f'{num_classes!r}')
    if label.dim() == 4 and label.shape[1] == 1:
        label = label[:, 0]
    if label.dim() != 3:
        raise ValueError(f'label must be (N, H, W) or (N, 1, H, W), got shape '
                         f'{tuple(label.shape)}')
    label = label.long()
    ignored = label == ignore_index
    bad = (~ignored) & ((label < 0) | (label >= num_classes))
    if bad.any():
        raise ValueError(f'label values {label[bad].unique().tolist()} are '
                         f'outside [0, {num_classes}) and not ignore_index '
                         f'{ignore_index}')
    # ignored pixels -> extra class that is dropped after one-hot encoding
    onehot = F.one_hot(label.masked_fill(ignored, num_classes),
                       num_classes + 1).permute(0, 3, 1, 2).float()
    pooled = F.adaptive_max_pool2d(onehot, size)
    targets = pooled[:, :num_classes]
    valid = F.adaptive_max_pool2d((~ignored).float()[:, None], size)[:, 0] > 0
    return targets, valid


@MODELS.register_module()
class MLDSHead(BaseDecodeHead):
    """Full-resolution head plus MLDS deep heads (Reiss et al., CVPR 2021).

    Follows the public MLDS network (``Simael/mlds-unet``): every selected
    decoder feature gets a deep head ``1x1 conv -> channels -> BN -> ReLU ->
    1x1 conv -> C`` (the full-resolution feature included, as there), and the
    last selected feature also feeds the normal head (same structure, ending
    in ``conv_seg``). Training loss: the head's ``loss_decode`` on the full
    resolution logits (e.g. 0.5 CE + 0.5 Dice) plus ``deep_loss_weight`` times
    the sum over deep heads of the sigmoid BCE against
    :func:`mlds_multilabel_targets` (mean over valid N, C, h, w elements;
    the public code sums over the batch instead, we average so the weight does
    not depend on the batch size). ``forward`` / ``predict`` use only the
    full-resolution head.

    Use with mmseg's ``UNet`` (outputs: bottleneck, then each up-block, last
    at full resolution) or :class:`MTUNet` (same order).

    Args:
        in_channels (Sequence[int]): Channels of the selected features, deep
            to shallow; the last is the full-resolution feature.
        channels (int): Hidden width of every head. Default: 64.
        in_index (Sequence[int], optional): Backbone output indices; None
            selects ``range(len(in_channels))``. Default: None.
        deep_loss_weight (float): Weight of the summed deep BCE. Default: 1.0.
        deep_supervise_last (bool): Also give the last (full-resolution)
            feature a deep head, as the public MLDS code does. Default: True.
        norm_cfg (dict): Norm of the heads. Default: ``dict(type='BN')``.
        **kwargs: Other :class:`BaseDecodeHead` arguments (``num_classes``,
            ``loss_decode``, ``dropout_ratio``, ...). ``input_transform`` is
            always ``'multiple_select'``.

    Raises:
        ValueError: On empty/mismatched ``in_channels``/``in_index``, a
            negative ``deep_loss_weight``, another ``input_transform``, or
            ``out_channels != num_classes`` (sigmoid-binary mode unsupported).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 64,
                 in_index: Optional[Sequence[int]] = None,
                 deep_loss_weight: float = 1.0,
                 deep_supervise_last: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 **kwargs) -> None:
        if not isinstance(in_channels, (list, tuple)) or not in_channels:
            raise ValueError(f'in_channels must be a non-empty list, got '
                             f'{in_channels!r}')
        if in_index is None:
            in_index = list(range(len(in_channels)))
        if len(in_index) != len(in_channels):
            raise ValueError(f'in_index {in_index} and in_channels '
                             f'{in_channels} differ in length')
        transform = kwargs.pop('input_transform', 'multiple_select')
        if transform != 'multiple_select':
            raise ValueError(f"MLDSHead needs input_transform="
                             f"'multiple_select', got {transform!r}")
        if deep_loss_weight < 0:
            raise ValueError(
                f'deep_loss_weight must be >= 0, got {deep_loss_weight}')
        super().__init__(
            list(in_channels),
            channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            norm_cfg=norm_cfg,
            **kwargs)
        if self.out_channels != self.num_classes:
            raise ValueError(f'MLDSHead needs out_channels == num_classes, got '
                             f'{self.out_channels} and {self.num_classes}')
        self.deep_loss_weight = float(deep_loss_weight)
        self.deep_supervise_last = deep_supervise_last
        self.pre_seg = self._hidden(self.in_channels[-1])
        deep_in = (self.in_channels
                   if deep_supervise_last else self.in_channels[:-1])
        self.deep_heads = nn.ModuleList([
            nn.Sequential(
                self._hidden(c),
                nn.Conv2d(self.channels, self.num_classes, 1))
            for c in deep_in
        ])

    def _hidden(self, in_channels: int) -> ConvModule:
        return ConvModule(
            in_channels,
            self.channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Full-resolution logits ``(N, C, H, W)`` from the last feature."""
        feats = self._transform_inputs(inputs)
        return self.cls_seg(self.pre_seg(feats[-1]))

    def forward_with_deep(self,
                          inputs: Sequence[Tensor]) -> Tuple[Tensor,
                                                             List[Tensor]]:
        """Full-resolution logits and the deep heads' logits (deep first).

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.

        Returns:
            tuple[Tensor, list[Tensor]]: Full-resolution logits and one logit
            map per deep head, each at its feature's resolution.
        """
        feats = self._transform_inputs(inputs)
        logits = self.cls_seg(self.pre_seg(feats[-1]))
        deep = [head(f) for head, f in zip(self.deep_heads, feats)]
        return logits, deep

    def loss(self, inputs: Sequence[Tensor], batch_data_samples: SampleList,
             train_cfg: dict) -> dict:
        """Full-resolution loss plus ``loss_mlds`` (see :meth:`loss_by_feat`)."""
        return self.loss_by_feat(
            self.forward_with_deep(inputs), batch_data_samples)

    def deep_supervision_loss(self, deep_logits: Sequence[Tensor],
                              seg_label: Tensor) -> Tensor:
        """Sum over heads of the masked mean sigmoid BCE (unweighted).

        Args:
            deep_logits (Sequence[Tensor]): ``(N, C, h_k, w_k)`` logits.
            seg_label (Tensor): ``(N, H, W)`` or ``(N, 1, H, W)`` labels.

        Returns:
            Tensor: Scalar loss; zero (with graph) when nothing is valid.
        """
        total = sum(d.sum() for d in deep_logits) * 0.
        for logit in deep_logits:
            target, valid = mlds_multilabel_targets(
                seg_label, self.num_classes, logit.shape[2:],
                self.ignore_index)
            bce = F.binary_cross_entropy_with_logits(
                logit, target, reduction='none')
            mask = valid[:, None].expand_as(bce)
            if mask.any():
                total = total + bce[mask].mean()
        return total

    def loss_by_feat(self, seg_logits: Union[Tensor, Tuple[Tensor,
                                                           List[Tensor]]],
                     batch_data_samples: SampleList) -> dict:
        """Compute the losses.

        Args:
            seg_logits (Tensor | tuple): Full-resolution logits, or
                ``(logits, deep_logits)`` from :meth:`forward_with_deep`.
                With a plain tensor only the full-resolution loss is computed.
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: ``loss_decode``'s keys, ``acc_seg`` and, with
            deep logits, ``loss_mlds``.
        """
        deep = []
        if isinstance(seg_logits, (tuple, list)):
            seg_logits, deep = seg_logits
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        if deep:
            seg_label = self._stack_batch_gt(batch_data_samples)
            losses['loss_mlds'] = self.deep_loss_weight * \
                self.deep_supervision_loss(deep, seg_label)
        return losses

