"""Convert a folder of NIfTI volumes (the user's own data) to elseg's slice layout.

Two input layouts are read:

* ``'folder'`` (the CHAOS layout of ``../shared/data/CHAOS_T2``)::

      image_<id>.nii.gz    one single-channel 3D volume per case
      label_<id>.nii.gz    its labels (optional: unlabelled cases have none)
      train.list, val.list, test.list   case ids, one a line (optional)

* ``'nnunet'`` (the nnU-Net v2 / Medical Segmentation Decathlon raw layout)::

      dataset.json              'labels' ({name: id} in nnU-Net v2, {id: name}
                                in the MSD) and 'channel_names' / 'modality'
      imagesTr/<case>_0000.nii.gz   (MSD: imagesTr/<case>.nii.gz)
      labelsTr/<case>.nii.gz

Output (``data_root`` of :class:`~elseg.datasets.NiftiSliceDataset`; the
SSL4MIS layout that ACDC uses, so every elseg tool reads it)::

    dataset.json                 classes, modality, normalisation, orientation,
                                 per-case spacing / source files / split
    train.list, val.list, ...    volume (case) ids of each non-empty split
    train_slices.list            training slice ids ``<case>_slice_<n>``, n
                                 counting from 1 at the most inferior slice
    data/slices/<slice id>.h5    'image' float32 (H, W) in [0, 1], 'label'
                                 uint8 (H, W) when the slice is labelled;
                                 attribute 'spacing' (z, y, x) mm
    data/<case>.h5               val/test volumes: 'image' (S, H, W), 'label'
                                 (S, H, W), attribute 'spacing'
    exemplar.json                with an annotated exemplar (see below): its
                                 slice id, and ``source_slice``, the slice
                                 as viewers number it in the annotated file
                                 (ITK-SNAP from 1, 3D Slicer from 0); with
                                 several annotated slices also
                                 ``slice_ids`` and ``source_slices``

Orientation: whatever the file's axis order, each volume is reoriented with its
affine to RAS+ (no resampling, only axis permutations and flips, as nibabel's
``as_closest_canonical``) and cut into axial slices ``(z, y, x)`` in the
radiological display convention of the Synapse converter: row 0 anterior,
column 0 the patient's right, slice 0 the most inferior. The spacing (z, y, x)
in mm is taken from the affine and stored, so HD95 is reported in mm.
:func:`elseg.utils.volume.slices_to_nifti` inverts this for predictions.

Intensity normalisation (stored in ``dataset.json`` so that
``tools/infer.py`` repeats it on new volumes):

* MRI (any non-CT modality): per volume, clip to the ``percentiles`` (default
  0.5 and 99.5) of all its voxels, then scale to [0, 1]. MRI intensities have
  no absolute unit and vary between scanners and patients; the percentiles
  drop the few extreme voxels (vessels, artefacts) that a min-max scaling
  would let set the range (as nnU-Net's CT scheme does with its 0.5/99.5
  foreground percentiles).
* CT: Hounsfield units clipped to ``hu_window`` (default the TransUNet
  abdomen window [-125, 275]) and scaled to [0, 1].

Labels: ``classes`` lists the output classes in id order 1..K-1 (0 is
background), each with the label ids of the files that map to it. A label id
that no class names is an error unless ``other_ids_to_background`` (e.g. to
keep 8 of the 13 Synapse organs).

The one annotated slice (exemplar learning, ELNet, arXiv 2204.01713): the
user's data are unlabelled volumes plus one label volume in which exactly one
slice is drawn (what ITK-SNAP or 3D Slicer save), passed as
``exemplar_label`` beside its image (the training case ``exemplar_case``).
Its annotated axial slice becomes the only labelled training slice
(``exemplar.json``, read by ``ExemplarLearningDataset(exemplar=dict(
file=...))``); no other training label is written. With ``multi_slice``
(``--multi-slice``) the label volume may hold several annotated axial slices
of that case: each becomes a labelled training slice, all listed in
``exemplar.json``, the first (inferior first) that shows every class as the
exemplar (one must), the others in axial order. Without it, training
labels are written too (a fully labelled benchmark such as CHAOS, where
``tools/select_exemplar.py`` picks the exemplar and training still reads
that one label only).

Everything is checked while writing into a hidden temporary folder beside
``out_dir``, which is renamed to ``out_dir`` at the end: on any error nothing
is left behind.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import re
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from elseg.utils.file_mode import chmod_as_created
from elseg.utils.io import atomic_save_h5, atomic_write_bytes
from elseg.utils.volume import (HU_WINDOW, ORIENTATION, PERCENTILES,
                                normalisation_of, normalise, read_axial,
                                source_slice)

from ..exemplar_file import write_exemplar_file

LAYOUTS = ('auto', 'folder', 'nnunet')
SPLITS = ('train', 'val', 'test')
FORMAT = 'elseg-nifti-slices'
#: ``classes`` argument: ``[(name, (source ids...)), ...]`` for ids 1..K-1.
ClassSpec = Sequence[Tuple[str, Sequence[int]]]


# ------------------------------------------------------------------ reading
def label_lut(classes: ClassSpec, other_ids_to_background: bool = False
              ) -> np.ndarray:
    """Lookup table source id -> output id (-1: not a class; 0..255 ids).

    Raises:
        ValueError: A source id named twice, outside 0..255, or no class.
    """
    if not classes:
        raise ValueError('classes is empty: name at least one foreground '
                         'class, e.g. liver=1.')
    lut = np.full(256, 0 if other_ids_to_background else -1, np.int64)
    lut[0] = 0
    seen: Dict[int, str] = {}
    for out_id, (name, src_ids) in enumerate(classes, start=1):
        if not src_ids:
            raise ValueError(f'class {name!r} has no label id.')
        for s in src_ids:
            s = int(s)
            if not 0 < s < 256 or s in seen:
                raise ValueError(
                    f'label id {s} of class {name!r} is '
                    + (f'already used by {seen[s]!r}' if s in seen else
                       'outside 1..255') + '.')
            seen[s] = name
            lut[s] = out_id
    return lut


def map_labels(raw: np.ndarray, lut: np.ndarray, path: str,
               names: Sequence[str]) -> np.ndarray:
    """Map a label volume's ids through ``lut`` (see :func:`label_lut`).

    Raises:
        ValueError: Non-integer values, or ids that no class names.
    """
    arr = np.asarray(raw)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise ValueError(
                f'Label file {path!r} holds non-integer values: a label map '
                'must hold class ids. Save it as an integer segmentation '
                '(ITK-SNAP: Segmentation > Save; 3D Slicer: export a '
                'labelmap).')
    ids = np.unique(arr).astype(np.int64)
    bad = ids[(ids < 0) | (ids > 255)]
    if not bad.size:
        bad = ids[lut[ids] < 0]
    if bad.size:
        known = ', '.join(f'{n}={[int(i) for i in np.flatnonzero(lut == k)]}'
                          for k, n in enumerate(names) if k)
        raise ValueError(
            f'Label file {path!r} holds label id(s) {bad.tolist()} that no '
            f'class maps (classes: {known}). Add them to --classes / '
            "dataset.json 'labels', or pass --other-ids-to-background to "
            'map every unnamed id to background.')
    return lut[arr.astype(np.int64)].astype(np.uint8)


def _read_list(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def _nnunet_meta(src: str) -> Tuple[ClassSpec, Optional[str]]:
    """Classes and modality from an nnU-Net v2 / MSD ``dataset.json``."""
    path = osp.join(src, 'dataset.json')
    try:
        with open(path) as f:
            meta = json.load(f)
        labels = meta['labels']
    except FileNotFoundError:
        raise FileNotFoundError(
            f'{path!r} not found: the nnU-Net layout needs dataset.json with '
            "its 'labels', or pass --classes.") from None
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(
            f'{path!r} is not an nnU-Net dataset.json with a "labels" mapping '
            f'({type(err).__name__}: {err}). Fix the file or pass --classes.'
        ) from err
    pairs = []
    for k, v in labels.items():
        if isinstance(v, str) and str(k).lstrip('-').isdigit():  # MSD: id->name
            pairs.append((v, int(k)))
        elif isinstance(v, int) and not isinstance(v, bool):  # v2: name->id
            pairs.append((str(k), v))
        else:
            raise ValueError(
                f'{path!r}: label {k!r}: {v!r} is neither name->id (nnU-Net '
                'v2) nor id->name (MSD); region labels (lists) are not '
                'supported. Pass --classes name=id ... instead.')
    classes = [(n, (i, )) for n, i in sorted(pairs, key=lambda p: p[1])
               if i != 0]
    channels = meta.get('channel_names') or meta.get('modality') or {}
    if len(channels) > 1:
        raise ValueError(
            f'{path!r} lists {len(channels)} channels {channels}; elseg '
            'segments single-channel volumes. Convert a copy holding the one '
            'channel you want (its _0000 files and one channel_names entry).')
    modality = next(iter(channels.values())) if channels else None
    return classes, modality


def find_cases(src: str, layout: str = 'auto'
               ) -> Tuple[str, Dict[str, Tuple[str, Optional[str]]]]:
    """Case id -> (image path, label path or None) of an input folder.

    Args:
        src (str): The input folder.
        layout (str): 'folder', 'nnunet' or 'auto' (nnunet when ``src`` has
            ``imagesTr/``).

    Returns:
        tuple: ``(layout, cases)``.

    Raises:
        ValueError: Unknown layout, or no image found.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}.')
    if not osp.isdir(src):
        raise FileNotFoundError(f'Input folder not found: {src!r}.')
    if layout == 'auto':
        layout = 'nnunet' if osp.isdir(osp.join(src, 'imagesTr')) else 'folder'
    cases: Dict[str, Tuple[str, Optional[str]]] = {}
    if layout == 'folder':
        for path in sorted(glob.glob(osp.join(src, 'image_*.nii*'))):
            m = re.fullmatch(r'image_(.+?)\.nii(\.gz)?', osp.basename(path))
            if m:
                lab = [osp.join(src, f'label_{m.group(1)}.nii{ext}')
                       for ext in ('.gz', '')]
                cases[m.group(1)] = (path, next(
                    (p for p in lab if osp.isfile(p)), None))
        expected = 'image_<id>.nii.gz files'
    else:
        for path in sorted(glob.glob(osp.join(src, 'imagesTr', '*.nii*'))):
            m = re.fullmatch(r'(.+?)(_\d{4})?\.nii(\.gz)?', osp.basename(path))
            if not m:
                continue
            if m.group(2) not in (None, '_0000'):
                continue  # another channel: refused by _nnunet_meta
            lab = osp.join(src, 'labelsTr', m.group(1) + '.nii.gz')
            cases[m.group(1)] = (path, lab if osp.isfile(lab) else None)
        expected = 'imagesTr/<case>_0000.nii.gz files'
    if not cases:
        raise ValueError(f'No {expected} found in {src!r} ({layout!r} layout). '
                         'Check the folder, or --layout.')
    return layout, cases


