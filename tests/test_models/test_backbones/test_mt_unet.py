"""Tests of MTUNet (Mixed Transformer U-Net, Wang et al. ICASSP 2022)."""
import pytest
import torch

import elseg  # noqa: F401
from elseg.models.backbones import MTUNet
from elseg.models.backbones.mtm_modules import (GaussianAxialAttention,
                                                squared_distance_matrix)
from mmseg.registry import MODELS


def test_param_count_matches_published():
    # Published: 79.07M parameters with the final 1x1 head (Conv2d(64, C, 1)).
    # Our backbone has exactly the public model's tensors minus its 10
    # softmax-invariant Gaussian bias constants (one per MTM), so backbone +
    # a 4-class 1x1 head = 79,075,054 = 79.075M ("79.07M").
    net = MTUNet()
    n = sum(p.numel() for p in net.parameters())
    assert n == 79_074_794
    head = 64 * 4 + 4
    assert abs((n + head) / 1e6 - 79.07) < 0.01


@pytest.mark.parametrize('size', [64, 96])
def test_forward_backward_tiny(size):
    torch.manual_seed(0)
    net = MTUNet(in_channels=1, base_channels=8, img_size=64)
    net.init_weights()
    x = torch.rand(2, 1, size, size)
    outs = net(x)
    strides = [32, 16, 8, 4, 2, 1]
    assert len(outs) == len(strides) == len(net.out_channels)
    assert net.out_channels == [128, 64, 64, 32, 16, 8]
    for out, stride, ch in zip(outs, strides, net.out_channels):
        assert out.shape == (2, ch, size // stride, size // stride)
    sum(o.square().mean() for o in outs).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name


def test_non_square_and_gray_repeat():
    net = MTUNet(in_channels=3, base_channels=4, num_heads=4, img_size=64)
    outs = net(torch.rand(1, 1, 64, 96))  # 1 channel repeated to 3
    assert outs[0].shape == (1, 64, 2, 3)
    assert outs[-1].shape == (1, 4, 64, 96)


def test_registry_build_and_mmengine_init():
    net = MODELS.build(
        dict(type='MTUNet', in_channels=1, base_channels=4, num_heads=4,
             img_size=64, init_cfg=dict(type='Kaiming', layer='Conv2d')))
    net.init_weights()
    assert isinstance(net, MTUNet)


def test_gaussian_bias_hand_case():
    attn = GaussianAxialAttention(4)
    with torch.no_grad():
        attn.gaussian_scale.fill_(0.5)
    row, col = attn.gaussian_bias(2, 3)
    expected_row = -0.5 * torch.tensor([[0., 1., 4.], [1., 0., 1.],
                                        [4., 1., 0.]])
    expected_col = -0.5 * torch.tensor([[0., 1.], [1., 0.]])
    assert torch.equal(row, expected_row)
    assert torch.equal(col, expected_col)
    assert torch.equal(squared_distance_matrix(2), torch.tensor([[0., 1.],
                                                                [1., 0.]]))


def test_axial_attention_matches_loop_reference():
    """Vectorised attention == per-position loop (MT-UNet's formulation)."""
    torch.manual_seed(0)
    attn = GaussianAxialAttention(4)
    x = torch.randn(2, 3, 2, 4)  # (B, P rows, Q cols, C)
    out = attn(x)
    q, k, v = attn.query(x), attn.key(x), attn.value(x)
    s = attn.gaussian_scale
    ref = torch.zeros_like(x)
    for r in range(3):
        for c in range(2):
            row = (q[:, r, c, None] * k[:, r]).sum(-1) / 2.0 - s * torch.tensor(
                [(c - j)**2 for j in range(2)], dtype=torch.float32)
            col = (q[:, r, c, None] * k[:, :, c]).sum(-1) / 2.0 - s * torch.tensor(
                [(r - i)**2 for i in range(3)], dtype=torch.float32)
            ref[:, r, c] = (row.softmax(-1)[..., None] * v[:, r]).sum(1) + (
                col.softmax(-1)[..., None] * v[:, :, c]).sum(1)
    torch.testing.assert_close(out, attn.proj(ref))


@pytest.mark.parametrize('kwargs', [
    dict(num_heads=3), dict(img_size=100), dict(base_channels=0),
    dict(encoder_depths=(2, 0)), dict(decoder_depths=(2, )),
    dict(bottleneck_depth=0), dict(img_size=(64, 64, 64))
])
def test_bad_args(kwargs):
    with pytest.raises(ValueError):
        MTUNet(**kwargs)


def test_bad_input():
    net = MTUNet(in_channels=1, base_channels=4, num_heads=4, img_size=64)
    with pytest.raises(ValueError, match='multiple of 32'):
        net(torch.rand(1, 1, 48, 64))
    with pytest.raises(ValueError, match='input channels'):
        net(torch.rand(1, 2, 64, 64))
