"""Encoder-decoder with ELNet's per-stream losses and PCEM (En & Guo, Eq. 5-8)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

STREAMS = ('exemplar', 'synthetic', 'unlabeled')
IGNORE_INDEX = 255


@MODELS.register_module()
class ExemplarEncoderDecoder(EncoderDecoder):
    """mmseg ``EncoderDecoder`` trained with ELNet's joint loss.

    Stage 1 (Eq. 6): ``L = L_e + lambda_s * L_s + lambda_c * L_c``; stage 2
    (Eq. 8) adds ``lambda_u * L_u``. ``L_e``, ``L_s`` and ``L_u`` are the decode
    head's losses (``0.5 CE + 0.5 Dice``, Eq. 7, set in ``loss_decode``) over the
    samples of the exemplar, synthetic and unlabelled streams of the batch (the
    stream is each sample's ``stream`` meta key, see
    :class:`~elseg.datasets.ExemplarLearningDataset`). ``L_c`` is PCEM (Eq. 3-5)
    on the embedding ``X = feats[embed_index]`` of the backbone (for mmseg's
    ``UNet`` and elseg's ``MTUNet`` index 0 is the deepest encoder output),
    with masks from the argmax of the decode head's logits.

    Any backbone works as long as ``feats[embed_index]`` is a feature map; any
    decode head whose ``forward`` returns one logits tensor works.

    The stage is set by :class:`~elseg.engine.hooks.ExemplarTwoStageHook`;
    ``pcem_stages`` chooses in which stages ``L_c`` is used (Table 4 rows
    ``L_c^{e+s}`` / ``L_c^{e+s+u}``). Losses are logged as
    ``loss_seg_exemplar``, ``loss_seg_synthetic``, ``loss_seg_unlabeled`` and
    ``loss_pcem``.

    Args:
        stream_weights (dict): ``exemplar`` (1 in the paper), ``synthetic``
            (lambda_s) and ``unlabeled`` (lambda_u) weights.
        contrastive_loss (dict, optional): PCEM loss config, e.g.
            ``dict(type='PixelPrototypeContrastiveLoss', tau=0.07,
            loss_weight=lambda_c)``. None disables PCEM.
        embed_index (int): Which backbone output is the embedding X.
        pcem_stages (Sequence[int]): Stages in which PCEM is applied.
        **kwargs: ``EncoderDecoder`` arguments (backbone, decode_head, ...).

    Raises:
        ValueError: On an unknown stream name or stage number.
    """

    def __init__(self,
                 stream_weights: Optional[Dict[str, float]] = None,
                 contrastive_loss: Optional[dict] = None,
                 embed_index: int = 0,
                 pcem_stages: Sequence[int] = (1, 2),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        weights = dict(exemplar=1.0, synthetic=1.0, unlabeled=1.0)
        for name, value in (stream_weights or {}).items():
            if name not in STREAMS:
                raise ValueError(f'Unknown stream {name!r} in stream_weights; '
                                 f'choose from {STREAMS}.')
            weights[name] = float(value)
        self.stream_weights = weights
        self.contrastive_loss = (
            MODELS.build(contrastive_loss) if contrastive_loss else None)
        self.embed_index = embed_index
        bad = [s for s in pcem_stages if s not in (1, 2)]
        if bad:
            raise ValueError(f'pcem_stages must hold 1 and/or 2, got {bad}.')
        self.pcem_stages = tuple(pcem_stages)
        self.stage = 1

    def set_stage(self, stage: int) -> None:
        """Select stage 1 or 2 (called by the two-stage hook)."""
        if stage not in (1, 2):
            raise ValueError(f'stage must be 1 or 2, got {stage!r}.')
        self.stage = stage

    def loss(self, inputs: Tensor, data_samples) -> dict:
        """Per-stream segmentation losses plus PCEM.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (list[SegDataSample]): With ``gt_sem_seg`` and the
                ``stream`` meta key (missing means ``exemplar``).

        Returns:
            dict[str, Tensor]: Loss terms (``loss_*``) and accuracies.
        """
        return self.elnet_losses(inputs, data_samples)[2]

    def elnet_losses(self, inputs: Tensor, data_samples,
                     feats: Optional[Sequence[Tensor]] = None,
                     seg_logits: Optional[Tensor] = None):
        """One forward pass and ELNet's losses (Eq. 6-8) of the batch.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (list[SegDataSample]): The samples.
            feats (Sequence[Tensor], optional): The backbone (and neck)
                features of ``inputs`` when the caller computed them (e.g.
                in two passes with different BatchNorm statistics); None
                computes them here.
            seg_logits (Tensor, optional): The decode head's logits of
                ``feats``, likewise; None computes them here.

        Returns:
            tuple: ``(feats, seg_logits, losses)``: the backbone (and neck)
            features, the decode head's logits and the loss dict (per-stream
            ``L_seg``, PCEM in its stages, auxiliary heads; ``loss_none``, a
            zero, when no sample carries a label).

        Raises:
            TypeError: When the decode head does not return one tensor.
        """
        if feats is None:
            feats = self.extract_feat(inputs)
        if seg_logits is None:
            seg_logits = self.decode_head.forward(feats)
        if not isinstance(seg_logits, Tensor):
            raise TypeError(
                f'{type(self).__name__} needs a decode head whose forward '
                f'returns one logits tensor; {type(self.decode_head).__name__} '
                f'returned {type(seg_logits).__name__}.')
        losses = self.stream_losses(seg_logits, data_samples)
        if self.contrastive_loss is not None and self.stage in self.pcem_stages:
            embedding = feats[self.embed_index]
            losses['loss_pcem'] = self.contrastive_loss(embedding,
                                                        seg_logits.detach())
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats,
                                                             data_samples))
        if not any(k.startswith('loss') for k in losses):
            # no sample carries a label (e.g. an all-unlabelled batch before
            # consistency starts): a zero term keeps the optimiser step valid
            losses['loss_none'] = seg_logits.sum() * 0.0
        return feats, seg_logits, losses

    def stream_losses(self, seg_logits: Tensor,
                      data_samples) -> Dict[str, Tensor]:
        """``L_seg`` per stream, weighted by ``stream_weights``.

        Unlabelled samples whose label is entirely ignore (no pseudo label:
        stage 1, or a consistency-only stream) are left out: they carry no
        supervision.

        Args:
            seg_logits (Tensor): (N, K, h, w) logits of all samples.
            data_samples (list[SegDataSample]): The samples, in the same order.

        Returns:
            dict[str, Tensor]: ``loss_seg_<stream>`` and ``acc_<stream>``.
        """
        streams = [ds.metainfo.get('stream', 'exemplar') for ds in data_samples]
        losses: Dict[str, Tensor] = {}
        for stream in STREAMS:
            idx = [i for i, s in enumerate(streams) if s == stream]
            if stream == 'unlabeled':
                idx = [i for i in idx if bool(
                    (data_samples[i].gt_sem_seg.data != IGNORE_INDEX).any())]
            weight = self.stream_weights[stream]
            if not idx or weight == 0:
                continue
            sub = self.decode_head.loss_by_feat(
                seg_logits[idx], [data_samples[i] for i in idx])
            total = sum(v for k, v in sub.items() if k.startswith('loss'))
            losses[f'loss_seg_{stream}'] = weight * total
            losses[f'acc_{stream}'] = sub['acc_seg']
        return losses

    @torch.no_grad()
    def reinitialize(self) -> None:
        """Re-draw all weights: stage 2 trains a fresh network N_e."""
        for module in self.modules():
            if module is not self and hasattr(module, 'reset_parameters'):
                module.reset_parameters()
        if hasattr(self, 'init_weights'):
            for m in self.modules():
                if hasattr(m, '_is_init'):
                    m._is_init = False
            self.init_weights()
