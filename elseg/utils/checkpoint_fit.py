"""Refuse a checkpoint whose weights do not fit the config's model.

mmengine loads checkpoints with ``strict=False``: a checkpoint of another
config (another backbone, head or number of classes) only prints the key names
that do not match, and the randomly initialised model is then evaluated or
trained on as if it had been loaded. :func:`check_checkpoint_fits` compares the
checkpoint's parameters with the model's before anything is loaded or written
and raises :class:`CheckpointMismatchError`, one paragraph naming the
checkpoint, the config, how many parameters are missing, unexpected and
mis-shaped (two examples of each) and the likely cause.

A model may declare parameters that a checkpoint need not hold with the class
attribute ``optional_checkpoint_prefixes`` (e.g. ``('teacher.',)`` for an EMA
teacher, which is copied from the student when training starts).
"""
from __future__ import annotations

import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

#: Prefixes mmengine strips from checkpoint keys before loading them
#: (a model saved while wrapped in (Distributed)DataParallel).
_WRAPPER_PREFIX = 'module.'


class CheckpointMismatchError(ValueError):
    """The checkpoint's parameters do not fit the config's model."""


@dataclass
class CheckpointFit:
    """How a checkpoint's state dict fits a model's.

    Attributes:
        missing (list[str]): Model keys absent from the checkpoint (optional
            ones excluded).
        unexpected (list[str]): Checkpoint keys the model does not have.
        mismatched (list[tuple]): ``(key, checkpoint shape, model shape)``.
        n_model (int): Number of keys of the model's state dict.
        n_checkpoint (int): Number of keys of the checkpoint's state dict.
    """
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    n_model: int = 0
    n_checkpoint: int = 0

    @property
    def ok(self) -> bool:
        """Whether every model parameter is in the checkpoint, fitting."""
        return not (self.missing or self.unexpected or self.mismatched)


