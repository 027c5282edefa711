"""ACDCDataset: ACDC cardiac cine MRI in the SSL4MIS preprocessed layout."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .medical_slice_dataset import MedicalSliceDataset


@DATASETS.register_module()
class ACDCDataset(MedicalSliceDataset):
    """ACDC (Bernard et al., IEEE TMI 2018) as preprocessed by SSL4MIS.

    Layout (``data_root``)::

        train.list           volume ids, e.g. patient003_frame01
        train_slices.list    slice ids, e.g. patient003_frame01_slice_7
        val.list / test.list volume ids
        data/slices/<slice id>.h5   'image' float32 (H, W) in [0, 1],
                                    'label' uint8 (H, W)
        data/<volume id>.h5         'image' float32 (S, H, W), 'label' (S, H, W)

    Labels: 0 background, 1 RV, 2 Myo, 3 LV. The volume id of
    ``patient003_frame01_slice_7`` is ``patient003_frame01``. ``mode='slices'``
    defaults to ``train_slices.list``, ``mode='volumes'`` to ``val.list``.
    The files written by :mod:`elseg.datasets.converters.acdc_official` and
    :mod:`elseg.datasets.phantom` follow the same layout.

    Args:
        **kwargs: See :class:`MedicalSliceDataset`.

    Example:
        >>> ds = ACDCDataset(data_root='data/ACDC', mode='volumes',
        ...                  pipeline=[dict(type='LoadMedicalSlice')])
    """

    METAINFO = dict(
        classes=('background', 'RV', 'Myo', 'LV'),
        palette=[[0, 0, 0], [230, 60, 60], [60, 200, 60], [60, 90, 240]])
    SLICE_DIR = 'data/slices'
    VOLUME_DIR = 'data'
    SLICE_SUFFIX = '.h5'
    VOLUME_SUFFIX = '.h5'
    DEFAULT_SPLITS = dict(slices='train_slices.list', volumes='val.list')
