__all__ = []
from .inference import inference_volume  # noqa: E402
__all__ += ['inference_volume']
from .tta import flip_tta_pipeline  # noqa: E402
__all__ += ['flip_tta_pipeline']
