"""Helpers shared by the command-line tools in ``tools/``.

They turn the most common configuration and data mistakes into one clear
paragraph and a non-zero exit code instead of a long traceback (set the
environment variable ``ELSEG_DEBUG=1`` to get the traceback back), and prepare
distributed runs on machines without CUDA.
"""
from __future__ import annotations

import difflib
import os
import re
import sys
from typing import Callable, Iterable, List, Optional, TypeVar

from mmengine.config import Config

T = TypeVar('T')

_UNREGISTERED = re.compile(r'([\w.]+) is not in the (\S+) registry')


def _known_names() -> List[str]:
    """All names registered in mmseg's and mmengine's registries."""
    from mmseg import registry as mmseg_registry
    names: List[str] = []
    for attr in dir(mmseg_registry):
        reg = getattr(mmseg_registry, attr)
        module_dict = getattr(reg, 'module_dict', None)
        if isinstance(module_dict, dict):
            names.extend(module_dict)
            parent = getattr(reg, 'parent', None)
            if parent is not None:
                names.extend(parent.module_dict)
    return sorted(set(names))


def unregistered_type_message(type_name: str, registry: str,
                              imports: Iterable[str]) -> str:
    """Build the message for a config that names an unregistered type.

    Args:
        type_name (str): The ``type=`` value that could not be built.
        registry (str): The registry name mmengine searched.
        imports (Iterable[str]): The config's ``custom_imports`` modules.

    Returns:
        str: One paragraph naming the type, close registered names and the fix.
    """
    close = difflib.get_close_matches(type_name, _known_names(), n=3)
    hint = f' Did you mean {", ".join(repr(c) for c in close)}?' if close else ''
    imports = list(imports)
    if 'elseg' not in imports:
        fix = ("add `custom_imports = dict(imports=['elseg'], "
               "allow_failed_imports=False)` to the config (elseg's components "
               'are registered when the package is imported)')
    else:
        fix = ('check the spelling, or add the module that registers it to '
               "`custom_imports['imports']`")
    return (f'Config error: type {type_name!r} is not registered in the '
            f'{registry} registry.{hint} To fix it, {fix}. Imported plugin '
            f'modules: {imports or "none"}.')


def _message_of(err: BaseException) -> str:
    """The text of an exception (``KeyError`` quotes its only argument)."""
    if len(err.args) == 1 and isinstance(err.args[0], str):
        return err.args[0]
    return str(err)


def run_cli(fn: Callable[[], T], cfg: Optional[Config] = None) -> T:
    """Run ``fn`` and exit with a clear message on a known user error.

    A config naming an unregistered type gets a message with close names and
    the fix. Any other ``ValueError``, ``FileNotFoundError`` or ``KeyError``
    (elseg's and mmseg's data and config checks raise these with a message
    naming the file or value and the fix) is printed as ``Error: <message>``
    on stderr. Both exit with code 2. With ``ELSEG_DEBUG=1`` in the
    environment the exception propagates with its traceback instead.

    Args:
        fn (Callable): What the tool does (build the runner, train...).
        cfg (Config, optional): The loaded config, to name its
            ``custom_imports``.

    Returns:
        Whatever ``fn`` returns.
    """
    try:
        return fn()
    except (ValueError, FileNotFoundError, KeyError) as err:
        if os.environ.get('ELSEG_DEBUG', '0') not in ('', '0'):
            raise
        match = (_UNREGISTERED.search(str(err))
                 if isinstance(err, KeyError) else None)
        if match is not None:
            imports = ((cfg.get('custom_imports') or {}).get('imports', [])
                       if cfg is not None else [])
            print(unregistered_type_message(match.group(1), match.group(2),
                                            imports), file=sys.stderr)
        else:
            print(f'Error: {_message_of(err)}\n(Set ELSEG_DEBUG=1 to see the '
                  'traceback.)', file=sys.stderr)
        sys.exit(2)


def load_config(path: str) -> Config:
    """``Config.fromfile(path)``; a missing config file exits with one line.

    Args:
        path (str): The config file given to a tool.

    Returns:
        Config: The loaded config.

    Raises:
        SystemExit: Code 2 when ``path`` is not a file (the message is one
            ``Error:`` line on stderr; with ``ELSEG_DEBUG=1`` a
            ``FileNotFoundError`` propagates instead).
    """
    if not os.path.isfile(path):
        what = 'is a directory' if os.path.isdir(path) else 'does not exist'
        message = (f'config file {path!r} {what}; pass a config .py file, '
                   'e.g. configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py.')
        if os.environ.get('ELSEG_DEBUG', '0') not in ('', '0'):
            raise FileNotFoundError(message)
        print(f'Error: {message}', file=sys.stderr)
        sys.exit(2)
    return Config.fromfile(path)


def setup_cpu_distributed(cfg: Config) -> Optional[str]:
    """Let a distributed launch run on CPU processes when CUDA is absent.

    mmengine initialises distributed training with the config's backend
    (``nccl`` in elseg's runtime), calls ``torch.cuda.set_device`` and wraps
    the model in DDP with ``device_ids=[LOCAL_RANK]``; all three fail without
    CUDA. When ``cfg.launcher`` is not ``'none'`` and CUDA is unavailable, this
    switches an ``nccl`` backend to ``gloo``, initialises the process group
    itself (mmengine then skips its own initialisation) and sets
    ``model_wrapper_cfg.device_ids=None`` (a CPU module takes no device ids).
    Only the ``pytorch`` launcher (``torchrun``, ``tools/dist_train.sh``) is
    handled: mmengine's slurm and mpi set-ups need CUDA.

    Args:
        cfg (Config): The config, with ``launcher`` set; modified in place.

    Returns:
        str | None: A line for the log when something was changed.
    """
    import torch
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return None
    import torch.distributed as dist
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    backend = dist_cfg.get('backend', 'nccl')
    note = None
    if backend == 'nccl':
        dist_cfg['backend'] = backend = 'gloo'
        note = ('CUDA is not available: distributed training uses the gloo '
                'backend on CPU instead of nccl.')
    if not dist.is_initialized():
        kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if 'timeout' in kwargs and not hasattr(kwargs['timeout'], 'seconds'):
            import datetime
            kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
        dist.init_process_group(backend=backend, **kwargs)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    return note


def flush_denormals() -> bool:
    """Flush denormal floats to zero on the CPU (``torch.set_flush_denormal``).

    A trained MT-UNet's tiny weights and attention values fall into the
    denormal range, where x86 arithmetic is many times slower, so its training
    steps slow down as it learns (``docs/results/2026-11-25_speed.md``).
    Values below ~1e-38 become 0, which changes no result that matters.
    Called by the tools before the first torch operation, so the intra-op
    threads, which inherit the calling thread's floating-point state when
    they are created, flush too.

    Returns:
        bool: Whether the CPU supports it (True on x86 with SSE3).
    """
    import torch
    return bool(torch.set_flush_denormal(True))


def shutdown_distributed() -> bool:
    """Wait for every rank, then destroy the process group, before exiting.

    Without this, a rank that finishes first exits while the others are still
    writing their last checkpoint; the gloo connection threads of the
    survivors then see a closed socket during interpreter shutdown and the
    C++ runtime aborts (``terminate called without an active exception``,
    SIGABRT), failing a run whose work was all done. The tools call it after
    ``runner.train()`` / ``runner.test()``.

    Returns:
        bool: Whether a process group was shut down (False when the run was
        not distributed).
    """
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return False
    dist.barrier()
    dist.destroy_process_group()
    return True
