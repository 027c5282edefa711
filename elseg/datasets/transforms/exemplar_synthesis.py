"""Exemplar-guided synthesis (ESM) of ELNet, paper Sec. 3.1, Eq. 1-2."""
import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

_BORDER_MODES = {
    'constant': cv2.BORDER_CONSTANT,
    'reflect': cv2.BORDER_REFLECT_101,
    'replicate': cv2.BORDER_REPLICATE,
}


def _check_range(name: str, value: Sequence[float],
                 low: float = -math.inf) -> Tuple[float, float]:
    """Validate a ``(min, max)`` pair and return it as floats."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f'{name} must be a (min, max) pair, got {value!r}')
    lo, hi = float(value[0]), float(value[1])
    if not (low <= lo <= hi):
        raise ValueError(
            f'{name} must satisfy {low} <= min <= max, got {value!r}')
    return lo, hi


def _affine(center: Tuple[float, float], angle: float, scale_x: float,
            scale_y: float, flip: bool,
            shift: Tuple[float, float]) -> np.ndarray:
    """2x3 matrix mapping ``p`` to ``R S F (p - center) + center + shift``.

    Points are ``(x, y)`` pixel coordinates; ``F`` mirrors x when ``flip``.
    """
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    fx = -scale_x if flip else scale_x
    lin = np.array([[cos * fx, -sin * scale_y], [sin * fx, cos * scale_y]])
    c = np.asarray(center, dtype=np.float64)
    offset = c + np.asarray(shift, dtype=np.float64) - lin @ c
    return np.hstack([lin, offset[:, None]])


def swap_pairs(seg: np.ndarray,
               pairs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Swap the label values of each ``(a, b)`` pair in a uint8 label map."""
    lut = np.arange(256, dtype=np.uint8)
    for a, b in pairs:
        lut[a], lut[b] = b, a
    return lut[seg]


