"""Which slice to annotate: the suggestion from a dataset's data layout.

Reads the training volumes of a converted folder (``tools/convert_nifti.py``),
an SSL4MIS slice layout (ACDC, Synapse npz) or a raw NIfTI folder, ranks
their slices with the label-free ranking of :mod:`.slice_ranking`, and tells
where each suggestion lies in its scan file (ITK-SNAP and 3D Slicer slice
numbers). It reads the ``'image'`` of each training slice and never opens a
label; the PNG sheet and the label-reading diagnostic are in
:mod:`.suggestion_sheet`. Also the label-free baseline ``'middle_third'``
(:func:`middle_third_slice`), which reads the slice list only. See
docs/slice_suggestion.md.
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from elseg.utils.io import check_data_root
from elseg.utils.volume import normalise, read_axial, source_slice

from .converters.nifti_folder import _read_list, find_cases
from .medical_slice_dataset import MedicalSliceDataset
from .slice_ranking import DESCRIPTOR_SIZE, SliceScore, Volume, rank_slices
from .transforms.load_medical_slice import read_slice


# ------------------------------------------------------------ the layouts
def _slice_parts(slice_id: str) -> Tuple[str, Optional[int]]:
    return (MedicalSliceDataset.volume_id_of(slice_id),
            MedicalSliceDataset.slice_number_of(slice_id))


def read_split_ids(data_root: str, split_list: str) -> Tuple[str, List[str]]:
    """A split list's path and its slice ids, sorted and without duplicates.

    Blank lines and lines starting with ``#`` are skipped. The one reader of
    slice lists for the exemplar rules and the slice suggestion.

    Args:
        data_root (str): Dataset folder.
        split_list (str): The list, relative to ``data_root`` or absolute.

    Returns:
        tuple: The list's path and its ids.

    Raises:
        FileNotFoundError: The list (or ``data_root``) does not exist.
        ValueError: The list holds no id.
    """
    list_path = split_list if osp.isabs(split_list) else osp.join(
        data_root, split_list)
    if not osp.isfile(list_path):
        if not osp.isabs(split_list):
            check_data_root(data_root)
        raise FileNotFoundError(f'Split list not found: {list_path!r}.')
    ids = sorted(set(_read_list(list_path)))
    if not ids:
        raise ValueError(f'No slice ids in {list_path!r}.')
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
    list_path, ids = read_split_ids(data_root, split_list)
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
    list_path, ids = read_split_ids(data_root, split_list)
    per_volume: Dict[str, List[Tuple[int, str]]] = {}
    for sid in ids:
        vid, num = _slice_parts(sid)
        if num is None:
            raise ValueError(f'Slice id {sid!r} of {list_path!r} has no slice '
                             'number (<volume>_slice_<n>).')
        per_volume.setdefault(vid, []).append((num, sid))
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



__all__ = [
    'converted_sources', 'detect_layout', 'locate_in_sources',
    'middle_third_slice', 'middle_third_slices', 'nifti_source',
    'nifti_training_cases', 'nifti_volumes', 'slice_volumes',
    'suggest_slices', 'suggested_slice', 'suggested_slices',
    'suggestion_order'
]
