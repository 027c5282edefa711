"""Choosing the single labelled slice (the exemplar) of exemplar learning.

Label-reading note: choosing the exemplar simulates an annotator who browses
the unlabelled slices and picks one that shows every structure, then labels
it. To simulate that choice the labels of the candidate slices are read here,
only to check which classes a slice shows (and their areas); they are never
returned, cached or passed to training. Only the chosen slice id leaves this
module, and training reads the label of that one slice only.

Rules:

* ``'random'`` (ELNet paper, arXiv 2204.01713): a slice drawn uniformly
  (seeded) among the slices whose label contains every class.
* ``'central'``: as ``'random'``, but restricted to slices in the middle
  third of their volume (mid-ventricular level in ACDC short-axis stacks).
  Better because basal and apical all-class slices are atypical (partial
  volume at the base, a tiny RV/LV cavity at the apex); the middle slices look
  like most of the test slices, and an annotator asked to label "a slice with
  every structure" would pick one there. It keeps the seed's randomness, so
  results can still be averaged over exemplars.
* ``'largest_area'``: deterministic; the all-class slice whose smallest
  foreground class covers the largest fraction of the image (``max over
  slices of min over classes of the class's pixel count / slice size``; a
  fraction, because every slice is resized to the same network input). Better because exemplar synthesis (ESM) can only
  learn a class's appearance and shape from the pixels the exemplar has: a
  slice where one structure covers a few pixels teaches almost nothing about
  it. It ignores the seed.
* ``'representative'``: an all-class slice on which every class is shown
  near its typical size: a slice scores the smallest, over classes, of the
  class's area on it divided by the class's largest area on any slice of the
  same volume; each volume offers its best-scoring slice, and the exemplar is
  one of the best-scoring third of those volumes' slices. Better for
  abdominal stacks (CHAOS, Synapse), where the slices that show every organ
  lie at the kidneys, and the central ones among them often cut the liver or
  spleen at its tip (CHAOS, ``docs/results/2026-11-30_chaos_cpu.md``). An
  annotator asked for a slice that shows every organ picks one where each
  organ is clearly visible; this rule simulates that from the labels' areas
  only (no evaluation result is used). Seed ``s`` takes the ``s``-th slice of a
  fixed shuffled order of that best third, so seeds 0, 1, 2 give exemplars
  from three different volumes (the other rules draw independently per
  seed, and may repeat a slice).
* ``'suggested'``: the ``seed``-th slice of the label-free ranking of
  :mod:`.slice_suggestion` (what ``tools/suggest_slices.py`` tells a user to
  annotate). It reads the candidates' images only, never a label; in a
  benchmark the suggested slice's label then stands in for the user's
  annotation (training checks that it shows every class).
* ``'suggested_checked'``: the ``seed``-th slice of the same label-free
  ranking among the suggestions that show every class (each volume's first
  such suggestion, in ranking order, then the others). It simulates the
  annotator who looks at the suggestion sheet and skips a suggested slice
  where a structure is missing (on abdominal stacks the suggestion can fall
  just below the spleen): the ranking still reads images only, and the
  candidates' labels are read, as by the labelled rules, only to check
  which classes a slice shows.
* ``'middle_third'``: label-free baseline, a random slice of the middle third
  of a random training volume (reads the slice list only): what a user
  without labels and without the suggestion might pick.
"""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from elseg.utils.io import check_data_root

from .exemplar_file import read_exemplar_file, write_exemplar_file
from .medical_slice_dataset import MedicalSliceDataset
from .slice_suggestion import (middle_third_slice, suggested_slice,
                               suggestion_order)
from .transforms.load_medical_slice import read_slice

RULES = ('random', 'central', 'largest_area', 'representative', 'suggested',
         'suggested_checked', 'middle_third')


def _slice_parts(slice_id: str) -> Tuple[str, Optional[int]]:
    return (MedicalSliceDataset.volume_id_of(slice_id),
            MedicalSliceDataset.slice_number_of(slice_id))


def _read_label(path: str) -> np.ndarray:
    return read_slice(path, 'label', None)


