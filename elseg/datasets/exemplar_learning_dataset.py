"""The training set of exemplar learning: one labelled slice (or a few), its
synthetic offspring and the unlabelled slices (ELNet, En & Guo, arXiv
2204.01713, Sec. 3).
"""
from __future__ import annotations

import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.dataset import Compose
from mmseg.registry import DATASETS, TRANSFORMS

from .exemplar import exemplar_ids
from .exemplar_propagation import propagate_exemplar
from .pseudo_labels import load_pseudo_label
from .transforms.load_medical_slice import LoadMedicalSlice

STREAMS = ('exemplar', 'synthetic', 'unlabeled')
BACKGROUNDS = ('black', 'exemplar_inpainted', 'unlabeled_inpainted',
               'unlabeled_raw')
IGNORE_INDEX = 255


def _resize(arr: np.ndarray, scale: Sequence[int], nearest: bool) -> np.ndarray:
    """Resize a 2D array to ``scale`` = (h, w)."""
    h, w = int(scale[0]), int(scale[1])
    if arr.shape[:2] == (h, w):
        return arr
    # label maps: exact nearest (half-pixel centres, as the bilinear image
    # resize); cv2.INTER_NEAREST rounds down and shifts labels against
    # the image by up to one source pixel (content moves down-right)
    interp = cv2.INTER_NEAREST_EXACT if nearest else cv2.INTER_LINEAR
    return cv2.resize(arr, (w, h), interpolation=interp)


def inpaint_organs(img: np.ndarray, organ_mask: np.ndarray,
                   dilate: int = 3) -> np.ndarray:
    """Remove organs from an image by inpainting them from their surroundings.

    Used to make organ-free backgrounds from a labelled (or pseudo-labelled)
    slice. The mask is dilated first so no organ rim is left behind.

    Args:
        img (np.ndarray): float32 (H, W) image in [0, 1].
        organ_mask (np.ndarray): bool (H, W), True on organ pixels.
        dilate (int): Dilation radius in pixels. Defaults to 3.

    Returns:
        np.ndarray: float32 (H, W) image without the masked organs.
    """
    mask = organ_mask.astype(np.uint8)
    if dilate > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                           (2 * dilate + 1, 2 * dilate + 1))
        mask = cv2.dilate(mask, kernel)
    if not mask.any():
        return img.astype(np.float32)
    lo, hi = float(img.min()), float(img.max())
    span = max(hi - lo, 1e-6)
    img8 = np.clip((img - lo) / span * 255.0, 0, 255).astype(np.uint8)
    out = cv2.inpaint(img8, mask, 5, cv2.INPAINT_TELEA)
    return out.astype(np.float32) / 255.0 * span + lo


