"""LoadMedicalSlice: read one 2D slice (image and label) from HDF5 or npz."""
from __future__ import annotations

from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from elseg.utils.io import read_h5_array, read_npz_array


def read_slice(path: str, key: str, slice_idx: Optional[int]) -> np.ndarray:
    """Read ``key`` from ``path`` (.h5 or .npz), sliced at ``slice_idx``."""
    if path.endswith('.h5') or path.endswith('.hdf5'):
        arr = read_h5_array(path, key, slice_idx)
        ndim_read = arr.ndim + (1 if slice_idx is not None else 0)
    elif path.endswith('.npz'):
        arr = read_npz_array(path, key)
        ndim_read = arr.ndim
        if slice_idx is not None and arr.ndim == 3:
            if not -arr.shape[0] <= slice_idx < arr.shape[0]:
                raise ValueError(
                    f'Slice index {slice_idx} is out of range for {key!r} of '
                    f'shape {arr.shape} in {path!r}: fix slice_idx.')
            arr = arr[slice_idx]
    else:
        raise ValueError(
            f'Unsupported file type {path!r}: LoadMedicalSlice reads .h5 '
            '(SSL4MIS / TransUNet volumes) and .npz (TransUNet slices). '
            'Convert other formats with tools/convert_*.py.')
    expected = 2 if slice_idx is None else 3
    if ndim_read != expected or arr.ndim != 2:
        what = ('a 2D (H, W) array because slice_idx is None' if slice_idx is
                None else f'a 3D (S, H, W) volume because slice_idx='
                f'{slice_idx}')
        raise ValueError(
            f'{key!r} in {path!r} has {ndim_read} dimensions; expected {what}.'
            ' Fix the file or the dataset mode (slices vs volumes).')
    return arr


@TRANSFORMS.register_module()
class LoadMedicalSlice(BaseTransform):
    """Load a single-channel slice and, when labelled, its label map.

    The file layouts are those of SSL4MIS (ACDC, ``.h5`` with ``image``/``label``
    datasets, 2D per slice or 3D per volume) and TransUNet (Synapse, ``.npz``
    slices and ``.npy.h5`` volumes with the same keys). A 3D file is indexed
    along its first axis by ``slice_idx``; only that slice is read from disk.
    The label is never opened when ``seg_map_path`` is None (exemplar
    learning: unlabelled slices must not leak their labels).

    Required Keys:

    - img_path
    - seg_map_path (None for unlabelled slices)
    - slice_idx (optional; None or absent for a 2D file)

    Added Keys:

    - img (np.float32, (H, W), intensities as stored, no 8-bit round trip)
    - gt_seg_map (np.uint8, (H, W); only when seg_map_path is not None)
    - img_shape, ori_shape ((H, W))
    - seg_fields (``'gt_seg_map'`` appended when a label is loaded)

    Args:
        num_classes (int, optional): When given, label values must lie in
            ``[0, num_classes)`` or equal ``ignore_index``; anything else
            raises (catches a wrong label mapping early). Defaults to None.
        ignore_index (int): Value allowed in labels besides the classes.
            Defaults to 255.
        image_key (str): Dataset/array name of the image. Defaults to 'image'.
        label_key (str): Dataset/array name of the label. Defaults to 'label'.
        load_image (bool): Read the image. Defaults to True.
        load_label (bool): Read the label (when ``seg_map_path`` is set).
            Defaults to True. Test pipelines load the image, ``Resize`` it,
            then load the label with a second ``LoadMedicalSlice(
            load_image=False)`` so the label keeps its original size, as
            mmseg's ``LoadImageFromFile`` / ``LoadAnnotations`` pair does.

    Raises:
        FileNotFoundError: The image or label file does not exist.
        KeyError: The file lacks ``image_key`` / ``label_key``.
        ValueError: Unreadable file, wrong dimensionality, image/label shape
            mismatch, or label values outside the classes.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 image_key: str = 'image',
                 label_key: str = 'label',
                 load_image: bool = True,
                 load_label: bool = True) -> None:
        if not (load_image or load_label):
            raise ValueError('LoadMedicalSlice with load_image=False and '
                             'load_label=False does nothing.')
        if num_classes is not None and (not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError(
                f'num_classes must be a positive int or None, got '
                f'{num_classes!r}.')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.image_key = image_key
        self.label_key = label_key
        self.load_image = load_image
        self.load_label = load_label

    def transform(self, results: dict) -> dict:
        """Read ``img`` and (if labelled) ``gt_seg_map`` into ``results``."""
        img_path = results['img_path']
        slice_idx = results.get('slice_idx', None)
        if self.load_image:
            img = read_slice(img_path, self.image_key,
                             slice_idx).astype(np.float32)
            results['img'] = img
            results['img_shape'] = img.shape[:2]
            results['ori_shape'] = img.shape[:2]
        results.setdefault('seg_fields', [])
        seg_path = results.get('seg_map_path', None)
        if seg_path is None or not self.load_label:
            return results
        label = read_slice(seg_path, self.label_key, slice_idx)
        ori_shape = tuple(results.get('ori_shape', label.shape))
        if label.shape != ori_shape:
            raise ValueError(
                f'Image/label shape mismatch for slice {slice_idx} of '
                f'{img_path!r}: image {ori_shape} vs label {label.shape} in '
                f'{seg_path!r}. Re-create the file so both have the same '
                'shape.')
        if not np.issubdtype(label.dtype, np.integer):
            if not np.all(np.mod(label, 1) == 0):
                raise ValueError(
                    f'Label in {seg_path!r} has non-integer values '
                    f'({label.dtype}); labels must be class ids.')
        if label.size and (label.min() < 0 or label.max() > 255):
            raise ValueError(
                f'Label in {seg_path!r} has values in [{label.min()}, '
                f'{label.max()}], outside uint8; remap the classes.')
        label = label.astype(np.uint8)
        if self.num_classes is not None:
            values = np.unique(label)
            bad = values[(values >= self.num_classes)
                         & (values != self.ignore_index)]
            if bad.size:
                raise ValueError(
                    f'Label in {seg_path!r} (slice {slice_idx}) has values '
                    f'{bad.tolist()} outside the {self.num_classes} classes '
                    f'(0..{self.num_classes - 1}, ignore '
                    f'{self.ignore_index}). Check the label mapping of the '
                    'converter or num_classes.')
        results['gt_seg_map'] = label
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, '
                f'image_key={self.image_key!r}, label_key={self.label_key!r}, '
                f'load_image={self.load_image}, load_label={self.load_label})')


__all__ = ['LoadMedicalSlice']
