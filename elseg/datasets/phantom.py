"""A procedural cardiac short-axis cine-MRI phantom in the ACDC SSL4MIS layout.

Made for demos and tests without the real data: each "patient" has its own
heart (size, ellipticity, position, rotation, RV side and size), two frames
(frame01 end-diastole, frame02 end-systole: smaller cavities, thicker
myocardium) and a stack of short-axis slices from base (slice 1, largest) to
apex (small LV, no RV). Each slice shows:

* LV blood pool: a bright ellipse (label 3);
* myocardium: a dark ring around it (label 2);
* RV blood pool: a bright crescent wrapped around one side (label 1), absent
  near the apex;
* surrounding tissue: a torso ellipse with smooth texture, dark lungs and
  bright fat patches, then partial-volume blur, a smooth multiplicative bias
  field and Rician noise; each volume is min-max scaled to [0, 1] as SSL4MIS
  does for ACDC.

The files are exactly those of SSL4MIS's ACDC (see /work/shared/data/README.md
and :class:`~elseg.datasets.ACDCDataset`): ``train.list``,
``train_slices.list``, ``val.list``, ``test.list``,
``data/slices/<id>_slice_<k>.h5`` (k from 1, training patients) and
``data/<id>.h5`` volumes (all patients), float32 images in [0, 1] and uint8
labels 0..3.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from scipy import ndimage

from elseg.utils.io import atomic_save_h5, atomic_write_bytes

MARKER = '_COMPLETE.json'


def _smooth_noise(rng: np.random.Generator, size: int,
                  sigma: float) -> np.ndarray:
    """Zero-mean, unit-std smooth random field of shape (size, size)."""
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma)
    return (field - field.mean()) / (field.std() + 1e-8)


def _ellipse(yy, xx, cy, cx, ry, rx, angle) -> np.ndarray:
    """Normalised radius of each pixel w.r.t. a rotated ellipse (<=1 inside)."""
    c, s = np.cos(angle), np.sin(angle)
    dy, dx = yy - cy, xx - cx
    u = (dx * c + dy * s) / rx
    v = (-dx * s + dy * c) / ry
    return np.sqrt(u * u + v * v)


def _patient_params(rng: np.random.Generator, size: int) -> dict:
    return dict(
        cy=size * (0.5 + rng.uniform(-0.07, 0.07)),
        cx=size * (0.5 + rng.uniform(-0.07, 0.07)),
        drift=rng.uniform(-0.04, 0.04, size=2) * size,  # base -> apex shift
        r_lv=size * rng.uniform(0.10, 0.14),
        thick=size * rng.uniform(0.035, 0.05),
        ecc=rng.uniform(0.85, 1.15),
        angle=rng.uniform(0, np.pi),
        rv_dir=np.pi + rng.uniform(-0.6, 0.6) + rng.choice([0.0, 0.3]),
        rv_scale=rng.uniform(0.8, 1.2),
        body=(size * rng.uniform(0.40, 0.47), size * rng.uniform(0.46, 0.5)),
        tissue=rng.uniform(0.3, 0.4),
        n_slices=int(rng.integers(6, 11)),
    )


def render_slice(p: dict, z: float, frame: int, size: int,
                 rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Render one short-axis slice.

    Args:
        p (dict): Patient parameters (from the generator).
        z (float): Position from base (0) to apex (1).
        frame (int): 0 end-diastole, 1 end-systole.
        size (int): Image size (square).
        rng (np.random.Generator): Texture and noise generator.

    Returns:
        tuple: Unscaled float32 image and uint8 label, both (size, size).
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    cy, cx = p['cy'] + z * p['drift'][0], p['cx'] + z * p['drift'][1]
    shrink = 1.0 - 0.6 * z**1.5
    r_lv = p['r_lv'] * shrink * (0.72 if frame else 1.0)
    thick = p['thick'] * (1.0 - 0.2 * z) * (1.35 if frame else 1.0)
    ry, rx = r_lv * p['ecc'], r_lv / p['ecc']
    d_lv = _ellipse(yy, xx, cy, cx, ry, rx, p['angle'])
    d_out = _ellipse(yy, xx, cy, cx, ry + thick, rx + thick, p['angle'])
    label = np.zeros((size, size), np.uint8)
    rv_size = p['rv_scale'] * max(0.0, 1.0 - z / 0.75) * (0.75 if frame else
                                                         1.0)
    r_out = (ry + rx) / 2 + thick
    if rv_size > 0.15:
        off = r_out * 0.6
        rcy = cy + off * np.sin(p['rv_dir'])
        rcx = cx + off * np.cos(p['rv_dir'])
        # ellipse axes: (across the RV direction, along it)
        d_rv = _ellipse(yy, xx, rcy, rcx, r_out * 1.5 * rv_size**0.5,
                        r_out * (0.6 + 0.8 * rv_size), p['rv_dir'])
        gap = _ellipse(yy, xx, cy, cx, ry + thick * 1.5, rx + thick * 1.5,
                       p['angle'])
        label[(d_rv <= 1) & (gap > 1)] = 1
    label[d_out <= 1] = 2
    label[d_lv <= 1] = 3

    body = _ellipse(yy, xx, size / 2, size / 2, p['body'][0], p['body'][1],
                    0.0)
    img = np.full((size, size), 0.02, np.float32)
    tissue = p['tissue'] * (1 + 0.15 * _smooth_noise(rng, size, size / 32))
    img = np.where(body <= 1, tissue, img)
    for side in (-1, 1):  # lungs, lateral and dark
        lung = _ellipse(yy, xx, size * 0.45, size / 2 + side * size * 0.3,
                        size * 0.22, size * 0.11, side * 0.3)
        img = np.where((lung <= 1) & (body <= 1) & (label == 0), 0.06, img)
    fat = (_smooth_noise(rng, size, size / 24) > 1.3) & (d_out > 1) & (
        d_out < 1.5) & (label == 0)
    img = np.where(fat, 0.6, img)
    img = np.where(label == 2, 0.28 + 0.02 * _smooth_noise(rng, size, 2),
                   img)
    img = np.where(label == 1, 0.78, img)
    img = np.where(label == 3, 0.86, img)
    img = ndimage.gaussian_filter(img.astype(np.float32), 0.7)
    bias = np.exp(0.2 * _smooth_noise(rng, size, size / 4))
    img = img * bias
    sigma = 0.03
    img = np.sqrt((img + sigma * rng.standard_normal(img.shape))**2 +
                  (sigma * rng.standard_normal(img.shape))**2)
    return img.astype(np.float32), label


def _scale01(vol: np.ndarray) -> np.ndarray:
    lo, hi = float(vol.min()), float(vol.max())
    return ((vol - lo) / (hi - lo + 1e-8)).astype(np.float32)


def phantom_ids(n_train: int, n_val: int, n_test: int,
                n_frames: int = 2) -> Dict[str, List[str]]:
    """Volume ids of each split: patient001.. train, then val, then test."""
    out, pid = {}, 1
    for split, n in (('train', n_train), ('val', n_val), ('test', n_test)):
        out[split] = [
            f'patient{pid + i:03d}_frame{f + 1:02d}' for i in range(n)
            for f in range(n_frames)
        ]
        pid += n
    return out


def is_complete(out_dir: str, params: dict) -> bool:
    """True when ``out_dir`` holds a finished phantom made with ``params``."""
    marker = osp.join(out_dir, MARKER)
    if not osp.isfile(marker):
        return False
    try:
        with open(marker) as f:
            done = json.load(f)
    except (OSError, json.JSONDecodeError):
        return False
    if done.get('params') != params:
        return False
    return all(osp.isfile(osp.join(out_dir, rel)) for rel in done['files'])


def make_phantom(out_dir: str,
                 n_train: int = 8,
                 n_val: int = 2,
                 n_test: int = 2,
                 size: int = 128,
                 seed: int = 0,
                 force: bool = False) -> bool:
    """Write the phantom dataset (idempotent).

    Args:
        out_dir (str): Destination folder (the ``data_root``).
        n_train / n_val / n_test (int): Patients per split (2 frames each).
            Defaults to 8 / 2 / 2.
        size (int): Image height and width. Defaults to 128.
        seed (int): Seed; the same arguments give the same files.
        force (bool): Regenerate even when a complete phantom with the same
            parameters exists.

    Returns:
        bool: True when files were written, False when skipped (complete).

    Raises:
        ValueError: Bad counts or size.
    """
    if min(n_train, n_val, n_test) < 0 or n_train < 1:
        raise ValueError(f'Need n_train >= 1 and n_val, n_test >= 0, got '
                         f'{(n_train, n_val, n_test)}.')
    if size < 32:
        raise ValueError(f'size must be >= 32, got {size}.')
    params = dict(n_train=n_train, n_val=n_val, n_test=n_test, size=size,
                  seed=seed, version=1)
    if not force and is_complete(out_dir, params):
        return False
    marker = osp.join(out_dir, MARKER)
    if osp.exists(marker):
        os.remove(marker)
    splits = phantom_ids(n_train, n_val, n_test)
    files, slice_ids = [], []
    for split, vids in splits.items():
        for vid in vids:
            pnum = int(vid[7:10])
            frame = int(vid[-2:]) - 1
            prng = np.random.default_rng([seed, pnum])  # same heart per frame
            p = _patient_params(prng, size)
            rng = np.random.default_rng([seed, pnum, frame + 1])
            n = p['n_slices']
            imgs, labs = zip(*[
                render_slice(p, k / (n - 1), frame, size, rng)
                for k in range(n)
            ])
            vol = _scale01(np.stack(imgs))
            lab = np.stack(labs)
            rel = osp.join('data', vid + '.h5')
            atomic_save_h5(osp.join(out_dir, rel), dict(image=vol, label=lab))
            files.append(rel)
            if split != 'train':
                continue
            for k in range(n):
                sid = f'{vid}_slice_{k + 1}'
                rel = osp.join('data', 'slices', sid + '.h5')
                atomic_save_h5(
                    osp.join(out_dir, rel), dict(image=vol[k], label=lab[k]))
                files.append(rel)
                slice_ids.append(sid)
    lists = dict(splits)
    lists['train_slices'] = slice_ids
    for name, ids in lists.items():
        atomic_write_bytes(''.join(i + '\n' for i in ids).encode(),
                           osp.join(out_dir, name + '.list'))
        files.append(name + '.list')
    atomic_write_bytes(
        json.dumps(dict(params=params, files=files), indent=1).encode(),
        marker)
    return True
