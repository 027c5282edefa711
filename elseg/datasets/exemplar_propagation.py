"""Exemplar propagation: the exemplar's label carried through its own scan.

Which slices of a training set the exemplar's label reaches (its neighbours
``+-1 .. +-k`` in its volume, chained, and the same slice position in the
subject's other frames, e.g. ACDC's ED ``frame01`` <-> ES ``frame12``), the
propagation itself (images only: :func:`elseg.registration.propagate_label`)
and a DIAGNOSTIC score of the result against the true labels, never used
for training.
"""
from __future__ import annotations

import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from elseg.registration.propagation import neighbour_chains, propagate_label

#: ``<subject>_frame<nn>``: the volume ids of one subject's cardiac frames.
FRAME_PATTERN = re.compile(r'^(?P<subject>.+)_frame(?P<frame>\d+)$')
_SLICE_PATTERN = re.compile(r'^(?P<volume>.+?)_slice_?(?P<num>\d+)$')


def slice_id_of(info: dict) -> str:
    """The slice id of a data_info (its ``slice_id`` key or file name)."""
    sid = info.get('slice_id')
    return sid if sid is not None else osp.splitext(
        osp.basename(info['img_path']))[0]


def _split(slice_id: str) -> Optional[Tuple[str, int]]:
    m = _SLICE_PATTERN.match(slice_id)
    return (m.group('volume'), int(m.group('num'))) if m else None


def propagation_chains(slice_ids: Sequence[str], exemplar_id: str,
                       neighbours: int = 2,
                       other_frames: bool = True) -> List[List[str]]:
    """Chains of slice ids the exemplar's label is propagated along.

    * neighbours: ``<vol>_slice_<s+1> .. <s+k>`` and ``<s-1> .. <s-k>`` of
      the exemplar's volume ``<vol>_slice_<s>``, each chain cut at the first
      id missing from ``slice_ids`` (chained: ``s+2`` is reached from
      ``s+1``);
    * other frames: when the volume id is ``<subject>_frame<nn>``, the slice
      ``<subject>_frame<mm>_slice_<s>`` of every other frame ``mm`` present,
      each a chain of one (registered from the exemplar).

    Args:
        slice_ids (Sequence[str]): The training set's slice ids.
        exemplar_id (str): The exemplar's slice id.
        neighbours (int): ``k``; 0 reaches no neighbour. Defaults to 2.
        other_frames (bool): Reach the other frames. Defaults to True.

    Returns:
        list[list[str]]: Non-empty chains: upward neighbours, downward
        neighbours, then the other frames in id order.

    Raises:
        ValueError: When ``exemplar_id`` is not ``<volume>_slice_<n>``, or
            ``neighbours`` is not an integer >= 0.
    """
    parts = _split(exemplar_id)
    if parts is None:
        raise ValueError(f'exemplar id {exemplar_id!r} is not of the form '
                         '<volume>_slice_<n>: its neighbours are unknown.')
    volume, number = parts
    by_volume: Dict[str, Dict[int, str]] = {}
    for sid in slice_ids:
        p = _split(sid)
        if p is not None:
            by_volume.setdefault(p[0], {})[p[1]] = sid
    own = by_volume.get(volume, {})
    chains = [[own[n] for n in chain]
              for chain in neighbour_chains(list(own), number, neighbours)]
    m = FRAME_PATTERN.match(volume)
    if other_frames and m:
        prefix = m.group('subject') + '_frame'
        for vol in sorted(by_volume):
            if vol != volume and vol.startswith(prefix) and FRAME_PATTERN.match(
                    vol).group('subject') == m.group('subject') \
                    and number in by_volume[vol]:
                chains.append([by_volume[vol][number]])
    return chains


