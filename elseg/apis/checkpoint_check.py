"""Check a checkpoint against a config's model before a tool loads it.

Used by ``tools/test.py``, ``tools/infer.py`` and ``tools/train.py``
(``--resume`` / ``load_from``) before a runner exists, so that a refused
checkpoint leaves no work dir, log or prediction behind. The comparison
itself is :func:`elseg.utils.checkpoint_fit.check_checkpoint_fits`.
"""
from __future__ import annotations

import copy

from mmengine.config import Config

from ..utils.checkpoint import check_checkpoint_file
from ..utils.checkpoint_fit import CheckpointFit, check_checkpoint_fits


def build_config_model(cfg: Config):
    """Build ``cfg.model`` on the CPU without loading weights.

    The config is not modified (a copy is built, with ``pretrained`` and
    ``init_cfg`` dropped so nothing is downloaded).

    Args:
        cfg (Config): A loaded config.

    Returns:
        nn.Module: The model, randomly initialised.
    """
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('pretrained', None)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return MODELS.build(model_cfg)


def check_config_checkpoint(cfg: Config,
                            checkpoint: str,
                            config_path: str,
                            allow_mismatch: bool = False) -> CheckpointFit:
    """Refuse ``checkpoint`` unless it is a checkpoint of ``cfg``'s model.

    Args:
        cfg (Config): The loaded config (not modified).
        checkpoint (str): The checkpoint path given to the tool.
        config_path (str): The config path, for the message.
        allow_mismatch (bool): Compare only (the tool's ``--allow-mismatch``).

    Returns:
        CheckpointFit: The comparison.

    Raises:
        FileNotFoundError: The checkpoint does not exist.
        ValueError: It is not a checkpoint file, or
            :class:`~elseg.utils.checkpoint_fit.CheckpointMismatchError` when
            its weights do not fit.
    """
    check_checkpoint_file(checkpoint)
    model = build_config_model(cfg)
    return check_checkpoint_fits(model, checkpoint, config_path,
                                 allow_mismatch)


__all__ = ['build_config_model', 'check_config_checkpoint']
