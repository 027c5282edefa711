"""Label propagation: carry one labelled slice to other images of its scan.

Atlas-based segmentation's label propagation (e.g. Rohlfing et al.,
"Quo vadis, atlas-based segmentation?", 2005; Heckemann et al., NeuroImage
2006): the labelled image is registered to an unlabelled one and its label
warped along. Here the images are the other slices of the exemplar's scan,
reached in chains (slice ``s + 2`` is registered from ``s + 1``, whose label
is itself a propagated one), so each step bridges one slice gap. Only the
exemplar's label is an input; the registration reads images only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Mapping, Optional, Sequence

import numpy as np
import torch

from .deformable import jacobian_determinant, ncc, register_pair, warp_label


@dataclass
class PropagatedLabel:
    """One propagated label and how much to trust it.

    Attributes:
        key (Hashable): The target image's key.
        source (Hashable): The key of the image it is registered from.
        steps (int): Registrations between the exemplar and this image.
        label (np.ndarray): ``(H, W)`` uint8 propagated label.
        confidence (float): Product of the step confidences along the
            chain, in ``[0, 1]`` (see :func:`step_confidence`).
        confidence_map (np.ndarray): ``(H, W)`` float32: ``confidence``, and
            0 where the last step's field folds (Jacobian determinant
            ``<= 0``).
        diagnostics (dict): The last step's ``ncc_before``, ``ncc_after``,
            ``roi_ncc_after``, ``local_ncc_after``, ``folding`` and
            ``step_confidence``.
    """

    key: Hashable
    source: Hashable
    steps: int
    label: np.ndarray
    confidence: float
    confidence_map: np.ndarray
    diagnostics: Dict[str, float] = field(default_factory=dict)


def _roi(label: np.ndarray, margin: int) -> tuple:
    """Bounding box slices of the foreground, grown by ``margin`` pixels
    (the whole image when there is no foreground)."""
    ys, xs = np.nonzero(label)
    if ys.size == 0:
        return slice(None), slice(None)
    h, w = label.shape
    return (slice(max(ys.min() - margin, 0), min(ys.max() + margin + 1, h)),
            slice(max(xs.min() - margin, 0), min(xs.max() + margin + 1, w)))


def step_confidence(roi_ncc: float, folding: float,
                    max_folding: float = 0.02) -> float:
    """Confidence of one registration step.

    ``max(roi_ncc, 0) * max(1 - folding / max_folding, 0)``: the intensity
    agreement after warping, around the propagated organs, discounted
    linearly by the fraction of folded pixels (0 at ``max_folding``).

    Args:
        roi_ncc (float): NCC of the fixed and the warped image in the box
            around the propagated label.
        folding (float): Fraction of pixels with Jacobian determinant
            ``<= 0``.
        max_folding (float): Folding fraction that makes the step worthless.
            Defaults to 0.02.

    Returns:
        float: In ``[0, 1]``.

    Raises:
        ValueError: When ``max_folding`` is not > 0.
    """
    if not max_folding > 0:
        raise ValueError(f'max_folding must be > 0, got {max_folding!r}.')
    return float(max(roi_ncc, 0.0) * max(1.0 - folding / max_folding, 0.0))


def propagate_label(images: Mapping[Hashable, np.ndarray],
                    exemplar_key: Hashable,
                    exemplar_label: np.ndarray,
                    chains: Sequence[Sequence[Hashable]],
                    num_classes: Optional[int] = None,
                    registration: Optional[dict] = None,
                    max_folding: float = 0.02,
                    roi_margin: int = 8) -> Dict[Hashable, PropagatedLabel]:
    """Carry the exemplar's label along chains of images by registration.

    Each chain starts next to the exemplar: its first image is registered
    from the exemplar (the exemplar is ``moving``, the target ``fixed``),
    each further image from the previous one of the chain, whose
    propagated label is warped along. A chain stops early when a step's
    label holds no foreground.

    Args:
        images (Mapping): Key -> ``(H, W)`` float image, all the same shape;
            holds the exemplar and every image of ``chains``.
        exemplar_key (Hashable): The exemplar's key in ``images``.
        exemplar_label (np.ndarray): ``(H, W)`` integer label of the exemplar
            (the only label read).
        chains (Sequence[Sequence]): Keys in propagation order, e.g.
            ``[[s + 1, s + 2], [s - 1, s - 2], [other_frame_s]]``.
        num_classes (int, optional): Defaults to ``exemplar_label.max() + 1``.
        registration (dict, optional): Keyword arguments of
            :func:`~elseg.registration.register_pair`.
        max_folding (float): See :func:`step_confidence`. Defaults to 0.02.
        roi_margin (int): Margin in pixels of the box around the propagated
            label in which the NCC of the confidence is measured. Defaults
            to 8.

    Returns:
        dict: Key -> :class:`PropagatedLabel` for every image reached.

    Raises:
        ValueError: When a key is missing from ``images``, the exemplar
            appears in a chain, a key appears twice, the shapes differ, or
            the label is not 2D / has another shape than the exemplar image.
    """
    if exemplar_key not in images:
        raise ValueError(f'exemplar key {exemplar_key!r} is not in images.')
    label = np.asarray(exemplar_label)
    ex_img = np.asarray(images[exemplar_key], dtype=np.float32)
    if label.ndim != 2 or label.shape != ex_img.shape:
        raise ValueError(f'exemplar_label must be 2D with the exemplar image '
                         f'shape {ex_img.shape}, got {label.shape}.')
    seen = set()
    for chain in chains:
        for key in chain:
            if key not in images:
                raise ValueError(f'chain key {key!r} is not in images.')
            if key == exemplar_key or key in seen:
                raise ValueError(f'key {key!r} appears twice in the chains '
                                 '(or is the exemplar).')
            if np.shape(images[key]) != ex_img.shape:
                raise ValueError(f'image {key!r} has shape '
                                 f'{np.shape(images[key])}, the exemplar '
                                 f'{ex_img.shape}: resize them alike.')
            seen.add(key)
    k = int(label.max()) + 1 if num_classes is None else int(num_classes)
    reg_kwargs = dict(registration or {})
    out: Dict[Hashable, PropagatedLabel] = {}
    for chain in chains:
        src_key, src_img, src_label, conf = exemplar_key, ex_img, label, 1.0
        for steps, key in enumerate(chain, 1):
            if not (src_label > 0).any():
                break
            fixed = np.asarray(images[key], dtype=np.float32)
            res = register_pair(fixed, src_img, **reg_kwargs)
            new_label = warp_label(src_label, res.displacement, k).astype(
                np.uint8)
            rows, cols = _roi(new_label > 0, roi_margin)
            roi_ncc = ncc(torch.from_numpy(fixed[rows, cols]),
                          res.warped[rows, cols])
            step = step_confidence(roi_ncc, res.folding, max_folding)
            conf = conf * step
            conf_map = np.full(fixed.shape, conf, dtype=np.float32)
            conf_map[(jacobian_determinant(res.displacement) <= 0).numpy()] = 0
            out[key] = PropagatedLabel(
                key=key, source=src_key, steps=steps, label=new_label,
                confidence=conf, confidence_map=conf_map,
                diagnostics=dict(
                    ncc_before=res.ncc_before, ncc_after=res.ncc_after,
                    roi_ncc_after=roi_ncc,
                    local_ncc_after=res.local_ncc_after,
                    folding=res.folding, step_confidence=step))
            src_key, src_img, src_label = key, fixed, new_label
    return out


def neighbour_chains(slice_numbers: Sequence[int], exemplar_number: int,
                     k: int) -> List[List[int]]:
    """Chains ``[s + 1 .. s + k]`` and ``[s - 1 .. s - k]`` of slice numbers,
    each cut at the first number missing from ``slice_numbers``.

    Args:
        slice_numbers (Sequence[int]): The slice numbers the volume has.
        exemplar_number (int): The exemplar's slice number ``s``.
        k (int): How many slices to reach on each side (0: none).

    Returns:
        list[list[int]]: Up to two non-empty chains, upward first.

    Raises:
        ValueError: On a negative ``k``.
    """
    if isinstance(k, bool) or int(k) != k or k < 0:
        raise ValueError(f'k must be an integer >= 0, got {k!r}.')
    have = set(int(n) for n in slice_numbers)
    chains = []
    for sign in (1, -1):
        chain = []
        for j in range(1, int(k) + 1):
            n = exemplar_number + sign * j
            if n not in have:
                break
            chain.append(n)
        if chain:
            chains.append(chain)
    return chains


__all__ = [
    'PropagatedLabel', 'neighbour_chains', 'propagate_label',
    'step_confidence'
]
