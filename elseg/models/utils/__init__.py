from .batch_views import (StrongViewAugment, cutmix_boxes, gaussian_blur,
                          mix_with_boxes)
from .batchnorm import frozen_batchnorm
from .ema import ema_update_
from .rampup import sigmoid_rampup
from .teacher import (EMATeacherMixin, check_bn_stats, forward_labelled_first,
                      split_streams, unlabeled_bn)

__all__ = ['EMATeacherMixin', 'StrongViewAugment', 'check_bn_stats',
           'cutmix_boxes', 'ema_update_', 'forward_labelled_first',
           'frozen_batchnorm', 'gaussian_blur', 'mix_with_boxes',
           'sigmoid_rampup', 'split_streams', 'unlabeled_bn']
