"""SegRotFlip: the SSL4MIS rotation / flip augmentation with exact label maps."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from .exemplar_synthesis import check_flip_pairs, swap_pairs


IGNORE_INDEX = 255


@TRANSFORMS.register_module()
class SegRotFlip(BaseTransform):
    """Random rotation, or else a random 90-degree turn and flip.

    Follows the ``RandomGenerator`` of SSL4MIS (the ACDC / Synapse protocol of
    the ELNet paper): with probability ``rotate_prob`` the slice is rotated by
    an angle drawn from ``degree``; otherwise, with probability ``flip_prob``,
    it is turned by ``k * 90`` degrees (k in 0..3) and flipped along a random
    axis. Unlike mmseg 1.2.2's ``RandomRotFlip``, which rotates label maps with
    bilinear interpolation (a 0/2 border then reads 1, a 255 ignore region
    blends into any value), label maps are rotated with nearest-neighbour
    interpolation, so every label value after the transform was a value
    before it. Pixels rotated in from outside the slice are 0 in the image
    and ``seg_border`` in the label maps (ignore, 255, in a map that is
    entirely ignore: an unlabelled slice without pseudo label stays
    unlabelled).

    Required keys: ``img``, ``seg_fields`` and the maps they name.
    Modified keys: ``img`` and each map of ``seg_fields``.

    Args:
        rotate_prob (float): Probability of the free rotation.
        flip_prob (float): Probability of the 90-degree turn and flip when no
            rotation was drawn.
        degree (float | Sequence[float]): Angle range in degrees; a number
            ``d`` means ``(-d, d)``.
        seg_border (int): Label value of pixels rotated in from outside.
            Defaults to 0 (background, as the black image border).
        flip_pairs (Sequence[tuple[int, int]], optional): laterality, not in
            SSL4MIS: pairs of left/right class ids (CHAOS: kidneys 2 and 3)
            whose labels are swapped in every flipped sample (a flip is a
            mirror whatever the 90-degree turn, so it turns a left organ into
            one that looks like the right one). ``flip_prob=0`` keeps all
            sides instead (rotations only). None (default): labels kept.

    Raises:
        ValueError: A probability outside [0, 1] or an empty angle range.
    """

    def __init__(self,
                 rotate_prob: float = 0.5,
                 flip_prob: float = 0.5,
                 degree: float | Sequence[float] = (-20, 20),
                 seg_border: int = 0,
                 flip_pairs: Optional[Sequence[Tuple[int, int]]] = None
                 ) -> None:
        for name, p in (('rotate_prob', rotate_prob), ('flip_prob', flip_prob)):
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f'SegRotFlip: {name} must be in [0, 1], got '
                                 f'{p!r}.')
        if isinstance(degree, (int, float)):
            degree = (-abs(float(degree)), abs(float(degree)))
        if len(degree) != 2 or float(degree[0]) > float(degree[1]):
            raise ValueError(f'SegRotFlip: degree must be (low, high) with low '
                             f'<= high or one number, got {degree!r}.')
        self.rotate_prob = float(rotate_prob)
        self.flip_prob = float(flip_prob)
        self.degree: Tuple[float, float] = (float(degree[0]), float(degree[1]))
        self.seg_border = int(seg_border)
        self.flip_pairs = check_flip_pairs(flip_pairs)

    @cache_randomness
    def _draw(self) -> Tuple[str, float, int, int]:
        """('rotate', angle, 0, 0), ('flip', 0, k, axis) or ('none', 0, 0, 0)."""
        if np.random.rand() < self.rotate_prob:
            return 'rotate', float(np.random.uniform(*self.degree)), 0, 0
        if np.random.rand() < self.flip_prob:
            return 'flip', 0.0, int(np.random.randint(0, 4)), int(
                np.random.randint(0, 2))
        return 'none', 0.0, 0, 0

    def transform(self, results: dict) -> dict:
        """Rotate or turn-and-flip ``img`` and every map of ``seg_fields``."""
        op, angle, k, axis = self._draw()
        keys = list(results.get('seg_fields', []))
        if op == 'rotate':
            results['img'] = mmcv.imrotate(results['img'], angle,
                                           interpolation='bilinear')
            for key in keys:
                # a map that is entirely ignore (an unlabelled slice without
                # pseudo label) stays so: nothing is known outside it either
                unknown = bool((results[key] == IGNORE_INDEX).all())
                results[key] = mmcv.imrotate(
                    results[key], angle,
                    border_value=IGNORE_INDEX if unknown else self.seg_border,
                    interpolation='nearest')
        elif op == 'flip':
            for key in ['img'] + keys:
                results[key] = np.ascontiguousarray(
                    np.flip(np.rot90(results[key], k), axis=axis))
            if self.flip_pairs:
                for key in keys:
                    results[key] = swap_pairs(results[key], self.flip_pairs)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rotate_prob={self.rotate_prob}, '
                f'flip_prob={self.flip_prob}, degree={self.degree}, '
                f'seg_border={self.seg_border}, '
                f'flip_pairs={self.flip_pairs})')
