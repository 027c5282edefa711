"""Tests of MLDSHead (multi-label deep supervision, Reiss et al. CVPR 2021)."""
import math

import pytest
import torch
from mmengine.structures import PixelData

import elseg  # noqa: F401
from elseg.models.decode_heads import MLDSHead, mlds_multilabel_targets
from mmseg.structures import SegDataSample

LABEL = torch.tensor([[0, 0, 1, 1],
                      [0, 0, 1, 2],
                      [255, 255, 0, 0],
                      [255, 255, 0, 0]])
# 2x2 windows: TL {0}, TR {1, 2}, BL all ignored (invalid), BR {0}
TARGET = torch.tensor([[[1., 0.], [0., 1.]],   # class 0
                       [[0., 1.], [0., 0.]],   # class 1
                       [[0., 1.], [0., 0.]]])  # class 2
VALID = torch.tensor([[True, True], [False, True]])


def _bce(z, t):
    p = 1 / (1 + math.exp(-z))
    return -(t * math.log(p) + (1 - t) * math.log(1 - p))


def _head(**kwargs):
    cfg = dict(in_channels=[8, 4], channels=4, num_classes=3,
               dropout_ratio=0.0,
               loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))
    cfg.update(kwargs)
    return MLDSHead(**cfg)


def _samples(labels):
    return [SegDataSample(gt_sem_seg=PixelData(data=lab[None]))
            for lab in labels]


def test_targets_hand_case():
    target, valid = mlds_multilabel_targets(LABEL[None], 3, (2, 2))
    assert torch.equal(target[0], TARGET)
    assert torch.equal(valid[0], VALID)
    # (N, 1, H, W) input and full size: the one-hot label itself
    target, valid = mlds_multilabel_targets(LABEL[None, None], 3, 4)
    assert target[0, 2, 1, 3] == 1 and target[0, :, 2, 0].sum() == 0
    assert valid.sum() == 12


def test_targets_bad_values():
    with pytest.raises(ValueError, match=r'\[3\]'):
        mlds_multilabel_targets(torch.full((1, 2, 2), 3), 3, 1)
    with pytest.raises(ValueError):
        mlds_multilabel_targets(torch.zeros(2, 2, dtype=torch.long), 3, 1)
    with pytest.raises(ValueError):
        mlds_multilabel_targets(torch.zeros(1, 2, 2, dtype=torch.long), 0, 1)


def test_deep_loss_hand_case():
    head = _head()
    z = torch.tensor([[[0.5, -1.0], [2.0, 0.0]],
                      [[-0.5, 1.5], [3.0, -2.0]],
                      [[1.0, 0.25], [-3.0, 0.75]]])[None]
    coarse = 0.0
    for c in range(3):
        for i in range(2):
            for j in range(2):
                if VALID[i, j]:
                    coarse += _bce(float(z[0, c, i, j]), float(TARGET[c, i, j]))
    coarse /= 9  # 3 valid coarse pixels x 3 classes
    assert math.isclose(
        float(head.deep_supervision_loss([z], LABEL[None])), coarse,
        rel_tol=1e-6)
    # a second head at full size: targets are the one-hot label, 12 valid px
    fine = torch.zeros(1, 3, 4, 4)
    expected = coarse + math.log(2)  # BCE(0, t) = log 2 for any t
    assert math.isclose(
        float(head.deep_supervision_loss([z, fine], LABEL[None])), expected,
        rel_tol=1e-6)


def test_loss_keys_weight_and_predict():
    torch.manual_seed(0)
    head = _head(deep_loss_weight=0.5)
    feats = [torch.randn(2, 8, 2, 2), torch.randn(2, 4, 4, 4)]
    labels = torch.stack([LABEL, torch.randint(0, 3, (4, 4))])
    losses = head.loss(feats, _samples(labels), train_cfg=dict())
    assert set(losses) == {'loss_ce', 'loss_mlds', 'acc_seg'}
    logits, deep = head.forward_with_deep(feats)
    assert [tuple(d.shape) for d in deep] == [(2, 3, 2, 2), (2, 3, 4, 4)]
    torch.testing.assert_close(
        losses['loss_mlds'], 0.5 * head.deep_supervision_loss(deep, labels))
    # plain tensor -> only the full-resolution loss
    assert 'loss_mlds' not in head.loss_by_feat(logits, _samples(labels))
    head.eval()
    metas = [dict(img_shape=(8, 8), pad_shape=(8, 8))] * 2
    pred = head.predict(feats, metas, test_cfg=dict())
    assert pred.shape == (2, 3, 8, 8)
    assert torch.equal(head.forward(feats), head.forward_with_deep(feats)[0])


def test_all_ignored_gives_zero_deep_loss_with_grad():
    head = _head(deep_supervise_last=False)
    assert len(head.deep_heads) == 1
    feats = [torch.randn(2, 8, 2, 2, requires_grad=True), torch.randn(2, 4, 4, 4)]
    losses = head.loss(feats, _samples(torch.full((2, 4, 4), 255)), dict())
    assert float(losses['loss_mlds'].detach()) == 0.0
    losses['loss_mlds'].backward()
    assert torch.isfinite(feats[0].grad).all()


@pytest.mark.parametrize('kwargs', [
    dict(in_channels=[]), dict(in_index=[0]), dict(deep_loss_weight=-1.0),
    dict(input_transform='resize_concat')
])
def test_bad_args(kwargs):
    with pytest.raises(ValueError):
        _head(**kwargs)
