"""Converters from public raw releases to the layouts elseg's datasets read."""
from .acdc_official import convert_acdc
from .nifti_folder import convert_nifti
from .synapse_raw import convert_synapse

__all__ = ['convert_acdc', 'convert_nifti', 'convert_synapse']
