"""Systole-like cavity contraction of a label map and its image."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from .exemplar_synthesis import _check_range


def _check_cavity(cfg: Dict, name: str, min_wall: int) -> Dict:
    """Validate one ``cavity``/``wall``/``keep_range`` triple.

    Args:
        cfg (dict): ``cavity`` and ``wall`` class ids, optional
            ``keep_range``.
        name (str): how the error messages name ``cfg``.
        min_wall (int): the smallest allowed ``wall`` id (1: an organ, 0:
            background allowed).

    Returns:
        dict: ``cavity`` and ``wall`` as ints, ``keep_range`` as floats.

    Raises:
        ValueError: on a missing or unknown key, a cavity that is not an organ
            id, a wall below ``min_wall`` or equal to the cavity, or a
            ``keep_range`` outside [0, 1].
    """
    keys = {'cavity', 'wall', 'keep_range'}
    if set(cfg) - keys or 'cavity' not in cfg or 'wall' not in cfg:
        raise ValueError(f'{name} needs keys cavity and wall (class ids) and '
                         f'optionally keep_range; got {cfg!r}')
    cavity, wall = int(cfg['cavity']), int(cfg['wall'])
    if cavity <= 0 or wall < min_wall or cavity == wall:
        raise ValueError(
            f'{name}: cavity must be an organ class id and wall another '
            f'class id (>= {min_wall}), got {cavity}, {wall}')
    keep = _check_range(f'{name}.keep_range',
                        cfg.get('keep_range', (0.3, 1.0)), 0.0)
    if keep[1] > 1.0:
        raise ValueError(f'{name}.keep_range must lie in [0, 1], got {keep}')
    return dict(cavity=cavity, wall=wall, keep_range=keep)


def contract_cavity(img: np.ndarray, seg: np.ndarray, cavity: int, wall: int,
                    keep: float) -> Tuple[np.ndarray, np.ndarray]:
    """Peel the outer rim of a cavity class into its wall class.

    The cavity keeps its innermost ``round(keep * n)`` of its ``n`` pixels,
    ranked by the Euclidean distance to the nearest non-cavity pixel (ties
    in raster order); the others take the ``wall`` label. With an organ
    wall (``wall > 0``) they also take the wall's median intensity; with
    ``wall=0`` they become background and keep their intensity.

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image.
        seg (np.ndarray): uint8 ``(H, W)`` label map.
        cavity (int): class id of the cavity.
        wall (int): class id the peeled rim takes (0: background).
        keep (float): fraction of the cavity pixels kept, in [0, 1].

    Returns:
        tuple[np.ndarray, np.ndarray]: the new ``(img, seg)``, copies; the
        inputs themselves when ``seg`` lacks the cavity or, for an organ
        wall, the wall.
    """
    inside = seg == cavity
    wall_mask = seg == wall
    n = int(inside.sum())
    if n == 0 or (wall > 0 and not wall_mask.any()):
        return img, seg
    dist = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
    n_keep = int(round(keep * n))
    order = np.argsort(-dist[inside], kind='stable')  # innermost first
    peel = np.zeros(n, dtype=bool)
    peel[order[n_keep:]] = True
    ys, xs = np.nonzero(inside)
    img, seg = img.copy(), seg.copy()
    seg[ys[peel], xs[peel]] = wall
    if wall > 0:
        img[ys[peel], xs[peel]] = np.median(img[wall_mask], axis=0)
    return img, seg


@TRANSFORMS.register_module()
class CavityContraction(BaseTransform):
    """Contract a cavity class into its wall, as the heart does in systole.

    Not in the ELNet paper. It simulates the end-systolic heart from an
    end-diastolic exemplar (or a more contracted one from any phase): in
    systole the ventricular cavity empties and the myocardium thickens
    inward, so the cavity's area shrinks by the ejected fraction while the
    outer contour of the wall stays nearly in place. With probability
    ``prob`` the ``cavity`` class (ACDC: LV = 3) keeps only its innermost
    fraction ``keep ~ U(keep_range)`` of pixels (ranked by the distance to
    its border, see :func:`contract_cavity`), and the peeled rim becomes the
    ``wall`` class (ACDC: Myo = 2) with the wall's median intensity. The
    cavities in ``more`` contract in the same samples (the same cardiac
    phase), each with its own keep fraction; ``wall=0`` turns the peeled rim
    into background (ACDC: the RV, whose free wall is not labelled:
    ``dict(cavity=1, wall=0)``).

    Used standalone in a pipeline, or as a source transform of
    :class:`ExemplarSynthesis` (``source_transforms``), which applies it to
    the exemplar before cutting out the organs, so that a rim peeled to
    background is not pasted and the background image shows there.

    Randomness: ``apply``, then ``keep``, then one keep fraction per entry
    of ``more``, all from ``np.random`` in one ``@cache_randomness`` method
    and whether or not the sample contracts, so the draws of a pipeline do
    not depend on the label map.

    Required Keys:

    - img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image.
    - gt_seg_map (np.ndarray): uint8 ``(H, W)`` label map.

    Modified Keys:

    - img: peeled rim pixels take the wall's median intensity (organ walls).
    - gt_seg_map: peeled rim pixels take the wall id.

    Args:
        cavity (int): class id of the contracting cavity (> 0).
        wall (int): class id of its wall (> 0, not ``cavity``); the sample is
            left unchanged when the label map lacks it.
        prob (float): probability that a sample contracts. Defaults to 0.5.
        keep_range (tuple[float, float]): range of the kept fraction of the
            cavity, within [0, 1]. Defaults to (0.3, 1.0).
        more (dict | Sequence[dict], optional): further cavities that
            contract in the same samples, each a dict with ``cavity``,
            ``wall`` (0 allowed: background) and optional ``keep_range``
            (default (0.3, 1.0)); applied after the first, in order.
            Defaults to None (none).

    Raises:
        ValueError: on a cavity that is not an organ id, a wall equal to
            its cavity or below the allowed id, a cavity named twice, a
            malformed or out-of-[0, 1] ``keep_range``, ``prob`` outside
            [0, 1], or a ``more`` entry with a missing or unknown key.

    Example:
        >>> systole = CavityContraction(cavity=3, wall=2, prob=1.0,
        ...                             keep_range=(0.5, 0.5))
        >>> results = systole(dict(img=img, gt_seg_map=seg))
    """

    def __init__(self,
                 cavity: int,
                 wall: int,
                 prob: float = 0.5,
                 keep_range: Tuple[float, float] = (0.3, 1.0),
                 more: Optional[Union[Dict, Sequence[Dict]]] = None) -> None:
        main = _check_cavity(
            dict(cavity=cavity, wall=wall, keep_range=keep_range),
            'CavityContraction', 1)
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if isinstance(more, dict):
            more = [more]
        extra = [_check_cavity(dict(m), f'more[{i}]', 0)
                 for i, m in enumerate(more or [])]
        cavities = [main['cavity']] + [m['cavity'] for m in extra]
        if len(set(cavities)) != len(cavities):
            raise ValueError(f'each cavity once, got {cavities}')
        self.cavity = main['cavity']
        self.wall = main['wall']
        self.prob = float(prob)
        self.keep_range = main['keep_range']
        self.more: List[Dict] = extra

    @cache_randomness
    def _sample_params(self) -> Dict:
        """Draw ``apply``, ``keep`` and the ``more`` keep fractions.

        Returns:
            dict: ``apply`` (bool), ``keep`` (float) and ``more`` (list of
            floats, one per entry of ``more``).
        """
        apply = bool(np.random.rand() < self.prob)
        keep = np.random.uniform(*self.keep_range)
        more = [np.random.uniform(*m['keep_range']) for m in self.more]
        return dict(apply=apply, keep=keep, more=more)

    def transform(self, results: Dict) -> Dict:
        """Contract the cavities of ``gt_seg_map`` (with probability ``prob``).

        Args:
            results (dict): holds ``img`` and ``gt_seg_map``.

        Returns:
            dict: ``results`` with the new ``img`` and ``gt_seg_map`` (the
            input arrays are not modified in place).

        Raises:
            KeyError: if ``img`` or ``gt_seg_map`` is missing.
            ValueError: if they do not share their height and width.
        """
        img, seg = results['img'], results['gt_seg_map']
        if img.shape[:2] != seg.shape[:2]:
            raise ValueError('img and gt_seg_map must share height and width,'
                             f' got {img.shape} and {seg.shape}')
        p = self._sample_params()
        if not p['apply']:
            return results
        img, seg = contract_cavity(img, seg, self.cavity, self.wall, p['keep'])
        for cfg, keep in zip(self.more, p['more']):
            img, seg = contract_cavity(img, seg, cfg['cavity'], cfg['wall'],
                                       keep)
        results['img'], results['gt_seg_map'] = img, seg
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(cavity={self.cavity}, '
                f'wall={self.wall}, prob={self.prob}, '
                f'keep_range={self.keep_range}, more={self.more!r})')