def select_exemplar(data_root: str,
                    split_list: str = 'train_slices.list',
                    rule: str = 'random',
                    seed: int = 0,
                    num_classes: int = 4,
                    slice_dir: str = 'data/slices',
                    suffix: str = '.h5',
                    min_pixels: int = 1) -> str:
    """Choose the exemplar slice id (see the module docstring for the rules).

    Args:
        data_root (str): Dataset folder (SSL4MIS layout by default).
        split_list (str): List of candidate slice ids, relative to
            ``data_root`` or absolute. Defaults to 'train_slices.list'.
        rule (str): 'random' (paper), 'central', 'largest_area',
            'representative', 'suggested' (label-free; ignores
            ``num_classes`` and ``min_pixels``), 'suggested_checked' or
            'middle_third' (label-free).
        seed (int): Seed of the random rules. Defaults to 0.
        num_classes (int): Classes including background; a candidate's label
            must contain all of 1..num_classes-1 (background is not required).
            Defaults to 4 (ACDC).
        slice_dir (str): Folder of slice files relative to ``data_root``.
            Defaults to 'data/slices' (ACDC); 'train_npz' for Synapse.
        suffix (str): Slice file suffix ('.h5' or '.npz'). Defaults to '.h5'.
        min_pixels (int): Pixels a class needs to count as present.
            Defaults to 1.

    Returns:
        str: The chosen slice id.

    Raises:
        ValueError: Unknown rule, bad num_classes/min_pixels, or no slice
            contains every class.
        FileNotFoundError: Missing list or slice file.
    """
    if rule not in RULES:
        raise ValueError(f'rule must be one of {RULES}, got {rule!r}.')
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    if min_pixels < 1:
        raise ValueError(f'min_pixels must be >= 1, got {min_pixels}.')
    if rule == 'suggested':
        return suggested_slice(data_root, seed, split_list, slice_dir, suffix)
    if rule == 'middle_third':
        return middle_third_slice(data_root, seed, split_list)
    list_path = split_list if osp.isabs(split_list) else osp.join(
        data_root, split_list)
    if not osp.isfile(list_path):
        if not osp.isabs(split_list):
            check_data_root(data_root)
        raise FileNotFoundError(f'Split list not found: {list_path!r}.')
    with open(list_path) as f:
        ids = sorted({line.strip() for line in f if line.strip()})
    if not ids:
        raise ValueError(f'No slice ids in {list_path!r}.')
    per_volume: Dict[str, List[int]] = {}
    for sid in ids:
        vid, num = _slice_parts(sid)
        if num is not None:
            per_volume.setdefault(vid, []).append(num)
    candidates: List[Tuple[str, float]] = []  # (id, smallest class fraction)
    areas: Dict[str, np.ndarray] = {}  # class pixel counts of the candidates
    largest: Dict[str, np.ndarray] = {}  # per volume, largest count per class
    for sid in ids:
        label = _read_label(osp.join(data_root, slice_dir, sid + suffix))
        counts = np.bincount(label.ravel().astype(np.int64),
                             minlength=num_classes)[1:num_classes]
        vid = _slice_parts(sid)[0]
        largest[vid] = np.maximum(largest.get(vid, 0), counts)
        if (counts >= min_pixels).all():
            candidates.append((sid, float(counts.min()) / label.size))
            areas[sid] = counts
    if not candidates:
        raise ValueError(
            f'No slice of {list_path!r} contains all {num_classes - 1} '
            f'foreground classes with >= {min_pixels} pixels; check '
            'num_classes and the labels.')
    if rule == 'suggested_checked':
        if seed < 0:
            raise ValueError(f'seed must be >= 0, got {seed}.')
        shows = {sid for sid, _ in candidates}
        order = [sid for sid in suggestion_order(data_root, split_list,
                                                 slice_dir, suffix)
                 if sid in shows]
        if not order:
            raise ValueError(
                f'No suggested slice of {list_path!r} shows all '
                f'{num_classes - 1} foreground classes; use the rule '
                "'representative' or choose the exemplar by hand.")
        # each volume's first all-class suggestion, then the rest
        firsts: Dict[str, str] = {}
        for sid in order:
            firsts.setdefault(_slice_parts(sid)[0], sid)
        order = list(firsts.values()) + [
            sid for sid in order if sid not in set(firsts.values())]
        return order[seed % len(order)]
    if rule == 'largest_area':
        return max(candidates, key=lambda c: (c[1], c[0]))[0]
    if rule == 'representative':
        best_of: Dict[str, Tuple[float, str]] = {}  # volume -> (score, id)
        for sid, _ in candidates:
            vid = _slice_parts(sid)[0]
            score = float((areas[sid] / largest[vid]).min())
            best_of[vid] = max(best_of.get(vid, (-1.0, '')), (score, sid))
        ranked = sorted(best_of.values(), reverse=True)
        keep = max(1, -(-len(ranked) // 3))  # the best third, rounded up
        best = sorted(sid for _, sid in ranked[:keep])
        # seeds 0..keep-1 take distinct slices of one fixed shuffled order
        order = np.random.default_rng(0).permutation(len(best))
        return best[int(order[seed % len(best)])]
    if rule == 'central':
        central = []
        for sid, _ in candidates:
            vid, num = _slice_parts(sid)
            nums = per_volume.get(vid)
            if num is None or not nums:
                continue
            lo, hi = min(nums), max(nums)
            pos = 0.5 if hi == lo else (num - lo) / (hi - lo)
            if 1 / 3 <= pos <= 2 / 3:
                central.append((sid, 0))
        candidates = central or candidates
    rng = np.random.default_rng(seed)
    return candidates[int(rng.integers(len(candidates)))][0]


def exemplar_selection_kwargs(exemplar: dict, dataset,
                               num_classes: Optional[int] = None) -> dict:
    """``select_exemplar`` arguments for an exemplar chosen by a rule.

    The one place that fills the rule's arguments from the dataset it picks
    from, used by ``ExemplarLearningDataset`` when it trains and by the
    benchmark when it reports which slice a run trained on: the rule must
    require every class of the dataset (not ACDC's four: on CHAOS the
    'central' rule then picked a slice without spleen) and read the
    dataset's own slice files and list.

    Args:
        exemplar (dict): The config's ``exemplar`` (``rule``, ``seed``...);
            its own keys win.
        dataset: The wrapped slice dataset (its ``data_root``, ``metainfo``
            classes, ``slice_dir``, ``slice_suffix``, ``split_list``); it
            may be built with ``lazy_init=True``.
        num_classes (int, optional): ``ExemplarLearningDataset``'s class
            count, used when the dataset names no classes.

    Returns:
        dict: Keyword arguments of :func:`select_exemplar`.
    """
    kwargs = dict(exemplar)
    kwargs.setdefault('data_root', dataset.data_root)
    names = dataset.metainfo.get('classes', ())
    if names or num_classes is not None:
        # the names first: a differing num_classes is reported by the dataset
        kwargs.setdefault('num_classes', len(names) or int(num_classes))
    for key, attr in (('slice_dir', 'slice_dir'), ('suffix', 'slice_suffix'),
                      ('split_list', 'split_list')):
        value = getattr(dataset, attr, None)
        if value is not None:
            kwargs.setdefault(key, value)
    return kwargs


__all__: Sequence[str] = [
    'RULES', 'read_exemplar_file', 'select_exemplar', 'write_exemplar_file'
]
