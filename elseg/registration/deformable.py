"""Deformable 2D registration: a free-form deformation optimised for local NCC.

Follows the classic free-form deformation (FFD) of Rueckert et al., "Nonrigid
registration using free-form deformations: application to breast MR images",
IEEE TMI 18(8), 1999: the displacement is a coarse grid of control points
spread to every pixel by cubic B-spline weights (one matrix product per
axis), refined coarse to fine over an image pyramid and regularised by its
bending energy. The similarity is the local normalised cross-correlation of
VoxelMorph (Balakrishnan et al., "VoxelMorph: a learning framework for
deformable medical image registration", IEEE TMI 38(8), 2019): the squared
correlation of the two images in a sliding window, averaged over the image.
The control grid is optimised with Adam through ``torch.nn.functional.
grid_sample`` on the CPU: a few hundred steps over a coarse grid, cheap
enough to run once before training.

Conventions: images are ``(H, W)`` arrays or tensors; a displacement is a
``(2, H, W)`` float tensor in pixels, channel 0 along y (rows) and 1 along x
(columns); warping ``moving`` by ``u`` gives ``warped(p) = moving(p + u(p))``,
so the registration of ``moving`` to ``fixed`` returns the ``u`` for which the
warped moving image looks like ``fixed`` (and ``warp_label`` carries the
moving image's label onto ``fixed``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]
#: Adam's epsilon: gradients far below it (flat image regions, where local
#: NCC is undefined) move the grid little instead of a full step.
ADAM_EPS = 1e-4


@dataclass
class RegistrationResult:
    """What :func:`register_pair` returns.

    Attributes:
        displacement (Tensor): ``(2, H, W)`` float32 displacement in pixels
            (y, x) on the fixed image's grid.
        warped (Tensor): ``(H, W)`` the moving image warped onto ``fixed``.
        ncc_before (float): Global NCC of ``fixed`` and ``moving``.
        ncc_after (float): Global NCC of ``fixed`` and ``warped``.
        local_ncc_before (float): Mean local (windowed, squared) NCC of
            ``fixed`` and ``moving``, the optimised similarity.
        local_ncc_after (float): The same after warping.
        folding (float): Fraction of pixels whose Jacobian determinant of
            ``p -> p + u(p)`` is ``<= 0`` (the field folds there).
    """

    displacement: Tensor
    warped: Tensor
    ncc_before: float
    ncc_after: float
    local_ncc_before: float
    local_ncc_after: float
    folding: float


def _as_image(x: ArrayLike, name: str) -> Tensor:
    """A float32 ``(H, W)`` tensor from an array or tensor, checked."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x)
    if t.dim() != 2:
        raise ValueError(f'{name} must be a 2D (H, W) image, got shape '
                         f'{tuple(t.shape)}.')
    if min(t.shape) < 8:
        raise ValueError(f'{name} must be at least 8 x 8 pixels, got shape '
                         f'{tuple(t.shape)}.')
    t = t.detach().to(torch.float32).cpu()
    if not torch.isfinite(t).all():
        raise ValueError(f'{name} holds NaN or infinite values.')
    return t


def _check_displacement(disp: Tensor, shape: Sequence[int]) -> Tensor:
    if not isinstance(disp, Tensor):
        disp = torch.as_tensor(np.asarray(disp))
    if disp.dim() != 3 or disp.shape[0] != 2 or tuple(
            disp.shape[1:]) != tuple(shape):
        raise ValueError(f'displacement must have shape (2, {shape[0]}, '
                         f'{shape[1]}), got {tuple(disp.shape)}.')
    return disp.to(torch.float32)


def _sampling_grid(disp: Tensor) -> Tensor:
    """grid_sample grid ``(N, H, W, 2)`` of ``p + u(p)`` for ``(N, 2, H, W)``
    pixel displacements (align_corners=True normalisation)."""
    n, _, h, w = disp.shape
    ys = torch.arange(h, dtype=disp.dtype, device=disp.device)
    xs = torch.arange(w, dtype=disp.dtype, device=disp.device)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    y = (gy + disp[:, 0]) * (2.0 / max(h - 1, 1)) - 1.0
    x = (gx + disp[:, 1]) * (2.0 / max(w - 1, 1)) - 1.0
    return torch.stack([x, y], dim=-1)