def _grid_check(img_path: str, img_shape: tuple, img_aff: np.ndarray,
                lab_path: str, lab_shape: tuple, lab_aff: np.ndarray) -> None:
    if tuple(img_shape) != tuple(lab_shape) or not np.allclose(
            img_aff, lab_aff, atol=1e-3):
        raise ValueError(
            f'Label {lab_path!r} and image {img_path!r} are on different '
            f'voxel grids (axial shape {tuple(lab_shape)} vs '
            f'{tuple(img_shape)}, affine\n{np.round(lab_aff, 3).tolist()} vs\n'
            f'{np.round(img_aff, 3).tolist()}). Save the segmentation on its '
            "image's grid (ITK-SNAP / 3D Slicer: with that image as the "
            'reference/master volume), or resample it with nearest '
            'neighbours.')


def annotated_slices(label: np.ndarray) -> List[int]:
    """Axial indices (0-based) of the slices of ``(S, H, W)`` with a label."""
    return [int(k) for k in np.flatnonzero(label.reshape(len(label), -1)
                                            .any(axis=1))]


def _viewer_numbers(affine: np.ndarray, n_slices: int,
                    ks: Sequence[int]) -> str:
    """``'ITK-SNAP slice(s) [6] (3D Slicer K [5])'`` for messages."""
    where = [source_slice(affine, n_slices, k) for k in ks]
    axis = where[0]['axis'].upper() if where else 'K'
    return (f'ITK-SNAP slice(s) {[w["itk_snap"] for w in where]} (3D Slicer '
            f'{axis} {[w["slicer"] for w in where]})')


