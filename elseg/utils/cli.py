"""Helpers shared by the command-line tools in ``tools/``.

They turn the most common configuration mistakes into one clear paragraph and a
non-zero exit code instead of a long traceback.
"""
from __future__ import annotations

import difflib
import re
import sys
from typing import Callable, Iterable, List, TypeVar

from mmengine.config import Config

T = TypeVar('T')

_UNREGISTERED = re.compile(r'(\S+) is not in the (\S+) registry')


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


def run_cli(fn: Callable[[], T], cfg: Config) -> T:
    """Run ``fn`` and exit with a clear message on a known configuration error.

    Args:
        fn (Callable): What the tool does (build the runner, train...).
        cfg (Config): The loaded config, to name its ``custom_imports``.

    Returns:
        Whatever ``fn`` returns.
    """
    try:
        return fn()
    except KeyError as err:
        match = _UNREGISTERED.search(str(err))
        if match is None:
            raise
        imports = (cfg.get('custom_imports') or {}).get('imports', [])
        print(unregistered_type_message(match.group(1), match.group(2),
                                        imports), file=sys.stderr)
        sys.exit(2)
