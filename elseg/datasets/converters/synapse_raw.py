"""Convert the raw Synapse (BTCV) abdomen CT to the TransUNet layout.

Input (``RawData/Training`` of the MICCAI 2015 "Multi-Atlas Labeling Beyond
the Cranial Vault" release)::

    img/img0001.nii.gz      CT in Hounsfield units
    label/label0001.nii.gz  raw ids 1 spleen, 2 right kidney, 3 left kidney,
                            4 gallbladder, 5 esophagus, 6 liver, 7 stomach,
                            8 aorta, 9 IVC, 10 portal/splenic vein,
                            11 pancreas, 12/13 adrenal glands

Output (TransUNet, see :class:`~elseg.datasets.BTCVSynapseDataset`)::

    train_npz/case0005_slice000.npz   'image' float32 (H, W), 'label' uint8,
                                      'spacing' (z, y, x) float64
    test_vol_h5/case0001.npy.h5       'image' (S, H, W), 'label'; attribute
                                      'spacing' (z, y, x)
    train.txt / test_vol.txt          slice ids / volume ids

Preprocessing as TransUNet: HU clipped to [-125, 275] and scaled to [0, 1];
labels remapped to the 8-organ ids (1 aorta, 2 gallbladder, 3 left kidney,
4 right kidney, 5 liver, 6 pancreas, 7 spleen, 8 stomach; other organs 0).

Orientation: each volume is reoriented to RAS+ with nibabel
(``as_closest_canonical``) and stored as axial slices ``(z, y, x)`` in the
radiological display convention: row 0 is the most anterior row (anterior at
the top), column 0 the patient's right (shown on the viewer's left), slice 0
the most inferior. The example CT in ``../shared/data/abdomen_ct_example`` is
already RAS (affine diag(3, 3, 3), shape (122, 101, 112) x, y, z), i.e. 112
axial slices of 101 x 122 (rows x columns) at 3 mm.
"""
from __future__ import annotations

import glob
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from elseg.utils.io import (atomic_save_h5, atomic_save_npz, atomic_write_bytes,
                            check_file_exists, nifti_spacing_zyx)
from elseg.utils.volume import HU_WINDOW, window_hu

#: TransUNet's 12 test cases; the other 18 of the 30 training scans train.
TEST_CASES = (8, 22, 38, 36, 32, 2, 29, 3, 1, 4, 25, 35)
#: Raw Synapse id -> 8-organ id (TransUNet order).
RAW_TO_ORGAN = {8: 1, 4: 2, 3: 3, 2: 4, 6: 5, 11: 6, 1: 7, 7: 8}


def remap_labels(raw: np.ndarray) -> np.ndarray:
    """Map raw Synapse ids (0..13) to the 8-organ ids; others become 0."""
    lut = np.zeros(256, np.uint8)
    for src, dst in RAW_TO_ORGAN.items():
        lut[src] = dst
    raw = np.rint(raw).astype(np.int64)
    if raw.size and (raw.min() < 0 or raw.max() > 255):
        raise ValueError(f'Raw label values [{raw.min()}, {raw.max()}] are '
                         'outside the Synapse ids 0..13.')
    return lut[raw]


def load_case(image_path: str, label_path: Optional[str]
              ) -> Tuple[np.ndarray, Optional[np.ndarray], tuple]:
    """Read a CT (and its labels) as axial (z, y, x) arrays (see module doc).

    Returns:
        tuple: HU volume float32 (S, H, W), raw labels or None, spacing.
    """
    import nibabel as nib
    out = []
    for path in (image_path, label_path):
        if path is None:
            out.append((None, None))
            continue
        check_file_exists(path, 'NIfTI file')
        try:
            img = nib.as_closest_canonical(nib.load(path))  # RAS+
            data = np.asanyarray(img.dataobj)
        except Exception as err:
            raise ValueError(f'Cannot read {path!r} as NIfTI ({err}).') from err
        if data.ndim != 3:
            raise ValueError(f'{path!r} is not 3D (shape {data.shape}).')
        # (x, y, z) RAS -> (z, y, x) with anterior up and patient right left
        arr = np.ascontiguousarray(data[::-1, ::-1, :].transpose(2, 1, 0))
        out.append((arr, img.header))
    (vol, hdr), (lab, _) = out
    if lab is not None and lab.shape != vol.shape:
        raise ValueError(f'{image_path!r} {vol.shape} and {label_path!r} '
                         f'{lab.shape} differ in shape.')
    return vol.astype(np.float32), lab, nifti_spacing_zyx(hdr)


def find_cases(raw_dir: str) -> Dict[int, Tuple[str, str]]:
    """Case number -> (image, label) paths under ``raw_dir`` (img/, label/)."""
    cases = {}
    for path in sorted(glob.glob(osp.join(raw_dir, 'img', 'img*.nii.gz'))):
        m = re.fullmatch(r'img(\d+)\.nii\.gz', osp.basename(path))
        if m:
            num = int(m.group(1))
            cases[num] = (path,
                          osp.join(raw_dir, 'label',
                                   f'label{m.group(1)}.nii.gz'))
    if not cases:
        raise ValueError(f'No img/imgXXXX.nii.gz found under {raw_dir!r} '
                         '(expected RawData/Training).')
    return cases


def convert_synapse(raw_dir: str,
                    out_dir: str,
                    test_cases: Sequence[int] = TEST_CASES,
                    window: Tuple[float, float] = HU_WINDOW
                    ) -> Dict[str, List[str]]:
    """Convert raw Synapse cases to the TransUNet layout.

    Args:
        raw_dir (str): ``RawData/Training`` (with ``img/`` and ``label/``).
        out_dir (str): Output ``data_root``.
        test_cases (sequence of int): Case numbers written as test volumes;
            the others become training slices. Defaults to TransUNet's 12.
        window (tuple): HU window. Defaults to (-125, 275).

    Returns:
        dict: ``train`` (slice ids) and ``test_vol`` (volume ids).
    """
    cases = find_cases(raw_dir)
    lists: Dict[str, List[str]] = dict(train=[], test_vol=[])
    for num, (img_path, lab_path) in cases.items():
        vol, raw, spacing = load_case(img_path, lab_path)
        image, label = window_hu(vol, window), remap_labels(raw)
        case = f'case{num:04d}'
        sp = np.asarray(spacing, np.float64)
        if num in set(test_cases):
            atomic_save_h5(
                osp.join(out_dir, 'test_vol_h5', case + '.npy.h5'),
                dict(image=image, label=label), dict(spacing=sp), 'gzip')
            lists['test_vol'].append(case)
            continue
        for k in range(image.shape[0]):
            sid = f'{case}_slice{k:03d}'
            atomic_save_npz(
                osp.join(out_dir, 'train_npz', sid + '.npz'),
                compress=True, image=image[k], label=label[k], spacing=sp)
            lists['train'].append(sid)
    for name, ids in lists.items():
        atomic_write_bytes(''.join(i + '\n' for i in ids).encode(),
                           osp.join(out_dir, name + '.txt'))
    return lists