def propagate_exemplar(infos: Sequence[dict], exemplar_id: str,
                       exemplar_img: np.ndarray, exemplar_label: np.ndarray,
                       load_image: Callable[[dict], np.ndarray],
                       neighbours: int = 2,
                       other_frames: bool = True,
                       num_classes: Optional[int] = None,
                       registration: Optional[dict] = None,
                       max_folding: float = 0.02) -> dict:
    """Propagate the exemplar's label to its neighbours and other frames.

    Reads the images of the reached slices only (through ``load_image``);
    the exemplar's label is the only label used.

    Args:
        infos (Sequence[dict]): data_infos of the unlabelled training slices.
        exemplar_id (str): The exemplar's slice id.
        exemplar_img (np.ndarray): ``(H, W)`` exemplar image at the training
            scale.
        exemplar_label (np.ndarray): ``(H, W)`` its label, same scale.
        load_image (Callable): data_info -> ``(H, W)`` float32 image at the
            training scale (never reads a label).
        neighbours (int): See :func:`propagation_chains`. Defaults to 2.
        other_frames (bool): See :func:`propagation_chains`. Defaults to
            True.
        num_classes (int, optional): Number of classes.
        registration (dict, optional): Keyword arguments of
            :func:`~elseg.registration.register_pair`.
        max_folding (float): See
            :func:`~elseg.registration.propagation.step_confidence`.

    Returns:
        dict: Slice id -> :class:`~elseg.registration.PropagatedLabel`
        (``key`` and ``source`` are slice ids).

    Raises:
        ValueError: See :func:`propagation_chains` and
            :func:`~elseg.registration.propagate_label`.
    """
    by_id = {slice_id_of(info): info for info in infos}
    chains = propagation_chains(list(by_id), exemplar_id, neighbours,
                                other_frames)
    images = {exemplar_id: np.asarray(exemplar_img, dtype=np.float32)}
    for chain in chains:
        for sid in chain:
            images[sid] = np.asarray(load_image(by_id[sid]), dtype=np.float32)
    return propagate_label(images, exemplar_id, exemplar_label, chains,
                           num_classes=num_classes, registration=registration,
                           max_folding=max_folding)


def _dice_per_class(pred: np.ndarray, true: np.ndarray,
                    num_classes: int) -> List[float]:
    out = []
    for c in range(1, num_classes):
        p, t = pred == c, true == c
        den = int(p.sum()) + int(t.sum())
        out.append(float('nan') if den == 0 else 2.0 * float((p & t).sum()) /
                   den)
    return out


def diagnostic_propagation_dice(propagated: dict, infos: Sequence[dict],
                                exemplar_label: np.ndarray,
                                num_classes: int,
                                load_label: Callable[[dict], np.ndarray]
                                ) -> Dict[str, dict]:
    """DIAGNOSTIC ONLY: Dice of each propagated label against the true one.

    Reads the true labels of the propagated slices, so it must never feed
    training (nothing in elseg's training path calls it); it tells how good
    the propagation is, next to the copy-the-exemplar-label baseline.

    Args:
        propagated (dict): Slice id -> ``PropagatedLabel`` (as
            :func:`propagate_exemplar` returns).
        infos (Sequence[dict]): data_infos holding those slices.
        exemplar_label (np.ndarray): ``(H, W)`` exemplar label (the copy
            baseline), at the propagated labels' scale.
        num_classes (int): Number of classes (background included).
        load_label (Callable): data_info -> ``(H, W)`` true label at the
            propagated labels' scale.

    Returns:
        dict: Slice id -> ``dict(dice=[per class 1..K-1], mean_dice,
        copy_dice=[...], copy_mean_dice, confidence, steps)``; a class
        absent from both maps scores NaN and is left out of the means.

    Raises:
        ValueError: When a propagated slice is not in ``infos``, or a true
            label's shape differs from the propagated label's.
    """
    by_id = {slice_id_of(info): info for info in infos}
    scores = {}
    for sid, prop in propagated.items():
        if sid not in by_id:
            raise ValueError(f'propagated slice {sid!r} is not in infos.')
        true = np.asarray(load_label(by_id[sid]))
        if true.shape != prop.label.shape:
            raise ValueError(f'true label of {sid!r} has shape {true.shape}, '
                             f'the propagated one {prop.label.shape}.')
        dice = _dice_per_class(prop.label, true, num_classes)
        copy_dice = _dice_per_class(np.asarray(exemplar_label), true,
                                    num_classes)
        scores[sid] = dict(
            dice=dice, mean_dice=float(np.nanmean(dice)) if not np.isnan(
                dice).all() else float('nan'),
            copy_dice=copy_dice,
            copy_mean_dice=float(np.nanmean(copy_dice)) if not np.isnan(
                copy_dice).all() else float('nan'),
            confidence=prop.confidence, steps=prop.steps)
    return scores


__all__ = [
    'FRAME_PATTERN', 'diagnostic_propagation_dice', 'propagate_exemplar',
    'propagation_chains', 'slice_id_of'
]
