"""BTCVSynapseDataset: Synapse multi-organ CT in the TransUNet layout."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .medical_slice_dataset import MedicalSliceDataset


@DATASETS.register_module()
class BTCVSynapseDataset(MedicalSliceDataset):
    """Synapse / BTCV abdomen CT, 8 organs, as preprocessed by TransUNet.

    (Named so as not to clash with mmseg's ``SynapseDataset``, which reads
    JPEG/PNG slices and evaluates slice-level IoU, not the 3D protocol.)

    Layout (``data_root``), as written by :mod:`elseg.datasets.converters.
    synapse_raw` and as in TransUNet's release::

        train.txt             slice ids, e.g. case0005_slice042
        test_vol.txt          volume ids, e.g. case0008
        train_npz/<slice id>.npz       'image' float32 (H, W) in [0, 1]
                                       (HU clipped to [-125, 275]), 'label'
        test_vol_h5/<volume id>.npy.h5 'image' float32 (S, H, W), 'label'

    Labels (TransUNet order): 0 background, 1 aorta, 2 gallbladder,
    3 kidney_left, 4 kidney_right, 5 liver, 6 pancreas, 7 spleen, 8 stomach.
    TransUNet keeps its lists in ``lists/lists_Synapse``; pass
    ``split_list='lists/lists_Synapse/train.txt'`` (relative to data_root or
    absolute) for that layout.

    Args:
        **kwargs: See :class:`MedicalSliceDataset`.
    """

    METAINFO = dict(
        classes=('background', 'aorta', 'gallbladder', 'kidney_left',
                 'kidney_right', 'liver', 'pancreas', 'spleen', 'stomach'),
        palette=[[0, 0, 0], [220, 40, 40], [40, 200, 40], [40, 60, 230],
                 [40, 220, 220], [220, 40, 220], [230, 230, 40],
                 [120, 200, 255], [250, 150, 60]])
    SLICE_DIR = 'train_npz'
    VOLUME_DIR = 'test_vol_h5'
    SLICE_SUFFIX = '.npz'
    VOLUME_SUFFIX = '.npy.h5'
    DEFAULT_SPLITS = dict(slices='train.txt', volumes='test_vol.txt')
