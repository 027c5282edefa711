"""Volumes: NIfTI to axial slices and back, and intensity normalisation.

The one place for how a 3D volume becomes the ``(S, H, W)`` float32 slices in
[0, 1] that elseg trains on: the converters (``elseg.datasets.converters``)
write their data with it, and :func:`elseg.apis.inference.segment_nifti`
(``tools/infer.py``) repeats it on new volumes.

Orientation (``nifti_to_slices``): ``'transpose'`` keeps the file's array
order as ``(z, y, x)`` (SSL4MIS / SimpleITK, ACDC); ``'ras_radiological'``
reorients to RAS+ with the affine (axis permutations and flips only) and cuts
axial slices with anterior at the top and the patient's right on the left
(the Synapse converter and ``tools/convert_nifti.py``).

Intensity schemes (``scale_volume``):

* ``'minmax'``: per volume to [0, 1] (ACDC, as SSL4MIS).
* ``'hu'``: Hounsfield units clipped to a window, then [0, 1] (CT;
  :data:`HU_WINDOW` is TransUNet's abdomen window).
* ``'percentile'``: per volume, clipped to the :data:`PERCENTILES` of its
  voxels, then [0, 1] (MRI in ``tools/convert_nifti.py``).
"""
from __future__ import annotations

from typing import Optional, Tuple

import nibabel.orientations as nio
import numpy as np

from .io import load_nifti

#: CT window in Hounsfield units (TransUNet's abdomen window).
HU_WINDOW = (-125.0, 275.0)
#: Low and high percentile of the MRI clip.
PERCENTILES = (0.5, 99.5)
#: Orientation of ``tools/convert_nifti.py``'s slices.
ORIENTATION = 'ras_radiological'


def window_hu(volume: np.ndarray,
              window: Tuple[float, float] = HU_WINDOW) -> np.ndarray:
    """Clip HU to ``window`` and scale to [0, 1] float32."""
    lo, hi = window
    if hi <= lo:
        raise ValueError(f'HU window must have low < high, got {window}.')
    return ((np.clip(volume.astype(np.float32), lo, hi) - lo) /
            (hi - lo)).astype(np.float32)


def scale_intensity(vol: np.ndarray,
                    percentiles: Optional[Tuple[float, float]] = None
                    ) -> np.ndarray:
    """Min-max scale to [0, 1] float32 (optionally after percentile clip)."""
    vol = vol.astype(np.float32)
    if percentiles is not None:
        lo, hi = np.percentile(vol, percentiles)
        vol = np.clip(vol, lo, hi)
    lo, hi = float(vol.min()), float(vol.max())
    if hi <= lo:
        return np.zeros_like(vol)
    return (vol - lo) / (hi - lo)


def read_axial(path: str, what: str = 'image'
               ) -> Tuple[np.ndarray, Tuple[float, float, float], np.ndarray]:
    """Read a 3D NIfTI as axial slices (see the module docstring).

    Args:
        path (str): ``.nii``/``.nii.gz`` file.
        what (str): 'image' or 'label' (for the messages).

    Returns:
        tuple: ``(slices, spacing, affine)``: array ``(S, H, W)`` (image as
        float32, label in its stored dtype), spacing (z, y, x) in mm and the
        file's 4x4 affine.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: It is unreadable, or not a single-channel 3D volume.
    """
    data, affine, _ = load_nifti(path)
    while data.ndim > 3 and data.shape[-1] == 1:  # (X, Y, Z, 1)
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(
            f'{path!r} is not a single-channel 3D volume: its {what} has '
            f'shape {data.shape}. elseg segments 3D volumes with one channel;'
            ' split a 4D/multi-channel file into one 3D file per channel (or '
            'per time point) and convert the channel you want.')
    if what == 'image':
        data = data.astype(np.float32, copy=False)
    ornt = nio.io_orientation(affine)
    voxel = np.sqrt((affine[:3, :3]**2).sum(0))  # size along each file axis
    ras = np.empty(3)
    ras[ornt[:, 0].astype(int)] = voxel
    slices = nifti_to_slices(data, affine, ORIENTATION)
    return slices, (float(ras[2]), float(ras[1]), float(ras[0])), affine


def normalise(volume: np.ndarray,
              modality: str,
              percentiles: Tuple[float, float] = PERCENTILES,
              hu_window: Tuple[float, float] = HU_WINDOW) -> np.ndarray:
    """Scale a volume's intensities to [0, 1] float32 (module docstring).

    Args:
        volume (np.ndarray): The raw intensities.
        modality (str): 'CT' (HU window) or anything else (MRI: percentile
            clip, then [0, 1]; a constant volume gives zeros).
        percentiles (tuple): Low and high percentile for MRI.
        hu_window (tuple): HU window for CT.

    Returns:
        np.ndarray: float32 array of the same shape in [0, 1].

    Raises:
        ValueError: Percentiles not ``0 <= low < high <= 100``.
    """
    if modality.upper() == 'CT':
        return window_hu(volume, hu_window)
    lo_p, hi_p = (float(p) for p in percentiles)
    if not 0.0 <= lo_p < hi_p <= 100.0:
        raise ValueError(f'percentiles must satisfy 0 <= low < high <= 100, '
                         f'got {tuple(percentiles)}.')
    vol = np.asarray(volume, dtype=np.float32)
    lo, hi = (float(v) for v in np.percentile(vol, (lo_p, hi_p)))
    if hi <= lo:
        return np.zeros(vol.shape, np.float32)
    return ((np.clip(vol, lo, hi) - lo) / (hi - lo)).astype(np.float32)


