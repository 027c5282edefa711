from .batch_views import (StrongViewAugment, cutmix_boxes, gaussian_blur,
                          mix_with_boxes)

__all__ = ['StrongViewAugment', 'cutmix_boxes', 'gaussian_blur',
           'mix_with_boxes']
