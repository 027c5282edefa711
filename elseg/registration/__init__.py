"""Deformable 2D registration and label propagation (no mmseg registry:
plain functions used by :class:`~elseg.datasets.ExemplarLearningDataset`)."""
from .deformable import (RegistrationResult, bending_energy, bspline_basis,
                         jacobian_determinant, local_ncc_map, ncc,
                         register_pair, warp_image, warp_label)
from .propagation import (PropagatedLabel, neighbour_chains, propagate_label,
                          step_confidence)

__all__ = [
    'PropagatedLabel', 'RegistrationResult', 'bending_energy',
    'bspline_basis', 'jacobian_determinant', 'local_ncc_map', 'ncc',
    'neighbour_chains', 'propagate_label', 'register_pair',
    'step_confidence', 'warp_image', 'warp_label'
]
