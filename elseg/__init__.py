"""elseg: exemplar learning for medical image segmentation, as MMSegmentation plugins.

Importing this package registers every elseg component into mmseg's registries
(configs do it with ``custom_imports = dict(imports=['elseg'])``) and sets up
checkpoint I/O that works on torch >= 2.6 (see :mod:`elseg.utils.checkpoint`).
"""
from .utils.checkpoint import setup_checkpoint_io

setup_checkpoint_io()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
__all__ = ['__version__']
