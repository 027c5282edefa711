"""Converters from public raw releases to the layouts elseg's datasets read."""
from .acdc_official import convert_acdc
from .synapse_raw import convert_synapse

__all__ = ['convert_acdc', 'convert_synapse']
