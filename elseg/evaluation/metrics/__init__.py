__all__ = []
from .medical_volume_metric import MedicalVolumeMetric  # noqa: E402
__all__ += ['MedicalVolumeMetric']
