"""Batch-level strong views: CutMix boxes and mixing, blur, intensity jitter."""
import math

import pytest
import torch

from elseg.models.utils import (StrongViewAugment, cutmix_boxes, gaussian_blur,
                                mix_with_boxes)


def test_mix_with_boxes_by_hand():
    """Image, pseudo label and confidence are mixed by the same box."""
    img = torch.zeros(2, 1, 4, 4)
    img[1] = 1.0
    lab = torch.tensor([0, 3])[:, None, None].expand(2, 4, 4).clone()
    conf = torch.tensor([0.2, 0.9])[:, None, None].expand(2, 4, 4).clone()
    boxes = torch.zeros(2, 4, 4, dtype=torch.bool)
    boxes[0, 1:3, 1:3] = True  # sample 0 takes a 2x2 box from sample 1
    perm = torch.tensor([1, 0])
    m_img = mix_with_boxes(img, img[perm], boxes)
    m_lab = mix_with_boxes(lab, lab[perm], boxes)
    m_conf = mix_with_boxes(conf, conf[perm], boxes)
    expected = torch.zeros(4, 4)
    expected[1:3, 1:3] = 1.0
    assert torch.equal(m_img[0, 0], expected)
    assert torch.equal(m_lab[0], (expected * 3).long())
    assert torch.allclose(m_conf[0], 0.2 + 0.7 * expected)
    # sample 1 has no box: unchanged
    assert torch.equal(m_img[1], img[1]) and torch.equal(m_lab[1], lab[1])
    with pytest.raises(ValueError, match='differ in shape'):
        mix_with_boxes(img, lab, boxes)


def test_cutmix_boxes_probability_and_area():
    g = torch.Generator().manual_seed(0)
    assert not cutmix_boxes(8, 32, 32, prob=0.0, generator=g).any()
    boxes = cutmix_boxes(64, 40, 40, prob=1.0, area=(0.1, 0.2),
                         ratio=(1.0, 1.0), generator=g)
    for b in boxes:
        rows, cols = b.any(1).nonzero(), b.any(0).nonzero()
        h, w = len(rows), len(cols)
        assert b.sum() == h * w  # one axis-aligned rectangle
        assert abs(h - w) <= 1  # ratio 1: square (up to rounding)
        # area 10-20 % of 1600 px, up to rounding of the sides
        assert (math.sqrt(160) - 1)**2 <= h * w <= (math.sqrt(320) + 1)**2


def test_gaussian_blur_matches_hand_kernel():
    x = torch.zeros(2, 1, 15, 15)
    x[:, :, 7, 7] = 1.0
    out = gaussian_blur(x, torch.tensor([1.0, 0.0]))
    radius = 3  # ceil(3 * 1.0)
    g = [math.exp(-0.5 * k * k) for k in range(-radius, radius + 1)]
    centre = (g[radius] / sum(g))**2
    assert out[0, 0, 7, 7].item() == pytest.approx(centre, rel=1e-5)
    assert out[0].sum().item() == pytest.approx(1.0, rel=1e-5)
    assert torch.equal(out[1], x[1])  # sigma 0: unchanged


def test_strong_view_fixed_gamma_by_hand():
    x = torch.linspace(0, 1, 16).reshape(1, 1, 4, 4)
    aug = StrongViewAugment(jitter_prob=1.0, gamma_range=(2.0, 2.0),
                            contrast_range=(1.0, 1.0),
                            brightness_range=(0.0, 0.0), blur_prob=0.0,
                            noise_prob=0.0)
    assert torch.allclose(aug(x), x**2, atol=1e-6)
    # contrast 2 about the mean, brightness +0.1, then the clip to [0, 1]
    aug = StrongViewAugment(jitter_prob=1.0, gamma_range=(1.0, 1.0),
                            contrast_range=(2.0, 2.0),
                            brightness_range=(0.1, 0.1), blur_prob=0.0,
                            noise_prob=0.0)
    expected = ((x - 0.5) * 2 + 0.5 + 0.1).clamp(0, 1)
    assert torch.allclose(aug(x), expected, atol=1e-6)
    off = StrongViewAugment(jitter_prob=0.0, blur_prob=0.0, noise_prob=0.0)
    assert torch.equal(off(x), x)


def test_strong_view_bad_arguments():
    with pytest.raises(ValueError, match='jitter_prob'):
        StrongViewAugment(jitter_prob=1.5)
    with pytest.raises(ValueError, match='gamma_range'):
        StrongViewAugment(gamma_range=(2.0, 1.0))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        StrongViewAugment()(torch.zeros(4, 4))
