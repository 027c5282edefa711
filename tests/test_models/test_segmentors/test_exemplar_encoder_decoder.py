"""ExemplarEncoderDecoder: per-stream losses (Eq. 6-8) and PCEM switching."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from tests.conftest import TINY_MODEL


def _model(**kwargs):
    cfg = copy.deepcopy(TINY_MODEL)
    cfg.update(type='ExemplarEncoderDecoder', **kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _batch(streams, size=16):
    g = torch.Generator().manual_seed(1)
    inputs = torch.rand(len(streams), 1, size, size, generator=g)
    samples = []
    for s in streams:
        ds = SegDataSample(metainfo=dict(stream=s, img_shape=(size, size)))
        ds.gt_sem_seg = PixelData(
            data=torch.randint(0, 4, (1, size, size), generator=g))
        samples.append(ds)
    return inputs, samples


def test_stream_losses_are_weighted_ce_of_each_subset():
    model = _model(stream_weights=dict(synthetic=2.0))
    model.eval()  # no dropout / batch statistics: two forwards agree
    inputs, samples = _batch(['exemplar', 'synthetic', 'synthetic'])
    losses = model.loss(inputs, samples)
    assert set(k for k in losses if k.startswith('loss')) == {
        'loss_seg_exemplar', 'loss_seg_synthetic'}
    # recompute by hand from the same network
    logits = model.decode_head.forward(model.extract_feat(inputs))
    labels = torch.cat([s.gt_sem_seg.data for s in samples])
    ce = [F.cross_entropy(logits[i:i + 1], labels[i:i + 1]) for i in range(3)]
    assert losses['loss_seg_exemplar'].item() == pytest.approx(
        ce[0].item(), rel=1e-5)
    # mean over the 2 synthetic images' pixels, times lambda_s = 2
    assert losses['loss_seg_synthetic'].item() == pytest.approx(
        2.0 * (ce[1] + ce[2]).item() / 2, rel=1e-5)


def test_zero_weight_and_absent_stream_give_no_term():
    model = _model(stream_weights=dict(unlabeled=0.0))
    inputs, samples = _batch(['exemplar', 'unlabeled'])
    losses = model.loss(inputs, samples)
    assert 'loss_seg_unlabeled' not in losses
    assert 'loss_seg_synthetic' not in losses
    assert 'loss_seg_exemplar' in losses


def test_pcem_only_in_its_stages_and_backpropagates():
    model = _model(
        contrastive_loss=dict(type='PixelPrototypeContrastiveLoss',
                              loss_weight=0.5),
        embed_index=0, pcem_stages=(2, ))
    inputs, samples = _batch(['exemplar', 'synthetic', 'synthetic'])
    assert 'loss_pcem' not in model.loss(inputs, samples)  # stage 1
    model.set_stage(2)
    losses = model.loss(inputs, samples)
    assert 'loss_pcem' in losses and torch.isfinite(losses['loss_pcem'])
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    grad = model.backbone.encoder[0][0].convs[0].conv.weight.grad
    assert grad is not None and torch.isfinite(grad).all()
    with pytest.raises(ValueError, match='stage must be 1 or 2'):
        model.set_stage(3)


def test_bad_arguments_and_reinitialize():
    with pytest.raises(ValueError, match='Unknown stream'):
        _model(stream_weights=dict(labelled=1.0))
    with pytest.raises(ValueError, match='pcem_stages'):
        _model(pcem_stages=(0, ))
    model = _model()
    before = model.decode_head.conv_seg.weight.clone()
    torch.manual_seed(123)
    model.reinitialize()
    assert not torch.equal(before, model.decode_head.conv_seg.weight)