def _warp(img: Tensor, disp: Tensor, mode: str = 'bilinear') -> Tensor:
    """Warp ``(N, C, H, W)`` by ``(N, 2, H, W)`` pixel displacements."""
    return F.grid_sample(img, _sampling_grid(disp), mode=mode,
                         padding_mode='border', align_corners=True)


def warp_image(image: ArrayLike, displacement: ArrayLike) -> Tensor:
    """Warp an image: ``out(p) = image(p + u(p))``, bilinear, border padding.

    Args:
        image (np.ndarray | Tensor): ``(H, W)`` image.
        displacement (np.ndarray | Tensor): ``(2, H, W)`` pixels (y, x).

    Returns:
        Tensor: ``(H, W)`` float32 warped image.

    Raises:
        ValueError: On a non-2D image or a displacement of another shape.
    """
    img = _as_image(image, 'image')
    disp = _check_displacement(torch.as_tensor(displacement), img.shape)
    return _warp(img[None, None], disp[None])[0, 0]


def warp_label(label: ArrayLike, displacement: ArrayLike,
               num_classes: Optional[int] = None,
               mode: str = 'onehot') -> np.ndarray:
    """Warp a label map: ``out(p) = label(p + u(p))``.

    ``'onehot'`` interpolates each class's indicator bilinearly and takes the
    argmax (smooth boundaries, no class invented between two others);
    ``'nearest'`` samples the nearest pixel.

    Args:
        label (np.ndarray | Tensor): ``(H, W)`` integer labels ``>= 0``.
        displacement (np.ndarray | Tensor): ``(2, H, W)`` pixels (y, x).
        num_classes (int, optional): Number of classes; defaults to
            ``label.max() + 1``.
        mode (str): ``'onehot'`` (default) or ``'nearest'``.

    Returns:
        np.ndarray: ``(H, W)`` labels of ``label``'s dtype.

    Raises:
        ValueError: On a bad ``mode``, a non-2D or negative label, a label
            value ``>= num_classes`` or a displacement of another shape.
    """
    if mode not in ('onehot', 'nearest'):
        raise ValueError(f"mode must be 'onehot' or 'nearest', got {mode!r}.")
    lab = np.asarray(label.cpu() if isinstance(label, Tensor) else label)
    if lab.ndim != 2:
        raise ValueError(f'label must be 2D (H, W), got shape {lab.shape}.')
    if lab.size and lab.min() < 0:
        raise ValueError(f'label values must be >= 0, got {lab.min()}.')
    k = int(lab.max()) + 1 if num_classes is None else int(num_classes)
    if lab.size and lab.max() >= k:
        raise ValueError(f'label value {int(lab.max())} >= num_classes={k}.')
    disp = _check_displacement(torch.as_tensor(displacement), lab.shape)
    t = torch.as_tensor(lab.astype(np.int64))
    if mode == 'nearest':
        out = _warp(t[None, None].float(), disp[None], mode='nearest')[0, 0]
        return out.round().numpy().astype(lab.dtype)
    onehot = F.one_hot(t, k).permute(2, 0, 1)[None].float()
    out = _warp(onehot, disp[None])[0].argmax(0)
    return out.numpy().astype(lab.dtype)


def ncc(a: Tensor, b: Tensor, eps: float = 1e-8) -> float:
    """Global normalised cross-correlation (Pearson) of two images.

    Args:
        a (Tensor): An image.
        b (Tensor): An image of the same shape.
        eps (float): Added to the variances.

    Returns:
        float: In ``[-1, 1]``; 0 when either image is constant.
    """
    a = a.float().flatten() - a.float().mean()
    b = b.float().flatten() - b.float().mean()
    den = torch.sqrt((a * a).sum() * (b * b).sum() + eps)
    return float((a * b).sum() / den)


def _box_mean(x: Tensor, radius: int) -> Tensor:
    """Mean of ``x`` in a ``(2 r + 1)^2`` box around each pixel of
    ``(N, C, H, W)``, over the pixels inside the image (cumulative sums:
    the cost does not grow with the box)."""
    r = radius
    h, w = x.shape[-2:]

    def box_sum(t: Tensor) -> Tensor:
        t = F.pad(t, (r + 1, r, r + 1, r))
        t = t.cumsum(-2)
        t = t[..., 2 * r + 1:, :] - t[..., :-2 * r - 1, :]
        t = t.cumsum(-1)
        return t[..., 2 * r + 1:] - t[..., :-2 * r - 1]

    count = box_sum(torch.ones(1, 1, h, w, dtype=x.dtype, device=x.device))
    return box_sum(x) / count


