from . import transforms  # noqa: F401

from .exemplar_learning_dataset import ExemplarLearningDataset
__all__ = ['ExemplarLearningDataset']
from .medical_slice_dataset import MedicalSliceDataset  # noqa: E402
from .acdc_dataset import ACDCDataset  # noqa: E402
from .btcv_synapse_dataset import BTCVSynapseDataset  # noqa: E402
from .nifti_slice_dataset import NiftiSliceDataset  # noqa: E402
from .exemplar import (exemplar_ids, exemplar_selection_kwargs,  # noqa: E402
                       read_exemplar_file, read_exemplar_ids,
                       select_exemplar, select_exemplars,
                       write_exemplar_file)
__all__ += [
    'MedicalSliceDataset', 'ACDCDataset', 'BTCVSynapseDataset',
    'NiftiSliceDataset',
    'exemplar_ids', 'exemplar_selection_kwargs', 'read_exemplar_file',
    'read_exemplar_ids', 'select_exemplar', 'select_exemplars',
    'write_exemplar_file'
]
