"""Iteration-valued options given as iterations or as a share of the schedule.

Options that name a point or a length of the training schedule
(``ExemplarTwoStageHook``'s ``stage1_iters`` and ``relabel_iters``, a
consistency's ``start_iter`` and ``rampup_iters``, a mean teacher's
``consistency_rampup``) take either form:

* an ``int``: that many iterations, whatever the schedule's length;
* a ``float`` in [0, 1]: that share of ``train_cfg.max_iters``, so changing
  ``max_iters`` alone rescales the run (``0.5`` = halfway).

``1`` is one iteration and ``1.0`` the whole schedule.
"""
from __future__ import annotations

import math
import numbers
import re
from typing import Any, Optional, Union

IterValue = Union[int, float]
#: Names of the iteration-valued options (``stage1_iters``, ``relabel_iters``,
#: ``start_iter``, ``rampup_iters``, ``consistency_rampup``): a component's
#: option named ``*_iter``, ``*_iters`` or ``*_rampup`` takes either form.
ITER_OPTION = re.compile(r'_(?:iters?|rampup)$')


def is_fraction(value: IterValue) -> bool:
    """True for a share of the schedule (a float), False for iterations."""
    return isinstance(value, float)


def check_iters(value: IterValue, name: str, positive: bool = False
                ) -> IterValue:
    """Validate an iteration-valued option.

    Args:
        value (int | float): Iterations (int >= 0) or a share of
            ``max_iters`` (float in [0, 1]).
        name (str): The option's name, for the error message.
        positive (bool): Refuse 0 (and 0.0). Default: False.

    Returns:
        int | float: ``value``, an ``int`` for integral numbers that are not
        floats (e.g. numpy integers).

    Raises:
        ValueError: A bool, a non-number, a negative value, a float above 1,
            or 0 where ``positive`` is set.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f'{name} must be an int (iterations) or a float in '
                         f'[0, 1] (share of max_iters), got {value!r}.')
    if isinstance(value, numbers.Integral):
        value = int(value)
    else:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f'{name}={value!r}: a float is a share of max_iters and must '
                'be in [0, 1]; give iterations as an int.')
    if value < 0 or (positive and value == 0):
        bound = '> 0' if positive else '>= 0'
        raise ValueError(f'{name} must be {bound}, got {value!r}.')
    return value


def resolve_iters(value: IterValue, max_iters: Optional[int],
                  name: str) -> int:
    """Iterations of an option given as iterations or as a share.

    Args:
        value (int | float): See :func:`check_iters`.
        max_iters (int, optional): The schedule's length; needed for a
            share only.
        name (str): The option's name, for the error message.

    Returns:
        int: ``value`` for an int, else ``value * max_iters`` rounded half up
        (e.g. ``2 / 3`` of 4000 -> 2667).

    Raises:
        ValueError: ``value`` is invalid (:func:`check_iters`), or a share
            without a positive ``max_iters``.
    """
    value = check_iters(value, name)
    if not is_fraction(value):
        return value
    if isinstance(max_iters, bool) or not isinstance(
            max_iters, numbers.Integral) or max_iters < 1:
        raise ValueError(
            f'{name}={value!r} is a share of max_iters, but max_iters is '
            f'{max_iters!r}; use an IterBasedTrainLoop or give iterations as '
            'an int.')
    return int(math.floor(value * int(max_iters) + 0.5))


def runner_max_iters() -> Optional[int]:
    """``max_iters`` of the running training (mmengine's message hub).

    Returns:
        int | None: The value mmengine's ``RuntimeInfoHook`` publishes before
        training, or None outside a runner.
    """
    try:
        from mmengine.logging import MessageHub
        value = MessageHub.get_current_instance().get_info('max_iters')
    except Exception:  # noqa: BLE001  (no message hub outside a runner)
        return None
    return int(value) if value is not None else None


def resolve_shares(cfg: Any, max_iters: Optional[int] = None) -> Any:
    """A config with every share of the schedule given in iterations.

    Every float (or list of floats) at a key matching :data:`ITER_OPTION`
    becomes iterations of ``max_iters``; ints and other keys stay. Configs
    that train the same schedule then read the same whichever form they use
    (``stage1_iters=0.5`` of 1000 and ``stage1_iters=500``).

    Args:
        cfg (dict | list | Any): A config as plain data (``Config.to_dict()``).
        max_iters (int, optional): The schedule's length; default: the
            config's ``train_cfg.max_iters``.

    Returns:
        A copy of ``cfg`` with the shares resolved.

    Raises:
        ValueError: A share is not in [0, 1], or there is no ``max_iters``
            to resolve a share against (:func:`resolve_iters`).
    """
    if max_iters is None and isinstance(cfg, dict):
        max_iters = (cfg.get('train_cfg') or {}).get('max_iters')

    def walk(node: Any, key: str = '') -> Any:
        if isinstance(node, dict):
            return {k: walk(v, str(k)) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            out = [walk(v, key) for v in node]
            return type(node)(out) if isinstance(node, tuple) else out
        if (isinstance(node, float) and key != 'max_iters'
                and ITER_OPTION.search(key)):
            return resolve_iters(node, max_iters, key)
        return node

    return walk(cfg)
