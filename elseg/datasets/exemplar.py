"""Choosing the labelled slice (the exemplar) of exemplar learning, or several.

Label-reading note: choosing the exemplar simulates an annotator who browses
the unlabelled slices and picks one that shows every structure, then labels
it. To simulate that choice the labels of the candidate slices are read here,
only to check which classes a slice shows (and their areas); they are never
returned, cached or passed to training. Only the chosen slice ids leave this
module, and training reads the labels of those slices only.

Several labelled slices (``num=K`` of :func:`select_exemplars`, the
``exemplar=dict(rule=..., seed=..., num=K, spread=...)`` of a config): with
``spread='patients'`` the rule's choices of K different patients (each shows
every class); with ``spread='volume'`` the rule's slice and its K-1 nearest
slices of the same volume (``n+1, n-1, n+2, ...``; these need not show every
class, and their labels are not read to choose them).

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

from elseg.utils.labels import class_counts

from .exemplar_file import (read_exemplar_file, read_exemplar_ids,
                            write_exemplar_file)
from .exemplar_propagation import FRAME_PATTERN
from .medical_slice_dataset import MedicalSliceDataset
from .slice_suggestion import (middle_third_slices, read_split_ids,
                               suggested_slices, suggestion_order)
from .transforms.load_medical_slice import read_slice

RULES = ('random', 'central', 'largest_area', 'representative', 'suggested',
         'suggested_checked', 'middle_third')
#: Where the extra labelled slices of ``num > 1`` come from.
SPREADS = ('patients', 'volume')


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
            'representative', 'suggested' or 'middle_third' (label-free;
            ignore ``num_classes`` and ``min_pixels``), 'suggested_checked'
            (label-free ranking, labels read to skip slices lacking a
            class).
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
    return exemplar_order(data_root, split_list, rule, seed, num_classes,
                          slice_dir, suffix, min_pixels)[0]


def exemplar_order(data_root: str,
                   split_list: str = 'train_slices.list',
                   rule: str = 'random',
                   seed: int = 0,
                   num_classes: int = 4,
                   slice_dir: str = 'data/slices',
                   suffix: str = '.h5',
                   min_pixels: int = 1) -> List[str]:
    """A rule's candidate slices in its order of preference.

    The first is :func:`select_exemplar`'s choice (same arguments); the
    order after it is fixed by the rule and ``seed``:

    * ``'random'``, ``'central'``: the rule's pool (all-class slices; for
      ``'central'`` those in the middle third, else all) in a permutation
      drawn by the same generator after the first choice;
    * ``'largest_area'``: by decreasing smallest class fraction;
    * ``'representative'``: the best third's fixed shuffled order from
      position ``seed`` on (wrapping), then the other volumes' best slices by
      decreasing score: one slice per volume;
    * ``'suggested'``: the suggestion ranking from suggestion ``seed`` on;
    * ``'suggested_checked'``: the all-class suggestions (each volume's
      first, then the others, in ranking order) from the ``seed``-th on;
    * ``'middle_third'``: one middle-third slice per volume
      (:func:`~.slice_suggestion.middle_third_slices`).

    Args:
        data_root, split_list, rule, seed, num_classes, slice_dir, suffix,
            min_pixels: As :func:`select_exemplar`.

    Returns:
        list[str]: Distinct slice ids, the rule's choice first.

    Raises:
        ValueError: As :func:`select_exemplar`.
        FileNotFoundError: Missing list or slice file.
    """
    if rule not in RULES:
        raise ValueError(f'rule must be one of {RULES}, got {rule!r}.')
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    if min_pixels < 1:
        raise ValueError(f'min_pixels must be >= 1, got {min_pixels}.')
    if rule == 'suggested':
        return suggested_slices(data_root, seed, split_list, slice_dir, suffix)
    if rule == 'middle_third':
        return middle_third_slices(data_root, seed, split_list)
    list_path, ids = read_split_ids(data_root, split_list)
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
        counts = class_counts(label, num_classes)
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
        first_ids = set(firsts.values())
        order = list(firsts.values()) + [
            sid for sid in order if sid not in first_ids]
        start = seed % len(order)
        return order[start:] + order[:start]
    if rule == 'largest_area':
        return [c[0] for c in sorted(candidates, key=lambda c: (c[1], c[0]),
                                     reverse=True)]
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
        order = [best[int(i)] for i in
                 np.random.default_rng(0).permutation(len(best))]
        start = seed % len(best)
        return order[start:] + order[:start] + [sid for _, sid in
                                                ranked[keep:]]
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
    first = int(rng.integers(len(candidates)))
    return [candidates[first][0]] + [
        candidates[int(i)][0] for i in rng.permutation(len(candidates))
        if int(i) != first]


def patient_of(slice_id: str) -> str:
    """The patient (subject) of a slice id: its volume id, without the
    ``_frame<nn>`` of a cardiac frame (``'p1_frame01_slice_3'`` -> ``'p1'``).
    """
    vid = _slice_parts(slice_id)[0]
    m = FRAME_PATTERN.match(vid)
    return m.group('subject') if m else vid


def nearest_slices(slice_ids: Sequence[str], first: str,
                   count: int) -> List[str]:
    """The ``count`` slices of ``first``'s volume nearest to it.

    Slice numbers ``n+1, n-1, n+2, n-2, ...`` of ``first`` = ``<volume>_slice_
    <n>``, skipping numbers that ``slice_ids`` lacks.

    Args:
        slice_ids (Sequence[str]): The candidate slice ids (a training list).
        first (str): The first labelled slice.
        count (int): How many neighbours.

    Returns:
        list[str]: ``count`` slice ids, nearest first.

    Raises:
        ValueError: ``first`` has no slice number, or its volume has fewer
            than ``count`` other slices in ``slice_ids``.
    """
    vid, number = _slice_parts(first)
    if number is None:
        raise ValueError(
            f"spread='volume' needs slice ids <volume>_slice_<n>, got the "
            f"exemplar {first!r}; use spread='patients'.")
    own: Dict[int, str] = {}  # slice number -> id, the other slices
    for sid in slice_ids:
        v, n = _slice_parts(sid)
        if v == vid and n is not None and n != number:
            own[n] = sid
    if len(own) < count:
        raise ValueError(
            f"exemplar num={count + 1} with spread='volume': the volume "
            f'{vid!r} of the first slice {first!r} has only {len(own) + 1} '
            f'training slice(s). Lower num to at most {len(own) + 1}, or use '
            "spread='patients'.")
    reach = max(abs(n - number) for n in own)
    order = [number + s * d for d in range(1, reach + 1) for s in (1, -1)]
    return [own[n] for n in order if n in own][:count]


def select_exemplars(data_root: str,
                     split_list: str = 'train_slices.list',
                     rule: str = 'random',
                     seed: int = 0,
                     num_classes: int = 4,
                     slice_dir: str = 'data/slices',
                     suffix: str = '.h5',
                     min_pixels: int = 1,
                     num: int = 1,
                     spread: str = 'patients') -> List[str]:
    """Choose ``num`` labelled slices: the exemplar, then ``num - 1`` more.

    * ``spread='patients'`` (default): the first slice of each new patient
      (:func:`patient_of`) in the rule's order (:func:`exemplar_order`), so
      every slice is one the rule could choose (all-class for the labelled
      rules) and no two share a patient (ACDC: nor its two frames).
    * ``spread='volume'``: the rule's slice, then its nearest slices in the
      same volume (:func:`nearest_slices`); these need not show every class.
      Chosen from the slice list only: no label beyond the rule's is read.

    ``num=1`` is exactly :func:`select_exemplar`.

    Args:
        data_root, split_list, rule, seed, num_classes, slice_dir, suffix,
            min_pixels: As :func:`select_exemplar`.
        num (int): How many labelled slices. Defaults to 1.
        spread (str): 'patients' or 'volume'. Defaults to 'patients'.

    Returns:
        list[str]: ``num`` distinct slice ids, the rule's choice first.

    Raises:
        ValueError: A ``num`` that is not an integer >= 1, an unknown
            ``spread``, too few patients or volume slices for ``num``, or
            as :func:`select_exemplar`.
        FileNotFoundError: Missing list or slice file.
    """
    check_num_spread(num, spread)
    kwargs = dict(data_root=data_root, split_list=split_list, rule=rule,
                  seed=seed, num_classes=num_classes, slice_dir=slice_dir,
                  suffix=suffix, min_pixels=min_pixels)
    if num == 1:
        return [select_exemplar(**kwargs)]
    if spread == 'volume':
        first = select_exemplar(**kwargs)
        ids = read_split_ids(data_root, split_list)[1]
        return [first] + nearest_slices(ids, first, num - 1)
    chosen: Dict[str, str] = {}  # patient -> slice id, in the rule's order
    for sid in exemplar_order(**kwargs):
        chosen.setdefault(patient_of(sid), sid)
        if len(chosen) == num:
            return list(chosen.values())
    raise ValueError(
        f"exemplar num={num} with spread='patients': the rule {rule!r} offers "
        f'slices of only {len(chosen)} patient(s) ({sorted(chosen)}). Lower '
        "num, use spread='volume', or another rule.")


def check_num_spread(num, spread) -> None:
    """Check the ``num`` and ``spread`` of an exemplar setting.

    Raises:
        ValueError: ``num`` is not an integer >= 1, or ``spread`` is not one
            of :data:`SPREADS`.
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) \
            or num < 1:
        raise ValueError(
            f'exemplar num must be an integer >= 1 (the number of labelled '
            f'slices), got {num!r}; use num=1 for the single exemplar.')
    if spread not in SPREADS:
        raise ValueError(f'exemplar spread must be one of {SPREADS}, got '
                         f'{spread!r}.')


