"""Connected-component post-processing of predicted label volumes.

:func:`keep_largest_component` is nnU-Net's (Isensee et al., Nat. Methods
2021): each class keeps its largest 3D component. :func:`keep_anchored_components`
(beyond the paper) keeps, for classes anchored to others, the components lying
against them: the anatomy of the heart, where the right ventricle lies against
the septum.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy import ndimage


def _largest(comp: np.ndarray) -> int:
    """Label of the largest component of ``ndimage.label`` output."""
    sizes = np.bincount(comp.ravel())
    sizes[0] = 0
    return int(sizes.argmax())


def keep_largest_component(pred: np.ndarray, num_classes: int,
                           classes: Optional[Sequence[int]] = None
                           ) -> np.ndarray:
    """Per class, keep only the largest 3D connected component (nnU-Net).

    Components are 26-connected (``scipy.ndimage.label`` with a full 3x3x3
    structure); removed voxels become background (0). ``classes`` limits the
    step to those class ids (default: every foreground class).
    """
    out = pred.copy()
    structure = np.ones((3, ) * pred.ndim, dtype=bool)
    for c in (range(1, num_classes) if classes is None else classes):
        mask = pred == c
        if not mask.any():
            continue
        comp, n = ndimage.label(mask, structure=structure)
        if n <= 1:
            continue
        out[mask & (comp != _largest(comp))] = 0
    return out


def keep_anchored_components(pred: np.ndarray, num_classes: int,
                             anchors: Dict[int, Sequence[int]],
                             margin: int = 3) -> np.ndarray:
    """Largest component per class, except that anchored classes keep the
    components lying against their anchor classes (anatomy-aware).

    Beyond the paper; the anatomical prior is the heart's: the right ventricle
    lies against the septum, so a right-ventricle component away from the
    myocardium and left ventricle is a false positive (e.g. a bright chest-wall
    region), while the largest-component rule keeps it whenever it outgrows the
    true one. Classes not in ``anchors`` keep their largest 3D component (as
    :func:`keep_largest_component`). Then each anchored class keeps every
    26-connected component with a voxel within ``margin`` pixels in-plane
    (the same slice) of its anchors' kept voxels; with no such component, or
    no anchor voxel, it keeps its largest component.

    Args:
        pred (np.ndarray): ``(S, H, W)`` label volume (slice axis first).
        num_classes (int): Classes including background 0.
        anchors (dict[int, Sequence[int]]): Anchored class -> anchor classes,
            e.g. ``{1: (2, 3)}`` (RV against Myo and LV on ACDC).
        margin (int): In-plane distance in pixels (square neighbourhood) that
            counts as touching (>= 1). Defaults to 3.

    Returns:
        np.ndarray: The filtered volume; removed voxels become 0.

    Raises:
        ValueError: A class id outside ``1..num_classes-1``, an anchor that is
            itself anchored or its own class, an empty anchor list, a margin
            below 1, or ``pred`` not 2D/3D.
    """
    if int(margin) < 1 or pred.ndim < 2:
        raise ValueError(f'margin must be >= 1 pixel and pred 2D or 3D, got '
                         f'margin={margin!r}, pred.ndim={pred.ndim}.')
    for c, anc in anchors.items():
        ids = [c, *anc]
        if not anc or any(not 1 <= int(i) < num_classes for i in ids):
            raise ValueError(
                f'component anchors {c!r}: {tuple(anc)!r} must name '
                f'foreground classes 1..{num_classes - 1} and at least one '
                'anchor.')
        if c in anc or any(a in anchors for a in anc):
            raise ValueError(
                f'component anchors {c!r}: {tuple(anc)!r}: an anchor must not '
                'be the class itself nor anchored in turn.')
    out = keep_largest_component(
        pred, num_classes, [c for c in range(1, num_classes) if c not in anchors])
    structure = np.ones((3, ) * pred.ndim, dtype=bool)
    size = 2 * int(margin) + 1
    square = np.ones((1, ) * (pred.ndim - 2) + (size, size), dtype=bool)
    for c, anc in anchors.items():
        mask = pred == c
        comp, n = ndimage.label(mask, structure=structure)
        if n <= 1:
            continue
        near = ndimage.binary_dilation(np.isin(out, list(anc)),
                                       structure=square)
        touching = np.unique(comp[near & mask])
        keep = touching[touching > 0]
        if keep.size == 0:
            keep = np.array([_largest(comp)])
        out[mask & ~np.isin(comp, keep)] = 0
    return out


def check_anchor_names(anchors: Dict[str, Sequence[str]]) -> None:
    """Raise ValueError unless each anchored class names a non-empty list of
    anchor class names (checked before the dataset's classes are known)."""
    for name, anc in anchors.items():
        if isinstance(anc, str) or not anc:
            raise ValueError(
                f'component_anchors[{name!r}] must be a list of class '
                f'names, got {anc!r} (e.g. dict(RV=["Myo", "LV"])).')


def anchor_ids(anchors: Dict[str, Sequence[str]],
               class_names: Sequence[str]) -> Dict[int, List[int]]:
    """Component anchors given by class name, as class ids.

    Args:
        anchors (dict[str, Sequence[str]]): Class name -> anchor class names,
            e.g. ``dict(RV=['Myo', 'LV'])``.
        class_names (Sequence[str]): The dataset's classes, background first.

    Returns:
        dict[int, list[int]]: E.g. ``{1: [2, 3]}`` on ACDC.

    Raises:
        ValueError: A name that is not a foreground class, or anchors that are
            not a list of names.
    """
    check_anchor_names(anchors)
    names = list(class_names)
    ids = {}
    for name, anc in anchors.items():
        for n in (name, *anc):
            if n not in names[1:]:
                raise ValueError(
                    f'component_anchors names class {n!r}, which is not a '
                    f'foreground class of the dataset {names}.')
        ids[names.index(name)] = [names.index(a) for a in anc]
    return ids
