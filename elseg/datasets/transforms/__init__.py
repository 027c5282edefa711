from .exemplar_synthesis import ExemplarSynthesis
__all__ = ['ExemplarSynthesis']
from .load_medical_slice import LoadMedicalSlice  # noqa: E402
__all__ += ['LoadMedicalSlice']
