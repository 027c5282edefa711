"""Deformable 2D registration and label propagation (no mmseg registry:
plain functions used by :class:`~elseg.datasets.ExemplarLearningDataset`)."""
from .deformable import (RegistrationResult, bending_energy,
                         jacobian_determinant, local_ncc_map, ncc,
                         register_pair, warp_image, warp_label)

__all__ = [
    'RegistrationResult', 'bending_energy', 'jacobian_determinant',
    'local_ncc_map', 'ncc', 'register_pair', 'warp_image', 'warp_label'
]
