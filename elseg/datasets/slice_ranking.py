"""The label-free ranking of training slices: which slice to annotate.

Exemplar learning needs one labelled slice, and the user must choose it
before any label exists. The exemplar rules of :mod:`.exemplar` all read the
labels, so they cannot help; this module ranks the candidate slices from the
images alone. It takes volumes as arrays (``(volume id, slice numbers,
images)``) and never sees a label; :mod:`.slice_suggestion` reads them from
the data layouts. See docs/slice_suggestion.md.

The ranking, per training volume then over all volumes:

1. **Position (a gate).** A slice is cut through its organs at their fullest,
   not at their tips, when it lies in the middle of the anatomy the stack
   covers. The covered extent is found from the images: a pixel is tissue when
   it is brighter than its volume's mean intensity, and the extent runs from
   the first to the last slice whose tissue fraction is at least
   ``extent_fraction`` (default half) of the volume's largest one (slices of
   air, or of the low-signal lungs, fall outside it). A slice at relative
   position ``p = (k - lo) / (hi - lo)`` in that extent is a candidate when
   ``|p - 1/2| <= 1/6`` (its middle third, as the labelled ``'central'`` rule
   uses); the slice nearest the centre always is.
2. **Representativeness.** Every training slice is reduced to a
   ``descriptor_size`` x ``descriptor_size`` thumbnail of its intensities
   (area-averaged). A candidate is the more typical the closer its thumbnail
   is (Euclidean distance) to the mean thumbnail of all training slices, the
   centre of the unlabelled slices' distribution. (The slice nearest that
   mean is also the one with the smallest mean squared distance to all
   slices.)
3. **Contrast.** The standard deviation of the slice's intensities (RMS
   contrast): a flat, low-signal or washed-out slice shows its boundaries
   poorly.

Representativeness and contrast are turned into percentile ranks among the
candidates (1 the best, 0 the worst, so neither criterion's units dominate)
and averaged into the score. Each volume offers its best candidate; the
volumes are ordered by that score, so the first suggestions come from
different volumes. The full order continues round by round with each
volume's next best candidate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

#: Side of the thumbnail that describes a slice (representativeness).
DESCRIPTOR_SIZE = 32
#: A slice is in the covered extent when its tissue fraction is at least this
#: fraction of the volume's largest one.
EXTENT_FRACTION = 0.5
#: Half-width of the candidate band around the extent's centre (its middle
#: third).
BAND = 1 / 6

#: One training volume: ``(volume id, slice numbers, (S, H, W) images)``.
Volume = Tuple[str, Sequence[int], np.ndarray]


@dataclass
class SliceScore:
    """A candidate slice and its scores.

    Attributes:
        volume_id (str): The volume (case) id.
        number (int): The slice number as in the slice id (from 1).
        position (float): Relative position in the covered extent (0 its
            inferior/first end, 1 its last).
        distance (float): Distance of its thumbnail to the mean thumbnail.
        contrast (float): Standard deviation of its intensities.
        score (float): Mean of the representativeness and contrast ranks.
        source (dict): Where a viewer shows it (filled by the tools).
    """

    volume_id: str
    number: int
    position: float
    distance: float
    contrast: float
    score: float = 0.0
    source: dict = field(default_factory=dict)

    @property
    def slice_id(self) -> str:
        """The slice id ``<volume id>_slice_<number>``."""
        return f'{self.volume_id}_slice_{self.number}'


# ------------------------------------------------------------ the pieces
def tissue_fractions(volume: np.ndarray) -> np.ndarray:
    """Fraction of each slice's pixels brighter than the volume's mean.

    Args:
        volume (np.ndarray): ``(S, H, W)`` intensities.

    Returns:
        np.ndarray: ``(S,)`` fractions in [0, 1].

    Raises:
        ValueError: ``volume`` is not 3D or is empty.
    """
    vol = np.asarray(volume, dtype=np.float64)
    if vol.ndim != 3 or vol.size == 0:
        raise ValueError(f'Expected a non-empty (S, H, W) volume, got shape '
                         f'{vol.shape}.')
    return (vol > vol.mean()).reshape(len(vol), -1).mean(axis=1)


def covered_extent(fractions: Sequence[float],
                   extent_fraction: float = EXTENT_FRACTION
                   ) -> Tuple[int, int]:
    """First and last slice index whose tissue fraction reaches the bar.

    Args:
        fractions (Sequence[float]): Tissue fraction per slice
            (:func:`tissue_fractions`).
        extent_fraction (float): The bar, as a fraction of the largest tissue
            fraction, in (0, 1]. Defaults to 0.5.

    Returns:
        tuple: ``(lo, hi)`` 0-based indices, ``lo <= hi``; the whole stack
        when no slice holds tissue.

    Raises:
        ValueError: ``extent_fraction`` outside (0, 1] or no slice.
    """
    if not 0.0 < extent_fraction <= 1.0:
        raise ValueError(f'extent_fraction must be in (0, 1], got '
                         f'{extent_fraction}.')
    frac = np.asarray(fractions, dtype=np.float64)
    if frac.size == 0:
        raise ValueError('No slice: fractions is empty.')
    if frac.max() <= 0:
        return 0, len(frac) - 1
    inside = np.flatnonzero(frac >= extent_fraction * frac.max())
    return int(inside[0]), int(inside[-1])


def candidate_mask(n_slices: int, lo: int, hi: int,
                   band: float = BAND) -> Tuple[np.ndarray, np.ndarray]:
    """Relative positions in the extent and the middle-band candidates.

    Args:
        n_slices (int): Slices in the volume.
        lo (int): First index of the covered extent.
        hi (int): Last index of the covered extent.
        band (float): Half-width of the band around position 1/2. Defaults
            to 1/6 (the middle third).

    Returns:
        tuple: ``(positions, mask)``: ``(k - lo) / (hi - lo)`` per slice
        (``0.5 + k - lo`` for a one-slice extent) and the candidates
        (``|position - 1/2| <= band``, plus the slice nearest the centre,
        the lower one on a tie).

    Raises:
        ValueError: ``lo``/``hi`` not ``0 <= lo <= hi < n_slices``.
    """
    if not 0 <= lo <= hi < n_slices:
        raise ValueError(f'Need 0 <= lo <= hi < n_slices, got lo={lo}, '
                         f'hi={hi}, n_slices={n_slices}.')
    k = np.arange(n_slices, dtype=np.float64)
    pos = 0.5 + k - lo if hi == lo else (k - lo) / (hi - lo)
    mask = np.abs(pos - 0.5) <= band + 1e-9
    mask[int(np.floor((lo + hi) / 2))] = True
    return pos, mask


def thumbnails(volume: np.ndarray, size: int = DESCRIPTOR_SIZE) -> np.ndarray:
    """Area-averaged ``size`` x ``size`` thumbnails, flattened.

    Args:
        volume (np.ndarray): ``(S, H, W)`` intensities.
        size (int): Thumbnail side. Defaults to 32.

    Returns:
        np.ndarray: ``(S, size * size)`` float64.

    Raises:
        ValueError: ``size`` < 1.
    """
    import cv2
    if size < 1:
        raise ValueError(f'descriptor size must be >= 1, got {size}.')
    return np.stack([
        cv2.resize(np.asarray(s, np.float32), (size, size),
                   interpolation=cv2.INTER_AREA).astype(np.float64).ravel()
        for s in volume
    ])


def percentile_ranks(values: Sequence[float],
                     higher_is_better: bool = True) -> np.ndarray:
    """Ranks scaled to [0, 1]: 1 for the best value, 0 for the worst.

    Ties keep their input order (a stable sort), so the result is
    deterministic. A single value gets 1.

    Args:
        values (Sequence[float]): The values.
        higher_is_better (bool): Whether the largest value is the best.

    Returns:
        np.ndarray: The ranks.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size <= 1:
        return np.ones(v.size)
    order = np.argsort(-v if higher_is_better else v, kind='stable')
    ranks = np.empty(v.size)
    ranks[order] = np.arange(v.size)  # 0 = best
    return 1.0 - ranks / (v.size - 1)


