"""ELNet's per-stream losses plus weak-to-strong consistency on unlabelled
slices (FixMatch, Sohn et al. NeurIPS 2020; UniMatch, Yang et al. CVPR 2023).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor, nn

from ..utils.batch_views import StrongViewAugment, cutmix_boxes, mix_with_boxes
from ..utils.rampup import sigmoid_rampup
from ..utils.teacher import (EMATeacherMixin, check_bn_stats,
                             forward_labelled_first, split_streams,
                             unlabeled_bn)
from ...utils.schedule import check_iters, resolve_iters, runner_max_iters
from .exemplar_encoder_decoder import ExemplarEncoderDecoder

LOSS_TYPES = ('dice', 'ce', 'ce_dice')
DICE_CLASSES = ('all', 'present')


def masked_dice_loss(logits: Tensor, target: Tensor, mask: Tensor,
                     classes: str = 'all') -> Tensor:
    """Soft Dice over the pixels in ``mask``, averaged over the classes.

    UniMatch's medical loss for unlabelled images: per class ``k`` (background
    included) ``1 - (2 sum(p_k y_k) + e) / (sum(p_k^2) + sum(y_k) + e)`` over
    the masked pixels of the whole batch, ``e = 1e-5``. A class absent from
    the masked target scores ``1 - e / (sum(p_k^2) + e)``, i.e. about 1 unless
    it is predicted nowhere in the mask: with ``classes='all'`` (UniMatch) it
    pushes that class to zero on every confident pixel; ``'present'``
    averages over the classes present in the masked target only (all classes
    when none is).

    Args:
        logits (Tensor): ``(N, K, H, W)``.
        target (Tensor): ``(N, H, W)`` class ids.
        mask (Tensor): ``(N, H, W)`` bool or float, 1 where the target counts.
        classes (str): ``'all'`` or ``'present'``.

    Returns:
        Tensor: Scalar loss.
    """
    num_classes = logits.shape[1]
    prob = logits.softmax(dim=1)
    onehot = F.one_hot(target.long().clamp(0, num_classes - 1),
                       num_classes).permute(0, 3, 1, 2).to(prob.dtype)
    m = mask.to(prob.dtype)[:, None]
    eps = 1e-5
    inter = (prob * onehot * m).sum(dim=(0, 2, 3))
    p_sum = (prob * prob * m).sum(dim=(0, 2, 3))
    y_sum = (onehot * m).sum(dim=(0, 2, 3))
    dice = (2 * inter + eps) / (p_sum + y_sum + eps)
    if classes == 'present':
        present = y_sum > 0
        if present.any():
            return (1 - dice[present]).mean()
    return (1 - dice).mean()


def masked_ce_loss(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Cross-entropy summed over ``mask`` and divided by ALL pixels.

    As UniMatch: dividing by every pixel rather than the confident ones
    makes the term shrink while few pixels pass the threshold.

    Args:
        logits (Tensor): ``(N, K, H, W)``.
        target (Tensor): ``(N, H, W)`` class ids.
        mask (Tensor): ``(N, H, W)`` bool or float.

    Returns:
        Tensor: Scalar loss.
    """
    ce = F.cross_entropy(logits, target.long(), reduction='none')
    return (ce * mask.to(ce.dtype)).sum() / max(ce.numel(), 1)


class _DropoutHooks:
    """Context manager: channel dropout on the outputs of ``modules`` and on
    the first positional input of ``input_modules``."""

    def __init__(self, modules: List[nn.Module],
                 input_modules: List[nn.Module], p: float) -> None:
        self.modules, self.input_modules = modules, input_modules
        self.p, self.handles = p, []

    def _pre_hook(self, module, args):
        if args and isinstance(args[0], Tensor) and args[0].dim() == 4:
            return (F.dropout2d(args[0], self.p, training=True), ) + args[1:]
        return None

    def _hook(self, module, inputs, output):
        if isinstance(output, Tensor):
            return F.dropout2d(output, self.p, training=True)
        if isinstance(output, (list, tuple)):
            return type(output)(
                F.dropout2d(o, self.p, training=True) if isinstance(o, Tensor)
                and o.dim() == 4 else o for o in output)
        return output

    def __enter__(self):
        self.handles = [m.register_forward_hook(self._hook)
                        for m in self.modules]
        self.handles += [m.register_forward_pre_hook(self._pre_hook)
                         for m in self.input_modules]
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


