"""Class-mean soft Dice loss of TransUNet / MT-UNet (ELNet Eq. 7)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


@MODELS.register_module()
class ClassMeanDiceLoss(nn.Module):
    """Soft Dice loss averaged over classes, as in TransUNet and MT-UNet.

    This is the ``l_dice`` of ELNet's segmentation loss
    ``L_seg = 0.5 l_ce + 0.5 l_dice`` (paper Eq. 7). With ``p = softmax(pred)``
    and ``t`` the one-hot target, for each class ``c``::

        dice_c = 1 - (2 * sum(p_c * t_c) + eps) / (sum(p_c^2) + sum(t_c^2) + eps)

    where the sums run over every pixel of the whole batch that is not
    ``ignore_index``; the loss is the (optionally weighted) mean of
    ``dice_c`` over classes. Unlike mmseg's ``DiceLoss`` the sums are pooled
    over the batch rather than per image, and the background class counts by
    default, as in TransUNet. A class absent from both target and prediction
    gives ``1 - eps / eps = 0``, so an all-ignored target gives 0 (with a
    valid graph, no NaN).

    Args:
        include_background (bool): whether class 0 takes part in the mean.
            Defaults to True (TransUNet).
        class_weight (Sequence[float], optional): weight of each class in the
            mean (normalised by their sum over the classes used). Defaults to
            None (plain mean).
        eps (float): smoothing term of numerator and denominator. Defaults to
            1e-5 (TransUNet's ``smooth``).
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
        loss_name (str): name of the loss in the log; must start with
            ``loss_`` to be optimised. Defaults to ``'loss_dice'``.

    Raises:
        ValueError: if ``eps`` is not positive, ``loss_name`` does not start
            with ``loss_`` or ``class_weight`` has a negative entry.

    Example:
        >>> loss = ClassMeanDiceLoss(loss_weight=0.5)
        >>> pred = torch.randn(2, 4, 8, 8, requires_grad=True)
        >>> target = torch.randint(0, 4, (2, 8, 8))
        >>> loss(pred, target).backward()
    """

    def __init__(self,
                 include_background: bool = True,
                 class_weight: Optional[Sequence[float]] = None,
                 eps: float = 1e-5,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_dice') -> None:
        super().__init__()
        if eps <= 0:
            raise ValueError(f'eps must be > 0, got {eps}')
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"loss_name must start with 'loss_', got {loss_name!r}")
        if class_weight is not None and any(w < 0 for w in class_weight):
            raise ValueError(
                f'class_weight must be non-negative, got {class_weight}')
        self.include_background = include_background
        self.class_weight = (None if class_weight is None else
                             [float(w) for w in class_weight])
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (torch.Tensor): logits ``(N, C, H, W)``.
            target (torch.Tensor): class indices ``(N, H, W)``.
            weight (torch.Tensor, optional): per-pixel weight ``(N, H, W)``
                applied to both sums. Defaults to None.
            ignore_index (int): target value excluded from both sums.
                Defaults to 255.
            **kwargs: ignored (mmseg passes e.g. ``avg_factor``).

        Returns:
            torch.Tensor: scalar loss times ``loss_weight``.

        Raises:
            ValueError: on mismatched shapes or a ``class_weight`` whose
                length is not ``C``.
        """
        if pred.dim() != 4 or target.shape != (pred.shape[0], ) + tuple(
                pred.shape[2:]):
            raise ValueError('expected pred (N, C, H, W) and target (N, H, W)'
                             f', got {tuple(pred.shape)} and '
                             f'{tuple(target.shape)}')
        num_classes = pred.shape[1]
        valid = (target != ignore_index) & (target >= 0) & (target <
                                                            num_classes)
        if pred.dtype in (torch.float16, torch.bfloat16):
            pred = pred.float()  # Dice sums are not safe in half precision
        prob = F.softmax(pred, dim=1)
        onehot = F.one_hot(torch.where(valid, target, 0).long(),
                           num_classes).permute(0, 3, 1, 2).to(prob.dtype)
        mask = valid.to(prob.dtype)
        if weight is not None:
            mask = mask * weight.to(prob.dtype).reshape(mask.shape)
        mask = mask.unsqueeze(1)
        prob = prob * mask
        onehot = onehot * mask
        dims = (0, 2, 3)
        intersect = (prob * onehot).sum(dims)
        denom = (prob * prob).sum(dims) + (onehot * onehot).sum(dims)
        per_class = 1.0 - (2.0 * intersect + self.eps) / (denom + self.eps)

        if self.class_weight is not None:
            if len(self.class_weight) != num_classes:
                raise ValueError(
                    f'class_weight has {len(self.class_weight)} entries but '
                    f'pred has {num_classes} classes')
            cls_w = per_class.new_tensor(self.class_weight)
        else:
            cls_w = torch.ones_like(per_class)
        if not self.include_background:
            cls_w = cls_w.clone()
            cls_w[0] = 0.0
        loss = (per_class * cls_w).sum() / cls_w.sum().clamp_min(1e-12)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Name of the loss item in the log."""
        return self._loss_name