def local_ncc_map(a: Tensor, b: Tensor, window: int = 9,
                  eps: float = 1e-5) -> Tensor:
    """Squared local NCC in a ``window x window`` box around each pixel.

    As VoxelMorph's NCC loss: ``cc = cov^2 / (var_a var_b + eps)`` with the
    means, variances and covariance of the box (the part of it inside the
    image at the border).

    Args:
        a (Tensor): ``(N, 1, H, W)``.
        b (Tensor): ``(N, 1, H, W)``.
        window (int): Odd box size in pixels.
        eps (float): Stabiliser for flat windows.

    Returns:
        Tensor: ``(N, 1, H, W)`` values in ``[0, 1)``.
    """
    stats = _box_mean(torch.cat([a, b, a * a, b * b, a * b], dim=1),
                      window // 2)
    mu_a, mu_b, aa, bb, ab = stats.split(1, dim=1)
    var_a = (aa - mu_a * mu_a).clamp_min(0)
    var_b = (bb - mu_b * mu_b).clamp_min(0)
    cov = ab - mu_a * mu_b
    return cov * cov / (var_a * var_b + eps)


def bending_energy(disp: Tensor) -> Tensor:
    """Mean squared second derivatives of ``(N, 2, H, W)`` displacements
    (``u_yy^2 + u_xx^2 + 2 u_xy^2``, finite differences, in pixels)."""
    dyy = disp[:, :, 2:, :] - 2 * disp[:, :, 1:-1, :] + disp[:, :, :-2, :]
    dxx = disp[:, :, :, 2:] - 2 * disp[:, :, :, 1:-1] + disp[:, :, :, :-2]
    dxy = (disp[:, :, 1:, 1:] - disp[:, :, 1:, :-1] - disp[:, :, :-1, 1:] +
           disp[:, :, :-1, :-1])
    return (dyy.pow(2).mean() + dxx.pow(2).mean() + 2 * dxy.pow(2).mean())


def jacobian_determinant(displacement: ArrayLike) -> Tensor:
    """Jacobian determinant of ``p -> p + u(p)`` at each pixel.

    Central differences inside, one-sided at the border (``torch.gradient``).

    Args:
        displacement (np.ndarray | Tensor): ``(2, H, W)`` pixels (y, x).

    Returns:
        Tensor: ``(H, W)``; 1 for a translation, ``<= 0`` where the field folds.

    Raises:
        ValueError: When the displacement is not ``(2, H, W)``.
    """
    disp = torch.as_tensor(np.asarray(displacement) if not isinstance(
        displacement, Tensor) else displacement).float()
    if disp.dim() != 3 or disp.shape[0] != 2 or min(disp.shape[1:]) < 2:
        raise ValueError(f'displacement must have shape (2, H, W) with H, W '
                         f'>= 2, got {tuple(disp.shape)}.')
    duy_dy, duy_dx = torch.gradient(disp[0])
    dux_dy, dux_dx = torch.gradient(disp[1])
    return (1 + duy_dy) * (1 + dux_dx) - duy_dx * dux_dy


def _normalise(img: Tensor) -> Tensor:
    """Zero mean, unit standard deviation (a constant image becomes 0)."""
    std = img.std()
    return (img - img.mean()) / std if std > 0 else img - img.mean()


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, got '
                         f'{value!r}.')
    return int(value)


