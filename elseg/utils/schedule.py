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
from typing import Optional, Union

IterValue = Union[int, float]


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
