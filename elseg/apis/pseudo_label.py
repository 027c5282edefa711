"""Pseudo labels for the unlabelled slices (ELNet stage 1 -> stage 2, Sec. 3.3).

The stage-1 network N_s segments every unlabelled slice; each result is written
as ``<out_dir>/<slice id>.npz`` holding ``label`` (uint8, the slice's native size)
and ``confidence`` (float16 max softmax probability). Files are written
atomically and a finished file is never recomputed, so a job killed during
pseudo-labelling resumes where it stopped (each rank first deletes the
temporary files that a killed write of its slices left behind). Under
distributed training each rank labels the slices ``i % world_size == rank``:
none is done twice or lost. The file format and the ``_COMPLETE.json``
marker are :mod:`elseg.datasets.pseudo_labels`'.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets.medical_slice_dataset import MedicalSliceDataset
from ..datasets.pseudo_labels import (load_pseudo_label, pseudo_label_path,
                                      save_pseudo_label)
from ..utils.components import keep_largest_component

def _normalise(model, imgs: List[np.ndarray]) -> torch.Tensor:
    """Stack (H, W) float images and normalise them like training does."""
    tensors = [torch.from_numpy(np.ascontiguousarray(i))[None] for i in imgs]
    data = model.data_preprocessor(dict(inputs=tensors), False)
    return data['inputs']


@torch.no_grad()
def predict_probs(model, imgs: List[np.ndarray], scale: Sequence[int],
                  flip: bool = False,
                  flip_pairs: Sequence[Sequence[int]] = ()
                  ) -> List[torch.Tensor]:
    """Softmax probabilities of a segmentor for a list of 2D images.

    Each image is resized to the network input ``scale`` (bilinear), segmented,
    and its logits are resized back to the image's own size (bilinear) before
    the softmax, as mmseg's evaluation does.

    Args:
        model: An mmseg segmentor (unwrapped) with ``data_preprocessor``.
        imgs (list[np.ndarray]): float32 (H, W) images.
        scale (Sequence[int]): Network input (h, w).
        flip (bool): Average with the horizontally flipped prediction (TTA).
        flip_pairs (Sequence[Sequence[int]]): Paired left/right classes
            ``(a, b)`` whose logits are exchanged in the un-flipped
            prediction of the flipped image before averaging, for a network
            trained with flips that swap those labels (``flip_pairs`` of
            ``ExemplarSynthesis``/``SegRotFlip``): on a mirrored image it
            calls the right kidney "left". Defaults to () (none).

    Returns:
        list[torch.Tensor]: (K, H, W) probabilities on CPU, one per image.
    """
    h, w = int(scale[0]), int(scale[1])
    resized = [
        F.interpolate(
            torch.from_numpy(np.ascontiguousarray(im, dtype=np.float32))[None,
                                                                       None],
            size=(h, w),
            mode='bilinear',
            align_corners=False)[0, 0].numpy() for im in imgs
    ]
    inputs = _normalise(model, resized)
    metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))
             for _ in imgs]
    logits = model.encode_decode(inputs, metas)
    if flip:
        mirrored = model.encode_decode(inputs.flip(-1), metas).flip(-1)
        if flip_pairs:
            order = list(range(mirrored.shape[1]))
            for a, b in flip_pairs:
                order[a], order[b] = order[b], order[a]
            mirrored = mirrored[:, order]
        logits = 0.5 * (logits + mirrored)
    out = []
    for i, im in enumerate(imgs):
        lg = F.interpolate(
            logits[i:i + 1], size=im.shape[:2], mode='bilinear',
            align_corners=False)
        out.append(lg.softmax(1)[0].float().cpu())
    return out


def generate_pseudo_labels(model,
                           infos: Sequence[dict],
                           out_dir: str,
                           load_image: Callable[[dict], np.ndarray],
                           scale: Sequence[int],
                           slice_id: Callable[[dict], str],
                           batch_size: int = 16,
                           flip: bool = True,
                           flip_pairs: Sequence[Sequence[int]] = (),
                           rank: int = 0,
                           world_size: int = 1,
                           logger=None) -> Dict[str, int]:
    """Pseudo-label this rank's share of the unlabelled slices.

    Args:
        model: The stage-1 segmentor (unwrapped), switched to eval inside.
        infos (Sequence[dict]): data_infos of all unlabelled slices (same order
            on every rank).
        out_dir (str): Output folder.
        load_image (Callable): Returns the float32 (H, W) image of an info.
            It must not read labels.
        scale (Sequence[int]): Network input (h, w).
        slice_id (Callable): Maps an info to its slice id.
        batch_size (int): Slices per forward pass.
        flip (bool): Horizontal-flip test-time augmentation.
        flip_pairs (Sequence[Sequence[int]]): Paired classes swapped in the
            flipped prediction (see :func:`predict_probs`).
        rank (int): This process's rank.
        world_size (int): Number of processes.
        logger: Optional logger for progress lines.

    Returns:
        dict: ``done`` (files written now) and ``skipped`` (already present).
    """
    os.makedirs(out_dir, exist_ok=True)
    mine = [info for i, info in enumerate(infos) if i % world_size == rank]
    for info in mine:  # temporary files of writes killed in a previous run
        name = osp.basename(pseudo_label_path(out_dir, slice_id(info)))
        for tmp in glob.glob(osp.join(out_dir, f'.{glob.escape(name)}.*.tmp')):
            os.remove(tmp)
    todo = [
        info for info in mine
        if not osp.exists(pseudo_label_path(out_dir, slice_id(info)))
    ]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            imgs = [load_image(info) for info in chunk]
            probs = predict_probs(model, imgs, scale, flip=flip,
                                  flip_pairs=flip_pairs)
            for info, p in zip(chunk, probs):
                conf, label = p.max(0)
                save_pseudo_label(out_dir, slice_id(info),
                                  label.numpy().astype(np.uint8),
                                  conf.numpy())
            if logger is not None and (start // batch_size) % 20 == 0:
                logger.info(f'pseudo labels: {start + len(chunk)}/{len(todo)} '
                            f'new on rank {rank}')
    finally:
        model.train(was_training)
    return dict(done=len(todo), skipped=len(mine) - len(todo))


def refine_pseudo_labels_lcc(out_dir: str, infos: Sequence[dict],
                             slice_id: Callable[[dict], str],
                             num_classes: int) -> int:
    """Keep, per class, the largest 3D connected component of each volume.

    Beyond the paper (nnU-Net's post-processing applied to pseudo labels): far
    false positives of the stage-1 network would otherwise be taught to stage 2
    as organs. The unlabelled slices are regrouped into their volumes
    (``volume_id``, ordered by slice number); removed voxels become background
    with confidence 0. Idempotent, each file rewritten atomically, so an
    interrupted refinement is simply run again.

    Args:
        out_dir (str): Pseudo-label folder.
        infos (Sequence[dict]): The unlabelled slices (with ``volume_id``).
        slice_id (Callable): Maps an info to its slice id.
        num_classes (int): Number of classes including background.

    Returns:
        int: Number of voxels turned into background.
    """
    volumes: Dict[str, List[Tuple[int, str]]] = {}
    for info in infos:
        sid = slice_id(info)
        num = MedicalSliceDataset.slice_number_of(sid)
        volumes.setdefault(info.get('volume_id') or sid, []).append(
            (num if num is not None else 0, sid))
    removed = 0
    for members in volumes.values():
        members.sort()
        loaded = [load_pseudo_label(out_dir, sid) for _, sid in members]
        if any(x is None for x in loaded):
            raise RuntimeError(f'Pseudo labels missing in {out_dir}.')
        if len({lab.shape for lab, _ in loaded}) != 1:
            continue  # slices of different sizes: not one volume
        vol = np.stack([lab for lab, _ in loaded])
        kept = keep_largest_component(vol, num_classes)
        changed = kept != vol
        if not changed.any():
            continue
        removed += int(changed.sum())
        for k, (_, sid) in enumerate(members):
            if changed[k].any():
                conf = loaded[k][1].copy()
                conf[changed[k]] = 0.0
                save_pseudo_label(out_dir, sid, kept[k], conf)
    return removed