def register_pair(fixed: ArrayLike,
                  moving: ArrayLike,
                  grid_spacing: int = 8,
                  levels: int = 3,
                  iterations: Union[int, Sequence[int], None] = None,
                  lr: float = 0.3,
                  window: int = 9,
                  bending_weight: float = 50.0,
                  num_threads: Optional[int] = 1) -> RegistrationResult:
    """Register ``moving`` to ``fixed`` with a free-form deformation.

    At each pyramid level (coarsest first; each level halves the size) the
    displacement is a control grid with one point every ``grid_spacing``
    pixels of that level, spread to every pixel by cubic B-splines (so the
    control spacing in full-resolution pixels halves from one level to the
    next, as Rueckert et al.'s multi-resolution FFD). Adam minimises
    ``1 - mean local NCC(fixed, warped) + bending_weight * bending energy``
    (both in pixels of the level, so every level solves the same problem at
    its own scale). The finer grid of the next level starts as the
    least-squares fit of the coarser field.

    Args:
        fixed (np.ndarray | Tensor): ``(H, W)`` reference image.
        moving (np.ndarray | Tensor): ``(H, W)`` image to warp onto ``fixed``
            (same shape; resize beforehand).
        grid_spacing (int): Control points every this many pixels of each
            level. Defaults to 8.
        levels (int): Pyramid levels. Defaults to 3.
        iterations (int | Sequence[int], optional): Adam steps per level,
            coarsest first (an int applies to every level). Defaults to
            ``60 + 30 * level`` at level ``level`` (0 the finest): (120, 90,
            60) for 3 levels.
        lr (float): Adam learning rate, in pixels of the level. Defaults
            to 0.3.
        window (int): Odd local NCC window (pixels of each level).
            Defaults to 9.
        bending_weight (float): Weight of the bending energy. Defaults to
            50 (the bending energy of a smooth field is small: its mean
            squared second differences).
        num_threads (int, optional): torch's intra-op threads during the
            call (restored afterwards); None keeps the current setting.
            Defaults to 1: a 2D pair gains little from more threads and,
            on cores shared with other processes, threads waiting on each
            other slow every step down many times.

    Returns:
        RegistrationResult: The displacement on the fixed grid, the warped
        moving image and the diagnostics (NCC before/after, local NCC
        before/after, fraction of folded pixels).

    Raises:
        ValueError: On images that are not 2D, of different shapes, smaller
            than 8 x 8 or not finite; on a non-positive ``grid_spacing``,
            ``levels``, iteration count, ``lr``; on an even or
            non-positive ``window``; on a negative ``bending_weight``; or when
            the coarsest level would be smaller than 8 pixels.

    Example:
        >>> res = register_pair(fixed_img, moving_img)
        >>> label_on_fixed = warp_label(moving_label, res.displacement)
    """
    fix = _as_image(fixed, 'fixed')
    mov = _as_image(moving, 'moving')
    if fix.shape != mov.shape:
        raise ValueError(f'fixed and moving must have the same shape, got '
                         f'{tuple(fix.shape)} and {tuple(mov.shape)}.')
    grid_spacing = _check_positive_int('grid_spacing', grid_spacing, 2)
    levels = _check_positive_int('levels', levels)
    if iterations is None:
        iters = [60 + 30 * lv for lv in range(levels - 1, -1, -1)]
    elif isinstance(iterations, (int, np.integer)):
        iters = [iterations] * levels
    else:
        iters = list(iterations)
    if len(iters) != levels:
        raise ValueError(f'iterations must be an int or hold one count per '
                         f'level ({levels}), got {iterations!r}.')
    iters = [_check_positive_int('iterations', n, 0) for n in iters]
    if not lr > 0:
        raise ValueError(f'lr must be > 0, got {lr!r}.')
    window = _check_positive_int('window', window)
    if window % 2 == 0:
        raise ValueError(f'window must be odd, got {window}.')
    if not bending_weight >= 0:
        raise ValueError(f'bending_weight must be >= 0, got {bending_weight!r}.')
    if num_threads is not None:
        num_threads = _check_positive_int('num_threads', num_threads)
    h, w = fix.shape
    if min(h, w) / 2**(levels - 1) < 8:
        raise ValueError(f'levels={levels} makes the coarsest level of a '
                         f'{h} x {w} image smaller than 8 pixels.')

    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        return _register(fix, mov, grid_spacing, levels, iters, lr, window,
                         bending_weight)
    finally:
        torch.set_num_threads(previous_threads)


