"""Ramp-up of a consistency weight over the first iterations.

The sigmoid-shaped schedule of temporal ensembling (Laine & Aila, ICLR 2017)
and the mean teacher (Tarvainen & Valpola, NeurIPS 2017), shared by the
mean-teacher baselines and UniMatch-style consistency.
"""
from __future__ import annotations

import math


def sigmoid_rampup(current: float, rampup_length: float) -> float:
    """Sigmoid-shaped ramp-up ``exp(-5 (1 - t) ** 2)``, ``t = current / length``.

    (Laine & Aila 2017; Tarvainen & Valpola 2017.)

    Args:
        current (float): Current iteration.
        rampup_length (float): Ramp-up length; 0 gives 1.0 at once.

    Returns:
        float: Weight in (0, 1]; 1.0 from ``rampup_length`` on.
    """
    if rampup_length <= 0:
        return 1.0
    t = min(max(current / rampup_length, 0.0), 1.0)
    return math.exp(-5.0 * (1.0 - t)**2)
