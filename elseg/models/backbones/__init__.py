from .mt_unet import MTUNet
__all__ = ['MTUNet']