# ------------------------------------------------------------ the ranking
def rank_slices(volumes: Iterable[Volume],
                descriptor_size: int = DESCRIPTOR_SIZE,
                extent_fraction: float = EXTENT_FRACTION) -> List[SliceScore]:
    """Rank the candidate slices of training volumes from their images only.

    See the module docstring for the criteria. Each volume is processed as it
    comes (only its thumbnails are kept), so ``volumes`` may be a generator
    that reads one volume at a time.

    Args:
        volumes (Iterable[Volume]): ``(volume id, slice numbers, images)``
            with images ``(S, H, W)`` in the dataset's normalised intensities
            (one volume's slices in stack order; numbers as in the slice ids).
        descriptor_size (int): Thumbnail side. Defaults to 32.
        extent_fraction (float): See :func:`covered_extent`.

    Returns:
        list[SliceScore]: The candidates, best first: each volume's best,
        volumes ordered by its score (ties by volume id), then each volume's
        second best, and so on.

    Raises:
        ValueError: No volume, duplicate volume ids, or a volume whose
            number list does not match its images.
    """
    cands: List[SliceScore] = []
    thumbs: List[np.ndarray] = []
    cand_rows: List[int] = []
    n_seen = 0
    seen = set()
    for vid, numbers, images in volumes:
        images = np.asarray(images)
        if vid in seen:
            raise ValueError(f'Volume {vid!r} is given twice.')
        seen.add(vid)
        if images.ndim != 3 or len(numbers) != len(images):
            raise ValueError(
                f'Volume {vid!r}: {len(numbers)} slice numbers for images of '
                f'shape {images.shape}; expected (S, H, W) with S numbers.')
        lo, hi = covered_extent(tissue_fractions(images), extent_fraction)
        pos, mask = candidate_mask(len(images), lo, hi)
        thumbs.append(thumbnails(images, descriptor_size))
        for k in np.flatnonzero(mask):
            cands.append(SliceScore(
                str(vid), int(numbers[k]), float(pos[k]), 0.0,
                float(np.asarray(images[k], np.float64).std())))
            cand_rows.append(n_seen + int(k))
        n_seen += len(images)
    if not cands:
        raise ValueError('No training volume to rank.')
    every = np.concatenate(thumbs)
    centre = every.mean(axis=0)
    dist = np.sqrt(((every[cand_rows] - centre)**2).sum(axis=1))
    rep = percentile_ranks(dist, higher_is_better=False)
    con = percentile_ranks([c.contrast for c in cands])
    for c, d, r, q in zip(cands, dist, rep, con):
        c.distance, c.score = float(d), float((r + q) / 2)
    return order_by_volume(cands)


def order_by_volume(cands: Sequence[SliceScore]) -> List[SliceScore]:
    """Round-robin order: each volume's best, then each one's second...

    Args:
        cands (Sequence[SliceScore]): Scored candidates.

    Returns:
        list[SliceScore]: Volumes ordered by their best score (descending,
        ties by volume id); within a round the same volume order; within a
        volume by score (ties by slice number).
    """
    per_volume: Dict[str, List[SliceScore]] = {}
    for c in cands:
        per_volume.setdefault(c.volume_id, []).append(c)
    for lst in per_volume.values():
        lst.sort(key=lambda c: (-c.score, c.number))
    vids = sorted(per_volume, key=lambda v: (-per_volume[v][0].score, v))
    out: List[SliceScore] = []
    for rnd in range(max(len(v) for v in per_volume.values())):
        out += [per_volume[v][rnd] for v in vids if rnd < len(per_volume[v])]
    return out


__all__ = [
    'BAND', 'DESCRIPTOR_SIZE', 'EXTENT_FRACTION', 'SliceScore', 'Volume',
    'candidate_mask', 'covered_extent', 'order_by_volume',
    'percentile_ranks', 'rank_slices', 'thumbnails', 'tissue_fractions'
]