@MODELS.register_module()
class ConsistencyEncoderDecoder(EMATeacherMixin, ExemplarEncoderDecoder):
    """ELNet losses + weak-to-strong consistency on the unlabelled stream.

    The labelled side is :class:`ExemplarEncoderDecoder`'s (exemplar,
    synthetic and pseudo-labelled streams, PCEM). Samples of the
    ``unlabeled`` stream additionally get UniMatch's unlabelled losses: the
    prediction on the weak view (the pipeline's rotation/flip; from the
    student's own forward, or from an EMA teacher), kept where its
    confidence is ``>= conf_thresh``, supervises

    * ``num_strong`` strong views (:class:`StrongViewAugment` intensity
      perturbations, then CutMix with another unlabelled image of the batch:
      image, pseudo label and confidence mask are mixed by the same box),
      logged as ``loss_cons_strong``;
    * a feature-perturbation stream (channel dropout ``fp_dropout`` on the
      outputs of ``fp_modules`` and on the first input of
      ``fp_input_modules``; on the decode head's input features when both
      are None), logged as ``loss_cons_fp``. For mmseg's UNet, whose decoder
      lives in the backbone, UniMatch's perturbation (dropout on every
      encoder feature, nothing else) is ``fp_modules=['backbone.encoder.4']``
      (the bottleneck) with ``fp_input_modules=['backbone.decoder.0', ...,
      'backbone.decoder.3']`` (their first input is the encoder skip).

    Total unlabelled loss: ``cons_weight * ramp * (strong_weight * mean over
    strong views + fp_weight * fp)``; UniMatch uses 0.5 / 0.5 and weighs the
    labelled and unlabelled losses equally. ``ramp`` is
    :func:`sigmoid_rampup` over ``rampup_iters`` iterations counted from the
    first iteration with consistency. Also logged (not optimised):
    ``cons_conf_ratio`` (fraction of unlabelled pixels at or above the
    threshold) and ``cons_weight`` (the current weight).

    ``bn_stats`` says which samples BatchNorm's training statistics come
    from. ``'batch'`` (UniMatch): every forward pass in training mode, so the
    unlabelled slices (weak, strong and perturbed views) enter the batch
    statistics and the running averages. ``'labeled'``: only the samples of
    the labelled streams (exemplar, synthetic) do; the unlabelled samples
    (their weak view, pseudo-labelled or not, the strong views and the
    feature-perturbation stream) are forwarded with the running statistics
    (:func:`~elseg.models.utils.frozen_batchnorm`), gradients flowing through
    them. The reason: with one labelled slice, unlabelled slices in the batch
    statistics collapsed the MLDS mean teacher even at consistency weight 0
    (docs/mlds_investigation.md).

    Works with any backbone/decode head that :class:`ExemplarEncoderDecoder`
    takes; ``fp_modules`` names submodules (e.g. ``'backbone.encoder.4'`` of
    mmseg's UNet) whose outputs are perturbed.

    Args:
        consistency (dict): Keys (defaults in brackets): ``conf_thresh``
            (0.95), ``num_strong`` (2; 0 disables the strong views),
            ``strong`` (kwargs of :class:`StrongViewAugment`),
            ``cutmix_prob`` (0.5; 0 disables CutMix), ``cutmix_area``
            ((0.02, 0.4)), ``cutmix_ratio`` ((0.3, 1 / 0.3)), ``fp`` (True),
            ``fp_dropout`` (0.5), ``fp_modules`` (None; ``'auto'``:
            see :meth:`_auto_fp`), ``fp_input_modules`` (None),
            ``strong_weight``
            (0.5), ``fp_weight`` (0.5), ``cons_weight`` (1.0),
            ``rampup_iters`` (0), ``loss_type`` ('dice': UniMatch's medical
            choice; 'ce' or 'ce_dice'), ``stages`` ((1, 2)), ``ema_momentum``
            (None: the weak view is predicted by the student itself; e.g.
            0.99: by an EMA teacher, copied from the student at the first
            iteration with consistency and updated before every step).
            ``rampup_iters`` and ``start_iter`` are iterations (int) or
            shares of the runner's ``max_iters`` (float in [0, 1],
            :mod:`elseg.utils.schedule`).
        **kwargs: :class:`ExemplarEncoderDecoder` arguments.

    Raises:
        ValueError: On unknown keys or out-of-range values.
    """

    _DEFAULTS = dict(
        conf_thresh=0.95, num_strong=2, strong=None, cutmix_prob=0.5,
        cutmix_area=(0.02, 0.4), cutmix_ratio=(0.3, 1 / 0.3), fp=True,
        fp_dropout=0.5, fp_modules=None, fp_input_modules=None,
        strong_weight=0.5, fp_weight=0.5,
        cons_weight=1.0, rampup_iters=0, loss_type='dice', stages=(1, 2),
        ema_momentum=None, start_iter=0, dice_classes='all')

    #: An EMA teacher is copied from the student when training starts, so a
    #: checkpoint without it (a stage-1 or plain model) still fits.
    optional_checkpoint_prefixes = ('teacher.', )

    def __init__(self, consistency: Optional[dict] = None,
                 bn_stats: str = 'batch', **kwargs) -> None:
        super().__init__(**kwargs)
        self.bn_stats = check_bn_stats(bn_stats)
        cfg = dict(self._DEFAULTS)
        unknown = set(consistency or {}) - set(cfg)
        if unknown:
            raise ValueError(f'Unknown consistency key(s) {sorted(unknown)}; '
                             f'choose from {sorted(cfg)}.')
        cfg.update(consistency or {})
        if not 0.0 <= float(cfg['conf_thresh']) <= 1.0:
            raise ValueError('consistency.conf_thresh must be in [0, 1], got '
                             f'{cfg["conf_thresh"]!r}')
        if int(cfg['num_strong']) < 0:
            raise ValueError('consistency.num_strong must be >= 0, got '
                             f'{cfg["num_strong"]!r}')
        for key in ('cutmix_prob', 'fp_dropout'):
            if not 0.0 <= float(cfg[key]) <= 1.0:
                raise ValueError(f'consistency.{key} must be in [0, 1], got '
                                 f'{cfg[key]!r}')
        for key in ('rampup_iters', 'start_iter'):
            cfg[key] = check_iters(cfg[key], f'consistency.{key}')
        for key in ('strong_weight', 'fp_weight', 'cons_weight'):
            if float(cfg[key]) < 0:
                raise ValueError(f'consistency.{key} must be >= 0, got '
                                 f'{cfg[key]!r}')
        if cfg['dice_classes'] not in DICE_CLASSES:
            raise ValueError(f'consistency.dice_classes must be one of '
                             f'{DICE_CLASSES}, got {cfg["dice_classes"]!r}')
        if cfg['loss_type'] not in LOSS_TYPES:
            raise ValueError(f'consistency.loss_type must be one of '
                             f'{LOSS_TYPES}, got {cfg["loss_type"]!r}')
        if not cfg['stages'] or any(s not in (1, 2) for s in cfg['stages']):
            raise ValueError('consistency.stages must hold 1 and/or 2, got '
                             f'{cfg["stages"]!r}')
        ema = cfg['ema_momentum']
        if ema is not None and not 0.0 <= float(ema) < 1.0:
            raise ValueError('consistency.ema_momentum must be None or in '
                             f'[0, 1), got {ema!r}')
        self.cons = cfg
        self.strong_aug = StrongViewAugment(**(cfg['strong'] or {}))
        named = dict(self.named_modules())
        if cfg['fp_modules'] == 'auto':
            cfg['fp_modules'], cfg['fp_input_modules'] = self._auto_fp()
        self.fp_hooked = (cfg['fp_modules'] is not None
                          or cfg['fp_input_modules'] is not None)
        self.fp_modules: List[nn.Module] = []
        self.fp_input_modules: List[nn.Module] = []
        for key, target in (('fp_modules', self.fp_modules),
                            ('fp_input_modules', self.fp_input_modules)):
            names = list(cfg[key] or [])
            missing = [n for n in names if n not in named]
            if missing:
                raise ValueError(
                    f'consistency.{key} {missing} are not submodules of '
                    'the model; examples: '
                    f'{[n for n in named if n.count(".") <= 2][:12]}')
            target.extend(named[n] for n in names)
        self.teacher: Optional[nn.ModuleDict] = None
        if ema is not None:
            self.build_teacher()
        # first iteration with consistency (-1: not started); in checkpoints
        self.register_buffer('cons_start_iter', torch.tensor(-1))
        self._local_iter = 0

    # ---------------------------------------------------------------- helpers
    def _auto_fp(self) -> Tuple[Optional[List[str]], Optional[List[str]]]:
        """``fp_modules='auto'``: UniMatch's encoder-feature perturbation.

        mmseg ``UNet`` (``encoder`` and ``decoder`` module lists in the
        backbone): the bottleneck's output and the skip input of every
        decoder block. A backbone with a ``bottleneck`` module (elseg's
        ``MTUNet``): its output. Otherwise: the decode head's input features
        (None, None).
        """
        bb = self.backbone
        enc, dec = getattr(bb, 'encoder', None), getattr(bb, 'decoder', None)
        if isinstance(enc, nn.ModuleList) and isinstance(dec, nn.ModuleList) \
                and len(enc) == len(dec) + 1 and \
                type(bb).__name__ == 'UNet':
            return ([f'backbone.encoder.{len(enc) - 1}'],
                    [f'backbone.decoder.{i}' for i in range(len(dec))])
        if isinstance(getattr(bb, 'bottleneck', None), nn.Module):
            return ['backbone.bottleneck'], None
        return None, None

    def _cons_iters(self, key: str) -> int:
        """``consistency.<key>`` in iterations (a share of the runner's
        ``max_iters`` resolved, :mod:`elseg.utils.schedule`)."""
        return resolve_iters(self.cons[key], runner_max_iters(),
                             f'consistency.{key}')

    def _current_iter(self) -> int:
        """The runner's iteration (message hub), else a local counter."""
        try:
            it = MessageHub.get_current_instance().get_info('iter')
        except Exception:  # noqa: BLE001  (no message hub outside a runner)
            it = None
        return int(it) if it is not None else self._local_iter

    def _decode(self, inputs: Tensor, fp: bool = False) -> Tensor:
        """Student logits at input size, optionally feature-perturbed."""
        p = float(self.cons['fp_dropout'])
        if fp and self.fp_hooked:
            with _DropoutHooks(self.fp_modules, self.fp_input_modules, p):
                feats = self.extract_feat(inputs)
                logits = self.decode_head.forward(feats)
        else:
            feats = self.extract_feat(inputs)
            if fp:
                feats = [F.dropout2d(f, p, training=True) for f in feats]
            logits = self.decode_head.forward(feats)
        return self._to_input_size(logits, inputs)

    def _to_input_size(self, logits: Tensor, inputs: Tensor) -> Tensor:
        if logits.shape[2:] != inputs.shape[2:]:
            logits = resize(logits, size=inputs.shape[2:], mode='bilinear',
                            align_corners=self.align_corners)
        return logits

    def _unlabeled_loss(self, logits: Tensor, target: Tensor,
                        mask: Tensor) -> Tensor:
        kind, classes = self.cons['loss_type'], self.cons['dice_classes']
        if kind == 'dice':
            return masked_dice_loss(logits, target, mask, classes)
        if kind == 'ce':
            return masked_ce_loss(logits, target, mask)
        return 0.5 * masked_ce_loss(logits, target, mask) + \
            0.5 * masked_dice_loss(logits, target, mask, classes)

    def strong_views(self, x_u: Tensor, pseudo: Tensor, conf: Tensor,
                     generator: Optional[torch.Generator] = None
                     ) -> List[Tuple[Tensor, Tensor, Tensor]]:
        """Strong views of the weak unlabelled images and their targets.

        Args:
            x_u (Tensor): ``(U, C, H, W)`` weak views.
            pseudo (Tensor): ``(U, H, W)`` pseudo labels of the weak views.
            conf (Tensor): ``(U, H, W)`` their confidences.
            generator (torch.Generator, optional): Random generator.

        Returns:
            list[tuple[Tensor, Tensor, Tensor]]: ``num_strong`` triples
            (image, pseudo label, confidence), CutMix applied to all three
            with the same box and partner.
        """
        views = []
        n, _, h, w = x_u.shape
        for _ in range(int(self.cons['num_strong'])):
            img = self.strong_aug(x_u, generator=generator)
            lab, cf = pseudo, conf
            if self.cons['cutmix_prob'] > 0 and n > 1:
                boxes = cutmix_boxes(n, h, w, self.cons['cutmix_prob'],
                                     tuple(self.cons['cutmix_area']),
                                     tuple(self.cons['cutmix_ratio']),
                                     device=x_u.device, generator=generator)
                perm = torch.randperm(n, generator=generator,
                                      device=x_u.device)
                img = mix_with_boxes(img, img[perm], boxes)
                lab = mix_with_boxes(lab, lab[perm], boxes)
                cf = mix_with_boxes(cf, cf[perm], boxes)
            views.append((img, lab, cf))
        return views

    # ------------------------------------------------------------------- loss
    def _split_forward(self, inputs: Tensor, data_samples
                       ) -> Tuple[Tensor, Tensor, List[int], dict]:
        """ELNet's losses with the unlabelled samples forwarded apart.

        ``bn_stats='batch'``: one forward of the whole batch. ``'labeled'``:
        the batch is reordered labelled-first, the labelled samples are
        forwarded (backbone and decode head) in training mode and the
        unlabelled ones with frozen BatchNorm; features and logits are joined
        so that ELNet's losses (per-stream ``L_seg``, PCEM over the batch)
        see one batch. Auxiliary heads run on the joined features.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (list[SegDataSample]): With the ``stream`` meta key.

        Returns:
            tuple: ``(seg_logits, inputs, unl, losses)``: logits and images
            in the order used, ``unl`` the positions of the unlabelled
            samples in it, and ELNet's loss dict.
        """
        lab, unl = split_streams(data_samples)
        if self.bn_stats == 'batch' or not unl:
            _, seg_logits, losses = self.elnet_losses(inputs, data_samples)
            return seg_logits, inputs, unl, losses

        def forward(x: Tensor) -> Tuple[List[Tensor], Tensor]:
            feats = self.extract_feat(x)
            return feats, self.decode_head.forward(feats)

        parts = [p for p in forward_labelled_first(self, inputs, lab, unl,
                                                   forward) if p is not None]
        order = lab + unl
        inputs = inputs[torch.as_tensor(order, device=inputs.device)]
        data_samples = [data_samples[i] for i in order]
        feats = [torch.cat(level) for level in zip(*(f for f, _ in parts))]
        _, seg_logits, losses = self.elnet_losses(
            inputs, data_samples, feats=feats,
            seg_logits=torch.cat([logits for _, logits in parts]))
        return seg_logits, inputs, list(range(len(lab), len(order))), losses

    def loss(self, inputs: Tensor, data_samples) -> dict:
        """ELNet's losses plus the consistency losses (see the class doc).

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (list[SegDataSample]): With the ``stream`` meta key.

        Returns:
            dict[str, Tensor]: Loss terms (``loss_*``) and logged values.
        """
        self._local_iter += 1
        seg_logits, inputs, unl, losses = self._split_forward(
            inputs, data_samples)
        it = self._current_iter()
        if self.stage not in self.cons['stages'] or not unl or \
                it < self._cons_iters('start_iter'):
            return losses
        if int(self.cons_start_iter) < 0:
            self.cons_start_iter.fill_(it)
            if self.teacher is not None:
                self.ema_update(0.0)
        elif self.teacher is not None:
            self.ema_update(float(self.cons['ema_momentum']))
        ramp = sigmoid_rampup(it - int(self.cons_start_iter),
                              float(self._cons_iters('rampup_iters')))
        weight = float(self.cons['cons_weight']) * ramp

        idx = torch.as_tensor(unl, device=inputs.device)
        x_u = inputs[idx]
        with torch.no_grad():
            if self.teacher is not None:
                weak_logits = self.teacher_forward(x_u)
            else:
                weak_logits = seg_logits[idx].detach()
            prob = self._to_input_size(weak_logits, x_u).softmax(dim=1)
            conf, pseudo = prob.max(dim=1)
        thresh = float(self.cons['conf_thresh'])
        zero = seg_logits.sum() * 0.0
        strong = zero
        views = self.strong_views(x_u, pseudo, conf)
        if views:
            imgs = torch.cat([v[0] for v in views])
            with unlabeled_bn(self, self.bn_stats):
                logits = self._to_input_size(
                    self.decode_head.forward(self.extract_feat(imgs)), imgs)
            parts = []
            for k, (_, lab, cf) in enumerate(views):
                sl = logits[k * len(unl):(k + 1) * len(unl)]
                parts.append(self._unlabeled_loss(sl, lab, cf >= thresh))
            strong = sum(parts) / len(parts)
            losses['loss_cons_strong'] = weight * float(
                self.cons['strong_weight']) * strong
        if self.cons['fp'] and float(self.cons['fp_weight']) > 0:
            with unlabeled_bn(self, self.bn_stats):
                fp_logits = self._decode(x_u, fp=True)
            fp = self._unlabeled_loss(fp_logits, pseudo, conf >= thresh)
            losses['loss_cons_fp'] = weight * float(self.cons['fp_weight']) * fp
        losses['cons_conf_ratio'] = (conf >= thresh).float().mean()
        losses['cons_weight'] = seg_logits.new_tensor(weight)
        return losses

    @torch.no_grad()
    def reinitialize(self) -> None:
        """Re-draw the weights (stage 2's fresh N_e); the ramp-up and an EMA
        teacher restart from the new student."""
        super().reinitialize()
        self.cons_start_iter.fill_(-1)
