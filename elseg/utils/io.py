"""File helpers for medical data: atomic npz/HDF5 writes, checked reads, NIfTI.

Every reader here raises an error that names the file, what is wrong with it and
how to fix it, instead of the bare ``KeyError``/``OSError`` of h5py or nibabel.
Every writer goes through a temporary file in the destination folder and
``os.replace`` (:func:`atomic_write_bytes`), so a file
is either complete or absent even when the process is killed while writing.
"""
from __future__ import annotations

import glob
import io
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .file_mode import chmod_as_created

PathLike = Union[str, Path]


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    The file gets the mode a plain ``open(filepath, 'wb')`` would give under
    the caller's umask (see :mod:`elseg.utils.file_mode`).

    Args:
        data (bytes): Content to write.
        filepath (str | Path): Destination; its folder is created if missing.
    """
    filepath = os.fspath(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(filepath) + '.', suffix='.tmp')
    try:
        chmod_as_created(tmp)  # mkstemp's 0600 would survive the rename
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicTextFile:
    """A write-only text file that reaches its path only when closed cleanly."""

    def __init__(self, path: str, encoding: str = 'utf-8') -> None:
        self._path = path
        self._encoding = encoding
        self._parts: List[str] = []

    def write(self, text: str) -> int:
        """Buffer ``text``; it is written when the ``with`` block ends."""
        self._parts.append(text)
        return len(text)

    def __enter__(self) -> 'AtomicTextFile':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            atomic_write_bytes(''.join(self._parts).encode(self._encoding),
                               self._path)


def remove_stale_temp_files(folder: str) -> List[str]:
    """Delete the ``.<name>.*.tmp`` files a killed atomic write left behind.

    Call it only when no other process writes into ``folder`` (e.g. before a
    resumed run starts).

    Args:
        folder (str): Folder to clean (not recursive).

    Returns:
        list[str]: The files removed.
    """
    removed = []
    for path in glob.glob(osp.join(folder, '.*.tmp')):
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:  # pragma: no cover - removed meanwhile
            pass
    return removed


def atomic_save_npz(path: PathLike, compress: bool = False,
                    **arrays: np.ndarray) -> None:
    """Save arrays as an ``.npz`` file atomically.

    Args:
        path (str | Path): Destination (``.npz`` is not appended).
        compress (bool): Use ``np.savez_compressed``. Defaults to False.
        **arrays: Arrays to store, by name.

    Raises:
        ValueError: If no array is given.
    """
    if not arrays:
        raise ValueError(f'atomic_save_npz({path!r}) got no arrays to save.')
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    atomic_write_bytes(buf.getvalue(), path)


def atomic_save_h5(path: PathLike,
                   arrays: Dict[str, np.ndarray],
                   attrs: Optional[Dict[str, Any]] = None,
                   compression: Optional[str] = None) -> None:
    """Write an HDF5 file atomically (temporary file in the same folder, rename).

    Args:
        path (str | Path): Destination file.
        arrays (dict): Datasets to write, by name (e.g. ``image``, ``label``).
        attrs (dict, optional): File attributes, e.g. ``spacing=(z, y, x)``.
            ``None`` values are skipped.
        compression (str, optional): h5py compression, e.g. ``'gzip'``.
    """
    import h5py
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(path) + '.', suffix='.tmp')
    os.close(fd)
    try:
        chmod_as_created(tmp)
        with h5py.File(tmp, 'w') as f:
            for key, value in arrays.items():
                f.create_dataset(key, data=value, compression=compression)
            for key, value in (attrs or {}).items():
                if value is not None:
                    f.attrs[key] = value
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def check_file_exists(path: PathLike, what: str = 'file') -> str:
    """Return ``path`` as ``str``; raise a clear error when it does not exist.

    Raises:
        FileNotFoundError: Naming the path and how to produce the data.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path!r}. Check `data_root` / the split list, '
            'or prepare the data first (tools/convert_acdc.py, '
            'tools/convert_synapse.py or tools/make_phantom.py).')
    return path


