"""Tests of PixelPrototypeContrastiveLoss (PCEM, ELNet Eq. 3-5)."""
import math

import numpy as np
import pytest
import torch
from mmseg.registry import MODELS

import elseg  # noqa: F401  (registers the loss)
from elseg.models.losses import PixelPrototypeContrastiveLoss


def _term(anchor, pos, negs, tau):
    """-log(e^{a.p/t} / (e^{a.p/t} + sum_n e^{a.n/t})) with math.exp."""
    e_pos = math.exp(np.dot(anchor, pos) / tau)
    e_neg = sum(math.exp(np.dot(anchor, n) / tau) for n in negs)
    return -math.log(e_pos / (e_pos + e_neg))


def _reference(emb, labels, tau, normalize=True, skip=()):
    """Loop implementation of Eq. 4-5 with positive='all', mean reduction.

    ``emb`` (N, C, P) and ``labels`` (N, P) numpy arrays at the same
    resolution; classes in ``skip`` have no prototype.
    """
    protos = {}
    for n in range(labels.shape[0]):
        for k in np.unique(labels[n]):
            if k in skip:
                continue
            v = emb[n][:, labels[n] == k].mean(axis=1)
            protos[(n, int(k))] = v / np.linalg.norm(v) if normalize else v
    terms = []
    for (n, k), anchor in protos.items():
        pos = [v for (m, j), v in protos.items() if m != n and j == k]
        negs = [v for (m, j), v in protos.items() if m != n and j != k]
        if pos:
            terms.append(np.mean([_term(anchor, p, negs, tau) for p in pos]))
    return float(np.mean(terms)) if terms else 0.0


def test_hand_computed_two_images_two_classes():
    """N=2, K=2, C=2: each anchor has one positive and one negative."""
    # image 0: class 0 at pixel 0, class 1 at pixels 1, 2 (mean (0, 1))
    # image 1: class 0 at pixel 0 (scaled by 3), class 1 at pixels 1, 2
    emb = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]],
                        [[1.8, 0.8, 0.8], [2.4, -0.6, -0.6]]],
                       dtype=torch.float64).unsqueeze(2)  # (2, 2, 1, 3)
    labels = torch.tensor([[[0, 1, 1]], [[0, 1, 1]]])
    a0, a1 = (1.0, 0.0), (0.0, 1.0)
    b0, b1 = (0.6, 0.8), (0.8, -0.6)  # image 1 prototypes, normalised
    tau = 0.5
    expected = (_term(a0, b0, [b1], tau) + _term(a1, b1, [b0], tau) +
                _term(b0, a0, [a1], tau) + _term(b1, a1, [a0], tau)) / 4
    for positive in ('all', 'random'):
        loss_fn = PixelPrototypeContrastiveLoss(tau=tau, positive=positive)
        loss = loss_fn(emb, labels)
        assert math.isclose(loss.item(), expected, rel_tol=1e-9)
    summed = PixelPrototypeContrastiveLoss(tau=tau, reduction='sum')
    assert math.isclose(summed(emb, labels).item(), 4 * expected,
                        rel_tol=1e-9)
    # the same argmax given as logits
    logits = 10.0 * torch.nn.functional.one_hot(labels, 2).permute(0, 3, 1, 2)
    loss = PixelPrototypeContrastiveLoss(tau=tau)(emb, logits.double())
    assert math.isclose(loss.item(), expected, rel_tol=1e-9)


@pytest.mark.parametrize('include_background', [True, False])
def test_matches_loop_reference_with_missing_classes(include_background):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(4, 5, 6)).astype(np.float64)
    labels = rng.integers(0, 4, size=(4, 6))
    labels[1][labels[1] == 2] = 0  # class 2 missing from image 1
    labels[labels == 3] = 1  # class 3 missing from the batch
    skip = () if include_background else (0, )
    expected = _reference(emb, labels, tau=0.2, skip=skip)
    loss_fn = PixelPrototypeContrastiveLoss(
        tau=0.2, positive='all', include_background=include_background,
        num_classes=4)
    loss = loss_fn(torch.from_numpy(emb).unsqueeze(2),
                   torch.from_numpy(labels).unsqueeze(1))
    assert math.isclose(loss.item(), expected, rel_tol=1e-9)
    raw = _reference(emb, labels, tau=0.2, normalize=False, skip=skip)
    loss_fn.normalize = False
    loss = loss_fn(torch.from_numpy(emb).unsqueeze(2),
                   torch.from_numpy(labels).unsqueeze(1))
    assert math.isclose(loss.item(), raw, rel_tol=1e-9)