def bspline_basis(num_pixels: int, num_knots: int) -> Tensor:
    """Cubic B-spline weights of ``num_pixels`` pixels on ``num_knots``
    knots spread evenly from the first pixel to the last, plus one control
    point beyond each end (so the weights of every pixel sum to 1).

    Args:
        num_pixels (int): Pixels along the axis.
        num_knots (int): Knots (>= 2) along it.

    Returns:
        Tensor: ``(num_pixels, num_knots + 2)`` float32.
    """
    spacing = (num_pixels - 1) / (num_knots - 1)
    pos = torch.arange(num_pixels, dtype=torch.float64) / spacing
    t = (pos[:, None] -
         torch.arange(-1, num_knots + 1, dtype=torch.float64)[None]).abs()
    b = torch.where(t < 1, 2 / 3 - t**2 + t**3 / 2,
                    torch.where(t < 2, (2 - t).clamp_min(0)**3 / 6,
                                torch.zeros_like(t)))
    return b.float()


def _dense(ctrl: Tensor, basis_y: Tensor, basis_x: Tensor) -> Tensor:
    """``(2, gy, gx)`` control points -> ``(1, 2, H, W)`` displacements."""
    return (basis_y @ ctrl @ basis_x.T)[None]


def _register(fix: Tensor, mov: Tensor, grid_spacing: int, levels: int,
              iters: Sequence[int], lr: float, window: int,
              bending_weight: float) -> RegistrationResult:
    """The optimisation of :func:`register_pair` (arguments checked)."""
    h, w = fix.shape
    f0, m0 = _normalise(fix)[None, None], _normalise(mov)[None, None]
    ctrl: Optional[Tensor] = None
    knots = (2, 2)
    for level in range(levels - 1, -1, -1):
        factor = 2**level
        hl, wl = max(h // factor, 8), max(w // factor, 8)
        f_l = F.interpolate(f0, size=(hl, wl), mode='area') if level else f0
        m_l = F.interpolate(m0, size=(hl, wl), mode='area') if level else m0
        new_knots = (int(np.ceil((hl - 1) / grid_spacing)) + 1,
                     int(np.ceil((wl - 1) / grid_spacing)) + 1)
        by, bx = bspline_basis(hl, new_knots[0]), bspline_basis(wl,
                                                               new_knots[1])
        # control points hold displacements in pixels of the full image; a
        # finer grid starts as the least-squares fit of the coarser field
        if ctrl is None:
            ctrl = torch.zeros(2, new_knots[0] + 2, new_knots[1] + 2)
        else:
            coarse = _dense(ctrl, bspline_basis(hl, knots[0]),
                            bspline_basis(wl, knots[1]))[0]
            ctrl = torch.linalg.pinv(by) @ coarse @ torch.linalg.pinv(bx).T
        knots = new_knots
        ctrl = ctrl.detach().requires_grad_(True)
        scale = torch.tensor([(hl - 1) / max(h - 1, 1),
                              (wl - 1) / max(w - 1, 1)]).view(1, 2, 1, 1)
        opt = torch.optim.Adam([ctrl], lr=lr * factor, eps=ADAM_EPS)
        n_iter = iters[levels - 1 - level]
        # the step size decays linearly to a tenth, so the grid settles
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda i, n=n_iter: 1.0 - 0.9 * i / max(n, 1))
        for _ in range(n_iter):
            opt.zero_grad()
            dense = _dense(ctrl, by, bx) * scale
            warped = _warp(m_l, dense)
            sim = local_ncc_map(f_l, warped, window).mean()
            loss = 1 - sim + bending_weight * bending_energy(dense)
            loss.backward()
            opt.step()
            sched.step()

    with torch.no_grad():
        disp = _dense(ctrl.detach(), bspline_basis(h, knots[0]),
                      bspline_basis(w, knots[1]))
        warped_n = _warp(m0, disp)
        warped = _warp(mov[None, None], disp)[0, 0]
        result = RegistrationResult(
            displacement=disp[0].contiguous(),
            warped=warped,
            ncc_before=ncc(fix, mov),
            ncc_after=ncc(fix, warped),
            local_ncc_before=float(local_ncc_map(f0, m0, window).mean()),
            local_ncc_after=float(local_ncc_map(f0, warped_n, window).mean()),
            folding=float((jacobian_determinant(disp[0]) <= 0).float().mean()))
    return result


__all__ = [
    'RegistrationResult', 'bending_energy', 'bspline_basis',
    'jacobian_determinant', 'local_ncc_map', 'ncc', 'register_pair',
    'warp_image', 'warp_label'
]