# ------------------------------------------------------------------ writing
def convert_nifti(src: str,
                  out_dir: str,
                  layout: str = 'auto',
                  modality: Optional[str] = None,
                  classes: Optional[ClassSpec] = None,
                  splits: Optional[Dict[str, Sequence[str]]] = None,
                  exemplar_label: Optional[str] = None,
                  exemplar_case: Optional[str] = None,
                  percentiles: Tuple[float, float] = PERCENTILES,
                  hu_window: Tuple[float, float] = HU_WINDOW,
                  other_ids_to_background: bool = False,
                  multi_slice: bool = False) -> dict:
    """Convert NIfTI volumes to elseg's slice layout (see the module doc).

    Args:
        src (str): Input folder ('folder' or 'nnunet' layout).
        out_dir (str): Output ``data_root``; must not exist or be empty.
        layout (str): 'auto', 'folder' or 'nnunet'. Defaults to 'auto'.
        modality (str, optional): 'MRI' or 'CT'. Defaults to dataset.json's
            channel (nnunet); required for the 'folder' layout.
        classes (list, optional): ``[(name, (ids...)), ...]`` for the output
            ids 1..K-1. Defaults to dataset.json's labels (nnunet); required
            for the 'folder' layout.
        splits (dict, optional): ``{'train': ids, 'val': ids, 'test': ids}``.
            Defaults to the ``<split>.list`` files of ``src``; cases in no
            split are training cases. Every case may be in ``val`` / ``test``
            (a labelled set to evaluate a trained model on: no training
            slice, no exemplar).
        exemplar_label (str, optional): Label volume with exactly one
            annotated axial slice: the one labelled training slice (several
            with ``multi_slice``).
        exemplar_case (str, optional): The training case it annotates.
            Defaults to the id in its name (``label_<id>`` / ``<case>``).
        percentiles (tuple): MRI percentile clip. Defaults to (0.5, 99.5).
        hu_window (tuple): CT window. Defaults to (-125, 275).
        other_ids_to_background (bool): Map ids no class names to 0 instead
            of raising. Defaults to False.
        multi_slice (bool): Accept several annotated slices in
            ``exemplar_label``, each a labelled training slice (one of them
            must show every class). Defaults to False.

    Returns:
        dict: The ``dataset.json`` written.

    Raises:
        FileNotFoundError: Missing input folder, list or file.
        ValueError: Any bad input (see :func:`read_axial`, :func:`map_labels`,
            the grid check, the exemplar checks); nothing is written then.
    """
    layout, cases = find_cases(src, layout)
    file_classes, file_modality = None, None
    if layout == 'nnunet' and (classes is None or modality is None):
        file_classes, file_modality = _nnunet_meta(src)
    classes = classes if classes is not None else file_classes
    modality = modality or file_modality
    if classes is None:
        raise ValueError(
            f'No classes for {src!r}: the folder layout has no dataset.json; '
            'pass --classes name=id ..., e.g. liver=1 kidney_right=2.')
    if modality is None:
        raise ValueError(f'No modality for {src!r}: pass --modality MRI or '
                         '--modality CT (it sets the intensity '
                         'normalisation).')
    modality = 'CT' if str(modality).upper() == 'CT' else 'MRI'
    names = ['background'] + [str(n) for n, _ in classes]
    lut = label_lut(classes, other_ids_to_background)
    split_of = _assign_splits(src, cases, splits)
    if exemplar_label is not None:
        exemplar_case = _exemplar_case(exemplar_label, exemplar_case, cases,
                                       split_of)
    for cid, split in split_of.items():
        if split != 'train' and cases[cid][1] is None:
            raise ValueError(
                f'Case {cid!r} is in the {split} split but has no label file '
                f'beside {cases[cid][0]!r}: evaluation needs its labels. Add '
                'the label file or move the case to the training split.')
        if split == 'train' and cases[cid][1] is None and exemplar_label is None:
            raise ValueError(
                f'Training case {cid!r} has no label file beside '
                f'{cases[cid][0]!r} and no --exemplar-label was given: '
                'annotate one slice of one training volume and pass it as '
                '--exemplar-label (or give every training case its labels).')

    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        raise ValueError(f'Output folder {out_dir!r} exists and is not empty: '
                         'choose another --out or delete it first.')
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix='.' + osp.basename(out_dir) + '.')
    try:
        chmod_as_created(tmp, directory=True)  # mkdtemp's 0700 would stay
        meta = _write_all(src, tmp, layout, modality, names, lut, cases,
                          split_of, exemplar_label, exemplar_case, percentiles,
                          hu_window, multi_slice)
        if osp.isdir(out_dir):
            os.rmdir(out_dir)  # empty (checked above)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def _assign_splits(src: str, cases: dict,
                   splits: Optional[Dict[str, Sequence[str]]]) -> Dict[str, str]:
    if splits is None:
        splits = {s: _read_list(osp.join(src, f'{s}.list')) for s in SPLITS
                  if osp.isfile(osp.join(src, f'{s}.list'))}
    split_of: Dict[str, str] = {}
    for split, ids in splits.items():
        if split not in SPLITS:
            raise ValueError(f'Unknown split {split!r}; use {SPLITS}.')
        for cid in ids:
            cid = str(cid)
            if cid not in cases:
                raise ValueError(
                    f'Case {cid!r} of the {split} split has no image in '
                    f'{src!r} (cases found: {sorted(cases)[:10]}...). Fix '
                    f'{split}.list / the ids.')
            if cid in split_of:
                raise ValueError(f'Case {cid!r} is in both the {split_of[cid]}'
                                 f' and the {split} split.')
            split_of[cid] = split
    for cid in cases:  # unlisted cases train (the whole folder if no lists)
        split_of.setdefault(cid, 'train' if not splits or 'train' not in
                            splits else 'unused')
    return {c: s for c, s in split_of.items() if s != 'unused'}


