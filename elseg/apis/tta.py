"""Flip test-time augmentation for the medical test pipelines.

Builds an mmseg TTA pipeline (``TestTimeAug`` + ``SegTTAModel``, as
``mmseg/tools/test.py --tta`` uses) from a config's test pipeline: each slice
is predicted as is and flipped horizontally and vertically; ``SegTTAModel``
un-flips the logits (``EncoderDecoder.postprocess_result`` reads the ``flip``
meta keys), averages the softmax maps and takes the argmax. ELNet's training
augmentation (ESM and the exemplar stream) includes flips, so the network has
seen flipped anatomy. Not in the ELNet paper; benchmark rows with ``--tta``
are in ``configs/benchmarks/acdc_cpu.yaml``.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Sequence

#: Transforms that put the ground truth into the results dict: the flips go
#: before them so the label is never flipped (predictions are un-flipped).
LABEL_LOADERS = ('LoadAnnotations', 'LoadMedicalSlice')


def _loads_label_only(transform: Dict[str, Any]) -> bool:
    kind = transform.get('type')
    if kind == 'LoadAnnotations':
        return True
    return kind == 'LoadMedicalSlice' and transform.get('load_image') is False


def flip_tta_pipeline(pipeline: Sequence[Dict[str, Any]],
                      directions: Sequence[str] = ('horizontal', 'vertical')
                      ) -> List[Dict[str, Any]]:
    """A test pipeline with flip test-time augmentation.

    The first transform (loading the image) is kept; the rest goes into one
    ``TestTimeAug`` with the flip alternatives (none, then one flip per
    direction) inserted before the label-loading step, or before the last
    transform (``PackSegInputs``) when no separate label step exists.

    Args:
        pipeline (Sequence[dict]): The config's test pipeline, e.g.
            ``[LoadMedicalSlice(load_label=False), Resize,
            LoadMedicalSlice(load_image=False), PackSegInputs]``.
        directions (Sequence[str]): Flip directions added to the identity
            ('horizontal', 'vertical' or 'diagonal').

    Returns:
        list[dict]: ``[pipeline[0], TestTimeAug(transforms=[[t1], [flips],
        ...])]``.

    Raises:
        ValueError: A pipeline of fewer than two transforms, one that already
            holds a ``TestTimeAug``, an unknown direction, or a label loaded
            together with the image before any resize (its flip could not be
            kept off the label).
    """
    pipeline = [copy.deepcopy(dict(t)) for t in pipeline]
    if len(pipeline) < 2:
        raise ValueError('flip TTA needs a test pipeline of at least a load '
                         f'and a pack transform, got {pipeline!r}.')
    if any(t.get('type') == 'TestTimeAug' for t in pipeline):
        raise ValueError('The test pipeline already has a TestTimeAug; use it '
                         '(set tta_pipeline) instead of the built-in flips.')
    bad = [d for d in directions
           if d not in ('horizontal', 'vertical', 'diagonal')]
    if bad:
        raise ValueError(f'Unknown flip direction(s) {bad}; use horizontal, '
                         'vertical or diagonal.')
    first, rest = pipeline[0], pipeline[1:]
    if first.get('type') == 'LoadMedicalSlice' and first.get(
            'load_label', True) is not False:
        raise ValueError(
            'The first transform loads the label with the image '
            f'({first!r}); flip TTA needs the two-step test pipeline '
            "(LoadMedicalSlice(load_label=False) ... LoadMedicalSlice("
            'load_image=False)) so the label is not flipped.')
    at = next((i for i, t in enumerate(rest) if _loads_label_only(t)),
              len(rest) - 1)
    flips = [dict(type='RandomFlip', prob=0.0, direction='horizontal')] + [
        dict(type='RandomFlip', prob=1.0, direction=d) for d in directions]
    stages = [[t] for t in rest[:at]] + [flips] + [[t] for t in rest[at:]]
    return [first, dict(type='TestTimeAug', transforms=stages)]
