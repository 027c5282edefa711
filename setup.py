"""Thin shim: all metadata lives in setup.cfg (pip's editable install needs it)."""
from setuptools import setup

setup()
