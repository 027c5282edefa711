"""The suggestions on screen and, for benchmarks, checked against labels.

:func:`write_sheet` writes the PNG sheet of the suggested slices that
``tools/suggest_slices.py`` shows the user (:func:`slice_image` reads each
suggestion's image as the ranking saw it). :func:`check_suggestions` is a
DIAGNOSTIC ONLY: it reads the labels of benchmark data to tell which classes
a suggested slice lacks, after the label-free ranking of
:mod:`.slice_ranking` is made, and is never called by it. See
docs/slice_suggestion.md.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from elseg.utils.io import atomic_write_bytes
from elseg.utils.labels import missing_classes
from elseg.utils.volume import normalise, read_axial

from .slice_ranking import SliceScore
from .transforms.load_medical_slice import read_slice


# ------------------------------------------------------------ the sheet
def slice_image(data_root: str, s: SliceScore, layout: str,
                slice_dir: str = 'data/slices', suffix: str = '.h5'
                ) -> np.ndarray:
    """The image of a suggestion, as stored (slice layouts) or as
    ``tools/convert_nifti.py`` cuts it (raw NIfTI), in [0, 1]."""
    if layout == 'nifti':
        vol, _, _ = read_axial(s.source['file'], 'image')
        return normalise(vol, 'MRI')[s.number - 1]
    return read_slice(osp.join(data_root, slice_dir, s.slice_id + suffix),
                      'image', None)


def write_sheet(path: str, images: Sequence[np.ndarray],
                captions: Sequence[str], height: int = 256) -> np.ndarray:
    """Write a PNG of the slices side by side, a caption above each.

    Args:
        path (str): PNG file.
        images (Sequence[np.ndarray]): 2D images in [0, 1] (clipped).
        captions (Sequence[str]): One line per image.
        height (int): Tile height in pixels (aspect kept). Defaults to 256.

    Returns:
        np.ndarray: The uint8 sheet written.

    Raises:
        ValueError: No image, or images and captions differ in number.
    """
    import cv2
    if not images or len(images) != len(captions):
        raise ValueError(f'Need one caption per image, got {len(images)} '
                         f'images and {len(captions)} captions.')
    band = 24
    tiles = []
    for img, cap in zip(images, captions):
        img = np.clip(np.asarray(img, np.float32), 0, 1)
        width = max(1, int(round(img.shape[1] * height / img.shape[0])))
        tile = np.zeros((height + band, max(width, 8 * len(cap) + 8)),
                        np.uint8)
        tile[band:, :width] = cv2.resize(
            (img * 255).astype(np.uint8), (width, height),
            interpolation=cv2.INTER_LINEAR)
        cv2.putText(tile, cap, (4, band - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    255, 1, cv2.LINE_AA)
        tiles += [tile, np.zeros((height + band, 6), np.uint8)]
    sheet = np.concatenate(tiles[:-1], axis=1)
    ok, buf = cv2.imencode('.png', sheet)
    if not ok:
        raise ValueError(f'Could not encode the sheet for {path!r}.')
    atomic_write_bytes(buf.tobytes(), path)
    return sheet


# ------------------------------------------------------------ diagnostic
def check_suggestions(data_root: str,
                      slice_ids: Sequence[str],
                      num_classes: int,
                      slice_dir: str = 'data/slices',
                      suffix: str = '.h5',
                      min_pixels: int = 1) -> Dict[str, List[int]]:
    """DIAGNOSTIC ONLY, READS LABELS: the classes each slice's label lacks.

    For benchmark data with hidden labels, after the ranking is made: does
    each suggested slice show every class? Never called by the ranking.

    Args:
        data_root (str): Slice-layout folder with labels.
        slice_ids (Sequence[str]): Suggested slice ids.
        num_classes (int): Classes including background.
        slice_dir (str): Slice folder. Defaults to 'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.
        min_pixels (int): Pixels a class needs to count as shown, as the
            exemplar rules' ``min_pixels``. Defaults to 1.

    Returns:
        dict: slice id -> missing foreground classes (empty: all shown).

    Raises:
        ValueError: ``num_classes`` < 2 or ``min_pixels`` < 1.
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    return {sid: missing_classes(
        read_slice(osp.join(data_root, slice_dir, sid + suffix), 'label',
                   None), num_classes, min_pixels) for sid in slice_ids}


__all__ = ['check_suggestions', 'slice_image', 'write_sheet']
