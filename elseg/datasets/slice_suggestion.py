"""Which slice to annotate: a label-free ranking of the training slices.

Exemplar learning needs one labelled slice, and the user must choose it
before any label exists. The exemplar rules of :mod:`.exemplar` all read the
labels, so they cannot help; this module ranks the candidate slices from the
images alone. The ranking reads the ``'image'`` of each training slice and
never opens a label (the only function here that does is
:func:`check_suggestions`, a diagnostic for benchmark data, never called by
the ranking). See docs/slice_suggestion.md.

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

import json
import os.path as osp
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple)

import numpy as np

from elseg.utils.io import atomic_write_bytes
from elseg.utils.volume import normalise, read_axial, source_slice

from .converters.nifti_folder import _read_list, find_cases
from .medical_slice_dataset import MedicalSliceDataset
from .transforms.load_medical_slice import read_slice

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


# ------------------------------------------------------------ the layouts
def _slice_parts(slice_id: str) -> Tuple[str, Optional[int]]:
    return (MedicalSliceDataset.volume_id_of(slice_id),
            MedicalSliceDataset.slice_number_of(slice_id))


def _read_slice_ids(data_root: str, split_list: str) -> Tuple[str, List[str]]:
    """The list's path and its slice ids, sorted and without duplicates.

    Raises:
        FileNotFoundError: The list does not exist.
    """
    list_path = split_list if osp.isabs(split_list) else osp.join(
        data_root, split_list)
    if not osp.isfile(list_path):
        raise FileNotFoundError(f'Split list not found: {list_path!r}.')
    with open(list_path) as f:
        ids = sorted({line.strip() for line in f
                      if line.strip() and not line.startswith('#')})
    return list_path, ids


def slice_volumes(data_root: str,
                  split_list: str = 'train_slices.list',
                  slice_dir: str = 'data/slices',
                  suffix: str = '.h5') -> Iterator[Volume]:
    """The training volumes of a slice layout (SSL4MIS, converted NIfTI).

    Reads the ``'image'`` of every listed slice file, one volume at a time;
    never a label.

    Args:
        data_root (str): Dataset folder.
        split_list (str): Slice ids, relative to ``data_root`` or absolute.
            Defaults to 'train_slices.list'.
        slice_dir (str): Slice folder relative to ``data_root``. Defaults to
            'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.

    Yields:
        Volume: ``(volume id, slice numbers, (S, H, W) images)``, volumes in
        id order, slices by number.

    Raises:
        FileNotFoundError: Missing list or slice file.
        ValueError: An empty list, a slice id without a slice number, or
            slices of one volume with different shapes.
    """
    list_path, ids = _read_slice_ids(data_root, split_list)
    if not ids:
        raise ValueError(f'No slice ids in {list_path!r}.')
    per_volume: Dict[str, List[int]] = {}
    for sid in ids:
        vid, num = _slice_parts(sid)
        if num is None:
            raise ValueError(
                f'Slice id {sid!r} of {list_path!r} has no slice number '
                '(<volume>_slice_<n>): the ranking needs each slice\'s place '
                'in its volume.')
        per_volume.setdefault(vid, []).append(num)
    for vid in sorted(per_volume):
        nums = sorted(per_volume[vid])
        images = [read_slice(osp.join(data_root, slice_dir,
                                      f'{vid}_slice_{n}{suffix}'), 'image',
                             None) for n in nums]
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise ValueError(f'The slices of volume {vid!r} have different '
                             f'shapes {sorted(shapes)}.')
        yield vid, nums, np.stack(images).astype(np.float32)


def nifti_training_cases(src: str, layout: str = 'auto'
                         ) -> Dict[str, str]:
    """Training cases of a raw NIfTI folder: case id -> image path.

    The cases of ``train.list`` when there is one, else every case not in
    ``val.list`` / ``test.list`` (the split of ``tools/convert_nifti.py``).

    Args:
        src (str): A folder or nnU-Net layout folder
            (:func:`~elseg.datasets.converters.nifti_folder.find_cases`).
        layout (str): 'auto', 'folder' or 'nnunet'. Defaults to 'auto'.

    Returns:
        dict: case id -> image path (labels are not looked at).

    Raises:
        ValueError: A listed case without an image, or no training case.
    """
    _, cases = find_cases(src, layout)
    lists = {s: _read_list(osp.join(src, f'{s}.list'))
             for s in ('train', 'val', 'test')
             if osp.isfile(osp.join(src, f'{s}.list'))}
    if 'train' in lists:
        ids = lists['train']
    else:
        held = set(lists.get('val', [])) | set(lists.get('test', []))
        ids = [c for c in cases if c not in held]
    missing = [c for c in ids if c not in cases]
    if missing:
        raise ValueError(f'Training case(s) {missing} of {src!r} have no '
                         'image file.')
    if not ids:
        raise ValueError(f'No training case in {src!r}.')
    return {c: cases[c][0] for c in ids}


def nifti_volumes(cases: Dict[str, str]) -> Iterator[Volume]:
    """Axial slices of raw NIfTI images, as ``tools/convert_nifti.py`` cuts
    them (slice ``n`` = axial index ``n - 1``, inferior first), scaled to
    [0, 1] with the MRI percentile clip (any modality: the ranking compares
    slices, not intensities in physical units).

    Args:
        cases (dict): case id -> image path (:func:`nifti_training_cases`).

    Yields:
        Volume: ``(case id, numbers 1..S, (S, H, W) images)``.
    """
    for cid in sorted(cases):
        vol, _, _ = read_axial(cases[cid], 'image')
        yield cid, list(range(1, len(vol) + 1)), normalise(vol, 'MRI')


# ------------------------------------------------------------ viewers
def locate_in_sources(suggestions: Sequence[SliceScore],
                      sources: Callable[[str], Optional[Tuple[str, np.ndarray,
                                                              int]]]) -> None:
    """Fill each suggestion's ``source`` (file, axis, viewer numbers).

    Args:
        suggestions (Sequence[SliceScore]): Suggestions to fill.
        sources (callable): volume id -> ``(file, affine, n_slices)``, or
            None when the source file is unknown; then the file is
            ``<volume id>.nii.gz`` in file order (the SSL4MIS convention:
            slice ``n`` is voxel index ``n - 1`` of the file's third axis).
    """
    for s in suggestions:
        found = sources(s.volume_id)
        if found is None:
            s.source = dict(file=f'{s.volume_id}.nii.gz', axis='k',
                            itk_snap=s.number, slicer=s.number - 1,
                            assumed=True)
            continue
        path, affine, n = found
        s.source = dict(file=path, assumed=False,
                        **source_slice(affine, n, s.number - 1))


def converted_sources(data_root: str
                      ) -> Callable[[str], Optional[Tuple[str, np.ndarray,
                                                          int]]]:
    """Source lookup of a ``tools/convert_nifti.py`` folder (its
    ``dataset.json`` names each case's file; the affine is read from the
    file's header). Unknown or missing files give None."""
    with open(osp.join(data_root, 'dataset.json')) as f:
        cases = json.load(f).get('cases', {})

    def lookup(vid: str):
        info = cases.get(vid) or {}
        path = info.get('image')
        if not path or not osp.isfile(path):
            return None
        return nifti_source(path)

    return lookup


def nifti_source(path: str) -> Tuple[str, np.ndarray, int]:
    """``(path, affine, number of axial slices)`` of a NIfTI file, from its
    header (the voxels are not read)."""
    import nibabel as nib
    import nibabel.orientations as nio
    img = nib.load(path)
    axis = int(np.flatnonzero(nio.io_orientation(img.affine)[:, 0] == 2)[0])
    return path, img.affine, int(img.shape[axis])


# ------------------------------------------------------------ entry points
def detect_layout(data_root: str) -> str:
    """'converted' (dataset.json + slices), 'slices' (SSL4MIS: a
    ``train_slices.list``) or 'nifti' (a raw folder of NIfTI images).

    Raises:
        FileNotFoundError: ``data_root`` is not a folder.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'Data folder not found: {data_root!r}.')
    if osp.isfile(osp.join(data_root, 'train_slices.list')):
        return ('converted' if osp.isfile(osp.join(data_root, 'dataset.json'))
                else 'slices')
    return 'nifti'


def suggest_slices(data_root: str,
                   split_list: str = 'train_slices.list',
                   slice_dir: str = 'data/slices',
                   suffix: str = '.h5',
                   layout: str = 'auto',
                   descriptor_size: int = DESCRIPTOR_SIZE) -> List[SliceScore]:
    """The label-free ranking of a dataset's training slices.

    Args:
        data_root (str): A converted folder (``tools/convert_nifti.py``), an
            SSL4MIS-layout folder (ACDC) or a raw NIfTI folder ('folder' /
            'nnunet' layout, before any annotation).
        split_list (str): Slice layouts: the training slice ids. Defaults
            to 'train_slices.list'.
        slice_dir (str): Slice layouts: the slice folder. Defaults to
            'data/slices'.
        suffix (str): Slice layouts: '.h5' or '.npz'. Defaults to '.h5'.
        layout (str): 'auto' (:func:`detect_layout`), 'converted', 'slices'
            or 'nifti'. Defaults to 'auto'.
        descriptor_size (int): Thumbnail side. Defaults to 32.

    Returns:
        list[SliceScore]: Best first (:func:`rank_slices`), ``source`` filled
        with the scan file and the viewers' slice numbers.

    Raises:
        ValueError: Unknown layout or unusable data.
        FileNotFoundError: Missing folder, list or file.
    """
    layouts = ('auto', 'converted', 'slices', 'nifti')
    if layout not in layouts:
        raise ValueError(f'layout must be one of {layouts}, got {layout!r}.')
    if layout == 'auto':
        layout = detect_layout(data_root)
    if layout == 'nifti':
        cases = nifti_training_cases(data_root)
        ranked = rank_slices(nifti_volumes(cases), descriptor_size)

        def lookup(vid: str):
            return nifti_source(cases[vid])

        locate_in_sources(ranked, lookup)
        return ranked
    ranked = rank_slices(
        slice_volumes(data_root, split_list, slice_dir, suffix),
        descriptor_size)
    locate_in_sources(ranked, converted_sources(data_root) if layout ==
                      'converted' else (lambda vid: None))
    return ranked


def middle_third_slice(data_root: str,
                       seed: int = 0,
                       split_list: str = 'train_slices.list') -> str:
    """The label-free baseline a user might follow without a suggestion.

    A random training volume, then a random slice of the middle third of its
    slices (by slice number), both drawn with ``numpy.random.default_rng(
    seed)``. Reads only the slice list: no image, no label. Used as the
    rule ``'middle_third'`` to measure what the suggestion is worth against
    choosing by eye without labels.

    Args:
        data_root (str): Dataset folder.
        seed (int): Seed of the draws (>= 0).
        split_list (str): Slice ids, relative to ``data_root`` or absolute.

    Returns:
        str: The chosen slice id.

    Raises:
        FileNotFoundError: Missing list.
        ValueError: A negative seed, an empty list, or an id without a slice
            number.
    """
    return middle_third_slices(data_root, seed, split_list)[0]


def middle_third_slices(data_root: str,
                        seed: int = 0,
                        split_list: str = 'train_slices.list') -> List[str]:
    """One middle-third slice of every training volume, in drawn order.

    The first is :func:`middle_third_slice`'s choice; the same generator
    then orders the other volumes (a permutation) and draws a middle-third
    slice of each, so the list is fixed by ``seed``. Reads only the slice
    list.

    Args:
        data_root (str): Dataset folder.
        seed (int): Seed of the draws (>= 0).
        split_list (str): Slice ids, relative to ``data_root`` or absolute.

    Returns:
        list[str]: One slice id per volume.

    Raises:
        FileNotFoundError: Missing list.
        ValueError: A negative seed, an empty list, or an id without a slice
            number.
    """
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}.')
    list_path, ids = _read_slice_ids(data_root, split_list)
    per_volume: Dict[str, List[Tuple[int, str]]] = {}
    for sid in ids:
        vid, num = _slice_parts(sid)
        if num is None:
            raise ValueError(f'Slice id {sid!r} of {list_path!r} has no slice '
                             'number (<volume>_slice_<n>).')
        per_volume.setdefault(vid, []).append((num, sid))
    if not per_volume:
        raise ValueError(f'No slice ids in {list_path!r}.')
    rng = np.random.default_rng(seed)
    vids = sorted(per_volume)

    def middle(vid: str) -> str:
        slices = sorted(per_volume[vid])
        n = len(slices)
        lo, hi = n // 3, max(n // 3 + 1, (2 * n + 2) // 3)  # [lo, hi)
        return slices[int(rng.integers(lo, hi))][1]

    first = vids[int(rng.integers(len(vids)))]
    out = [middle(first)]
    out += [middle(vids[int(i)]) for i in rng.permutation(len(vids))
            if vids[int(i)] != first]
    return out


def suggested_slice(data_root: str,
                    seed: int = 0,
                    split_list: str = 'train_slices.list',
                    slice_dir: str = 'data/slices',
                    suffix: str = '.h5') -> str:
    """The ``seed``-th suggestion's slice id (the exemplar rule
    ``'suggested'``), from the images of a slice layout only.

    Args:
        data_root (str): Dataset folder (slice layout).
        seed (int): Which suggestion (0 the best); wraps around the
            candidates. Defaults to 0.
        split_list (str): Candidate slice ids. Defaults to
            'train_slices.list'.
        slice_dir (str): Slice folder. Defaults to 'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.

    Returns:
        str: The slice id.

    Raises:
        ValueError: ``seed`` < 0 or unusable data.
    """
    return suggested_slices(data_root, seed, split_list, slice_dir,
                            suffix)[0]


def suggested_slices(data_root: str,
                     seed: int = 0,
                     split_list: str = 'train_slices.list',
                     slice_dir: str = 'data/slices',
                     suffix: str = '.h5') -> List[str]:
    """Every suggestion's slice id from the ``seed``-th on, wrapping around.

    Args:
        data_root (str): Dataset folder (slice layout).
        seed (int): The first suggestion (0 the best). Defaults to 0.
        split_list (str): Candidate slice ids. Defaults to
            'train_slices.list'.
        slice_dir (str): Slice folder. Defaults to 'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.

    Returns:
        list[str]: The ranking rotated to start at suggestion ``seed``.

    Raises:
        ValueError: ``seed`` < 0 or unusable data.
    """
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}.')
    ranked = suggestion_order(data_root, split_list, slice_dir, suffix)
    start = seed % len(ranked)
    return ranked[start:] + ranked[:start]


def suggestion_order(data_root: str,
                     split_list: str = 'train_slices.list',
                     slice_dir: str = 'data/slices',
                     suffix: str = '.h5') -> List[str]:
    """The slice ids of the label-free ranking of a slice layout, best
    first (:func:`rank_slices` on :func:`slice_volumes`; images only).

    Args:
        data_root (str): Dataset folder (slice layout).
        split_list (str): Candidate slice ids. Defaults to
            'train_slices.list'.
        slice_dir (str): Slice folder. Defaults to 'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.

    Returns:
        list[str]: The candidates' slice ids, best first.

    Raises:
        ValueError: Unusable data.
    """
    return [s.slice_id for s in rank_slices(
        slice_volumes(data_root, split_list, slice_dir, suffix))]


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
                      suffix: str = '.h5') -> Dict[str, List[int]]:
    """DIAGNOSTIC ONLY, READS LABELS: the classes each slice's label lacks.

    For benchmark data with hidden labels, after the ranking is made: does
    each suggested slice show every class? Never called by the ranking.

    Args:
        data_root (str): Slice-layout folder with labels.
        slice_ids (Sequence[str]): Suggested slice ids.
        num_classes (int): Classes including background.
        slice_dir (str): Slice folder. Defaults to 'data/slices'.
        suffix (str): '.h5' or '.npz'. Defaults to '.h5'.

    Returns:
        dict: slice id -> missing foreground classes (empty: all shown).

    Raises:
        ValueError: ``num_classes`` < 2.
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    out = {}
    for sid in slice_ids:
        label = read_slice(osp.join(data_root, slice_dir, sid + suffix),
                           'label', None)
        present = set(np.unique(label).tolist())
        out[sid] = [c for c in range(1, num_classes) if c not in present]
    return out


__all__ = [
    'SliceScore', 'candidate_mask', 'check_suggestions', 'covered_extent',
    'detect_layout', 'nifti_training_cases', 'nifti_volumes',
    'order_by_volume', 'percentile_ranks', 'rank_slices', 'slice_volumes',
    'suggest_slices', 'suggested_slice', 'suggested_slices', 'thumbnails',
    'tissue_fractions', 'middle_third_slice', 'middle_third_slices',
    'write_sheet'
]
