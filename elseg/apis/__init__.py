__all__ = []
from .inference import inference_volume  # noqa: E402
__all__ += ['inference_volume']
from .tta import flip_tta_pipeline  # noqa: E402
__all__ += ['flip_tta_pipeline']
from .checkpoint_check import build_config_model, check_config_checkpoint  # noqa: E402
__all__ += ['build_config_model', 'check_config_checkpoint']