def _exemplar_case(path: str, case: Optional[str], cases: dict,
                   split_of: Dict[str, str]) -> str:
    if case is None:
        name = osp.basename(path)
        m = re.fullmatch(r'(?:label_)?(.+?)\.nii(\.gz)?', name)
        case = m.group(1) if m else None
        if case not in cases:
            raise ValueError(
                f'Cannot tell which image {path!r} annotates: {case!r} is not '
                'a case id. Name it label_<id>.nii.gz (folder layout) or '
                '<case>.nii.gz (nnU-Net), or pass --exemplar-case ID.')
    if case not in cases:
        raise ValueError(f'--exemplar-case {case!r} is not a case of the '
                         f'input folder ({sorted(cases)[:10]}...).')
    if split_of.get(case) != 'train':
        raise ValueError(
            f'The exemplar case {case!r} is in the {split_of.get(case)} split: '
            'the annotated slice must come from a training volume. Annotate '
            'a training case, or move this one to train.list.')
    return case


def _write_all(src: str, out: str, layout: str, modality: str,
               names: List[str], lut: np.ndarray, cases: dict,
               split_of: Dict[str, str], exemplar_label: Optional[str],
               exemplar_case: Optional[str], percentiles, hu_window,
               multi_slice: bool = False) -> dict:
    lists: Dict[str, List[str]] = {s: [] for s in SPLITS}
    slice_ids: List[str] = []
    info: Dict[str, dict] = {}
    exemplar = None
    for cid in sorted(cases, key=_natural):
        if cid not in split_of:
            continue
        split = split_of[cid]
        img_path, lab_path = cases[cid]
        vol, spacing, aff = read_axial(img_path, 'image')
        label = None
        if exemplar_label is not None and cid == exemplar_case:
            exemplar, label = _read_exemplar(exemplar_label, img_path, vol,
                                             aff, lut, names, multi_slice)
            lab_path = exemplar_label
        elif lab_path is not None and (split != 'train'
                                       or exemplar_label is None):
            raw, _, lab_aff = read_axial(lab_path, 'label')
            _grid_check(img_path, vol.shape, aff, lab_path, raw.shape, lab_aff)
            label = map_labels(raw, lut, lab_path, names)
        image = normalise(vol, modality, percentiles, hu_window)
        sp = np.asarray(spacing, np.float64)
        lists[split].append(cid)
        info[cid] = dict(split=split, image=osp.abspath(img_path),
                         label=osp.abspath(lab_path) if label is not None
                         else None, shape=list(vol.shape),
                         spacing=list(spacing))
        if split != 'train':
            atomic_save_h5(osp.join(out, 'data', cid + '.h5'),
                           dict(image=image, label=label), dict(spacing=sp),
                           'gzip')
            continue
        for k in range(len(image)):
            sid = f'{cid}_slice_{k + 1}'
            arrays = dict(image=image[k])
            if label is not None and (exemplar is None or cid != exemplar_case
                                      or k in exemplar['indices']):
                arrays['label'] = label[k]
            atomic_save_h5(osp.join(out, 'data', 'slices', sid + '.h5'),
                           arrays, dict(spacing=sp))
            slice_ids.append(sid)
    for split, ids in lists.items():
        if ids:
            atomic_write_bytes(''.join(i + '\n' for i in ids).encode(),
                               osp.join(out, split + '.list'))
    if slice_ids:  # an evaluation-only folder has no training slice
        atomic_write_bytes(''.join(i + '\n' for i in slice_ids).encode(),
                           osp.join(out, 'train_slices.list'))
    meta = dict(
        format=FORMAT, version=1, source=osp.abspath(src), layout=layout,
        classes=names, modality=modality,
        normalisation=normalisation_of(modality, percentiles, hu_window),
        orientation=ORIENTATION,
        training_labels=(('exemplar only' if len(exemplar['indices']) == 1
                          else 'exemplar slices only') if exemplar else
                         'all' if slice_ids else 'none (evaluation only)'),
        cases=info)
    if exemplar is not None:
        sids = [f'{exemplar_case}_slice_{k + 1}' for k in exemplar['indices']]
        where = exemplar['source_slices']
        several = dict(slice_ids=sids, source_slices=where) if len(
            sids) > 1 else {}
        meta['exemplar'] = dict(slice_id=sids[0], source=osp.abspath(
            exemplar_label), source_slice=where[0], **several)
        write_exemplar_file(osp.join(out, 'exemplar.json'), sids, 'annotated',
                            0, source=osp.abspath(exemplar_label),
                            source_slice=where[0],
                            **({'source_slices': where} if several else {}))
    atomic_write_bytes(json.dumps(meta, indent=2).encode(),
                       osp.join(out, 'dataset.json'))
    return meta


