"""Slice-wise inference of a 2D segmentor on a 3D volume."""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmseg.structures import SegDataSample

from ..utils.io import load_nifti, save_nifti
from ..utils.volume import (HU_WINDOW, PERCENTILES, PRESETS, nifti_to_slices,
                            scale_volume, slices_to_nifti)


def _resize_slice(img: np.ndarray, scale_hw: Tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float32 (H, W) slice, as mmseg's ``Resize``.

    mmseg's ``Resize(keep_ratio=False)`` calls ``mmcv.imresize`` with
    ``interpolation='bilinear'``, i.e. ``cv2.resize(..., INTER_LINEAR)``.
    """
    h, w = scale_hw
    if img.shape == (h, w):
        return img
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)


@torch.no_grad()
def inference_volume(model: torch.nn.Module,
                     volume: np.ndarray,
                     scale: Sequence[int] = (224, 224),
                     batch_size: int = 8,
                     return_probs: bool = False
                     ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Segment a 3D volume slice by slice with an mmseg segmentor.

    Each slice goes the way ``tools/test.py`` evaluation takes it (TransUNet /
    MT-UNet protocol with mmseg's post-processing): bilinear resize to the
    network input ``scale`` (the test pipeline's ``Resize(keep_ratio=False)``),
    ``model.test_step`` (the model's ``data_preprocessor`` normalises and
    batches, ``predict`` resizes the logits back to the slice's original
    ``(H, W)`` bilinearly), then argmax over classes.

    Args:
        model (torch.nn.Module): An mmseg segmentor (e.g. from
            ``mmseg.apis.init_model``) in eval mode, on any device.
        volume (np.ndarray): float32 ``(S, H, W)`` intensities, preprocessed
            like the training data (e.g. scaled to [0, 1]).
        scale (sequence of int): Network input ``(h, w)``. Defaults to
            (224, 224).
        batch_size (int): Slices per forward pass. Defaults to 8.
        return_probs (bool): Also return softmax probabilities. Defaults to
            False.

    Returns:
        tuple: ``labels`` uint8 ``(S, H, W)`` and ``probs`` float32
        ``(S, C, H, W)`` (or None when ``return_probs`` is False).

    Raises:
        ValueError: ``volume`` is not 3D, or bad ``scale`` / ``batch_size``.
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f'volume must be (S, H, W), got shape {volume.shape}.')
    if len(scale) != 2 or min(scale) < 1:
        raise ValueError(f'scale must be (h, w) positive ints, got {scale!r}.')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
    scale_hw = (int(scale[0]), int(scale[1]))
    s, h, w = volume.shape
    labels = np.zeros((s, h, w), dtype=np.uint8)
    probs = None
    was_training = model.training
    model.eval()
    try:
        for start in range(0, s, batch_size):
            stop = min(start + batch_size, s)
            inputs, samples = [], []
            for k in range(start, stop):
                img = _resize_slice(volume[k].astype(np.float32), scale_hw)
                inputs.append(torch.from_numpy(img[None].copy()))
                samples.append(
                    SegDataSample(
                        metainfo=dict(
                            img_shape=scale_hw,
                            pad_shape=scale_hw,
                            ori_shape=(h, w),
                            scale_factor=(scale_hw[1] / w, scale_hw[0] / h),
                            slice_idx=k)))
            outputs = model.test_step(dict(inputs=inputs, data_samples=samples))
            for k, out in zip(range(start, stop), outputs):
                logits = out.seg_logits.data.float()  # (C, H, W), resized
                if logits.shape[0] == 1:  # binary head: sigmoid threshold
                    labels[k] = out.pred_sem_seg.data[0].cpu().numpy()
                    p = torch.sigmoid(logits)
                    p = torch.cat([1 - p, p], 0)
                else:
                    labels[k] = logits.argmax(0).cpu().numpy().astype(
                        np.uint8)
                    p = torch.softmax(logits, 0)
                if return_probs:
                    if probs is None:
                        probs = np.zeros((s, p.shape[0], h, w), np.float32)
                    probs[k] = p.cpu().numpy()
    finally:
        model.train(was_training)
    return labels, probs


def segment_nifti(model: torch.nn.Module,
                  in_path: str,
                  out_path: str,
                  preset: str = 'acdc',
                  intensity: Optional[str] = None,
                  scale: Sequence[int] = (224, 224),
                  batch_size: int = 8,
                  hu_window: Tuple[float, float] = HU_WINDOW,
                  percentiles: Tuple[float, float] = PERCENTILES,
                  postprocess: Optional[Callable[[np.ndarray],
                                                 np.ndarray]] = None
                  ) -> np.ndarray:
    """Segment one NIfTI volume and write the label map as NIfTI.

    The output keeps the input's affine and header (dtype set to uint8).

    Args:
        model (torch.nn.Module): The segmentor.
        in_path (str): Input ``.nii``/``.nii.gz``.
        out_path (str): Output label file.
        preset (str): 'acdc', 'synapse' or 'nifti' (orientation and default
            intensity as that dataset's converter, see
            :data:`elseg.utils.volume.PRESETS`).
        intensity (str, optional): Override: 'minmax', 'hu' or
            'percentile'.
        scale (sequence of int): Network input (h, w).
        batch_size (int): Slices per forward pass.
        hu_window (tuple): HU window for ``intensity='hu'``.
        percentiles (tuple): Clip percentiles for ``'percentile'``.
        postprocess (Callable, optional): Applied to the ``(S, H, W)`` label
            volume (slices first, as the evaluation sees it) before it is
            written, e.g. the largest connected components
            (:mod:`elseg.utils.components`).

    Returns:
        np.ndarray: The label map in the input's (x, y, z) order.

    Raises:
        ValueError: Unknown preset, or an input that is not one 3D volume.
    """
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {sorted(PRESETS)}, got '
                         f'{preset!r}.')
    orientation = PRESETS[preset]['orientation']
    data, affine, header = load_nifti(in_path)
    if data.ndim != 3:
        raise ValueError(
            f'{in_path!r} has shape {data.shape}: tools/infer.py segments '
            'single-channel 3D volumes. Split a 4D / multi-channel file into '
            '3D files (one per channel or time point) first.')
    vol = scale_volume(
        nifti_to_slices(np.asarray(data, np.float32), affine, orientation),
        intensity or PRESETS[preset]['intensity'], hu_window, percentiles)
    labels, _ = inference_volume(model, vol, scale, batch_size)
    if postprocess is not None:
        labels = postprocess(labels)
    out = slices_to_nifti(labels, affine, orientation).astype(np.uint8)
    save_nifti(out_path, out, affine=affine, header=header)
    return out