def exemplar_ids(exemplar, dataset=None,
                 num_classes: Optional[int] = None) -> List[str]:
    """The labelled slice ids an ``exemplar`` setting names, the exemplar
    first.

    Args:
        exemplar (str | Sequence[str] | dict): A slice id, a list of slice
            ids, ``dict(file=path)`` (:func:`read_exemplar_ids`) or
            ``dict(rule=..., seed=..., num=..., spread=...)``
            (:func:`select_exemplars`).
        dataset: The wrapped slice dataset (see
            :func:`exemplar_selection_kwargs`); only a rule needs it.
        num_classes (int, optional): As :func:`exemplar_selection_kwargs`.

    Returns:
        list[str]: Distinct slice ids.

    Raises:
        ValueError: An empty list or one with a repeated id, a ``num`` or
            ``spread`` beside ``file`` that the file contradicts, or as
            :func:`select_exemplars`.
    """
    if isinstance(exemplar, dict):
        if 'file' not in exemplar:
            return select_exemplars(**exemplar_selection_kwargs(
                exemplar, dataset, num_classes))
        ids = read_exemplar_ids(exemplar['file'])
        if 'spread' in exemplar or exemplar.get('num', len(ids)) != len(ids):
            raise ValueError(
                f'exemplar {dict(exemplar)!r}: the file {exemplar["file"]!r} '
                f'lists {len(ids)} labelled slice(s) {ids}; drop num and '
                'spread beside file (they apply to a rule).')
        return ids
    if isinstance(exemplar, (list, tuple)):
        ids = [str(i) for i in exemplar]
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(
                f'exemplar {list(exemplar)!r} must list distinct slice ids, '
                'at least one (the first is the exemplar that shows every '
                'class).')
        return ids
    return [str(exemplar)]


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
    'RULES', 'SPREADS', 'check_num_spread', 'exemplar_ids', 'exemplar_order',
    'nearest_slices', 'patient_of', 'read_exemplar_file', 'read_exemplar_ids',
    'select_exemplar', 'select_exemplars', 'write_exemplar_file'
]
