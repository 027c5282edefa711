from .exemplar_synthesis import ExemplarSynthesis, check_flip_pairs, swap_pairs
__all__ = ['ExemplarSynthesis', 'check_flip_pairs', 'swap_pairs']
from .cavity_contraction import CavityContraction, contract_cavity  # noqa: E402
__all__ += ['CavityContraction', 'contract_cavity']
from .load_medical_slice import LoadMedicalSlice  # noqa: E402
__all__ += ['LoadMedicalSlice']
from .seg_rot_flip import SegRotFlip  # noqa: E402
__all__ += ['SegRotFlip']
from .seg_scale_intensity import SegScaleIntensity  # noqa: E402
__all__ += ['SegScaleIntensity']
