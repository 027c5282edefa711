"""MTUNet: the Mixed Transformer U-Net as an mmseg backbone."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor, nn

from .mtm_modules import (ConvBNReLU, MixedTransformerModule,
                          ResidualDoubleConv, init_mtm_weights)


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f'img_size must be an int or (h, w), got {size!r}')


class _TransformerStage(nn.Module):
    """``depth`` MTMs on a channels-first map (kept channels-first outside)."""

    def __init__(self, dim: int, depth: int, **mtm_kwargs) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[
            MixedTransformerModule(dim, **mtm_kwargs) for _ in range(depth)
        ])

    def forward(self, x: Tensor) -> Tensor:
        return self.blocks(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@MODELS.register_module()
class MTUNet(BaseModule):
    """Mixed Transformer U-Net backbone (Wang et al., ICASSP 2022).

    Follows the published MT-UNet (public repo ``Dootmaan/MT-UNet``): a CNN
    stem of residual double convs (``c``, ``2c``, ``4c`` channels, max-pooled
    to 1/8), a 1x1 ConvBNReLU to the transformer width ``e`` plus a learnable
    position embedding, encoder stages of MTMs each followed by a stride-2
    ConvBNReLU (``e -> 2e -> 4e``), a bottleneck of MTMs at ``4e`` (1/32),
    decoder stages of ConvTranspose + skip concat (+ 1x1 reduction except in
    the last stage) + MTMs, then a CNN decoder (ConvTranspose, skip concat,
    residual double conv) back to full resolution. The published model has
    ``c = 64``, ``e = 256``, two MTMs everywhere, 8 heads, 4x4 windows.

    Differences to the public code (none change the parameter count except
    the removed constant): no ``.cuda()``; the Gaussian bias is vectorised; the
    global axial attention is scaled by ``1/sqrt(C)`` and uses its output
    projection (the public code creates but never uses it); the Gaussian
    bias's additive constant (softmax-invariant) is dropped; maps whose sides
    are not window multiples are replicate-padded; the position embedding is
    bicubically resized when the input differs from ``img_size``; inputs may
    be non-square.

    Output index convention (like mmseg's ``UNet``: deepest first, last = full
    resolution), with ``n = len(encoder_depths)`` (default 2, strides shown
    for it) and ``E = e * 2 ** n``:

    ======  ==========================  ==================  ========
    index   feature                     channels (default)  stride
    ======  ==========================  ==================  ========
    0       bottleneck MTM output       E (1024)            32
    1..n    transformer decoder stages  E/2 .. 2e (512,512) 16, 8
    n+1     CNN decoder stage 1         4c (256)            4
    n+2     CNN decoder stage 2         2c (128)            2
    n+3     CNN decoder stage 3         c (64)              1
    ======  ==========================  ==================  ========

    Index 0 is the encoder embedding used by PCEM; ``in_index=-1`` gives the
    full-resolution feature for ``FCNHead``. ``out_channels`` lists them.

    Args:
        in_channels (int): Channels of the first conv. With 3 (as published)
            a 1-channel input is repeated to 3 channels. Default: 3.
        base_channels (int): Stem width ``c``. Default: 64.
        embed_dims (int, optional): Transformer width ``e``; None gives
            ``4 * base_channels``. Default: None.
        num_heads (int): Attention heads; must divide ``embed_dims``.
            Default: 8.
        encoder_depths (Sequence[int]): MTMs per encoder stage. Default: (2, 2).
        bottleneck_depth (int): MTMs in the bottleneck. Default: 2.
        decoder_depths (Sequence[int], optional): MTMs per decoder stage (deep
            to shallow); None mirrors ``encoder_depths``. Default: None.
        window_size (int): LGG-SA window side. Default: 4.
        ea_expansion (int): External attention query expansion. Default: 4.
        ea_memory (int): External attention memory slots. Default: 64.
        img_size (int | tuple[int, int]): Training input size; sizes the
            position embedding (224 -> 28x28 = 784 tokens). Default: 224.
        init_cfg (dict | list[dict], optional): mmengine init config; None uses
            trunc-normal Linear (std 0.02), Kaiming conv, trunc-normal
            position embedding (std 0.02).
            Default: None.

    Raises:
        ValueError: On a non-positive width/depth, ``num_heads`` not dividing
            ``embed_dims``, or ``img_size`` not a multiple of the total stride.

    Example:
        >>> import torch
        >>> net = MTUNet(in_channels=1, base_channels=8, img_size=64)
        >>> [tuple(f.shape) for f in net(torch.rand(2, 1, 64, 64))][::5]
        [(2, 128, 2, 2), (2, 8, 64, 64)]
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 embed_dims: Optional[int] = None,
                 num_heads: int = 8,
                 encoder_depths: Sequence[int] = (2, 2),
                 bottleneck_depth: int = 2,
                 decoder_depths: Optional[Sequence[int]] = None,
                 window_size: int = 4,
                 ea_expansion: int = 4,
                 ea_memory: int = 64,
                 img_size: Union[int, Sequence[int]] = 224,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        embed_dims = 4 * base_channels if embed_dims is None else embed_dims
        encoder_depths = tuple(encoder_depths)
        decoder_depths = (encoder_depths[::-1] if decoder_depths is None
                          else tuple(decoder_depths))
        for name, value in dict(
                in_channels=in_channels, base_channels=base_channels,
                embed_dims=embed_dims, num_heads=num_heads,
                window_size=window_size, ea_expansion=ea_expansion,
                ea_memory=ea_memory).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if embed_dims % num_heads:
            raise ValueError(f'num_heads={num_heads} must divide '
                             f'embed_dims={embed_dims}')
        if not encoder_depths or min(encoder_depths) < 1:
            raise ValueError(
                f'encoder_depths must be positive ints, got {encoder_depths}')
        if len(decoder_depths) != len(encoder_depths) or min(
                decoder_depths) < 1:
            raise ValueError('decoder_depths must be positive ints, one per '
                             f'encoder stage, got {decoder_depths}')
        if bottleneck_depth < 1:
            raise ValueError(
                f'bottleneck_depth must be >= 1, got {bottleneck_depth}')
        n = len(encoder_depths)
        self.stride = 8 * 2**n
        self.img_size = _pair(img_size)
        if any(s % self.stride or s <= 0 for s in self.img_size):
            raise ValueError(f'img_size {img_size} must be a positive multiple '
                             f'of the total stride {self.stride}')
        self.in_channels = in_channels
        c, e = base_channels, embed_dims
        mtm = dict(num_heads=num_heads, window_size=window_size,
                   ea_expansion=ea_expansion, ea_memory=ea_memory)

        # CNN stem, 1/1 .. 1/4 skips, output at 1/8
        self.stem = nn.ModuleList([
            ResidualDoubleConv(in_channels, c),
            ResidualDoubleConv(c, 2 * c),
            ResidualDoubleConv(2 * c, 4 * c)
        ])
        self.to_tokens = ConvBNReLU(4 * c, e, 1, padding=0)
        grid = (self.img_size[0] // 8, self.img_size[1] // 8)
        self.pos_embed = nn.Parameter(torch.zeros(1, e, *grid))

        # transformer encoder: MTMs at e * 2**i, then stride-2 conv
        self.encoder = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i, depth in enumerate(encoder_depths):
            dim = e * 2**i
            self.encoder.append(_TransformerStage(dim, depth, **mtm))
            self.downsamples.append(ConvBNReLU(dim, 2 * dim, 2, 2, 0))
        self.bottleneck = _TransformerStage(e * 2**n, bottleneck_depth, **mtm)

        # transformer decoder (deep to shallow); the last stage keeps the
        # concatenated width 2e, as the published model does
        self.upsamples = nn.ModuleList()
        self.reduces = nn.ModuleList()
        self.decoder = nn.ModuleList()
        dec_channels = []
        in_dim = e * 2**n
        for j, depth in enumerate(decoder_depths):
            skip_dim = e * 2**(n - 1 - j)
            self.upsamples.append(nn.ConvTranspose2d(in_dim, skip_dim, 2, 2))
            last = j == n - 1
            out_dim = 2 * skip_dim if last else skip_dim
            self.reduces.append(
                nn.Identity() if last else nn.Conv2d(2 * skip_dim, out_dim, 1))
            self.decoder.append(_TransformerStage(out_dim, depth, **mtm))
            dec_channels.append(out_dim)
            in_dim = out_dim

        # CNN decoder with the stem skips back to full resolution
        self.cnn_upsamples = nn.ModuleList()
        self.cnn_decoder = nn.ModuleList()
        for skip_dim in (4 * c, 2 * c, c):
            self.cnn_upsamples.append(
                nn.ConvTranspose2d(in_dim, skip_dim, 2, 2))
            self.cnn_decoder.append(
                ResidualDoubleConv(2 * skip_dim, skip_dim))
            in_dim = skip_dim
        self.out_channels = [e * 2**n] + dec_channels + [4 * c, 2 * c, c]

    def init_weights(self) -> None:
        """Initialise weights (mmengine ``init_cfg`` if given, else default)."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        init_mtm_weights(self)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)

    def _position_embedding(self, h: int, w: int) -> Tensor:
        if (h, w) == tuple(self.pos_embed.shape[2:]):
            return self.pos_embed
        return F.interpolate(
            self.pos_embed, size=(h, w), mode='bicubic', align_corners=False)

    def forward(self, x: Tensor) -> List[Tensor]:
        """Compute the multi-scale features.

        Args:
            x (Tensor): ``(B, in_channels, H, W)`` images (or ``(B, 1, H, W)``
                when ``in_channels == 3``); ``H`` and ``W`` multiples of 32
                (``8 * 2 ** len(encoder_depths)``).

        Returns:
            list[Tensor]: Features ordered as in the class docstring.

        Raises:
            ValueError: On a wrong channel count or an indivisible size.
        """
        if x.shape[1] == 1 and self.in_channels == 3:
            x = x.repeat(1, 3, 1, 1)
        if x.shape[1] != self.in_channels:
            raise ValueError(f'expected {self.in_channels} input channels, '
                             f'got input of shape {tuple(x.shape)}')
        if x.shape[2] % self.stride or x.shape[3] % self.stride:
            raise ValueError(f'input size {tuple(x.shape[2:])} must be a '
                             f'multiple of {self.stride}')
        stem_skips = []
        for i, block in enumerate(self.stem):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            stem_skips.append(x)
        x = self.to_tokens(F.max_pool2d(x, 2))
        x = x + self._position_embedding(*x.shape[2:])

        skips = []
        for stage, down in zip(self.encoder, self.downsamples):
            x = stage(x)
            skips.append(x)
            x = down(x)
        x = self.bottleneck(x)
        outs = [x]
        for up, reduce, stage, skip in zip(self.upsamples, self.reduces,
                                           self.decoder, skips[::-1]):
            x = stage(reduce(torch.cat([up(x), skip], dim=1)))
            outs.append(x)
        for up, block, skip in zip(self.cnn_upsamples, self.cnn_decoder,
                                   stem_skips[::-1]):
            x = block(torch.cat([skip, up(x)], dim=1))
            outs.append(x)
        return outs
