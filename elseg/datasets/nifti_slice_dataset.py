"""NiftiSliceDataset: NIfTI volumes converted by tools/convert_nifti.py."""
from __future__ import annotations

import json
import os.path as osp
from typing import Optional

from mmseg.registry import DATASETS

from .converters.nifti_folder import FORMAT
from .medical_slice_dataset import MedicalSliceDataset


def read_dataset_json(data_root: str) -> dict:
    """The ``dataset.json`` written by :func:`~elseg.datasets.converters.
    nifti_folder.convert_nifti` (classes, modality, normalisation).

    Raises:
        FileNotFoundError: There is none (the folder was not converted).
        ValueError: It is not elseg's converted-NIfTI ``dataset.json``.
    """
    path = osp.join(data_root, 'dataset.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path!r} not found: convert the NIfTI volumes first with '
            f'`python tools/convert_nifti.py SRC --out {data_root}` (or '
            'check data_root).')
    try:
        with open(path) as f:
            meta = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path!r} is not valid JSON ({err}): convert the '
                         'volumes again.') from err
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        raise ValueError(
            f'{path!r} was not written by tools/convert_nifti.py (format '
            f'{meta.get("format") if isinstance(meta, dict) else None!r}, '
            f'expected {FORMAT!r}); an nnU-Net raw folder must be converted '
            'first: python tools/convert_nifti.py SRC --out DATA_ROOT.')
    return meta


@DATASETS.register_module()
class NiftiSliceDataset(MedicalSliceDataset):
    """The user's own NIfTI volumes (or CHAOS) after ``tools/convert_nifti.py``.

    The layout is the SSL4MIS one that :class:`ACDCDataset` reads (training
    slices ``data/slices/<case>_slice_<n>.h5``, evaluation volumes
    ``data/<case>.h5``, lists ``train_slices.list`` / ``val.list``), with the
    voxel spacing (z, y, x) in mm stored beside each image so that HD95 is
    in mm. Class names come from the converter's ``dataset.json`` unless
    ``metainfo=dict(classes=...)`` is given; they must then agree.

    Args:
        data_root (str): The converter's output folder.
        metainfo (dict, optional): ``classes`` (and ``palette``); defaults to
            ``dataset.json``'s classes.
        **kwargs: See :class:`MedicalSliceDataset`.

    Raises:
        FileNotFoundError: No ``dataset.json`` in ``data_root``.
        ValueError: ``metainfo`` classes differ from ``dataset.json``'s.

    Example:
        >>> ds = NiftiSliceDataset(data_root='data/chaos_t2', mode='volumes',
        ...                        pipeline=[dict(type='LoadMedicalSlice')])
    """

    SLICE_DIR = 'data/slices'
    VOLUME_DIR = 'data'
    SLICE_SUFFIX = '.h5'
    VOLUME_SUFFIX = '.h5'
    DEFAULT_SPLITS = dict(slices='train_slices.list', volumes='val.list')

    def __init__(self, data_root: str, metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        meta = read_dataset_json(data_root)
        classes = tuple(meta['classes'])
        metainfo = dict(metainfo or {})
        given = metainfo.get('classes')
        if given is not None and tuple(given) != classes:
            raise ValueError(
                f'metainfo classes {list(given)} differ from the classes '
                f'{list(classes)} of {osp.join(data_root, "dataset.json")!r}:'
                ' fix the config (or convert again with --classes).')
        metainfo['classes'] = classes
        self.dataset_json = meta
        super().__init__(data_root=data_root, metainfo=metainfo, **kwargs)


__all__ = ['NiftiSliceDataset', 'read_dataset_json']
