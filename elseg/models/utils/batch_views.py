"""Strong views of a batch of grayscale slices, made in torch on the batch.

The strong branch of weak-to-strong consistency (FixMatch, Sohn et al.,
NeurIPS 2020; UniMatch, Yang et al., CVPR 2023): the weak view (the training
pipeline's rotation/flip) is predicted, and its confident prediction
supervises strongly perturbed copies. UniMatch's medical code perturbs with
colour jitter, blur and CutMix between unlabelled images; for single-channel
MRI/CT the colour jitter becomes gamma, contrast, brightness and noise.

Everything runs on the whole batch at once (per-sample parameters, one
grouped convolution for the blur), so it costs a few milliseconds per batch
instead of a per-sample numpy pipeline.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_range(name: str, value: Sequence[float],
                 low: Optional[float] = None) -> Tuple[float, float]:
    """Validate a ``(min, max)`` pair."""
    if len(value) != 2 or float(value[0]) > float(value[1]):
        raise ValueError(f'{name} must be (min, max) with min <= max, '
                         f'got {value!r}')
    if low is not None and float(value[0]) < low:
        raise ValueError(f'{name} must be >= {low}, got {value!r}')
    return float(value[0]), float(value[1])


def _check_prob(name: str, value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f'{name} must be in [0, 1], got {value!r}')
    return float(value)


def _uniform(n: int, bounds: Tuple[float, float], device,
             generator: Optional[torch.Generator]) -> Tensor:
    lo, hi = bounds
    u = torch.rand(n, generator=generator, device=device)
    return lo + (hi - lo) * u


def gaussian_blur(x: Tensor, sigma: Tensor) -> Tensor:
    """Blur each sample of ``x`` with its own Gaussian ``sigma`` (pixels).

    Separable, reflect-padded, one grouped convolution per axis for the whole
    batch. A sample with ``sigma <= 0`` is returned unchanged.

    Args:
        x (Tensor): ``(N, C, H, W)`` images.
        sigma (Tensor): ``(N,)`` standard deviations.

    Returns:
        Tensor: Blurred ``(N, C, H, W)`` images.
    """
    n, c, h, w = x.shape
    smax = float(sigma.max()) if sigma.numel() else 0.0
    if smax <= 0:
        return x
    radius = max(1, int(math.ceil(3.0 * smax)))
    radius = min(radius, (min(h, w) - 1) // 2) or 1
    pos = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    s = sigma.to(x.dtype).clamp(min=1e-6)[:, None]
    kernel = torch.exp(-0.5 * (pos[None, :] / s)**2)
    delta = (pos == 0).to(x.dtype)[None, :].expand_as(kernel)
    kernel = torch.where((sigma > 0)[:, None], kernel, delta)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)
    kernel = kernel.repeat_interleave(c, dim=0)  # (N*C, k)
    y = x.reshape(1, n * c, h, w)
    y = F.pad(y, (radius, radius, 0, 0), mode='reflect')
    y = F.conv2d(y, kernel[:, None, None, :], groups=n * c)
    y = F.pad(y, (0, 0, radius, radius), mode='reflect')
    y = F.conv2d(y, kernel[:, None, :, None], groups=n * c)
    return y.reshape(n, c, h, w)


def cutmix_boxes(n: int,
                 height: int,
                 width: int,
                 prob: float = 0.5,
                 area: Tuple[float, float] = (0.02, 0.4),
                 ratio: Tuple[float, float] = (0.3, 1 / 0.3),
                 device=None,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """One random CutMix box per sample, as a boolean mask.

    The box of sample ``i`` is drawn with probability ``prob``: its area is
    a fraction U(``area``) of the image, its aspect ratio h/w is drawn
    log-uniformly in ``ratio``, its position uniformly so that it lies
    inside the image (UniMatch's ``obtain_cutmix_box``).

    Args:
        n (int): Number of samples.
        height (int): Image height.
        width (int): Image width.
        prob (float): Probability that a sample gets a box. Defaults to 0.5.
        area (tuple[float, float]): Box area as a fraction of the image.
        ratio (tuple[float, float]): Box aspect ratio (h / w) range.
        device: Torch device of the mask.
        generator (torch.Generator, optional): Random generator.

    Returns:
        Tensor: bool ``(N, H, W)``, True inside the box.
    """
    mask = torch.zeros(n, height, width, dtype=torch.bool, device=device)
    rnd = torch.rand(n, 5, generator=generator, device=device).tolist()
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for i, (u_apply, u_area, u_ratio, u_y, u_x) in enumerate(rnd):
        if u_apply >= prob:
            continue
        frac = area[0] + (area[1] - area[0]) * u_area
        aspect = math.exp(log_lo + (log_hi - log_lo) * u_ratio)
        box_h = int(round(math.sqrt(frac * height * width * aspect)))
        box_w = int(round(math.sqrt(frac * height * width / aspect)))
        box_h, box_w = min(max(box_h, 1), height), min(max(box_w, 1), width)
        top = int(u_y * (height - box_h + 1))
        left = int(u_x * (width - box_w + 1))
        mask[i, top:top + box_h, left:left + box_w] = True
    return mask


def mix_with_boxes(target: Tensor, source: Tensor, boxes: Tensor) -> Tensor:
    """Paste ``source`` into ``target`` inside ``boxes``.

    Works for images ``(N, C, H, W)`` and for per-pixel maps ``(N, H, W)``
    (pseudo labels, confidences), so image, label and confidence are mixed
    by the same boxes.

    Args:
        target (Tensor): ``(N, C, H, W)`` or ``(N, H, W)``.
        source (Tensor): Same shape as ``target``.
        boxes (Tensor): bool ``(N, H, W)``.

    Returns:
        Tensor: ``source`` inside the boxes, ``target`` elsewhere.

    Raises:
        ValueError: When the shapes do not match.
    """
    if target.shape != source.shape:
        raise ValueError(f'target {tuple(target.shape)} and source '
                         f'{tuple(source.shape)} differ in shape')
    if target.dim() == 4:
        m = boxes[:, None]
    elif target.dim() == 3:
        m = boxes
    else:
        raise ValueError('mix_with_boxes takes (N, C, H, W) or (N, H, W) '
                         f'tensors, got {tuple(target.shape)}')
    if m.shape[0] != target.shape[0] or m.shape[-2:] != target.shape[-2:]:
        raise ValueError(f'boxes {tuple(boxes.shape)} do not fit '
                         f'{tuple(target.shape)}')
    return torch.where(m, source, target)


class StrongViewAugment:
    """Intensity perturbations of a batch of grayscale images (strong views).

    Per sample, with probability ``jitter_prob``: gamma ``x ** g``, contrast
    about the sample's mean, brightness offset (the grayscale counterpart of
    UniMatch's colour jitter); then with ``blur_prob`` a Gaussian blur and
    with ``noise_prob`` additive Gaussian noise; finally a clip to
    ``clip_range``. Ranges are for images in [0, 1] (elseg's convention).

    Args:
        jitter_prob (float): Probability of gamma/contrast/brightness.
            Defaults to 0.8 (UniMatch's colour-jitter probability).
        gamma_range (tuple[float, float]): Gamma exponent. Defaults to
            (0.5, 2.0).
        contrast_range (tuple[float, float]): Contrast factor. Defaults to
            (0.5, 1.5).
        brightness_range (tuple[float, float]): Additive offset. Defaults to
            (-0.2, 0.2).
        blur_prob (float): Probability of a blur. Defaults to 0.5.
        blur_sigma_range (tuple[float, float]): Blur sigma in pixels.
            Defaults to (0.1, 2.0) (UniMatch's blur range).
        noise_prob (float): Probability of noise. Defaults to 0.5.
        noise_std_range (tuple[float, float]): Noise std. Defaults to
            (0.0, 0.1).
        clip_range (tuple[float, float], optional): Clip of the result;
            None disables it. Defaults to (0.0, 1.0).

    Raises:
        ValueError: On a probability outside [0, 1] or a malformed range.

    Example:
        >>> aug = StrongViewAugment()
        >>> strong = aug(torch.rand(4, 1, 64, 64))
    """

    def __init__(self,
                 jitter_prob: float = 0.8,
                 gamma_range: Tuple[float, float] = (0.5, 2.0),
                 contrast_range: Tuple[float, float] = (0.5, 1.5),
                 brightness_range: Tuple[float, float] = (-0.2, 0.2),
                 blur_prob: float = 0.5,
                 blur_sigma_range: Tuple[float, float] = (0.1, 2.0),
                 noise_prob: float = 0.5,
                 noise_std_range: Tuple[float, float] = (0.0, 0.1),
                 clip_range: Optional[Tuple[float, float]] = (0.0, 1.0)):
        self.jitter_prob = _check_prob('jitter_prob', jitter_prob)
        self.blur_prob = _check_prob('blur_prob', blur_prob)
        self.noise_prob = _check_prob('noise_prob', noise_prob)
        self.gamma_range = _check_range('gamma_range', gamma_range, 1e-3)
        self.contrast_range = _check_range('contrast_range', contrast_range,
                                           0.0)
        self.brightness_range = _check_range('brightness_range',
                                             brightness_range)
        self.blur_sigma_range = _check_range('blur_sigma_range',
                                             blur_sigma_range, 0.0)
        self.noise_std_range = _check_range('noise_std_range',
                                            noise_std_range, 0.0)
        self.clip_range = (None if clip_range is None else _check_range(
            'clip_range', clip_range))

    def __call__(self, x: Tensor,
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """Return a strongly perturbed copy of ``x`` ``(N, C, H, W)``."""
        if x.dim() != 4:
            raise ValueError('StrongViewAugment takes (N, C, H, W) images, '
                             f'got shape {tuple(x.shape)}')
        n, dev = x.shape[0], x.device

        def draw(bounds):
            return _uniform(n, bounds, dev, generator).to(x.dtype)[:, None,
                                                                   None, None]

        def coin(p):
            return (torch.rand(n, generator=generator, device=dev) < p)

        jitter = coin(self.jitter_prob)[:, None, None, None]
        gamma, contrast, bright = (draw(self.gamma_range),
                                   draw(self.contrast_range),
                                   draw(self.brightness_range))
        y = x.clamp(min=0).pow(gamma)
        mean = y.mean(dim=(1, 2, 3), keepdim=True)
        y = (y - mean) * contrast + mean + bright
        y = torch.where(jitter, y, x)
        sigma = _uniform(n, self.blur_sigma_range, dev, generator)
        sigma = torch.where(coin(self.blur_prob), sigma, torch.zeros_like(sigma))
        y = gaussian_blur(y, sigma)
        std = draw(self.noise_std_range) * coin(
            self.noise_prob)[:, None, None, None].to(x.dtype)
        noise = torch.randn(y.shape, generator=generator, device=dev,
                            dtype=y.dtype)
        y = y + noise * std
        if self.clip_range is not None:
            y = y.clamp(*self.clip_range)
        return y

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(jitter_prob={self.jitter_prob}, '
                f'gamma_range={self.gamma_range}, '
                f'contrast_range={self.contrast_range}, '
                f'brightness_range={self.brightness_range}, '
                f'blur_prob={self.blur_prob}, '
                f'blur_sigma_range={self.blur_sigma_range}, '
                f'noise_prob={self.noise_prob}, '
                f'noise_std_range={self.noise_std_range}, '
                f'clip_range={self.clip_range})')