def test_random_positive_averages_to_all():
    torch.manual_seed(0)
    emb = torch.randn(3, 4, 2, 2, dtype=torch.float64)
    labels = torch.tensor([[[0, 1], [1, 1]]] * 3)
    all_pos = PixelPrototypeContrastiveLoss(tau=0.3, positive='all')
    rand_pos = PixelPrototypeContrastiveLoss(tau=0.3, positive='random')
    values = torch.stack([rand_pos(emb, labels) for _ in range(400)])
    assert values.unique().numel() > 1
    assert abs(values.mean().item() - all_pos(emb, labels).item()) < 0.05
    torch.manual_seed(1)
    first = rand_pos(emb, labels)
    torch.manual_seed(1)
    assert rand_pos(emb, labels).item() == first.item()


def test_bilinear_resize_marks_boundary_pixels_for_both_classes():
    loss_fn = PixelPrototypeContrastiveLoss()
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[0, 1, 1] = 1  # one class-1 pixel in the top-left 2x2 block
    masks = loss_fn._class_masks(labels, None, (2, 2))
    assert masks.shape == (1, 2, 2, 2)
    assert masks[0, 0].all()
    assert masks[0, 1].tolist() == [[True, False], [False, False]]


def _grad_ok(loss, emb):
    loss.backward()
    return torch.isfinite(loss) and torch.isfinite(emb.grad).all()


def test_degenerate_batches_give_zero_without_nan():
    loss_fn = PixelPrototypeContrastiveLoss()
    # N = 1: no positives
    emb = torch.randn(1, 8, 4, 4, requires_grad=True)
    loss = loss_fn(emb, torch.randn(1, 3, 16, 16))
    assert loss.item() == 0.0 and _grad_ok(loss, emb)
    # every pixel ignored through valid_mask
    emb = torch.randn(3, 8, 4, 4, requires_grad=True)
    valid = torch.zeros(3, 16, 16, dtype=torch.bool)
    loss = loss_fn(emb, torch.randn(3, 3, 16, 16), valid_mask=valid)
    assert loss.item() == 0.0 and _grad_ok(loss, emb)
    # a label map that is all ignore_index
    emb = torch.randn(2, 8, 4, 4, requires_grad=True)
    loss = loss_fn(emb, torch.full((2, 16, 16), 255))
    assert loss.item() == 0.0 and _grad_ok(loss, emb)
    # one class in the whole batch: positives but no negatives -> 0
    emb = torch.randn(2, 8, 4, 4, requires_grad=True)
    loss = loss_fn(emb, torch.zeros(2, 16, 16, dtype=torch.long))
    assert loss.item() == pytest.approx(0.0) and _grad_ok(loss, emb)


def test_gradient_flows_and_unnormalised_is_stable():
    torch.manual_seed(0)
    emb = (100 * torch.randn(6, 16, 7, 7)).requires_grad_()
    logits = torch.randn(6, 4, 28, 28)
    loss_fn = MODELS.build(dict(type='PixelPrototypeContrastiveLoss',
                                normalize=False, loss_weight=0.1))
    assert loss_fn.loss_name == 'loss_pcem'
    loss = loss_fn(emb, logits)
    assert loss.item() > 0 and _grad_ok(loss, emb)
    assert emb.grad.abs().sum() > 0


def test_errors():
    for bad in (dict(tau=0.0), dict(positive='hard'), dict(reduction='max'),
                dict(loss_name='pcem'), dict(num_classes=0)):
        with pytest.raises(ValueError):
            PixelPrototypeContrastiveLoss(**bad)
    loss_fn = PixelPrototypeContrastiveLoss()
    with pytest.raises(ValueError):
        loss_fn(torch.randn(2, 4, 2, 2), torch.randn(3, 2, 4, 4))
    with pytest.raises(ValueError):
        loss_fn(torch.randn(2, 4, 2, 2), torch.randn(2, 2, 4, 4),
                valid_mask=torch.ones(2, 3, 3, dtype=torch.bool))
