"""MedicalSliceDataset: 2D slice files or 3D volumes, one sample per slice."""
from __future__ import annotations

import os.path as osp
import re
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from elseg.utils.io import (check_data_root, check_file_exists, read_h5_attr,
                            read_h5_shape)

_MODES = ('slices', 'volumes')


@DATASETS.register_module()
class MedicalSliceDataset(BaseSegDataset):
    """Base dataset for medical data stored as 2D slice or 3D volume files.

    The file layouts follow the common preprocessed releases: SSL4MIS (ACDC,
    HDF5) and TransUNet (Synapse, npz slices / HDF5 volumes). Files are named
    ``<dir>/<id><suffix>`` for the ids of a split list (one id per line).

    * ``mode='slices'``: one 2D file per id (training slices). ``slice_idx`` is
      None, ``volume_id`` is the id without its slice part
      (:meth:`volume_id_of`), ``num_slices`` is how many ids of the list share
      that volume.
    * ``mode='volumes'``: one 3D file ``(S, H, W)`` per id (evaluation
      volumes), expanded to ``S`` samples with ``slice_idx`` 0..S-1 so that a
      2D model can be evaluated slice by slice and the slices regrouped into
      volumes by :class:`~elseg.evaluation.MedicalVolumeMetric`.

    Each data_info holds ``img_path``, ``seg_map_path`` (the same file, or None
    when ``with_label=False``), ``slice_idx``, ``volume_id``, ``num_slices``,
    ``spacing`` ((z, y, x) mm from the HDF5 attribute or npz array
    ``spacing``, else None), ``reduce_zero_label=False`` and
    ``seg_fields=[]`` (see docs/design.md).

    Args:
        data_root (str): Dataset folder.
        split_list (str, optional): File of ids, relative to ``data_root`` or
            absolute. Defaults to the class's list for ``mode``.
        mode (str): ``'slices'`` or ``'volumes'``. Defaults to 'slices'.
        ids (sequence of str, optional): Explicit ids instead of a list file.
        with_label (bool): Set ``seg_map_path``; False gives unlabelled
            samples whose label file is never opened. Defaults to True.
        slice_dir (str, optional): Folder of slice files relative to
            ``data_root``; defaults to :attr:`SLICE_DIR`.
        volume_dir (str, optional): Folder of volume files; defaults to
            :attr:`VOLUME_DIR`.
        slice_suffix (str, optional): Defaults to :attr:`SLICE_SUFFIX`.
        volume_suffix (str, optional): Defaults to :attr:`VOLUME_SUFFIX`.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments
            (``pipeline``, ``test_mode``, ``metainfo``, ``lazy_init``...).

    Raises:
        ValueError: Bad ``mode``, neither/both of ``split_list`` and ``ids``
            usable, an empty list, or a volume file that is not 3D.
        FileNotFoundError: The split list or a listed file is missing.
    """

    METAINFO: dict = dict()  # subclasses set classes; else pass metainfo
    SLICE_DIR = ''
    VOLUME_DIR = ''
    SLICE_SUFFIX = '.h5'
    VOLUME_SUFFIX = '.h5'
    DEFAULT_SPLITS: Dict[str, Optional[str]] = dict(slices=None, volumes=None)
    #: Pattern splitting a slice id into (volume id, slice number).
    SLICE_ID_PATTERN = re.compile(r'^(?P<volume>.+?)_slice_?(?P<num>\d+)$')

    def __init__(self,
                 data_root: str,
                 split_list: Optional[str] = None,
                 mode: str = 'slices',
                 ids: Optional[Sequence[str]] = None,
                 with_label: bool = True,
                 slice_dir: Optional[str] = None,
                 volume_dir: Optional[str] = None,
                 slice_suffix: Optional[str] = None,
                 volume_suffix: Optional[str] = None,
                 **kwargs) -> None:
        if mode not in _MODES:
            raise ValueError(f'mode must be one of {_MODES}, got {mode!r}.')
        if ids is not None and isinstance(ids, str):
            raise ValueError(f'ids must be a list of ids, got the string '
                             f'{ids!r} (use split_list for a file).')
        if split_list is None and ids is None:
            split_list = self.DEFAULT_SPLITS.get(mode)
            if split_list is None:
                raise ValueError(
                    f'{type(self).__name__} needs split_list or ids for '
                    f'mode={mode!r}.')
        self.split_list = split_list if ids is None else None
        self.mode = mode
        self.ids = list(ids) if ids is not None else None
        self.with_label = with_label
        self.slice_dir = self.SLICE_DIR if slice_dir is None else slice_dir
        self.volume_dir = self.VOLUME_DIR if volume_dir is None else volume_dir
        self.slice_suffix = (self.SLICE_SUFFIX
                             if slice_suffix is None else slice_suffix)
        self.volume_suffix = (self.VOLUME_SUFFIX
                              if volume_suffix is None else volume_suffix)
        kwargs.setdefault('reduce_zero_label', False)
        if kwargs['reduce_zero_label']:
            raise ValueError('reduce_zero_label=True is not supported: medical '
                             'labels keep 0 as background.')
        super().__init__(data_root=data_root, **kwargs)

    # ------------------------------------------------------------------ ids
    @classmethod
    def volume_id_of(cls, slice_id: str) -> str:
        """Volume id of a slice id (``'p1_frame01_slice_7'`` -> ``'p1_frame01'``).

        An id without a slice part is its own volume.
        """
        m = cls.SLICE_ID_PATTERN.match(slice_id)
        return m.group('volume') if m else slice_id

    @classmethod
    def slice_number_of(cls, slice_id: str) -> Optional[int]:
        """The number in a slice id (as written in the id), or None."""
        m = cls.SLICE_ID_PATTERN.match(slice_id)
        return int(m.group('num')) if m else None

    def _resolve(self, path: str) -> str:
        if osp.isabs(path) or self.data_root is None:
            return path
        return osp.join(self.data_root, path)

    def get_ids(self) -> List[str]:
        """Ids of this split (from ``ids`` or the split list file).

        Raises:
            FileNotFoundError: The split list is missing (the message says
                so for a missing ``data_root`` folder).
            ValueError: The ids are empty.
        """
        if self.ids is not None:
            out = [str(i).strip() for i in self.ids]
            source = 'ids'
        else:
            path = self._resolve(self.split_list)
            if not osp.isfile(path) and not osp.isabs(self.split_list):
                check_data_root(self.data_root)
            path = check_file_exists(path, 'split list')
            with open(path) as f:
                out = [line.strip() for line in f]
            source = path
        out = [i for i in out if i and not i.startswith('#')]
        if not out:
            raise ValueError(f'No ids found in {source!r}.')
        return out

    def slice_path(self, slice_id: str) -> str:
        """Path of a 2D slice file."""
        return osp.join(self._resolve(self.slice_dir),
                        slice_id + self.slice_suffix)

    def volume_path(self, volume_id: str) -> str:
        """Path of a 3D volume file."""
        return osp.join(self._resolve(self.volume_dir),
                        volume_id + self.volume_suffix)

    # ------------------------------------------------------------ metadata
    @staticmethod
    def read_spacing(path: str) -> Optional[Tuple[float, float, float]]:
        """Spacing (z, y, x) stored in an HDF5 attribute / npz array, or None."""
        if path.endswith('.npz'):
            with np.load(path, allow_pickle=False) as data:
                value = data['spacing'] if 'spacing' in data.files else None
        else:
            value = read_h5_attr(path, 'spacing', None)
        if value is None:
            return None
        value = tuple(float(v) for v in np.ravel(value))
        if len(value) != 3:
            raise ValueError(f'spacing in {path!r} must have 3 values (z, y, '
                             f'x), got {value}.')
        return value

    @staticmethod
    def read_num_slices(path: str) -> int:
        """Number of slices of a 3D volume file (its 'image' first axis)."""
        if path.endswith('.npz'):
            with np.load(path, allow_pickle=False) as data:
                shape = data['image'].shape
        else:
            shape = read_h5_shape(path, 'image')
        if len(shape) != 3:
            raise ValueError(
                f"'image' in volume file {path!r} has shape {shape}; expected "
                "(S, H, W). Use mode='slices' for 2D files.")
        return int(shape[0])

    def _info(self, img_path: str, slice_idx: Optional[int], volume_id: str,
              num_slices: int, spacing) -> dict:
        return dict(
            img_path=img_path,
            seg_map_path=img_path if self.with_label else None,
            slice_idx=slice_idx,
            volume_id=volume_id,
            num_slices=num_slices,
            spacing=spacing,
            reduce_zero_label=False,
            seg_fields=[])

    def load_data_list(self) -> List[dict]:
        """One data_info per slice (see the class docstring for the keys)."""
        ids = self.get_ids()
        data_list = []
        if self.mode == 'volumes':
            for vid in ids:
                path = check_file_exists(self.volume_path(vid), 'volume file')
                n = self.read_num_slices(path)
                spacing = self.read_spacing(path)
                data_list += [
                    self._info(path, k, vid, n, spacing) for k in range(n)
                ]
            return data_list
        counts = Counter(self.volume_id_of(i) for i in ids)
        spacing_cache: Dict[str, Optional[tuple]] = {}
        for sid in ids:
            path = check_file_exists(self.slice_path(sid), 'slice file')
            vid = self.volume_id_of(sid)
            if vid not in spacing_cache:  # one read per volume
                spacing_cache[vid] = self.read_spacing(path)
            data_list.append(
                self._info(path, None, vid, counts[vid], spacing_cache[vid]))
        return data_list


__all__ = ['MedicalSliceDataset']