def check_data_root(data_root: Optional[PathLike]) -> None:
    """Raise a clear error when a dataset folder does not exist.

    The configs read each dataset from ``data/<name>`` relative to the
    current directory (the repository root, where the tools run); a fresh
    clone has no ``data/`` folder until the data are put or linked there.

    Args:
        data_root (str | Path, optional): The dataset folder (``None`` or
            ``''``: nothing to check).

    Raises:
        FileNotFoundError: ``data_root`` is not a folder; the message names
            it, its absolute path and the ways to provide the data.
    """
    if not data_root or osp.isdir(data_root):
        return
    data_root = os.fspath(data_root)
    name = osp.basename(osp.normpath(data_root))
    link = f'`mkdir -p data && ln -s /path/to/{name} data/{name}`'
    if name == 'ACDC':  # the Makefile's target
        link += ', or `make data/ACDC SHARED_DATA=/folder/holding/ACDC`'
    raise FileNotFoundError(
        f'data folder {data_root!r} does not exist (here: '
        f'{osp.abspath(data_root)!r}; a relative data_root is read from the '
        'current directory, the repository root for the tools). Put or link '
        f'the dataset there (e.g. {link}), or point the config at it with '
        '--cfg-options train_dataloader.dataset.dataset.data_root=DIR '
        'val_dataloader.dataset.data_root=DIR '
        'test_dataloader.dataset.data_root=DIR (tools/test.py: --data-root '
        'DIR).')


def read_h5_array(path: PathLike,
                  key: str,
                  index: Optional[int] = None) -> np.ndarray:
    """Read one dataset (or one slice of it) from an HDF5 file.

    Args:
        path (str | Path): The HDF5 file.
        key (str): Dataset name, e.g. ``'image'`` or ``'label'``.
        index (int, optional): Index along the first axis (a slice of a 3D
            volume); only that slice is read from disk.

    Returns:
        np.ndarray: The array.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable HDF5 file, or ``index`` is out
            of range.
        KeyError: The file has no dataset ``key``.
    """
    import h5py
    path = check_file_exists(path, 'HDF5 file')
    try:
        f = h5py.File(path, 'r')
    except OSError as err:
        raise ValueError(
            f'Cannot read {path!r} as HDF5 ({err}). The file is truncated or '
            'not HDF5: re-create it with the converter.') from err
    with f:
        if key not in f:
            raise KeyError(
                f'{path!r} has no dataset {key!r} (it has {sorted(f.keys())}).'
                " elseg expects the SSL4MIS/TransUNet layout with 'image' and "
                "'label' datasets; re-create the file with the converter.")
        ds = f[key]
        if index is None:
            return ds[()]
        if ds.ndim < 1 or not -ds.shape[0] <= index < ds.shape[0]:
            raise ValueError(
                f'Slice index {index} is out of range for {key!r} of shape '
                f'{ds.shape} in {path!r}: fix slice_idx or the volume.')
        return ds[index]


def read_h5_attr(path: PathLike, name: str, default: Any = None) -> Any:
    """Return the file attribute ``name`` of an HDF5 file, or ``default``."""
    import h5py
    path = check_file_exists(path, 'HDF5 file')
    try:
        with h5py.File(path, 'r') as f:
            value = f.attrs.get(name, default)
    except OSError as err:
        raise ValueError(
            f'Cannot read {path!r} as HDF5 ({err}). The file is truncated or '
            'not HDF5: re-create it with the converter.') from err
    return value


def read_h5_shape(path: PathLike, key: str = 'image') -> Tuple[int, ...]:
    """Return the shape of dataset ``key`` without reading its data."""
    import h5py
    path = check_file_exists(path, 'HDF5 file')
    try:
        with h5py.File(path, 'r') as f:
            if key not in f:
                raise KeyError(
                    f'{path!r} has no dataset {key!r} (it has '
                    f'{sorted(f.keys())}); re-create it with the converter.')
            return tuple(f[key].shape)
    except OSError as err:
        raise ValueError(
            f'Cannot read {path!r} as HDF5 ({err}). The file is truncated or '
            'not HDF5: re-create it with the converter.') from err