@DATASETS.register_module()
class ExemplarLearningDataset:
    """Exemplar, synthetic and (pseudo-labelled) unlabelled training streams.

    Follows ELNet's training data (Sec. 3, Fig. 2): stage 1 trains on the
    exemplar D_E and synthetic samples D_S made from it by ESM; stage 2 adds the
    unlabelled slices D_U with the stage-1 model's pseudo labels.

    One slice is labelled (the paper), or a few: ``exemplar`` names K
    labelled slices, the first of which is the exemplar and shows every class.
    The wrapped dataset must be built without labels (``with_label=False``);
    the labelled slices' labels are the only label files this class opens.
    Unlabelled slices carry their pseudo label (stage 2) or an all-ignore map
    (255) when there is none, so their true labels can never reach training.

    With K labelled slices: the exemplar stream serves one of them drawn
    uniformly per sample; each synthetic sample takes its organs from one
    drawn uniformly (ESM), and an ``exemplar_inpainted`` background is any of
    them with its organs inpainted; none of them is in the unlabelled pool.
    Propagation starts from the first only (the others are not its targets).
    ``exemplar_id`` / ``exemplar_img`` / ``exemplar_label`` /
    ``exemplar_info`` / ``exemplar_inpainted`` are the first's;
    ``exemplar_ids``, ``exemplar_imgs``, ``exemplar_labels``,
    ``exemplar_infos`` and ``exemplar_inpainted_imgs`` list all K. With one
    slice no extra random number is drawn.

    Each index maps to a stream through a fixed repeating pattern built from
    the stage's stream ratios (e.g. ``dict(exemplar=1, synthetic=3)`` gives
    ``[e, s, s, s]``), so shuffled batches hold these proportions on average.
    The length is fixed for the whole run because mmengine's InfiniteSampler
    stores it when built.

    Background pool for synthesis (the paper uses "black images and images that
    do not contain any organs"; with one labelled slice no slice is known to be
    organ-free, so elseg makes them): ``black``; ``exemplar_inpainted``, the
    exemplar with its organs inpainted (a real, organ-free anatomy around the
    heart); in stage 2 ``unlabeled_inpainted``, an unlabelled slice with its
    pseudo-labelled organs inpainted (many different real backgrounds);
    ``unlabeled_raw``, an unlabelled slice as is (its organs then count as
    background: only for ablations).

    Args:
        dataset (dict): Config of the wrapped slice dataset (e.g.
            ``ACDCDataset`` over ``train_slices.list`` with ``with_label=False``).
        exemplar (str | list[str] | dict): The exemplar slice id, a list of
            labelled slice ids (the first shows every class), or
            ``dict(file=path)`` written by ``tools/select_exemplar.py`` or
            ``tools/convert_nifti.py`` (one or several slices), or
            ``dict(rule='random', seed=0)`` to select it here; add ``num=K``
            for K labelled slices and ``spread='patients'`` (default: the
            rule's choices in K different patients) or ``'volume'`` (the
            rule's slice and its K-1 nearest slices of the same volume), see
            :func:`~elseg.datasets.exemplar.select_exemplars`.
        scale (tuple[int, int]): (h, w) every training image is resized to
            before synthesis and augmentation (the network input size).
        pipeline (list[dict]): Shared transforms for all streams (augmentation
            and ``PackSegInputs``).
        synthesis (dict, optional): ESM transform config
            (``ExemplarSynthesis``). None disables the synthetic stream.
        stream_ratios (dict): ``dict(stage1=dict(...), stage2=dict(...))``
            integer ratios of the streams per stage.
        backgrounds (dict): ``dict(stage1=dict(black=1, exemplar_inpainted=1),
            stage2=dict(...))`` sampling weights of the background sources.
        min_confidence (float): Pseudo-label pixels whose confidence is below
            this become ignore (255). Defaults to 0.
        length (int): Fixed dataset length. Defaults to 100000.
        num_classes (int, optional): Checked against the labelled slices'
            labels.
        exemplar_pipeline (list[dict], optional): Transforms applied to the
            exemplar stream only, before ``pipeline`` (e.g.
            ``SegScaleIntensity``: the scale and intensity jitter that ESM
            gives the synthetic organs). Defaults to None.
        propagation (dict, optional): Exemplar propagation (off when None,
            the default): the exemplar's label is carried by deformable
            registration to its neighbouring slices and to the same slice
            of the subject's other frames (images only; see
            :mod:`elseg.datasets.exemplar_propagation`). Each propagated
            slice is served as a pseudo-labelled sample of the
            ``unlabeled`` stream (weighted by its ``stream_weights`` entry,
            lambda_u; pixels under ``min_confidence`` or where the field
            folds are ignore), in ``ratios[stageN]`` extra slots of each
            stage's stream pattern, drawn with probability proportional to
            its confidence. Keys: ``neighbours`` (2), ``other_frames``
            (True), ``registration`` (None: kwargs of
            :func:`~elseg.registration.register_pair`), ``max_folding``
            (0.02), ``min_slice_confidence`` (0: slices at or below it are
            dropped), ``ratios`` (``dict(stage1=1, stage2=1)``) and
            ``esm_prob`` (0: the probability that a synthetic sample takes
            its organs from a propagated slice instead of the exemplar).
            Propagation starts from the first labelled slice only.

    Raises:
        ValueError: On unknown streams or backgrounds, a stage without any
            stream, a labelled slice that is not in the wrapped dataset, a
            bad ``num`` or ``spread`` (see
            :func:`~elseg.datasets.exemplar.select_exemplars`), or (with
            ``num_classes``) a class count that differs from the dataset's
            class names, an exemplar (the first labelled slice) lacking a
            class or a labelled slice holding a label value outside the
            classes.

    Example:
        >>> # three labelled slices of three patients, chosen by a rule
        >>> exemplar = dict(rule='central', seed=0, num=3, spread='patients')
        >>> # or named: the first shows every class
        >>> exemplar = ['patient001_frame01_slice_5',
        ...             'patient001_frame01_slice_6']
    """

    def __init__(self,
                 dataset: dict,
                 exemplar: Union[str, Sequence[str], dict],
                 scale: Sequence[int] = (224, 224),
                 pipeline: Optional[List[dict]] = None,
                 synthesis: Optional[dict] = None,
                 stream_ratios: Optional[Dict[str, Dict[str, int]]] = None,
                 backgrounds: Optional[Dict[str, Dict[str, float]]] = None,
                 min_confidence: float = 0.0,
                 length: int = 100000,
                 num_classes: Optional[int] = None,
                 exemplar_pipeline: Optional[List[dict]] = None,
                 propagation: Optional[dict] = None) -> None:
        dataset = copy.deepcopy(dataset)
        if dataset.get('with_label', True):
            dataset['with_label'] = False  # no unlabelled slice may carry a label
        self.dataset = DATASETS.build(dataset)
        self.scale = (int(scale[0]), int(scale[1]))
        self.loader = LoadMedicalSlice()
        self.pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t
             for t in (pipeline or [])])
        self.synthesis = TRANSFORMS.build(synthesis) if synthesis else None
        self.exemplar_pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t
             for t in (exemplar_pipeline or [])])
        self.min_confidence = float(min_confidence)
        self.length = int(length)
        self.num_classes = num_classes
        self.stage = 1
        self.pseudo_label_dir: Optional[str] = None

        ratios = stream_ratios or dict(
            stage1=dict(exemplar=1, synthetic=3),
            stage2=dict(exemplar=1, synthetic=3, unlabeled=2))
        self.patterns = {}
        for stage in (1, 2):
            r = ratios.get(f'stage{stage}', {})
            for name, n in r.items():
                if name not in STREAMS:
                    raise ValueError(f'Unknown stream {name!r} in stream_ratios; '
                                     f'choose from {STREAMS}.')
                if n and name == 'synthetic' and self.synthesis is None:
                    raise ValueError('stream_ratios asks for synthetic samples '
                                     'but no `synthesis` transform is given.')
            pattern = [s for s in STREAMS for _ in range(int(r.get(s, 0)))]
            if not pattern:
                raise ValueError(f'stream_ratios for stage {stage} has no '
                                 f'stream: {r!r}.')
            self.patterns[stage] = pattern
        bgs = backgrounds or dict(
            stage1=dict(black=1, exemplar_inpainted=1),
            stage2=dict(black=1, exemplar_inpainted=1, unlabeled_inpainted=2))
        self.backgrounds = {}
        for stage in (1, 2):
            b = {k: float(v) for k, v in bgs.get(f'stage{stage}', {}).items()
                 if v}
            bad = set(b) - set(BACKGROUNDS)
            if bad:
                raise ValueError(f'Unknown background source(s) {sorted(bad)}; '
                                 f'choose from {BACKGROUNDS}.')
            if not b:
                b = dict(black=1.0)
            if stage == 1 and 'unlabeled_inpainted' in b:
                raise ValueError("'unlabeled_inpainted' needs pseudo labels: use "
                                 'it in backgrounds.stage2 only.')
            self.backgrounds[stage] = b

        self._init_exemplar(exemplar)
        self.propagated: Dict[str, object] = {}
        self.propagated_images: Dict[str, np.ndarray] = {}
        self.propagated_infos: Dict[str, dict] = {}
        self.propagation: Optional[dict] = None
        if propagation is not None:
            self._init_propagation(dict(propagation))

    # ------------------------------------------------------------------ setup
    def _init_exemplar(self, exemplar: Union[str, Sequence[str], dict]) -> None:
        """Load the labelled slices (their labels: the only ones read)."""
        ids = exemplar_ids(exemplar, self.dataset, self.num_classes)
        infos = [self.dataset.get_data_info(i) for i in range(len(self.dataset))]
        index_of: Dict[str, int] = {}
        for i, info in enumerate(infos):
            index_of.setdefault(self._slice_id(info), i)
        for k, sid in enumerate(ids):
            if sid not in index_of:
                which = (f'Labelled slice {k + 1} of {len(ids)} {sid!r}'
                         if len(ids) > 1 else f'Exemplar {sid!r}')
                raise ValueError(
                    f'{which} is not a slice of the training set '
                    f'{self.dataset.data_root!r} ({len(infos)} slices). Pick '
                    'one with tools/select_exemplar.py.')
        self.exemplar_ids = list(ids)
        self.exemplar_infos: List[dict] = []
        self.exemplar_imgs: List[np.ndarray] = []
        self.exemplar_labels: List[np.ndarray] = []
        for k, sid in enumerate(ids):
            ex_info = dict(infos[index_of[sid]])
            ex_info['seg_map_path'] = ex_info['img_path']  # a label we read
            ex = self.loader(dict(ex_info))
            label = ex['gt_seg_map']
            if self.num_classes is not None:
                self._check_num_classes(label, sid, ex_info['img_path'])
                if k == 0:
                    self._check_all_classes(label, sid, ex_info['img_path'])
            self.exemplar_infos.append(ex_info)
            self.exemplar_imgs.append(
                _resize(ex['img'].astype(np.float32), self.scale, False))
            self.exemplar_labels.append(
                _resize(label.astype(np.uint8), self.scale, True))
        self.exemplar_inpainted_imgs = [
            inpaint_organs(img, label > 0)
            for img, label in zip(self.exemplar_imgs, self.exemplar_labels)]
        self.exemplar_id = self.exemplar_ids[0]
        self.exemplar_info = self.exemplar_infos[0]
        self.exemplar_img = self.exemplar_imgs[0]
        self.exemplar_label = self.exemplar_labels[0]
        self.exemplar_inpainted = self.exemplar_inpainted_imgs[0]
        labelled = {index_of[sid] for sid in ids}
        self.unlabeled_infos = [
            infos[i] for i in range(len(infos)) if i not in labelled
        ]

    def _check_all_classes(self, label: np.ndarray, exemplar_id: str,
                           path: str) -> None:
        """Raise ValueError when the exemplar's label lacks a class."""
        present = set(np.unique(label).tolist())
        missing = sorted(set(range(self.num_classes)) - present)
        if missing:
            names = self.metainfo.get('classes', ())
            named = [names[m] if m < len(names) else str(m) for m in missing]
            raise ValueError(
                f'Exemplar {exemplar_id!r} ({path}) lacks '
                f'class(es) {named}; exemplar learning needs one slice '
                'showing every class. Choose another with '
                'tools/select_exemplar.py' + (
                    ', or put a slice showing every class first in the list '
                    'of labelled slices.' if len(self.exemplar_ids) > 1 else
                    '.'))

    def _draw_labelled(self) -> int:
        """Index of a labelled slice drawn uniformly (0, drawing nothing,
        with one labelled slice)."""
        n = len(self.exemplar_ids)
        return 0 if n == 1 else int(np.random.randint(n))

    def _init_propagation(self, cfg: dict) -> None:
        """Propagate the exemplar's label (images only) and add the
        propagated slots to the stream patterns.

        The source is the first labelled slice only; the other labelled
        slices are not in ``unlabeled_infos``, so a neighbour chain stops
        at them.
        """
        import time

        from mmengine.logging import print_log

        defaults = dict(neighbours=2, other_frames=True, registration=None,
                        max_folding=0.02, min_slice_confidence=0.0,
                        ratios=dict(stage1=1, stage2=1), esm_prob=0.0)
        bad = sorted(set(cfg) - set(defaults))
        if bad:
            raise ValueError(f'Unknown propagation key(s) {bad}; choose from '
                             f'{sorted(defaults)}.')
        cfg = dict(defaults, **cfg)
        ratios = dict(cfg['ratios'])
        if set(ratios) - {'stage1', 'stage2'} or any(
                int(v) != v or v < 0 for v in ratios.values()):
            raise ValueError(f'propagation ratios must map stage1/stage2 to '
                             f'integers >= 0, got {cfg["ratios"]!r}.')
        if not 0 <= float(cfg['esm_prob']) <= 1:
            raise ValueError(f'propagation esm_prob must be in [0, 1], got '
                             f'{cfg["esm_prob"]!r}.')
        self.propagation = cfg
        start = time.perf_counter()
        by_id = {self._slice_id(i): i for i in self.unlabeled_infos}
        images: Dict[str, np.ndarray] = {}

        def load_image(info: dict) -> np.ndarray:
            img = self._load_unlabeled(info, with_pseudo=False)['img']
            images[self._slice_id(info)] = img
            return img

        found = propagate_exemplar(
            self.unlabeled_infos, self.exemplar_id, self.exemplar_img,
            self.exemplar_label, load_image, neighbours=cfg['neighbours'],
            other_frames=cfg['other_frames'], num_classes=self.num_classes,
            registration=cfg['registration'], max_folding=cfg['max_folding'])
        floor = float(cfg['min_slice_confidence'])
        self.propagated = {k: v for k, v in found.items()
                           if v.confidence > max(floor, 0.0)}
        self.propagated_images = {k: images[k] for k in self.propagated}
        self.propagated_infos = {k: by_id[k] for k in self.propagated}
        print_log(
            f'Exemplar propagation from {self.exemplar_id}: '
            f'{len(self.propagated)} of {len(found)} slices kept in '
            f'{time.perf_counter() - start:.1f} s (' + ', '.join(
                f'{k} {v.confidence:.2f}' for k, v in found.items()) + ')',
            logger='current')
        for stage in (1, 2):
            self.patterns[stage] = self.patterns[stage] + ['propagated'] * int(
                ratios.get(f'stage{stage}', 0))

    def _propagated_sample(self) -> Tuple[str, np.ndarray, np.ndarray]:
        """A propagated slice drawn by confidence: (id, image, label with
        ignore where unsure)."""
        ids = list(self.propagated)
        conf = np.asarray([self.propagated[k].confidence for k in ids])
        sid = ids[np.random.choice(len(ids), p=conf / conf.sum())]
        prop = self.propagated[sid]
        cmap = prop.confidence_map
        label = np.where((cmap > 0) & (cmap >= self.min_confidence),
                         prop.label, IGNORE_INDEX).astype(np.uint8)
        return sid, self.propagated_images[sid], label

    def _check_num_classes(self, label: np.ndarray, exemplar_id: str,
                           path: str) -> None:
        """Check ``num_classes`` against the class names and the exemplar.

        Raises:
            ValueError: When ``num_classes`` differs from the number of class
                names of the wrapped dataset, or the exemplar's label holds a
                value that is neither a class nor ignore (255).
        """
        names = self.metainfo.get('classes', ())
        if names and len(names) != self.num_classes:
            raise ValueError(
                f'ExemplarLearningDataset num_classes={self.num_classes} but '
                f'the dataset {type(self.dataset).__name__} has {len(names)} '
                f'classes {list(names)}. Set num_classes={len(names)} (and '
                "the decode head's num_classes) in the config.")
        values = np.unique(label)
        bad = values[(values >= self.num_classes) & (values != IGNORE_INDEX)]
        if bad.size:
            raise ValueError(
                f'Exemplar {exemplar_id!r} ({path}) has label values '
                f'{bad.tolist()} outside the {self.num_classes} classes '
                f'(0..{self.num_classes - 1}, ignore {IGNORE_INDEX}). Fix the '
                "file's label mapping (re-run the converter) or num_classes.")

    @staticmethod
    def _slice_id(info: dict) -> str:
        sid = info.get('slice_id')
        if sid is None:
            sid = osp.splitext(osp.basename(info['img_path']))[0]
        return sid

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo (classes, palette)."""
        return copy.deepcopy(self.dataset.metainfo)

    def __len__(self) -> int:
        return self.length

    # ------------------------------------------------------------ stage logic
    def set_stage(self, stage: int,
                  pseudo_label_dir: Optional[str] = None) -> None:
        """Switch between stage 1 and stage 2 (called by the two-stage hook).

        Args:
            stage (int): 1 or 2.
            pseudo_label_dir (str, optional): Folder of ``<slice id>.npz``
                pseudo labels (stage 2).

        Raises:
            ValueError: On another stage number.
        """
        if stage not in (1, 2):
            raise ValueError(f'stage must be 1 or 2, got {stage!r}.')
        self.stage = stage
        self.pseudo_label_dir = pseudo_label_dir

    def stream_of(self, idx: int) -> str:
        """The stream that index ``idx`` yields in the current stage
        (``'propagated'``: a propagated slice, served in the ``unlabeled``
        stream)."""
        pattern = self.patterns[self.stage]
        stream = pattern[idx % len(pattern)]
        if stream == 'unlabeled' and not self.unlabeled_infos or (
                stream == 'propagated' and not self.propagated):
            stream = 'exemplar'
        return stream

    # -------------------------------------------------------------- loading
    def _base_results(self, stream: str, info: Optional[dict] = None) -> dict:
        info = info or self.exemplar_info
        return dict(
            img_path=info['img_path'],
            seg_map_path=None,
            slice_idx=info.get('slice_idx'),
            volume_id=info.get('volume_id', ''),
            num_slices=info.get('num_slices', 1),
            spacing=info.get('spacing'),
            reduce_zero_label=False,
            seg_fields=['gt_seg_map'],
            stream=stream)

    def _load_unlabeled(self, info: dict, with_pseudo: bool) -> dict:
        """Image of an unlabelled slice (resized) and its pseudo label."""
        loaded = self.loader(dict(info, seg_map_path=None))
        img = _resize(loaded['img'].astype(np.float32), self.scale, False)
        label = np.full(self.scale, IGNORE_INDEX, dtype=np.uint8)
        if with_pseudo and self.pseudo_label_dir is not None:
            pl = load_pseudo_label(self.pseudo_label_dir, self._slice_id(info))
            if pl is not None:
                plabel, conf = pl
                if self.min_confidence > 0:
                    plabel = np.where(conf >= self.min_confidence, plabel,
                                      IGNORE_INDEX).astype(np.uint8)
                label = _resize(plabel, self.scale, True)
        return dict(img=img, label=label)

    def _background(self) -> np.ndarray:
        srcs = self.backgrounds[self.stage]
        names = list(srcs)
        p = np.asarray([srcs[n] for n in names], dtype=np.float64)
        name = names[np.random.choice(len(names), p=p / p.sum())]
        if name == 'black' or not self.unlabeled_infos and name.startswith(
                'unlabeled'):
            return np.zeros(self.scale, dtype=np.float32)
        if name == 'exemplar_inpainted':
            return self.exemplar_inpainted_imgs[self._draw_labelled()].copy()
        info = self.unlabeled_infos[np.random.randint(len(self.unlabeled_infos))]
        data = self._load_unlabeled(info, with_pseudo=name ==
                                    'unlabeled_inpainted')
        if name == 'unlabeled_raw':
            return data['img']
        # unsure pixels (ignore: below min_confidence) may be organs too, so
        # they are inpainted with the organs; a slice without any pseudo
        # label gives a black background instead of organs labelled 0
        if (data['label'] == IGNORE_INDEX).all():
            return np.zeros(self.scale, dtype=np.float32)
        return inpaint_organs(data['img'], data['label'] > 0)

    def prepare_sample(self, idx: int) -> dict:
        """Results dict of sample ``idx`` before the shared pipeline."""
        stream = self.stream_of(idx)
        if stream == 'exemplar':
            k = self._draw_labelled()
            results = self._base_results(stream, self.exemplar_infos[k])
            results['img'] = self.exemplar_imgs[k].copy()
            results['gt_seg_map'] = self.exemplar_labels[k].copy()
            results = self.exemplar_pipeline(results)
        elif stream == 'synthetic':
            k = self._draw_labelled()  # the labelled slice ESM cuts from
            results = self._base_results(stream, self.exemplar_infos[k])
            src_img, src_label = self.exemplar_imgs[k], self.exemplar_labels[k]
            if self.propagated and np.random.rand() < float(
                    self.propagation['esm_prob']):
                sid = list(self.propagated)[np.random.randint(
                    len(self.propagated))]
                src_img = self.propagated_images[sid]
                src_label = self.propagated[sid].label
            results.update(
                exemplar_img=src_img,
                exemplar_label=src_label,
                img=self._background())
            results = self.synthesis(results)
            results.pop('exemplar_img', None)
            results.pop('exemplar_label', None)
        elif stream == 'propagated':  # pseudo-labelled by registration
            sid, img, label = self._propagated_sample()
            results = self._base_results('unlabeled',
                                         self.propagated_infos[sid])
            results['img'] = img.copy()
            results['gt_seg_map'] = label
        else:
            n = len(self.unlabeled_infos)
            info = self.unlabeled_infos[(idx // len(self.patterns[self.stage]))
                                        % n]
            results = self._base_results(stream, info)
            data = self._load_unlabeled(info, with_pseudo=True)
            results['img'] = data['img']
            results['gt_seg_map'] = data['label']
        results['img_shape'] = results['img'].shape[:2]
        results['ori_shape'] = results['img'].shape[:2]
        return results

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(self.prepare_sample(idx))