def _read_exemplar(path: str, img_path: str, vol: np.ndarray,
                   aff: np.ndarray, lut: np.ndarray, names: List[str],
                   multi_slice: bool = False):
    """Read and check the annotation (grid, one slice or several, classes).

    Returns:
        tuple: ``(dict(indices, source_slices), label volume)``: the
        annotated axial indices, the exemplar (the first showing every
        class) first, and each as the viewers number it.
    """
    raw, _, lab_aff = read_axial(path, 'label')
    _grid_check(img_path, vol.shape, aff, path, raw.shape, lab_aff)
    label = map_labels(raw, lut, path, names)
    drawn = annotated_slices(label)
    if not drawn:
        raise ValueError(
            f'The exemplar label {path!r} has no annotated slice (all voxels '
            'are 0 after the class mapping). Draw every class on one axial '
            'slice of its image and save the segmentation again.')
    n = len(label)
    if len(drawn) > 1 and not multi_slice:
        raise ValueError(
            f'The exemplar label {path!r} has {len(drawn)} annotated axial '
            f'slices: {_viewer_numbers(lab_aff, n, drawn[:20])}; exemplar '
            'learning uses exactly one. Erase all but one slice and save '
            'again (an annotation drawn across slices in a sagittal or coronal'
            ' view also spans several axial slices), or pass --multi-slice '
            '(multi_slice=True) to train on every annotated slice.')
    missing = {}
    for k in drawn:
        present = set(np.unique(label[k]).tolist())
        missing[k] = [names[c] for c in range(1, len(names))
                      if c not in present]
    full = [k for k in drawn if not missing[k]]
    if not full:
        k = drawn[0]
        if len(drawn) == 1:
            raise ValueError(
                f'The annotated slice of {path!r} '
                f'({_viewer_numbers(lab_aff, n, [k])}) lacks class(es) '
                f'{missing[k]}: the exemplar must show every class. Annotate '
                'a slice where all classes are visible, or drop the missing '
                'ones from --classes.')
        raise ValueError(
            f'No annotated slice of {path!r} '
            f'({_viewer_numbers(lab_aff, n, drawn[:20])}) shows every class '
            f'(each lacks: {[missing[k] for k in drawn[:20]]}): one of them, '
            'the exemplar, must. Complete one slice with every class, or '
            'drop the missing ones from --classes.')
    order = [full[0]] + [k for k in drawn if k != full[0]]
    return dict(indices=order, source_slices=[
        source_slice(lab_aff, n, k) for k in order]), label


def _natural(cid: str):
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', cid)]


__all__ = [
    'annotated_slices', 'convert_nifti', 'find_cases', 'label_lut',
    'map_labels', 'normalisation_of', 'normalise', 'read_axial', 'source_slice'
]