def checkpoint_state_dict(checkpoint: Mapping[str, Any]) -> Dict[str, Any]:
    """The model weights of a loaded checkpoint, as mmengine reads them.

    Args:
        checkpoint (Mapping): What ``torch.load`` returned: mmengine's
            ``{'state_dict': ..., 'meta': ...}`` or a bare state dict.

    Returns:
        dict: Key -> tensor, with a leading ``module.`` removed (as mmengine's
        ``load_checkpoint`` does by default).

    Raises:
        ValueError: ``checkpoint`` is not a mapping or its ``state_dict`` is
            not one.
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'A checkpoint must be a dict, got '
                         f'{type(checkpoint).__name__}.')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise ValueError(f"The checkpoint's 'state_dict' is a "
                         f'{type(state).__name__}, not a dict of tensors.')
    return {(k[len(_WRAPPER_PREFIX):] if k.startswith(_WRAPPER_PREFIX) else k):
            v for k, v in state.items()}


def compare_state_dicts(model_state: Mapping[str, Any],
                        ckpt_state: Mapping[str, Any],
                        optional_prefixes: Sequence[str] = ()
                        ) -> CheckpointFit:
    """Compare a checkpoint's state dict with a model's.

    Args:
        model_state (Mapping): ``model.state_dict()``.
        ckpt_state (Mapping): The checkpoint's (see
            :func:`checkpoint_state_dict`).
        optional_prefixes (Sequence[str]): Model keys starting with one of
            these may be absent from the checkpoint.

    Returns:
        CheckpointFit: Missing, unexpected and mis-shaped keys, each sorted.
    """
    prefixes = tuple(optional_prefixes)
    fit = CheckpointFit(n_model=len(model_state), n_checkpoint=len(ckpt_state))
    for key in sorted(model_state):
        if key not in ckpt_state:
            if not (prefixes and key.startswith(prefixes)):
                fit.missing.append(key)
            continue
        want = tuple(getattr(model_state[key], 'shape', ()))
        got = tuple(getattr(ckpt_state[key], 'shape', ()))
        if want != got:
            fit.mismatched.append((key, got, want))
    fit.unexpected = sorted(k for k in ckpt_state if k not in model_state)
    return fit


def _examples(items: Sequence[str]) -> str:
    shown = ', '.join(items[:2])
    return f'e.g. {shown}' + (', ...' if len(items) > 2 else '')


def mismatch_message(fit: CheckpointFit, checkpoint: str, config: str,
                     trained_by: Optional[str] = None) -> str:
    """The one-paragraph refusal for a checkpoint that does not fit.

    Args:
        fit (CheckpointFit): The comparison.
        checkpoint (str): The checkpoint path, as the user gave it.
        config (str): The config path, as the user gave it.
        trained_by (str, optional): The experiment that wrote the checkpoint
            (its ``meta['experiment_name']``), when known.

    Returns:
        str: The message (no leading ``Error:``; the tools add it).
    """
    parts = []
    if fit.missing:
        parts.append(f'{len(fit.missing)} of the model\'s {fit.n_model} '
                     f'parameters are missing ({_examples(fit.missing)})')
    if fit.unexpected:
        parts.append(f'{len(fit.unexpected)} of the checkpoint\'s '
                     f'{fit.n_checkpoint} are unexpected '
                     f'({_examples(fit.unexpected)})')
    if fit.mismatched:
        shown = [f'{k}: checkpoint {tuple(g)} vs model {tuple(w)}'
                 for k, g, w in fit.mismatched]
        parts.append(f'{len(fit.mismatched)} have another shape '
                     f'({_examples(shown)})')
    origin = (f' It was written by the experiment {trained_by!r}.'
              if trained_by else '')
    return (f'The checkpoint {checkpoint!r} does not fit the model of the '
            f'config {config!r}: ' + '; '.join(parts) + '.' + origin +
            ' It is probably a checkpoint of another config (another '
            'backbone, head or number of classes): pass the config it was '
            'trained with (its work dir holds a copy), or add '
            '--allow-mismatch to load the parameters that fit and leave the '
            'others as initialised. Nothing was loaded or written.')


def load_checkpoint_file(path: str) -> Dict[str, Any]:
    """``torch.load`` a local checkpoint with the safe (weights-only) loader.

    The file is memory-mapped where torch supports it, so checking a large
    checkpoint reads only its index.

    Args:
        path (str): A local ``.pth`` file.

    Returns:
        dict: The checkpoint.
    """
    try:
        return torch.load(path, map_location='cpu', weights_only=True,
                          mmap=True)
    except (RuntimeError, TypeError):  # legacy (non-zip) format: no mmap
        return torch.load(path, map_location='cpu', weights_only=True)


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint: str,
                          config: str,
                          allow_mismatch: bool = False) -> CheckpointFit:
    """Raise unless ``checkpoint``'s weights fit ``model``.

    Args:
        model (nn.Module): The config's model, built and not yet loaded. A
            wrapper with a ``module`` attribute (TTA, DDP) is unwrapped.
        checkpoint (str): A local checkpoint path (URLs are not checked).
        config (str): The config path, for the message.
        allow_mismatch (bool): Return the comparison instead of raising.

    Returns:
        CheckpointFit: The comparison (``ok`` when it fits).

    Raises:
        CheckpointMismatchError: Missing, unexpected or mis-shaped parameters
            beyond the model's ``optional_checkpoint_prefixes`` and not
            ``allow_mismatch``.
    """
    if '://' in str(checkpoint):
        return CheckpointFit()
    inner = getattr(model, 'module', model)
    ckpt = load_checkpoint_file(osp.expanduser(os.fspath(checkpoint)))
    fit = compare_state_dicts(
        inner.state_dict(), checkpoint_state_dict(ckpt),
        getattr(inner, 'optional_checkpoint_prefixes', ()))
    if fit.ok or allow_mismatch:
        return fit
    meta = ckpt.get('meta') if isinstance(ckpt, Mapping) else None
    trained_by = meta.get('experiment_name') if isinstance(meta,
                                                           Mapping) else None
    raise CheckpointMismatchError(
        mismatch_message(fit, checkpoint, config, trained_by))


__all__ = [
    'CheckpointFit', 'CheckpointMismatchError', 'check_checkpoint_fits',
    'checkpoint_state_dict', 'compare_state_dicts', 'load_checkpoint_file',
    'mismatch_message'
]
