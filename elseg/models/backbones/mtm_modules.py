"""Building blocks of the Mixed Transformer U-Net (not registered).

Wang et al., "Mixed Transformer U-Net for Medical Image Segmentation",
ICASSP 2022. The Mixed Transformer Module (MTM) is

    x = x + LGG-SA(LN(x));   x = x + EA(LN(x))

with LGG-SA = Local-Global Gaussian-weighted Self-Attention (local attention
inside windows, window aggregation to one token per window, axial global
attention between the window tokens with a learnable Gaussian distance bias)
and EA = External Attention (two linear memory units, double normalisation).

All modules here work on channels-last maps ``(B, H, W, C)`` so non-square
inputs work, are device-agnostic and contain no Python loop over positions.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConvBNReLU(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> optional ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Kernel size. Default: 3.
        stride (int): Stride. Default: 1.
        padding (int): Zero padding. Default: 1.
        act (bool): Append a ReLU. Default: True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 padding: int = 1,
                 act: bool = True) -> None:
        layers = [
            nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                      padding, bias=False),
            nn.BatchNorm2d(out_channels)
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualDoubleConv(nn.Module):
    """MT-UNet's residual double convolution.

    ``y = ReLU(h + BN(Conv1x1(h)))`` with ``h = BN(Conv3x3(ReLU(BN(Conv3x3(x)))))``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            ConvBNReLU(in_channels, out_channels, 3),
            ConvBNReLU(out_channels, out_channels, 3, act=False))
        self.shortcut = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 1),
            nn.BatchNorm2d(out_channels))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block to ``(B, C_in, H, W)``; returns ``(B, C_out, H, W)``."""
        h = self.convs(x)
        return self.act(h + self.shortcut(h))


def squared_distance_matrix(n: int, device=None) -> Tensor:
    """Squared index distances ``D[i, j] = (i - j) ** 2`` of an ``n``-axis.

    Args:
        n (int): Axis length.
        device: Device of the result. Default: None (CPU).

    Returns:
        Tensor: Float tensor of shape ``(n, n)``.
    """
    idx = torch.arange(n, device=device, dtype=torch.float32)
    return (idx[:, None] - idx[None, :])**2


class WindowAttention(nn.Module):
    """Multi-head self-attention inside non-overlapping windows (local SA).

    Args:
        dim (int): Channels.
        num_heads (int): Attention heads; must divide ``dim``.
        window_size (int): Window side.
    """

    def __init__(self, dim: int, num_heads: int, window_size: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = (dim // num_heads)**-0.5
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        """Attend within windows.

        Args:
            x (Tensor): ``(B, H, W, C)`` with ``H`` and ``W`` multiples of the
                window size.

        Returns:
            Tensor: ``(B, H // ws, W // ws, ws * ws, C)`` window tokens.
        """
        b, h, w, c = x.shape
        ws = self.window_size
        p, q = h // ws, w // ws
        x = x.view(b, p, ws, q, ws, c).permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(b, p, q, ws * ws, c)

        def heads(t: Tensor) -> Tensor:
            return t.view(b, p, q, ws * ws, self.num_heads, -1).transpose(3, 4)

        qh, kh, vh = heads(self.query(x)), heads(self.key(x)), heads(
            self.value(x))
        attn = (qh @ kh.transpose(-2, -1)) * self.scale
        out = attn.softmax(dim=-1) @ vh  # (b, p, q, heads, ws*ws, d)
        out = out.transpose(3, 4).reshape(b, p, q, ws * ws, c)
        return self.proj(out)


class WindowAggregation(nn.Module):
    """Aggregate each window's tokens into one global token.

    A linear layer on the window mean predicts softmax weights over the
    ``ws * ws`` positions; the window token is the weighted sum.

    Args:
        dim (int): Channels.
        window_size (int): Window side.
    """

    def __init__(self, dim: int, window_size: int) -> None:
        super().__init__()
        self.weights = nn.Linear(dim, window_size * window_size)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(B, P, Q, ws * ws, C)`` to ``(B, P, Q, C)``."""
        prob = self.weights(x.mean(dim=-2)).softmax(dim=-1)
        return (x * prob.unsqueeze(-1)).sum(dim=-2)


class GaussianAxialAttention(nn.Module):
    """Axial global attention with a learnable Gaussian distance bias.

    For the window token at ``(r, c)`` the row attention over ``(r, c')`` uses
    logits ``q.k / sqrt(C) - s * (c - c') ** 2`` and the column attention over
    ``(r', c)`` uses ``q.k / sqrt(C) - s * (r - r') ** 2``; the two attended
    values are summed and projected. ``s`` is learnable (MT-UNet's
    ``GaussianTrans``); MT-UNet's additive constant inside the bias cancels in
    the softmax and is omitted. The bias is built with one broadcast op per
    axis (no loop over positions).

    Args:
        dim (int): Channels.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = dim**-0.5
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        # as MT-UNet: |N(0, 1)| initial value
        self.gaussian_scale = nn.Parameter(torch.randn(1).abs())

    def gaussian_bias(self, height: int, width: int) -> Tuple[Tensor, Tensor]:
        """Distance biases of the row and column attention.

        Args:
            height (int): Number of window rows ``P``.
            width (int): Number of window columns ``Q``.

        Returns:
            tuple[Tensor, Tensor]: ``(row_bias (Q, Q), col_bias (P, P))`` with
            ``bias[i, j] = -s * (i - j) ** 2``.
        """
        device = self.gaussian_scale.device
        row = -self.gaussian_scale * squared_distance_matrix(width, device)
        col = -self.gaussian_scale * squared_distance_matrix(height, device)
        return row, col

    def forward(self, x: Tensor) -> Tensor:
        """Map window tokens ``(B, P, Q, C)`` to ``(B, P, Q, C)``."""
        _, p, q_, _ = x.shape
        q, k, v = self.query(x), self.key(x), self.value(x)
        row_bias, col_bias = self.gaussian_bias(p, q_)
        # row: tokens in the same row r, (b, p, q, q')
        row = torch.einsum('bpqc,bpkc->bpqk', q, k) * self.scale + row_bias
        out = torch.einsum('bpqk,bpkc->bpqc', row.softmax(dim=-1), v)
        # column: tokens in the same column c, (b, p, q, p')
        col = torch.einsum('bpqc,bkqc->bpqk', q, k) * self.scale
        col = col + col_bias[:, None, :]
        out = out + torch.einsum('bpqk,bkqc->bpqc', col.softmax(dim=-1), v)
        return self.proj(out)


class LGGSA(nn.Module):
    """Local-Global Gaussian-weighted Self-Attention of MT-UNet.

    Local window attention, window aggregation, Gaussian axial attention on
    the window tokens, bilinear upsampling of the global result back to the
    token grid, concatenation with the local result and a 1x1 fusion conv.
    Maps whose sides are not multiples of the window are replicate-padded
    and cropped back.

    Args:
        dim (int): Channels.
        num_heads (int): Heads of the local attention.
        window_size (int): Window side.
    """

    def __init__(self, dim: int, num_heads: int, window_size: int) -> None:
        super().__init__()
        self.window_size = window_size
        self.local_attn = WindowAttention(dim, num_heads, window_size)
        self.aggregate = WindowAggregation(dim, window_size)
        self.global_attn = GaussianAxialAttention(dim)
        self.fuse = nn.Conv2d(2 * dim, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(B, H, W, C)`` to ``(B, H, W, C)``."""
        b, h, w, c = x.shape
        ws = self.window_size
        pad_h, pad_w = (-h) % ws, (-w) % ws
        if pad_h or pad_w:
            x = F.pad(
                x.permute(0, 3, 1, 2), (0, pad_w, 0, pad_h),
                mode='replicate').permute(0, 2, 3, 1)
        hp, wp = h + pad_h, w + pad_w
        p, q = hp // ws, wp // ws
        windows = self.local_attn(x)  # (b, p, q, ws*ws, c)
        local = windows.view(b, p, q, ws, ws, c).permute(0, 5, 1, 3, 2, 4)
        local = local.reshape(b, c, hp, wp)
        tokens = self.global_attn(self.aggregate(windows))  # (b, p, q, c)
        glob = F.interpolate(
            tokens.permute(0, 3, 1, 2), size=(hp, wp), mode='bilinear',
            align_corners=True)
        out = self.fuse(torch.cat([glob, local], dim=1))[:, :, :h, :w]
        return out.permute(0, 2, 3, 1)


class ExternalAttention(nn.Module):
    """Multi-head External Attention (Guo et al. 2021) as used by MT-UNet.

    The query is expanded ``expansion`` times and split into
    ``num_heads * expansion`` heads; two linear layers act as shared key and
    value memories of ``memory_size`` slots. Double normalisation: softmax
    over tokens, then L1 over the memory slots.

    Args:
        dim (int): Channels.
        num_heads (int): Base heads (multiplied by ``expansion``).
        expansion (int): Query expansion. Default: 4.
        memory_size (int): Memory slots. Default: 64.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 expansion: int = 4,
                 memory_size: int = 64) -> None:
        super().__init__()
        self.num_heads = num_heads * expansion
        head_dim = dim * expansion // self.num_heads
        self.query = nn.Linear(dim, dim * expansion)
        self.memory_key = nn.Linear(head_dim, memory_size)
        self.memory_value = nn.Linear(memory_size, head_dim)
        self.proj = nn.Linear(dim * expansion, dim)

    def forward(self, x: Tensor) -> Tensor:
        """Map tokens ``(B, N, C)`` to ``(B, N, C)``."""
        b, n, _ = x.shape
        q = self.query(x).view(b, n, self.num_heads, -1).transpose(1, 2)
        attn = self.memory_key(q).softmax(dim=-2)
        attn = attn / (1e-9 + attn.sum(dim=-1, keepdim=True))
        out = self.memory_value(attn).transpose(1, 2).reshape(b, n, -1)
        return self.proj(out)


class MixedTransformerModule(nn.Module):
    """One MTM: pre-norm LGG-SA and External Attention with residuals.

    Args:
        dim (int): Channels.
        num_heads (int): Attention heads.
        window_size (int): LGG-SA window side.
        ea_expansion (int): External attention query expansion.
        ea_memory (int): External attention memory slots.
    """

    def __init__(self, dim: int, num_heads: int, window_size: int,
                 ea_expansion: int, ea_memory: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.lggsa = LGGSA(dim, num_heads, window_size)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.ea = ExternalAttention(dim, num_heads, ea_expansion, ea_memory)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(B, H, W, C)`` to ``(B, H, W, C)``."""
        x = x + self.lggsa(self.norm1(x))
        b, h, w, c = x.shape
        tokens = x.reshape(b, h * w, c)
        tokens = tokens + self.ea(self.norm2(tokens))
        return tokens.view(b, h, w, c)


def init_mtm_weights(module: nn.Module) -> None:
    """Transformer-style init: trunc-normal Linear, Kaiming conv, unit norms.

    Args:
        module (nn.Module): Module whose submodules are initialised in place.
    """
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(
                m.weight, mode='fan_out', nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
