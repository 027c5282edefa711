"""The shared EMA teacher and labelled-first split, by hand."""
import pytest
import torch
from mmengine.structures import BaseDataElement
from torch import nn

from elseg.models.utils import (EMATeacherMixin, check_bn_stats,
                                forward_labelled_first, split_streams,
                                unlabeled_bn)


def _samples(streams):
    return [BaseDataElement(metainfo={} if s is None else dict(stream=s))
            for s in streams]


def test_split_streams_keeps_batch_order():
    lab, unl = split_streams(_samples(
        ['exemplar', 'unlabeled', 'synthetic', 'unlabeled', None]))
    assert lab == [0, 2, 4] and unl == [1, 3]
    assert split_streams(_samples(['unlabeled'])) == ([], [0])
    assert split_streams([]) == ([], [])


def test_check_bn_stats():
    assert check_bn_stats('batch') == 'batch'
    assert check_bn_stats('labeled') == 'labeled'
    with pytest.raises(ValueError, match="bn_stats.*'all'"):
        check_bn_stats('all')


def _bn():
    bn = nn.BatchNorm1d(1, momentum=0.5).train()
    bn.weight.data.fill_(1.0)
    bn.bias.data.fill_(0.0)
    return bn


def test_forward_labelled_first_by_hand():
    bn = _bn()  # running mean 0, running var 1
    x = torch.tensor([[1.0], [10.0], [3.0], [20.0]])
    out_lab, out_unl = forward_labelled_first(bn, x, [0, 2], [1, 3], bn)
    eps = bn.eps
    # labelled (1, 3): batch mean 2, biased variance 1 -> -1, +1
    torch.testing.assert_close(out_lab, torch.tensor([[-1.0], [1.0]]) /
                               (1 + eps) ** 0.5)
    # running mean 0.5 * 0 + 0.5 * 2 = 1; variance 0.5 * 1 + 0.5 * 2 = 1.5
    # (unbiased variance of 1, 3 is 2): from the labelled samples only
    assert float(bn.running_mean) == pytest.approx(1.0)
    assert float(bn.running_var) == pytest.approx(1.5)
    assert int(bn.num_batches_tracked) == 1
    # unlabelled (10, 20) normalised by the running statistics
    torch.testing.assert_close(out_unl, torch.tensor([[9.0], [19.0]]) /
                               (1.5 + eps) ** 0.5)
    assert bn.training  # mode restored
    # an empty side gives None and no forward pass
    out_lab, out_unl = forward_labelled_first(
        bn, x, [], [1], bn, forward_unlabeled=lambda t: t * 2)
    assert out_lab is None and out_unl.tolist() == [[20.0]]
    assert forward_labelled_first(bn, x, [0], [], lambda t: t)[1] is None


def test_unlabeled_bn_freezes_only_for_labeled():
    bn = _bn()
    with unlabeled_bn(bn, 'labeled'):
        assert not bn.training
    with unlabeled_bn(bn, 'batch'):
        assert bn.training
    assert bn.training
    with pytest.raises(ValueError, match="'none'"):
        unlabeled_bn(bn, 'none')


class _Tiny(EMATeacherMixin, nn.Module):
    """Student ``head(backbone(x))`` of two 1 -> 1 linear layers."""

    with_neck = False

    def __init__(self, teacher=True):
        super().__init__()
        self.backbone = nn.Linear(1, 1)
        self.decode_head = nn.Linear(1, 1)
        self.teacher = None
        if teacher:
            self.build_teacher()


def _fill(module, weight, bias):
    with torch.no_grad():
        module.weight.fill_(weight)
        module.bias.fill_(bias)


def test_ema_teacher_update_and_forward_by_hand():
    model = _Tiny()
    assert set(model.teacher) == {'backbone', 'decode_head'}
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    _fill(model.backbone, 2.0, 1.0)
    _fill(model.decode_head, 0.5, 0.0)
    _fill(model.teacher['backbone'], 6.0, -3.0)
    _fill(model.teacher['decode_head'], 1.0, 4.0)
    model.ema_update(0.75)
    # 0.75 * 6 + 0.25 * 2 = 5; 0.75 * -3 + 0.25 * 1 = -2
    assert float(model.teacher['backbone'].weight) == pytest.approx(5.0)
    assert float(model.teacher['backbone'].bias) == pytest.approx(-2.0)
    # 0.75 * 1 + 0.25 * 0.5 = 0.875; 0.75 * 4 + 0.25 * 0 = 3
    assert float(model.teacher['decode_head'].weight) == pytest.approx(0.875)
    assert float(model.teacher['decode_head'].bias) == pytest.approx(3.0)
    # teacher on x = 2: 0.875 * (5 * 2 - 2) + 3 = 10, without gradient
    out = model.teacher_forward(torch.tensor([[2.0]]))
    assert float(out) == pytest.approx(10.0) and not out.requires_grad
    model.ema_update(0.0)  # momentum 0 copies the student
    assert float(model.teacher['backbone'].weight) == 2.0
    with pytest.raises(ValueError, match='1.5'):
        model.ema_update(1.5)


def test_teacher_stays_in_eval_mode_and_is_optional():
    model = _Tiny()
    model.train()
    assert model.backbone.training and not model.teacher.training
    model.eval()
    assert not model.backbone.training
    model.train(True)
    assert not model.teacher.training
    plain = _Tiny(teacher=False)
    plain.train()  # no teacher: nothing to keep in eval mode
    assert plain.teacher is None and plain.backbone.training
    with pytest.raises(ValueError, match='ema_momentum'):
        plain.ema_update(0.5)