def check_flip_pairs(pairs: Optional[Sequence[Sequence[int]]]
                     ) -> Optional[Tuple[Tuple[int, int], ...]]:
    """Validate ``flip_pairs``: disjoint pairs of two organ class ids.

    The laterality pairs of :class:`ExemplarSynthesis`, :class:`SegRotFlip`
    and :class:`~elseg.engine.hooks.ExemplarTwoStageHook` (e.g. the left and
    right kidney), whose labels a horizontal flip exchanges.

    Args:
        pairs (Sequence[Sequence[int]], optional): ``[(a, b), ...]`` class
            ids in 1..254, each id in one pair at most.

    Returns:
        tuple[tuple[int, int], ...] | None: The pairs as int tuples, or None
        when ``pairs`` is None.

    Raises:
        ValueError: A pair that does not hold two different organ class ids,
            or an id in two pairs; the message names ``pairs``.
    """
    if pairs is None:
        return None
    out, seen = [], set()
    for pair in pairs:
        if len(pair) != 2 or any(int(c) <= 0 or int(c) > 254 for c in pair) \
                or int(pair[0]) == int(pair[1]) or seen & set(pair):
            raise ValueError('flip_pairs must hold disjoint pairs of two '
                             f'different organ class ids, got {pairs!r}')
        seen |= {int(pair[0]), int(pair[1])}
        out.append((int(pair[0]), int(pair[1])))
    return tuple(out)


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 matrix of ``outer(inner(p))``."""
    lin = outer[:, :2] @ inner[:, :2]
    offset = outer[:, :2] @ inner[:, 2] + outer[:, 2]
    return np.hstack([lin, offset[:, None]])


@TRANSFORMS.register_module()
class ExemplarSynthesis(BaseTransform):
    """Paste transformed exemplar organs onto a transformed background.

    Implements ELNet's exemplar-guided synthesis module (ESM, paper Eq. 1):
    ``(I_s, Y_s) = Omega(T_g(T_i(I_e)), T_g(Y_e), T_g(T_i(I_b)))``, with the
    organ instances cut per class, ``I_e^k = I_e * Y_e^k`` (Eq. 2), and
    composed category-wise.

    Order of operations. The ``source_transforms`` (none by default) change
    the exemplar first. The intensity transform ``T_i`` is applied to the
    whole exemplar image before the organs are cut, so the blur sees the real
    neighbourhood rather than a black rim. Geometry ``T_g`` warps the label
    with nearest neighbour and each organ ``k`` with mask-normalised bilinear
    interpolation, ``warp(I * Y^k) / warp(Y^k)``, so the value of a pasted
    pixel is a mix of organ-``k`` pixels only. A pixel is pasted exactly where
    the warped mask of ``k`` is set, and ``gt_seg_map`` is ``k`` exactly
    there (no soft blending; a later class overwrites an earlier one).
    Everything else is background (label 0). The composite is finally clipped
    to ``clip_range``.

    Composition modes:

    * ``'joint'`` (default): all organs share one geometric transform, so the
      anatomy of the exemplar is kept (the LV stays inside the myocardium
      ring, organs keep their relative layout); overlaps cannot occur.
      Default because with a single exemplar the inter-organ layout is the
      one thing that is certainly right, and independent per-class motion
      opens background gaps inside rings that no real image has.
    * ``'category'``: each class gets the joint transform followed by its
      own small jitter (rotation, scale, translation about its centroid), and
      the classes are pasted in ``paste_order``, later ones overwriting
      earlier ones. This is the paper's category-wise composition.

    Randomness: every parameter is drawn, in a fixed order and whatever the
    switches, in one ``@cache_randomness`` method from ``np.random`` (so
    ``np.random.seed`` fixes the output, and turning a switch off leaves the
    other draws unchanged). The noise field is drawn by ``cv2.randn`` (faster
    than numpy's normal generator) after ``cv2.setRNGSeed`` with
    one of those draws, so it is seeded too (this reseeds OpenCV's RNG of
    the calling thread). The ``source_transforms`` draw after all of them.

    Default ranges (each includes the identity):

    * scale 0.7-1.4 and aspect 0.9-1.1: organ size varies strongly between
      patients and between basal and apical slices.
    * rotation +-30 deg: short-axis MRI and axial CT have a consistent
      orientation; the shared pipeline adds the global rotations and flips.
    * flip probability 0.5 (horizontal; vertical = flip + 180 deg), and
      translation up to 20% of the size, drawn about the organs' own place.
    * gamma 0.6-1.6, contrast 0.8-1.2 (about the image mean), brightness
      -0.1-0.1, Gaussian blur sigma 0-1.5 px, noise std 0-0.05, for images in
      [0, 1] (the data convention of elseg).

    Required Keys:

    - exemplar_img (np.ndarray): float32 ``(H, W)``.
    - exemplar_label (np.ndarray): uint8 ``(H, W)``, 0 background, 1..K-1
      organs (``ignore_index`` pixels are not organs).
    - img (np.ndarray): float32 ``(H, W)`` background image ``I_b``.

    Modified Keys:

    - img (float32 ``(H, W)``): the synthetic image ``I_s``.
    - seg_fields (list): gains ``'gt_seg_map'``.

    Added Keys:

    - gt_seg_map (uint8 ``(H, W)``): the synthetic label ``Y_s``.
    - img_shape, ori_shape (tuple): ``(H, W)``.

    Removed Keys:

    - exemplar_img, exemplar_label (inputs are never modified in place).

    Args:
        mode (str): ``'joint'`` or ``'category'``, see above.
            Defaults to ``'joint'``.
        paste_order (Sequence[int], optional): class ids pasted last, in this
            order (later overwrites earlier) in ``'category'`` mode; classes
            not listed are pasted before them in ascending order. ``None``:
            ascending (for ACDC RV, Myo, LV: the LV fills the Myo ring).
            Defaults to None.
        int_exemplar (bool): intensity transforms on the exemplar (Int.E of
            the paper's Table 4). Defaults to True.
        int_background (bool): intensity transforms on the background
            (Int.B). Defaults to True.
        geo_exemplar (bool): geometric transforms of the organs, including
            the category jitter (Geo.E). Defaults to True.
        geo_background (bool): geometric transforms of the background
            (Geo.B). Defaults to True.
        scale_range (tuple[float, float]): isotropic scale. Defaults to
            (0.7, 1.4).
        aspect_range (tuple[float, float]): x/y aspect ratio (x scaled by
            ``sqrt(a)``, y by ``1/sqrt(a)``). Defaults to (0.9, 1.1).
        rotate_range (tuple[float, float]): rotation in degrees. Defaults to
            (-30, 30).
        flip_prob (float): probability of a horizontal flip. Defaults to 0.5.
        translate_ratio (float): maximal shift as a fraction of width/height.
            Defaults to 0.2.
        gamma_range (tuple[float, float]): gamma exponent. Defaults to
            (0.6, 1.6).
        contrast_range (tuple[float, float]): contrast factor about the
            image mean. Defaults to (0.8, 1.2).
        brightness_range (tuple[float, float]): additive offset. Defaults to
            (-0.1, 0.1).
        blur_sigma_range (tuple[float, float]): Gaussian blur sigma in
            pixels (0 = no blur). Defaults to (0.0, 1.5).
        noise_std_range (tuple[float, float]): std of additive Gaussian
            noise. Defaults to (0.0, 0.05).
        jitter_rotate (float): ``'category'`` mode: maximal extra rotation
            (degrees) per class. Defaults to 10.
        jitter_scale (tuple[float, float]): ``'category'`` mode: extra scale
            per class. Defaults to (0.9, 1.1).
        jitter_translate (float): ``'category'`` mode: maximal extra shift per
            class as a fraction of the size. Defaults to 0.03.
        border_mode (str): padding of the warped background, ``'reflect'``,
            ``'replicate'`` or ``'constant'`` (zeros). Defaults to
            ``'reflect'``.
        clip_range (tuple[float, float], optional): the composite is clipped
            to it; ``None`` disables clipping. Defaults to (0.0, 1.0).
        ignore_index (int): label value that is not an organ. Defaults to 255.
        source_transforms (Sequence[dict | Callable], optional):
            transforms applied, in order, to the exemplar before its organs
            are cut out and before ``T_i``/``T_g``: configs built with mmseg's
            ``TRANSFORMS`` (or transform objects) that read and return
            ``img`` and ``gt_seg_map`` of the same height and width, e.g.
            ``[dict(type='CavityContraction', cavity=3, wall=2)]`` for
            systole-like samples (:class:`CavityContraction`, not in the
            paper). They draw from ``np.random`` after every draw of this
            transform, so adding them leaves the other draws unchanged
            (``cache_random_params([esm, *esm.source_transforms])`` repeats
            a whole sample). The organ classes (and their jitter draws) are
            those of the exemplar before them: they may relabel or remove
            organ pixels, not add a class. ``None`` or ``[]`` (default):
            none.
        flip_pairs (Sequence[tuple[int, int]], optional): laterality, not in
            the paper: pairs of left/right class ids (CHAOS: right kidney 2,
            left kidney 3) whose labels are swapped in samples whose organs
            were flipped horizontally, so a label keeps meaning the organ's
            side (a mirrored left kidney looks like a right one and lies on
            the right side of the image). ``flip_prob=0`` instead keeps every
            organ on its side (no flip at all). ``None`` (default): flips
            keep the labels (the paper; harmless for ACDC, whose classes have
            no side).

    Raises:
        ValueError: on an unknown mode or border mode, a malformed range, a
            probability outside [0, 1], a bad ``paste_order`` or
            ``source_transforms`` that is not a sequence.

    Example:
        >>> esm = ExemplarSynthesis(mode='joint')
        >>> results = dict(exemplar_img=img_e, exemplar_label=lab_e,
        ...                img=background)
        >>> results = esm(results)  # results['img'], results['gt_seg_map']
    """

    def __init__(self,
                 mode: str = 'joint',
                 paste_order: Optional[Sequence[int]] = None,
                 int_exemplar: bool = True,
                 int_background: bool = True,
                 geo_exemplar: bool = True,
                 geo_background: bool = True,
                 scale_range: Tuple[float, float] = (0.7, 1.4),
                 aspect_range: Tuple[float, float] = (0.9, 1.1),
                 rotate_range: Tuple[float, float] = (-30.0, 30.0),
                 flip_prob: float = 0.5,
                 translate_ratio: float = 0.2,
                 gamma_range: Tuple[float, float] = (0.6, 1.6),
                 contrast_range: Tuple[float, float] = (0.8, 1.2),
                 brightness_range: Tuple[float, float] = (-0.1, 0.1),
                 blur_sigma_range: Tuple[float, float] = (0.0, 1.5),
                 noise_std_range: Tuple[float, float] = (0.0, 0.05),
                 jitter_rotate: float = 10.0,
                 jitter_scale: Tuple[float, float] = (0.9, 1.1),
                 jitter_translate: float = 0.03,
                 border_mode: str = 'reflect',
                 clip_range: Optional[Tuple[float, float]] = (0.0, 1.0),
                 ignore_index: int = 255,
                 source_transforms: Optional[Sequence[Union[Dict,
                                                            Callable]]] = None,
                 flip_pairs: Optional[Sequence[Tuple[int, int]]] = None
                 ) -> None:
        if mode not in ('joint', 'category'):
            raise ValueError(
                f"mode must be 'joint' or 'category', got {mode!r}")
        if border_mode not in _BORDER_MODES:
            raise ValueError(f'border_mode must be one of '
                             f'{sorted(_BORDER_MODES)}, got {border_mode!r}')
        if not 0.0 <= flip_prob <= 1.0:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        if translate_ratio < 0 or jitter_translate < 0 or jitter_rotate < 0:
            raise ValueError(
                'translate_ratio, jitter_translate and jitter_rotate must be '
                f'>= 0, got {translate_ratio}, {jitter_translate}, '
                f'{jitter_rotate}')
        if paste_order is not None:
            order = [int(c) for c in paste_order]
            if len(set(order)) != len(order) or any(c <= 0 for c in order):
                raise ValueError('paste_order must hold distinct positive '
                                 f'class ids, got {paste_order!r}')
            paste_order = tuple(order)
        self.mode = mode
        self.paste_order = paste_order
        self.int_exemplar = bool(int_exemplar)
        self.int_background = bool(int_background)
        self.geo_exemplar = bool(geo_exemplar)
        self.geo_background = bool(geo_background)
        self.scale_range = _check_range('scale_range', scale_range, 1e-3)
        self.aspect_range = _check_range('aspect_range', aspect_range, 1e-3)
        self.rotate_range = _check_range('rotate_range', rotate_range)
        self.flip_prob = float(flip_prob)
        self.translate_ratio = float(translate_ratio)
        self.gamma_range = _check_range('gamma_range', gamma_range, 1e-3)
        self.contrast_range = _check_range('contrast_range', contrast_range,
                                           0.0)
        self.brightness_range = _check_range('brightness_range',
                                             brightness_range)
        self.blur_sigma_range = _check_range('blur_sigma_range',
                                             blur_sigma_range, 0.0)
        self.noise_std_range = _check_range('noise_std_range',
                                            noise_std_range, 0.0)
        self.jitter_rotate = float(jitter_rotate)
        self.jitter_scale = _check_range('jitter_scale', jitter_scale, 1e-3)
        self.jitter_translate = float(jitter_translate)
        self.border_mode = border_mode
        self.clip_range = (None if clip_range is None else _check_range(
            'clip_range', clip_range))
        self.ignore_index = int(ignore_index)
        self.source_transforms = self._build_sources(source_transforms)
        self.flip_pairs = check_flip_pairs(flip_pairs)

    @staticmethod
    def _build_sources(cfgs: Optional[Sequence[Union[Dict, Callable]]]
                       ) -> List[Callable]:
        """Build ``source_transforms`` (see the class docstring)."""
        if cfgs is None:
            return []
        if not isinstance(cfgs, (list, tuple)):
            raise ValueError('source_transforms must be a list of transform '
                             f'configs, got {cfgs!r}')
        built = []
        for cfg in cfgs:
            t = TRANSFORMS.build(cfg) if isinstance(cfg, dict) else cfg
            if not callable(t):
                raise ValueError('source_transforms must hold transform '
                                 f'configs or callables, got {cfg!r}')
            built.append(t)
        return built

    # ------------------------------------------------------------------ random
    def _draw_geometric(self) -> Dict:
        """Draw one geometric transform (not cached; see _sample_params)."""
        aspect = math.sqrt(np.random.uniform(*self.aspect_range))
        scale = np.random.uniform(*self.scale_range)
        r = self.translate_ratio
        return dict(
            angle=np.random.uniform(*self.rotate_range),
            scale_x=scale * aspect,
            scale_y=scale / aspect,
            flip=bool(np.random.rand() < self.flip_prob),
            shift=(np.random.uniform(-r, r), np.random.uniform(-r, r)))

    def _draw_intensity(self) -> Dict:
        """Draw one intensity transform (not cached; see _sample_params)."""
        return dict(
            gamma=np.random.uniform(*self.gamma_range),
            contrast=np.random.uniform(*self.contrast_range),
            brightness=np.random.uniform(*self.brightness_range),
            sigma=np.random.uniform(*self.blur_sigma_range),
            noise_std=np.random.uniform(*self.noise_std_range),
            noise_seed=int(np.random.randint(0, 2**31 - 1)))

    @cache_randomness
    def _sample_params(self, num_classes: int) -> Dict:
        """Draw all random parameters of one sample, whatever the switches.

        Args:
            num_classes (int): number of organ classes in the exemplar (one
                jitter per class).

        Returns:
            dict: ``geo_e``, ``geo_b``, ``int_e``, ``int_b`` and ``jitter``
            (arrays ``angle``, ``scale``, ``shift`` of length
            ``num_classes``).
        """
        geo_e = self._draw_geometric()
        geo_b = self._draw_geometric()
        int_e = self._draw_intensity()
        int_b = self._draw_intensity()
        jr, jt = self.jitter_rotate, self.jitter_translate
        jitter = dict(
            angle=np.random.uniform(-jr, jr, size=num_classes),
            scale=np.random.uniform(*self.jitter_scale, size=num_classes),
            shift=np.random.uniform(-jt, jt, size=(num_classes, 2)))
        return dict(geo_e=geo_e, geo_b=geo_b, int_e=int_e, int_b=int_b,
                    jitter=jitter)

    # ------------------------------------------------------------- transforms
    @staticmethod
    def _intensity(img: np.ndarray, p: Dict) -> np.ndarray:
        """Gamma, contrast, brightness, blur, noise (in this order)."""
        out = np.power(np.maximum(img, 0.0), p['gamma'], dtype=np.float32)
        mean = float(out.mean())
        out = out * np.float32(p['contrast']) + np.float32(
            (1.0 - p['contrast']) * mean + p['brightness'])
        if p['sigma'] > 0:
            out = cv2.GaussianBlur(out, (0, 0), p['sigma'])
        if p['noise_std'] > 0:
            cv2.setRNGSeed(p['noise_seed'])
            noise = np.empty(out.shape, dtype=np.float32)
            cv2.randn(noise, 0.0, float(p['noise_std']))
            out = out + noise
        return out

    def _apply_sources(self, img: np.ndarray, lab: np.ndarray,
                       classes: List[int]) -> Tuple[np.ndarray, np.ndarray]:
        """Run ``source_transforms`` on the exemplar.

        Args:
            img (np.ndarray): float32 ``(H, W)`` exemplar image.
            lab (np.ndarray): uint8 ``(H, W)`` exemplar label.
            classes (list[int]): the organ classes of ``lab``.

        Returns:
            tuple[np.ndarray, np.ndarray]: the transformed float32 image and
            uint8 label, of the input shape.

        Raises:
            ValueError: if a source transform drops the sample, changes the
                shape or adds an organ class.
        """
        h, w = lab.shape
        src = dict(img=img.copy(), gt_seg_map=lab.copy(),
                   seg_fields=['gt_seg_map'],
                   img_shape=(h, w), ori_shape=(h, w))
        for t in self.source_transforms:
            src = t(src)
            if src is None:
                raise ValueError(f'source transform {t!r} dropped the '
                                 'exemplar')
        img = np.asarray(src['img'], dtype=np.float32)
        lab = np.asarray(src['gt_seg_map'])
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        if img.shape != (h, w) or lab.shape != (h, w):
            raise ValueError('source_transforms must keep the exemplar shape '
                             f'{(h, w)}, got {img.shape} and {lab.shape}')
        lab = lab.astype(np.uint8, copy=False)
        present = set(int(c) for c in np.unique(lab))
        added = sorted(present - set(classes) - {0, self.ignore_index})
        if added:
            raise ValueError('source_transforms may not add organ classes, '
                             f'got {added} beyond {classes}')
        return img, lab

    @staticmethod
    def _matrix(p: Dict, center: Tuple[float, float], height: int,
                width: int) -> np.ndarray:
        """2x3 matrix of a drawn geometric transform about ``center``."""
        shift = (p['shift'][0] * width, p['shift'][1] * height)
        return _affine(center, p['angle'], p['scale_x'], p['scale_y'],
                       p['flip'], shift)

    def _paste_order(self, classes: List[int]) -> List[int]:
        """Unlisted classes (ascending) first, then ``paste_order``."""
        if self.paste_order is None:
            return classes
        last = [c for c in self.paste_order if c in classes]
        return [c for c in classes if c not in last] + last

    def transform(self, results: Dict) -> Dict:
        """Synthesise one sample (paper Eq. 1-2).

        Args:
            results (dict): holds ``exemplar_img``, ``exemplar_label`` and
                ``img`` (the background).

        Returns:
            dict: ``results`` with the synthetic ``img`` and ``gt_seg_map``.

        Raises:
            KeyError: if a required key is missing.
            ValueError: if the three arrays are not 2D of the same shape.
        """
        ex_img = np.asarray(results.pop('exemplar_img'), dtype=np.float32)
        ex_lab = np.asarray(results.pop('exemplar_label'))
        bg = np.asarray(results['img'], dtype=np.float32)
        arrays = [a[..., 0] if a.ndim == 3 and a.shape[2] == 1 else a
                  for a in (ex_img, ex_lab, bg)]
        ex_img, ex_lab, bg = arrays
        if ex_img.ndim != 2 or ex_img.shape != ex_lab.shape \
                or ex_img.shape != bg.shape:
            raise ValueError(
                'exemplar_img, exemplar_label and img must be 2D arrays of '
                f'the same shape, got {ex_img.shape}, {ex_lab.shape}, '
                f'{bg.shape}')
        ex_lab = ex_lab.astype(np.uint8, copy=False)
        h, w = ex_img.shape
        counts = np.bincount(ex_lab.ravel(), minlength=256)
        counts[0] = 0
        if 0 <= self.ignore_index < counts.size:
            counts[self.ignore_index] = 0
        classes = [int(c) for c in np.flatnonzero(counts)]
        params = self._sample_params(len(classes))
        if self.source_transforms:  # their draws follow all of the above
            ex_img, ex_lab = self._apply_sources(ex_img, ex_lab, classes)
        organ = (ex_lab > 0) & (ex_lab != self.ignore_index)

        # background: T_g(T_i(I_b))
        if self.int_background:
            bg = self._intensity(bg, params['int_b'])
        if self.geo_background:
            mat = self._matrix(params['geo_b'], ((w - 1) / 2, (h - 1) / 2),
                               h, w)
            bg = cv2.warpAffine(bg, mat, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=_BORDER_MODES[self.border_mode])
        out = np.array(bg, dtype=np.float32, copy=True)
        seg = np.zeros((h, w), dtype=np.uint8)

        # exemplar organs: T_g(T_i(I_e)) pasted where T_g(Y_e) is set
        if organ.any():
            if self.int_exemplar:
                ex_img = self._intensity(ex_img, params['int_e'])
            if self.geo_exemplar:
                self._paste_warped(out, seg, ex_img, ex_lab, organ, classes,
                                   params)
                if self.flip_pairs and params['geo_e']['flip']:
                    seg = swap_pairs(seg, self.flip_pairs)
            else:
                out[organ] = ex_img[organ]
                seg[organ] = ex_lab[organ]

        if self.clip_range is not None:
            np.clip(out, *self.clip_range, out=out)
        results['img'] = out
        results['gt_seg_map'] = seg
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        results['img_shape'] = (h, w)
        results['ori_shape'] = (h, w)
        return results

    def _paste_warped(self, out: np.ndarray, seg: np.ndarray,
                      ex_img: np.ndarray, ex_lab: np.ndarray,
                      organ: np.ndarray, classes: List[int],
                      params: Dict) -> None:
        """Warp the organ instances and paste them into ``out``/``seg``.

        ``'joint'``: one matrix and one label warp for all organs.
        ``'category'``: per class, the joint matrix followed by the class
        jitter about the class centroid, pasted in paste order.
        """
        h, w = ex_lab.shape
        ys, xs = np.nonzero(organ)
        ids = ex_lab[ys, xs]
        mat = self._matrix(params['geo_e'], (xs.mean(), ys.mean()), h, w)
        if self.mode == 'joint':
            box = (xs.min(), ys.min(), xs.max(), ys.max())
            lab = np.where(organ, ex_lab, 0).astype(np.uint8)
            self._paste_window(out, seg, ex_img, lab, classes, mat, box)
            return
        jit = params['jitter']
        index = {c: i for i, c in enumerate(classes)}
        for c in self._paste_order(classes):
            sel = ids == c
            if not sel.any():  # removed by a source transform
                continue
            xc, yc = xs[sel], ys[sel]
            i = index[c]
            centre = mat[:, :2] @ np.array([xc.mean(), yc.mean()]) + mat[:, 2]
            shift = (jit['shift'][i, 0] * w, jit['shift'][i, 1] * h)
            extra = _affine((centre[0], centre[1]), jit['angle'][i],
                            jit['scale'][i], jit['scale'][i], False, shift)
            box = (xc.min(), yc.min(), xc.max(), yc.max())
            lab = (ex_lab == c).astype(np.uint8) * np.uint8(c)
            self._paste_window(out, seg, ex_img, lab, [c],
                               _compose(extra, mat), box)

    @staticmethod
    def _paste_window(out: np.ndarray, seg: np.ndarray, img: np.ndarray,
                      lab: np.ndarray, classes: List[int], mat: np.ndarray,
                      box: Tuple[int, int, int, int]) -> None:
        """Warp ``classes`` of ``lab`` inside ``box`` with ``mat`` and paste.

        Only the source box and the destination window it maps to are
        warped (outside them the masked image and masks are zero, so this
        equals a full-image warp at a fraction of the cost). The label is
        warped with nearest neighbour; organ ``k``'s value is
        ``warp(I * Y^k) / warp(Y^k)`` (bilinear), which is defined wherever
        the nearest warp gives ``k`` because the nearest source pixel is in
        the bilinear support with a weight of about 1/4 or more.
        """
        h, w = out.shape
        x0, y0, x1, y1 = (int(v) for v in box)
        corners = np.array([[x0 - 1, y0 - 1, 1], [x1 + 1, y0 - 1, 1],
                            [x0 - 1, y1 + 1, 1], [x1 + 1, y1 + 1, 1]],
                           dtype=np.float64) @ mat.T
        dx0 = max(int(np.floor(corners[:, 0].min())), 0)
        dy0 = max(int(np.floor(corners[:, 1].min())), 0)
        dx1 = min(int(np.ceil(corners[:, 0].max())), w - 1)
        dy1 = min(int(np.ceil(corners[:, 1].max())), h - 1)
        if dx1 < dx0 or dy1 < dy0:
            return
        local = mat.copy()
        local[:, 2] = mat[:, :2] @ np.array([x0, y0]) + mat[:, 2] - np.array(
            [dx0, dy0])
        size = (dx1 - dx0 + 1, dy1 - dy0 + 1)
        src_lab = lab[y0:y1 + 1, x0:x1 + 1]
        src_img = img[y0:y1 + 1, x0:x1 + 1]
        warped = cv2.warpAffine(src_lab, local, size, flags=cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT)
        out_win = out[dy0:dy1 + 1, dx0:dx1 + 1]
        seg_win = seg[dy0:dy1 + 1, dx0:dx1 + 1]
        for c in classes:
            dst = warped == c
            if not dst.any():
                continue
            mask = (src_lab == c).astype(np.float32)
            num = cv2.warpAffine(src_img * mask, local, size,
                                 flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
            den = cv2.warpAffine(mask, local, size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
            out_win[dst] = num[dst] / np.maximum(den[dst], np.float32(1e-6))
            seg_win[dst] = c

    def __repr__(self) -> str:
        names = ('mode', 'paste_order', 'int_exemplar', 'int_background',
                 'geo_exemplar', 'geo_background', 'scale_range',
                 'aspect_range', 'rotate_range', 'flip_prob',
                 'translate_ratio', 'gamma_range', 'contrast_range',
                 'brightness_range', 'blur_sigma_range', 'noise_std_range',
                 'jitter_rotate', 'jitter_scale', 'jitter_translate',
                 'border_mode', 'clip_range', 'ignore_index',
                 'source_transforms', 'flip_pairs')
        args = ', '.join(f'{n}={getattr(self, n)!r}' for n in names)
        return f'{self.__class__.__name__}({args})'

