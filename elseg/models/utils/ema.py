"""Exponential moving average (EMA) of a module's weights: the mean teacher.

Mean teacher (Tarvainen and Valpola, NeurIPS 2017), as used by MLDS's mean
teacher and by UniMatch-style consistency with an EMA teacher.
"""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ema_update_(teacher: nn.Module, student: nn.Module,
                momentum: float) -> None:
    """In place: ``teacher = momentum * teacher + (1 - momentum) * student``.

    Buffers (BatchNorm running statistics) are copied from the student.
    ``momentum=0`` copies the student (the teacher's share, the opposite of
    mmdet's ``MeanTeacherHook`` convention).

    Args:
        teacher (nn.Module): The averaged copy; updated in place.
        student (nn.Module): The trained module, of the same architecture.
        momentum (float): The teacher's share in [0, 1].

    Raises:
        ValueError: If ``momentum`` is outside [0, 1], or the two modules'
            parameter or buffer names differ.
    """
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f'momentum must be in [0, 1], got {momentum}')
    for kind in ('parameters', 'buffers'):
        s_items = list(getattr(student, f'named_{kind}')())
        t_items = list(getattr(teacher, f'named_{kind}')())
        if [n for n, _ in s_items] != [n for n, _ in t_items]:
            raise ValueError(f'teacher and student {kind} differ: '
                             f'{len(t_items)} vs {len(s_items)} names')
        for (_, s), (_, t) in zip(s_items, t_items):
            if kind == 'parameters':
                t.mul_(momentum).add_(s.detach(), alpha=1.0 - momentum)
            else:
                t.copy_(s)
