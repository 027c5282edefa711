"""ema_update_: the mean-teacher weight average, by hand."""
import pytest
import torch
from torch import nn

from elseg.models.utils import ema_update_


def _pair():
    torch.manual_seed(0)
    student = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1))
    teacher = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1))
    with torch.no_grad():
        student[0].weight.fill_(1.0)
        student[0].bias.fill_(2.0)
        teacher[0].weight.fill_(3.0)
        teacher[0].bias.fill_(-2.0)
        student[1].running_mean.fill_(5.0)
    return teacher, student


def test_ema_update_hand_values():
    teacher, student = _pair()
    ema_update_(teacher, student, 0.75)
    # 0.75 * 3 + 0.25 * 1 = 2.5; 0.75 * -2 + 0.25 * 2 = -1
    assert torch.allclose(teacher[0].weight, torch.full((1, 2), 2.5))
    assert torch.allclose(teacher[0].bias, torch.tensor([-1.0]))
    assert float(teacher[1].running_mean) == 5.0  # buffers copied
    assert float(student[0].weight[0, 0]) == 1.0  # student untouched
    ema_update_(teacher, student, 0.0)  # momentum 0 copies the student
    assert torch.equal(teacher[0].bias, student[0].bias)


def test_ema_update_errors():
    teacher, student = _pair()
    with pytest.raises(ValueError, match='1.5'):
        ema_update_(teacher, student, 1.5)
    with pytest.raises(ValueError, match='parameters differ'):
        ema_update_(nn.Linear(2, 1), student, 0.5)
