"""Whole-image scale and intensity jitter for the exemplar stream."""
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from .exemplar_synthesis import ExemplarSynthesis, _affine, _check_range


@TRANSFORMS.register_module()
class SegScaleIntensity(BaseTransform):
    """Random scale/aspect about the image centre plus ESM's intensity jitter.

    Gives the exemplar stream the same kinds of transforms that ESM
    (:class:`ExemplarSynthesis`, ELNet Sec. 3.1) applies to the synthetic
    organs (scale, aspect; gamma, contrast, brightness, blur, noise), with
    the same default ranges, while the organs keep their real surroundings.
    Not in the paper, whose exemplar stream is only rotated and flipped.

    The image is warped bilinearly, the label with nearest neighbour (label
    values are never blended), both with the same border mode, so image and
    label stay aligned; the result is clipped to ``clip_range``.

    Required Keys:

    - img (np.ndarray): float32 ``(H, W)``.
    - gt_seg_map (np.ndarray): uint8 ``(H, W)``.

    Modified Keys:

    - img, gt_seg_map

    Args:
        prob (float): Probability of transforming a sample. Defaults to 0.5.
        scale_range (tuple[float, float]): Isotropic scale. Defaults to
            (0.7, 1.4) (ESM's).
        aspect_range (tuple[float, float]): x/y aspect. Defaults to
            (0.9, 1.1).
        gamma_range, contrast_range, brightness_range, blur_sigma_range,
            noise_std_range: As :class:`ExemplarSynthesis` (same defaults).
        intensity (bool): Apply the intensity jitter. Defaults to True.
        geometric (bool): Apply the scale/aspect. Defaults to True.
        border_mode (str): ``'reflect'``, ``'replicate'`` or ``'constant'``.
            Defaults to ``'reflect'``.
        clip_range (tuple[float, float], optional): Clip of the image.
            Defaults to (0.0, 1.0).

    Raises:
        ValueError: On a probability outside [0, 1], a malformed range or an
            unknown border mode.
    """

    _BORDERS = {
        'constant': cv2.BORDER_CONSTANT,
        'reflect': cv2.BORDER_REFLECT_101,
        'replicate': cv2.BORDER_REPLICATE,
    }

    def __init__(self,
                 prob: float = 0.5,
                 scale_range: Tuple[float, float] = (0.7, 1.4),
                 aspect_range: Tuple[float, float] = (0.9, 1.1),
                 gamma_range: Tuple[float, float] = (0.6, 1.6),
                 contrast_range: Tuple[float, float] = (0.8, 1.2),
                 brightness_range: Tuple[float, float] = (-0.1, 0.1),
                 blur_sigma_range: Tuple[float, float] = (0.0, 1.5),
                 noise_std_range: Tuple[float, float] = (0.0, 0.05),
                 intensity: bool = True,
                 geometric: bool = True,
                 border_mode: str = 'reflect',
                 clip_range: Optional[Tuple[float, float]] = (0.0, 1.0)):
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        if border_mode not in self._BORDERS:
            raise ValueError(f'border_mode must be one of '
                             f'{sorted(self._BORDERS)}, got {border_mode!r}')
        self.prob = float(prob)
        self.scale_range = _check_range('scale_range', scale_range, 1e-3)
        self.aspect_range = _check_range('aspect_range', aspect_range, 1e-3)
        self.gamma_range = _check_range('gamma_range', gamma_range, 1e-3)
        self.contrast_range = _check_range('contrast_range', contrast_range,
                                           0.0)
        self.brightness_range = _check_range('brightness_range',
                                             brightness_range)
        self.blur_sigma_range = _check_range('blur_sigma_range',
                                             blur_sigma_range, 0.0)
        self.noise_std_range = _check_range('noise_std_range',
                                            noise_std_range, 0.0)
        self.intensity = bool(intensity)
        self.geometric = bool(geometric)
        self.border_mode = border_mode
        self.clip_range = (None if clip_range is None else _check_range(
            'clip_range', clip_range))

    @cache_randomness
    def _sample(self) -> Dict:
        """All draws of one sample, in a fixed order."""
        apply = bool(np.random.rand() < self.prob)
        scale = np.random.uniform(*self.scale_range)
        aspect = np.sqrt(np.random.uniform(*self.aspect_range))
        return dict(
            apply=apply,
            scale_x=scale * aspect,
            scale_y=scale / aspect,
            intensity=dict(
                gamma=np.random.uniform(*self.gamma_range),
                contrast=np.random.uniform(*self.contrast_range),
                brightness=np.random.uniform(*self.brightness_range),
                sigma=np.random.uniform(*self.blur_sigma_range),
                noise_std=np.random.uniform(*self.noise_std_range),
                noise_seed=int(np.random.randint(0, 2**31 - 1))))

    def transform(self, results: Dict) -> Dict:
        """Apply the drawn transform to ``img`` and ``gt_seg_map``."""
        p = self._sample()
        if not p['apply']:
            return results
        img = results['img'].astype(np.float32)
        if self.intensity:
            img = ExemplarSynthesis._intensity(img, p['intensity'])
        if self.geometric:
            h, w = img.shape[:2]
            center = ((w - 1) / 2.0, (h - 1) / 2.0)
            m = _affine(center, 0.0, p['scale_x'], p['scale_y'], False,
                        (0.0, 0.0))
            border = self._BORDERS[self.border_mode]
            img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=border, borderValue=0)
            if results.get('gt_seg_map') is not None:
                results['gt_seg_map'] = cv2.warpAffine(
                    results['gt_seg_map'], m, (w, h),
                    flags=cv2.INTER_NEAREST, borderMode=border,
                    borderValue=0)
        if self.clip_range is not None:
            img = np.clip(img, *self.clip_range)
        results['img'] = img.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'scale_range={self.scale_range}, '
                f'aspect_range={self.aspect_range}, '
                f'intensity={self.intensity}, geometric={self.geometric}, '
                f'border_mode={self.border_mode!r})')
