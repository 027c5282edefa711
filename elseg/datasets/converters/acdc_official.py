"""Convert the official ACDC challenge release to the SSL4MIS layout elseg reads.

Input (ACDC ``database/training`` and/or ``database/testing``)::

    patient001/Info.cfg                 lines such as "ED: 1" and "ES: 12"
    patient001/patient001_frame01.nii.gz    cine MRI frame (x, y, z)
    patient001/patient001_frame01_gt.nii.gz its labels 0..3 (0 bg, 1 RV,
                                            2 Myo, 3 LV)

Output (see :class:`~elseg.datasets.ACDCDataset`)::

    train.list / val.list / test.list       volume ids patientXXX_frame01 (ED)
                                            and patientXXX_frame02 (ES)
    train_slices.list                       patientXXX_frameYY_slice_K (K from 1)
    data/<volume id>.h5                     image float32 (S, H, W), label uint8
    data/slices/<slice id>.h5               training slices, 2D

As SSL4MIS does, arrays are taken as SimpleITK would give them, (z, y, x)
(nibabel's (x, y, z) transposed), and each volume is min-max scaled to
[0, 1] (or, with ``percentiles``, clipped to those percentiles first). The
voxel spacing is kept as the HDF5 attribute ``spacing`` (z, y, x) in mm so
HD95 can be reported in mm. ED becomes frame01 and ES frame02, the SSL4MIS
naming.

Default split (70/10/20 by patient number, stratified by pathology because
ACDC groups 20 consecutive patients per pathology): patient ``n`` goes to test
when ``n % 10 in (0, 5)``, to val when ``n % 10 == 3``, else to train. Any
explicit ``val_patients``/``test_patients`` override it.
"""
from __future__ import annotations

import glob
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from elseg.utils.io import (atomic_save_h5, atomic_write_bytes, load_nifti,
                            nifti_spacing_zyx)
from elseg.utils.volume import scale_intensity


def parse_info_cfg(path: str) -> Dict[str, str]:
    """Parse an ACDC ``Info.cfg`` (``key: value`` lines).

    Raises:
        FileNotFoundError: Missing file.
        ValueError: No ``ED``/``ES`` entries.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'ACDC Info.cfg not found: {path!r}.')
    info = {}
    with open(path) as f:
        for line in f:
            if ':' in line:
                key, value = line.split(':', 1)
                info[key.strip()] = value.strip()
    if 'ED' not in info or 'ES' not in info:
        raise ValueError(f'{path!r} has no "ED:" / "ES:" lines (got '
                         f'{sorted(info)}).')
    return info


def patient_number(name: str) -> int:
    """``'patient042'`` -> 42."""
    m = re.fullmatch(r'patient(\d+)', name)
    if not m:
        raise ValueError(f'Not an ACDC patient folder name: {name!r}.')
    return int(m.group(1))


def default_split(numbers: Iterable[int]) -> Dict[str, List[int]]:
    """The documented 70/10/20 split (see the module docstring)."""
    out: Dict[str, List[int]] = dict(train=[], val=[], test=[])
    for n in sorted(numbers):
        split = ('test' if n % 10 in (0, 5) else 'val' if n % 10 == 3 else
                 'train')
        out[split].append(n)
    return out


def load_frame(image_path: str, label_path: str, percentiles=None
               ) -> Tuple[np.ndarray, np.ndarray, Tuple[float, float, float]]:
    """Read one frame and its labels as (z, y, x) arrays plus spacing."""
    img, _, hdr = load_nifti(image_path)
    lab, _, _ = load_nifti(label_path)
    if img.shape != lab.shape:
        raise ValueError(f'Image {image_path!r} {img.shape} and label '
                         f'{label_path!r} {lab.shape} differ in shape.')
    if img.ndim != 3:
        raise ValueError(f'{image_path!r} is not a 3D frame ({img.shape}).')
    lab = np.rint(lab)
    if lab.min() < 0 or lab.max() > 3:
        raise ValueError(f'Labels of {label_path!r} are outside 0..3 '
                         f'([{lab.min()}, {lab.max()}]).')
    image = scale_intensity(img.transpose(2, 1, 0), percentiles)
    return (np.ascontiguousarray(image),
            np.ascontiguousarray(lab.transpose(2, 1, 0).astype(np.uint8)),
            nifti_spacing_zyx(hdr))


def convert_acdc(src_dirs: Sequence[str],
                 out_dir: str,
                 val_patients: Optional[Sequence[int]] = None,
                 test_patients: Optional[Sequence[int]] = None,
                 percentiles: Optional[Tuple[float, float]] = None
                 ) -> Dict[str, List[str]]:
    """Convert ACDC patient folders to the SSL4MIS layout.

    Args:
        src_dirs (sequence of str): Folders holding ``patientXXX`` folders
            (e.g. ``database/training`` and ``database/testing``).
        out_dir (str): Output ``data_root``.
        val_patients / test_patients (sequence of int, optional): Patient
            numbers of val / test; the rest is train. Both None: the default
            split; one given: the other is empty unless also given.
        percentiles (tuple, optional): e.g. (0.5, 99.5) to clip before the
            min-max scaling. Defaults to None (plain min-max, as SSL4MIS).

    Returns:
        dict: The volume ids of each list, plus ``train_slices``.

    Raises:
        ValueError: No patient folder found, or a bad patient number.
    """
    folders = {}
    for src in src_dirs:
        for path in sorted(glob.glob(osp.join(src, 'patient*'))):
            if osp.isdir(path):
                folders[patient_number(osp.basename(path))] = path
    if not folders:
        raise ValueError(f'No patientXXX folders found in {list(src_dirs)}.')
    if val_patients is None and test_patients is None:
        split = default_split(folders)
    else:
        val, test = set(val_patients or ()), set(test_patients or ())
        unknown = sorted((val | test) - set(folders))
        if unknown:
            raise ValueError(f'Patients {unknown} are not in {src_dirs}.')
        if val & test:
            raise ValueError(f'Patients {sorted(val & test)} are in both '
                             'val and test.')
        split = dict(
            train=[n for n in sorted(folders) if n not in val | test],
            val=sorted(val), test=sorted(test))
    lists: Dict[str, List[str]] = dict(train=[], val=[], test=[],
                                       train_slices=[])
    for name, numbers in split.items():
        for n in numbers:
            folder = folders[n]
            pid = osp.basename(folder)
            info = parse_info_cfg(osp.join(folder, 'Info.cfg'))
            for new, key in ((1, 'ED'), (2, 'ES')):
                frame = int(info[key])
                stem = osp.join(folder, f'{pid}_frame{frame:02d}')
                image, label, spacing = load_frame(stem + '.nii.gz',
                                                   stem + '_gt.nii.gz',
                                                   percentiles)
                vid = f'{pid}_frame{new:02d}'
                attrs = dict(spacing=np.asarray(spacing, np.float64))
                atomic_save_h5(
                    osp.join(out_dir, 'data', vid + '.h5'),
                    dict(image=image, label=label), attrs, 'gzip')
                lists[name].append(vid)
                if name != 'train':
                    continue
                for k in range(image.shape[0]):
                    sid = f'{vid}_slice_{k + 1}'
                    atomic_save_h5(
                        osp.join(out_dir, 'data', 'slices', sid + '.h5'),
                        dict(image=image[k], label=label[k]), attrs)
                    lists['train_slices'].append(sid)
    for name, ids in lists.items():
        atomic_write_bytes(''.join(i + '\n' for i in ids).encode(),
                           osp.join(out_dir, name + '.list'))
    return lists
