"""Tests of ClassMeanDiceLoss (TransUNet soft Dice, ELNet Eq. 7)."""
import math

import pytest
import torch
from mmseg.registry import MODELS

import elseg  # noqa: F401  (registers the loss)
from elseg.models.losses import ClassMeanDiceLoss

EPS = 1e-5


def _two_class_logits(p_fg):
    """Logits (1, 2, H, W) whose softmax is (1 - p, p) at each pixel."""
    p = torch.tensor(p_fg, dtype=torch.float64)
    return torch.stack([torch.log(1 - p), torch.log(p)]).unsqueeze(0)


def _dice(p, t):
    """1 - (2 sum(p t) + eps) / (sum p^2 + sum t^2 + eps) over lists."""
    inter = sum(a * b for a, b in zip(p, t))
    denom = sum(a * a for a in p) + sum(b * b for b in t)
    return 1 - (2 * inter + EPS) / (denom + EPS)


def test_hand_computed_2x2_with_ignore():
    pred = _two_class_logits([[0.9, 0.2], [0.6, 0.7]])
    target = torch.tensor([[[1, 0], [1, 255]]])
    # valid pixels: (0,0), (0,1), (1,0); the 255 pixel is dropped
    fg_p, fg_t = [0.9, 0.2, 0.6], [1, 0, 1]
    bg_p, bg_t = [0.1, 0.8, 0.4], [0, 1, 0]
    expected = (_dice(bg_p, bg_t) + _dice(fg_p, fg_t)) / 2
    loss = ClassMeanDiceLoss()(pred, target)
    assert math.isclose(loss.item(), expected, rel_tol=1e-9)

    no_bg = ClassMeanDiceLoss(include_background=False)(pred, target)
    assert math.isclose(no_bg.item(), _dice(fg_p, fg_t), rel_tol=1e-9)


def test_hand_computed_batch_pooling_and_weights():
    """Sums pool over the batch (N=2), then a class-weighted mean."""
    pred = torch.cat([_two_class_logits([[0.5, 0.25]]),
                      _two_class_logits([[0.75, 0.5]])])
    target = torch.tensor([[[1, 1]], [[0, 1]]])
    fg = _dice([0.5, 0.25, 0.75, 0.5], [1, 1, 0, 1])
    bg = _dice([0.5, 0.75, 0.25, 0.5], [0, 0, 1, 0])
    loss = ClassMeanDiceLoss(loss_weight=2.0)(pred, target)
    assert math.isclose(loss.item(), 2.0 * (fg + bg) / 2, rel_tol=1e-9)
    weighted = ClassMeanDiceLoss(class_weight=[1.0, 3.0])(pred, target)
    assert math.isclose(weighted.item(), (bg + 3 * fg) / 4, rel_tol=1e-9)
    pixel_w = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]]], dtype=torch.float64)
    masked = ClassMeanDiceLoss()(pred, target, weight=pixel_w)
    fg_m = _dice([0.5, 0.75, 0.5], [1, 0, 1])
    bg_m = _dice([0.5, 0.25, 0.5], [0, 1, 0])
    assert math.isclose(masked.item(), (fg_m + bg_m) / 2, rel_tol=1e-9)


def test_perfect_prediction_is_near_zero():
    target = torch.randint(0, 4, (2, 3, 3))
    pred = 50.0 * torch.nn.functional.one_hot(target, 4).permute(0, 3, 1, 2)
    assert ClassMeanDiceLoss()(pred.float(), target).item() < 1e-5


def test_all_ignored_is_zero_with_grad():
    pred = torch.randn(2, 3, 4, 4, requires_grad=True)
    target = torch.full((2, 4, 4), 255)
    loss = ClassMeanDiceLoss()(pred, target)
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_gradient_and_registry():
    loss_fn = MODELS.build(dict(type='ClassMeanDiceLoss', loss_weight=0.5))
    assert loss_fn.loss_name == 'loss_dice'
    pred = torch.randn(2, 3, 4, 4, requires_grad=True)
    loss_fn(pred, torch.randint(0, 3, (2, 4, 4)), ignore_index=255).backward()
    assert pred.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError):
        ClassMeanDiceLoss(eps=0)
    with pytest.raises(ValueError):
        ClassMeanDiceLoss(loss_name='dice')
    with pytest.raises(ValueError):
        ClassMeanDiceLoss()(torch.randn(1, 2, 3, 3), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError):
        ClassMeanDiceLoss(class_weight=[1.0])(torch.randn(1, 2, 3, 3),
                                               torch.zeros(1, 3, 3).long())
