from .class_mean_dice_loss import ClassMeanDiceLoss
from .pixel_prototype_contrastive_loss import PixelPrototypeContrastiveLoss
__all__ = ['ClassMeanDiceLoss', 'PixelPrototypeContrastiveLoss']
