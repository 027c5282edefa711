"""Label-map arithmetic shared by the exemplar rules and their diagnostics."""
from __future__ import annotations

import numpy as np


def class_counts(label: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels of each foreground class in a label map.

    Args:
        label (np.ndarray): Integer label map (any shape), values >= 0.
        num_classes (int): Classes including background (0).

    Returns:
        np.ndarray: ``num_classes - 1`` counts, for classes 1 .. num_classes-1;
        values at or above ``num_classes`` (an ignore index) are not counted.

    Raises:
        ValueError: ``num_classes`` < 2 or a negative label value.
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    flat = np.asarray(label).ravel().astype(np.int64)
    if flat.size and flat.min() < 0:
        raise ValueError(f'label values must be >= 0, got {flat.min()}.')
    return np.bincount(flat, minlength=num_classes)[1:num_classes]


def missing_classes(label: np.ndarray, num_classes: int,
                    min_pixels: int = 1) -> list:
    """Foreground classes with fewer than ``min_pixels`` pixels in ``label``.

    Args:
        label (np.ndarray): Integer label map.
        num_classes (int): Classes including background.
        min_pixels (int): Pixels a class needs to count as shown. Defaults
            to 1.

    Returns:
        list: The missing classes, ascending (empty: every class shown).

    Raises:
        ValueError: ``num_classes`` < 2 or ``min_pixels`` < 1.
    """
    if min_pixels < 1:
        raise ValueError(f'min_pixels must be >= 1, got {min_pixels}.')
    counts = class_counts(label, num_classes)
    return [c + 1 for c in np.flatnonzero(counts < min_pixels).tolist()]
