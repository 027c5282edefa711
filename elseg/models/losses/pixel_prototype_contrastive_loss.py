"""Pixel-prototype contrastive embedding loss (PCEM) of ELNet, Eq. 3-5."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


@MODELS.register_module()
class PixelPrototypeContrastiveLoss(nn.Module):
    """Contrast class prototypes of the encoder embedding across images.

    Implements ELNet's PCEM (paper Sec. 3.2):

    * Eq. 3: ``Y_hat = argmax(softmax(f_decoder(X)))`` (no gradient through
      the mask), one-hot, resized to the embedding size ``(h, w)`` by
      bilinear interpolation; a pixel belongs to class ``k`` where the
      resized indicator is non-zero (so boundary pixels may count for two
      classes).
    * Eq. 4: prototype ``v_k^n`` = masked average of the embedding of image
      ``n`` over the pixels of class ``k``.
    * Eq. 5: for an anchor ``v_k^n``, the positive is ``v_k^m`` of another
      image ``m != n`` with class ``k``; the negatives are the prototypes of
      every other class ``j != k`` in every other image ``i != n``::

        l = -log(exp(s_pos / tau) / (exp(s_pos / tau) + sum exp(s_neg / tau)))

      computed with ``logsumexp`` over one ``(N*K, N*K)`` similarity matrix.

    Choices the paper leaves open:

    * ``normalize=True``: prototypes are L2-normalised so ``s`` is a cosine;
      raw dot products of unnormalised features divided by ``tau = 0.07``
      overflow ``exp`` and make the loss scale depend on feature norms.
    * ``positive='random'`` draws one positive per anchor uniformly (torch
      RNG), as the paper; ``'all'`` averages the term over all positives
      (deterministic, lower variance).
    * ``reduction='mean'`` averages over the anchors that have a positive
      (the paper sums over ``n`` and ``k``); the loss scale then does not
      grow with batch size or class count, so ``loss_weight`` transfers.
      Anchors without negatives contribute a zero term.
    * Classes outside the predicted map of an image have no prototype and
      take part neither as anchor, positive nor negative.

    Args:
        tau (float): temperature. Defaults to 0.07 (paper Sec. 4.1).
        normalize (bool): L2-normalise prototypes. Defaults to True.
        include_background (bool): whether class 0 has a prototype.
            Defaults to True (the paper's ``k`` runs over all categories).
        positive (str): ``'random'`` or ``'all'``. Defaults to ``'random'``.
        reduction (str): ``'mean'`` over valid anchors or ``'sum'``.
            Defaults to ``'mean'``.
        num_classes (int, optional): number of classes when a label map is
            passed instead of logits; ``None`` infers ``max label + 1``.
            Defaults to None.
        ignore_index (int): label-map value treated as no class. Defaults to
            255.
        loss_weight (float): multiplier (``lambda_c`` of Eq. 6, 8).
            Defaults to 1.0.
        loss_name (str): log key, must start with ``loss_``. Defaults to
            ``'loss_pcem'``.

    Raises:
        ValueError: on a non-positive ``tau``, an unknown ``positive`` or
            ``reduction`` or a ``loss_name`` without the ``loss_`` prefix.

    Example:
        >>> loss = PixelPrototypeContrastiveLoss()
        >>> emb = torch.randn(4, 16, 7, 7, requires_grad=True)
        >>> logits = torch.randn(4, 4, 28, 28)
        >>> loss(emb, logits).backward()
    """

    def __init__(self,
                 tau: float = 0.07,
                 normalize: bool = True,
                 include_background: bool = True,
                 positive: str = 'random',
                 reduction: str = 'mean',
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_pcem') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be > 0, got {tau}')
        if positive not in ('random', 'all'):
            raise ValueError(
                f"positive must be 'random' or 'all', got {positive!r}")
        if reduction not in ('mean', 'sum'):
            raise ValueError(
                f"reduction must be 'mean' or 'sum', got {reduction!r}")
        if num_classes is not None and num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"loss_name must start with 'loss_', got {loss_name!r}")
        self.tau = tau
        self.normalize = normalize
        self.include_background = include_background
        self.positive = positive
        self.reduction = reduction
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def _class_masks(self, seg: torch.Tensor,
                     valid_mask: Optional[torch.Tensor],
                     size: Tuple[int, int]) -> torch.Tensor:
        """Eq. 3: one-hot predicted map resized to ``size``, as (N, K, h, w)
        booleans."""
        with torch.no_grad():
            if seg.dim() == 4:
                labels = seg.argmax(dim=1)
                num_classes = seg.shape[1]
                valid = torch.ones_like(labels, dtype=torch.bool)
            elif seg.dim() == 3:
                labels = seg.long()
                valid = (labels != self.ignore_index) & (labels >= 0)
                if self.num_classes is not None:
                    num_classes = self.num_classes
                    valid &= labels < num_classes
                else:
                    num_classes = int(labels[valid].max()) + 1 \
                        if valid.any() else 1
            else:
                raise ValueError('seg_logits must be (N, K, H, W) logits or '
                                 f'an (N, H, W) label map, got '
                                 f'{tuple(seg.shape)}')
            if valid_mask is not None:
                if valid_mask.shape != labels.shape:
                    raise ValueError(
                        f'valid_mask shape {tuple(valid_mask.shape)} does not'
                        f' match the label map {tuple(labels.shape)}')
                valid &= valid_mask.bool()
            onehot = F.one_hot(torch.where(valid, labels, 0), num_classes)
            onehot = onehot.permute(0, 3, 1, 2).float()
            onehot = onehot * valid.unsqueeze(1).float()
            if tuple(onehot.shape[2:]) != tuple(size):
                onehot = F.interpolate(
                    onehot, size=size, mode='bilinear', align_corners=False)
            masks = onehot > 0
            if not self.include_background:
                masks[:, 0] = False
        return masks

    def forward(self,
                embedding: torch.Tensor,
                seg_logits: torch.Tensor,
                valid_mask: Optional[torch.Tensor] = None,
                **kwargs) -> torch.Tensor:
        """Compute the PCEM loss (Eq. 5) over the batch.

        Args:
            embedding (torch.Tensor): encoder embedding ``X``, ``(N, C, h,
                w)``.
            seg_logits (torch.Tensor): decoder logits ``(N, K, H, W)`` or a
                predicted label map ``(N, H, W)``; no gradient flows through
                it.
            valid_mask (torch.Tensor, optional): ``(N, H, W)`` bool; pixels
                that are False belong to no class. Defaults to None.
            **kwargs: ignored.

        Returns:
            torch.Tensor: scalar loss times ``loss_weight``; ``0`` (attached
            to the graph of ``embedding``) when no anchor has a positive,
            e.g. ``N = 1``.

        Raises:
            ValueError: on shapes that do not fit together.
        """
        if embedding.dim() != 4 or seg_logits.shape[0] != embedding.shape[0]:
            raise ValueError('expected embedding (N, C, h, w) and seg_logits '
                             'with the same N, got '
                             f'{tuple(embedding.shape)} and '
                             f'{tuple(seg_logits.shape)}')
        n, c = embedding.shape[:2]
        masks = self._class_masks(seg_logits, valid_mask,
                                  tuple(embedding.shape[2:]))
        k = masks.shape[1]
        emb = embedding
        if emb.dtype in (torch.float16, torch.bfloat16):
            emb = emb.float()  # exp(s / tau) needs full precision

        # Eq. 4: masked average pooling, prototypes (N, K, C)
        weights = masks.to(emb.dtype).flatten(2)  # (N, K, hw)
        counts = weights.sum(-1)  # (N, K)
        protos = torch.bmm(weights, emb.flatten(2).transpose(1, 2))
        protos = protos / counts.clamp_min(1.0).unsqueeze(-1)
        if self.normalize:
            protos = F.normalize(protos, dim=-1)
        present = (counts > 0).flatten()  # (N*K,)
        protos = protos.reshape(n * k, c)

        # pair masks over the N*K prototypes
        img_id = torch.arange(n, device=emb.device).repeat_interleave(k)
        cls_id = torch.arange(k, device=emb.device).repeat(n)
        other_img = img_id[:, None] != img_id[None, :]
        same_cls = cls_id[:, None] == cls_id[None, :]
        both = present[:, None] & present[None, :]
        pos_mask = other_img & same_cls & both
        neg_mask = other_img & ~same_cls & both

        sim = protos @ protos.t() / self.tau  # (NK, NK)
        fill = torch.finfo(sim.dtype).min
        neg_lse = torch.logsumexp(sim.masked_fill(~neg_mask, fill), dim=1)
        # term[a, p] = -log(e^s_ap / (e^s_ap + sum_neg e^s_an))
        terms = torch.logaddexp(sim, neg_lse[:, None]) - sim

        num_pos = pos_mask.sum(1)
        anchors = num_pos > 0
        if self.positive == 'all':
            pos_w = pos_mask.to(sim.dtype) / num_pos.clamp_min(1).unsqueeze(1)
        else:
            scores = torch.rand(sim.shape, device=sim.device)
            scores = scores.masked_fill(~pos_mask, -1.0)
            pick = scores.argmax(dim=1)
            pos_w = (F.one_hot(pick, n * k) * anchors[:, None]).to(sim.dtype)
        per_anchor = (terms * pos_w).sum(1)

        loss = per_anchor.sum()
        if self.reduction == 'mean':
            loss = loss / anchors.sum().clamp_min(1)
        # keeps the graph valid (zero gradient) when no anchor exists
        loss = loss + 0.0 * embedding.sum()
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Name of the loss item in the log."""
        return self._loss_name
