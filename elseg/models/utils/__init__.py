from .batch_views import (StrongViewAugment, cutmix_boxes, gaussian_blur,
                          mix_with_boxes)
from .batchnorm import frozen_batchnorm
from .ema import ema_update_
from .rampup import sigmoid_rampup

__all__ = ['StrongViewAugment', 'cutmix_boxes', 'ema_update_',
           'frozen_batchnorm', 'gaussian_blur', 'mix_with_boxes',
           'sigmoid_rampup']
