__all__ = []
from .inference import inference_volume  # noqa: E402
__all__ += ['inference_volume']