def normalisation_of(modality: str,
                     percentiles: Tuple[float, float] = PERCENTILES,
                     hu_window: Tuple[float, float] = HU_WINDOW) -> dict:
    """The normalisation record stored in ``dataset.json``."""
    if modality.upper() == 'CT':
        return dict(type='hu_window', window=[float(v) for v in hu_window])
    return dict(type='percentile', percentiles=[float(p) for p in percentiles])


#: How each dataset layout turns a NIfTI (x, y, z) array into (S, H, W) slices
#: and scales intensities, as its converter does (see elseg.datasets.converters).
PRESETS = dict(
    acdc=dict(orientation='transpose', intensity='minmax'),
    synapse=dict(orientation='ras_radiological', intensity='hu'),
    # tools/convert_nifti.py (CHAOS, nnU-Net / MSD, the user's volumes); the
    # intensity comes from the converted data_root's dataset.json
    nifti=dict(orientation='ras_radiological', intensity='percentile'))


def source_slice(affine: np.ndarray, n_slices: int, k: int) -> dict:
    """Where axial slice ``k`` of :func:`read_axial` lies in the source file.

    The converter's slice ids count from 1 at the most inferior slice
    (``<case>_slice_<k + 1>``, as the SSL4MIS ACDC files do). A viewer numbers
    the file's own voxel axis instead, which may run superior to inferior:
    ITK-SNAP counts from 1, 3D Slicer's IJK coordinates from 0.

    Args:
        affine (np.ndarray): The file's 4x4 affine.
        n_slices (int): Number of axial slices.
        k (int): 0-based axial index, inferior to superior.

    Returns:
        dict: ``axis`` (the file's voxel axis, 'i', 'j' or 'k'), ``itk_snap``
        (1-based) and ``slicer`` (0-based) slice numbers in the file.

    Raises:
        ValueError: ``k`` outside ``0..n_slices - 1``.
    """
    if not 0 <= int(k) < int(n_slices):
        raise ValueError(f'Axial index {k} is outside 0..{n_slices - 1}.')
    ornt = nio.io_orientation(affine)
    axis = int(np.flatnonzero(ornt[:, 0] == 2)[0])
    index = int(n_slices) - 1 - int(k) if ornt[axis, 1] < 0 else int(k)
    return dict(axis='ijk'[axis], itk_snap=index + 1, slicer=index)


def nifti_to_slices(data: np.ndarray, affine: np.ndarray,
                    orientation: str) -> np.ndarray:
    """NIfTI (x, y, z) array -> (S, H, W) axial slices as the converters do.

    ``'transpose'``: (z, y, x) without reorientation (SSL4MIS / SimpleITK
    array order, ACDC). ``'ras_radiological'``: reorient to RAS+, then (z, y,
    x) with anterior at the top and the patient's right on the left (the
    Synapse converter).
    """
    if data.ndim != 3:
        raise ValueError(f'Expected a 3D image, got shape {data.shape}.')
    if orientation == 'transpose':
        return np.ascontiguousarray(data.transpose(2, 1, 0))
    if orientation == 'ras_radiological':
        ornt = nio.io_orientation(affine)
        ras = nio.apply_orientation(
            data, nio.ornt_transform(ornt, nio.axcodes2ornt('RAS')))
        return np.ascontiguousarray(ras[::-1, ::-1, :].transpose(2, 1, 0))
    raise ValueError(f"orientation must be 'transpose' or 'ras_radiological',"
                     f' got {orientation!r}.')


def slices_to_nifti(slices: np.ndarray, affine: np.ndarray,
                    orientation: str) -> np.ndarray:
    """Inverse of :func:`nifti_to_slices`: back to the input's (x, y, z)."""
    if orientation == 'transpose':
        return np.ascontiguousarray(slices.transpose(2, 1, 0))
    if orientation == 'ras_radiological':
        ras = slices.transpose(2, 1, 0)[::-1, ::-1, :]
        ornt = nio.io_orientation(affine)
        return np.ascontiguousarray(
            nio.apply_orientation(
                ras, nio.ornt_transform(nio.axcodes2ornt('RAS'), ornt)))
    raise ValueError(f"orientation must be 'transpose' or 'ras_radiological',"
                     f' got {orientation!r}.')


def scale_volume(volume: np.ndarray,
                 intensity: str,
                 hu_window: Tuple[float, float] = HU_WINDOW,
                 percentiles: Tuple[float, float] = PERCENTILES
                 ) -> np.ndarray:
    """Intensity preprocessing: ``'minmax'`` to [0, 1] (ACDC, SSL4MIS),
    ``'hu'`` window clipped and scaled to [0, 1] (Synapse, TransUNet) or
    ``'percentile'`` clip then [0, 1] (MRI in tools/convert_nifti.py)."""
    if intensity == 'minmax':
        return scale_intensity(volume)
    if intensity == 'hu':
        return window_hu(volume, hu_window)
    if intensity == 'percentile':
        return normalise(volume, 'MRI', percentiles)
    raise ValueError("intensity must be 'minmax', 'hu' or 'percentile', got "
                     f'{intensity!r}.')