def read_npz_array(path: PathLike, key: str) -> np.ndarray:
    """Read array ``key`` from an ``.npz`` file with clear errors.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable npz archive.
        KeyError: The archive has no array ``key``.
    """
    path = check_file_exists(path, 'npz file')
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as err:  # BadZipFile, UnpicklingError, OSError...
        raise ValueError(
            f'Cannot read {path!r} as npz ({type(err).__name__}: {err}): the '
            'file is truncated or not an npz archive; re-create it.') from err
    if not hasattr(data, 'files'):  # a plain .npy array
        raise ValueError(f'{path!r} is a single .npy array, not an npz archive '
                         f"with {key!r}; re-create it with the converter.")
    with data:
        if key not in data.files:
            raise KeyError(
                f'{path!r} has no array {key!r} (it has {data.files}). '
                "elseg expects the TransUNet npz layout with 'image' and "
                "'label'; re-create the file with the converter.")
        try:
            return data[key]
        except Exception as err:
            raise ValueError(
                f'Cannot read array {key!r} of {path!r} ({type(err).__name__}:'
                f' {err}): the file is truncated; re-create it.') from err


def load_nifti(path: PathLike) -> Tuple[np.ndarray, np.ndarray, Any]:
    """Load a NIfTI image as ``(data, affine, header)``.

    Args:
        path (str | Path): ``.nii`` or ``.nii.gz`` file.

    Returns:
        tuple: ``data`` (np.ndarray in nibabel's (x, y, z) axis order, scaled
        by the header's slope/intercept, float64 unless the file stores
        integers without scaling, in which case its own dtype), ``affine``
        (4x4 np.ndarray) and ``header`` (a copy of the nibabel header).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: nibabel cannot read it (not NIfTI, truncated gzip...).
    """
    import nibabel as nib
    path = check_file_exists(path, 'NIfTI file')
    try:
        img = nib.load(path)
        hdr = img.header
        slope, inter = hdr.get_slope_inter()
        if (np.issubdtype(img.get_data_dtype(), np.integer)
                and slope in (None, 1.0) and inter in (None, 0.0)):
            data = np.asanyarray(img.dataobj).astype(img.get_data_dtype())
        else:
            data = img.get_fdata()
    except Exception as err:  # nibabel raises several types
        raise ValueError(
            f'Cannot read {path!r} as NIfTI ({type(err).__name__}: {err}). '
            'Check that it is a complete .nii/.nii.gz file.') from err
    return data, np.asarray(img.affine, dtype=np.float64), hdr.copy()


def nifti_spacing_zyx(header: Any) -> Tuple[float, float, float]:
    """Voxel spacing of a 3D NIfTI header as ``(z, y, x)`` floats (mm)."""
    zooms = tuple(float(z) for z in header.get_zooms()[:3])
    if len(zooms) != 3:
        raise ValueError(f'Expected a 3D NIfTI header, got zooms {zooms}.')
    return (zooms[2], zooms[1], zooms[0])


def save_nifti(path: PathLike,
               data: np.ndarray,
               affine: Optional[np.ndarray] = None,
               header: Any = None,
               spacing_xyz: Optional[Sequence[float]] = None) -> None:
    """Write a NIfTI image atomically, keeping the reference affine and header.

    Args:
        path (str | Path): Destination (``.nii`` or ``.nii.gz``).
        data (np.ndarray): Array in nibabel's (x, y, z) axis order.
        affine (np.ndarray, optional): 4x4 affine; the header's if None, else
            a diagonal one built from ``spacing_xyz`` (or identity).
        header (nibabel header, optional): Reference header (e.g. of the input
            image); its dtype is replaced by ``data``'s and its scaling reset.
        spacing_xyz (sequence of float, optional): Voxel size when no affine
            and no header is given.
    """
    import nibabel as nib
    if affine is None and header is None:
        affine = np.diag(list(spacing_xyz or (1.0, 1.0, 1.0)) + [1.0])
    hdr = header.copy() if header is not None else None
    img = nib.Nifti1Image(data, affine, header=hdr)
    img.set_data_dtype(data.dtype)
    if hdr is not None:
        img.header.set_slope_inter(1.0, 0.0)
    path = os.fspath(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=osp.dirname(osp.abspath(path)),
        prefix='.' + osp.basename(path) + '.',
        suffix='.nii.gz' if path.endswith('.gz') else '.nii')
    os.close(fd)
    try:
        chmod_as_created(tmp)
        nib.save(img, tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
