"""Tests of MeanTeacherEncoderDecoder and MLDSMeanTeacherHook."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import elseg  # noqa: F401
from elseg.engine.hooks import MLDSMeanTeacherHook
from elseg.models.segmentors import MeanTeacherEncoderDecoder
from elseg.models.segmentors.mean_teacher_encoder_decoder import \
    foreground_ratio
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

init_default_scope('mmseg')


def _model(**kwargs):
    cfg = dict(
        type='MeanTeacherEncoderDecoder',
        backbone=dict(
            type='UNet', in_channels=1, base_channels=4, num_stages=3,
            strides=(1, 1, 1), enc_num_convs=(2, 2, 2), dec_num_convs=(2, 2),
            downsamples=(True, True), enc_dilations=(1, 1, 1),
            dec_dilations=(1, 1)),
        decode_head=dict(
            type='MLDSHead', in_channels=[16, 8, 4], in_index=[0, 1, 2],
            channels=8, num_classes=3, dropout_ratio=0.0,
            loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True)),
        test_cfg=ConfigDict(mode='whole'),
        consistency_weight=2.0, consistency_rampup=10)
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert isinstance(model, MeanTeacherEncoderDecoder)
    model.init_weights()
    return model


def _batch(streams, labels=None, size=16):
    torch.manual_seed(1)
    inputs = torch.rand(len(streams), 1, size, size)
    if labels is None:
        labels = torch.randint(0, 3, (len(streams), size, size))
    samples = []
    for stream, lab in zip(streams, labels):
        s = SegDataSample(gt_sem_seg=PixelData(data=lab[None]))
        s.set_metainfo(dict(stream=stream, img_shape=(size, size),
                            ori_shape=(size, size), pad_shape=(size, size)))
        samples.append(s)
    return inputs, samples


def _total(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def test_foreground_ratio_hand_values():
    # 4 pixels, 3 classes: argmax 0, 2, 1, 0 -> 2 of 4 are foreground
    probs = torch.tensor([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5],
                          [0.1, 0.8, 0.1], [0.4, 0.3, 0.3]])
    probs = probs.T.reshape(1, 3, 2, 2)
    assert float(foreground_ratio(probs)) == pytest.approx(0.5)
    # two images: 2/4 and 0/4 foreground -> 2/8
    both = torch.cat([probs, torch.tensor([1., 0., 0.]).view(1, 3, 1,
                                                             1).expand(
                                                                 1, 3, 2, 2)])
    assert float(foreground_ratio(both)) == pytest.approx(0.25)
    # one sigmoid channel: foreground where p > 0.5 -> 1 of 4
    sig = torch.tensor([0.2, 0.5, 0.9, 0.4]).view(1, 1, 2, 2)
    assert float(foreground_ratio(sig)) == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r'\(3, 2, 2\)'):
        foreground_ratio(probs[0])


def test_teacher_fg_ratio_logged_for_unlabeled_only():
    model = _model(teacher_noise_std=0.0)
    model.momentum_update(0.0)
    model.eval()
    inputs, samples = _batch(['exemplar', 'unlabeled', 'unlabeled'])
    losses = model.loss(inputs, samples)
    with torch.no_grad():
        t_probs = model.teacher_forward(inputs[1:]).softmax(1)
    expected = (t_probs.argmax(1) != 0).float().mean()
    assert float(losses['teacher_fg_ratio']) == pytest.approx(float(expected))
    assert 'teacher_fg_ratio' not in model.loss(inputs[:1], samples[:1])


def test_ema_update_hand_formula():
    model = _model()
    model.momentum_update(0.0)
    for s, t in zip(model.backbone.parameters(),
                    model.teacher['backbone'].parameters()):
        assert torch.equal(s, t)
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(torch.randn_like(p))
        model.backbone.encoder[0][0].convs[0].bn.running_mean.fill_(3.0)
    before = [t.clone() for t in model.teacher['backbone'].parameters()]
    model.momentum_update(0.9)
    for old, s, t in zip(before, model.backbone.parameters(),
                         model.teacher['backbone'].parameters()):
        torch.testing.assert_close(t, 0.9 * old + 0.1 * s)
    assert model.teacher['backbone'].encoder[0][0].convs[0].bn.running_mean.eq(
        3.0).all()
    with pytest.raises(ValueError):
        model.momentum_update(1.5)


def test_teacher_gets_no_gradient_and_stays_eval():
    model = _model()
    model.train()
    assert not model.teacher.training and model.backbone.training
    inputs, samples = _batch(['exemplar', 'exemplar', 'unlabeled',
                              'unlabeled'])
    model.cur_iter = 10  # full consistency weight
    losses = model.loss(inputs, samples)
    assert {'decode.loss_ce', 'decode.loss_mlds', 'loss_consistency'} <= set(
        losses)
    assert float(losses['consistency_weight']) == pytest.approx(2.0)
    assert float(losses['loss_consistency'].detach()) > 0  # teacher noise + weights
    _total(losses).backward()
    assert all(not p.requires_grad and p.grad is None
               for p in model.teacher.parameters())
    assert all(p.grad is not None for p in model.backbone.parameters())


def test_unlabeled_samples_not_in_supervised_loss():
    model = _model(teacher_noise_std=0.0)
    model.momentum_update(0.0)
    model.eval()  # BN running stats: samples independent of each other
    streams = ['exemplar', 'synthetic', 'unlabeled', 'unlabeled']
    inputs, samples = _batch(streams)
    labels2 = torch.randint(0, 3, (4, 16, 16))
    labels2[2:] = 255
    _, samples2 = _batch(streams, labels=torch.cat(
        [torch.stack([s.gt_sem_seg.data[0] for s in samples[:2]]),
         labels2[2:]]))
    a = model.loss(inputs, samples)
    b = model.loss(inputs, samples2)
    c = model.loss(inputs[:2], samples[:2])
    for key in ('decode.loss_ce', 'decode.loss_mlds', 'decode.acc_seg'):
        torch.testing.assert_close(a[key], b[key])
        torch.testing.assert_close(a[key], c[key])
    # identical teacher, no noise -> zero consistency; none without unlabeled
    assert float(a['loss_consistency'].detach()) == pytest.approx(0.0, abs=1e-12)
    assert float(c['loss_consistency']) == 0.0
    # gradient of the supervised loss w.r.t. unlabeled images is zero
    x = inputs.clone().requires_grad_(True)
    model.loss(x, samples)['decode.loss_ce'].backward()
    assert x.grad[2:].abs().sum() == 0 and x.grad[:2].abs().sum() > 0
    # only unlabeled -> no supervised keys, graph still connected
    d = model.loss(inputs[2:], samples[2:])
    assert not any(k.startswith('decode.') for k in d)


def test_predict_with_teacher_or_student():
    model = _model()
    model.eval()
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(0.5)
    inputs, samples = _batch(['unlabeled'] * 2)
    metas = [s.metainfo for s in samples]
    teacher_out = model.encode_decode(inputs, metas)
    expected = model.teacher['decode_head'].predict(
        model.teacher['backbone'](inputs), metas, model.test_cfg)
    torch.testing.assert_close(teacher_out, expected)
    model.predict_with = 'student'
    assert not torch.allclose(model.encode_decode(inputs, metas), teacher_out)
    preds = model.predict(inputs, samples)
    assert preds[0].pred_sem_seg.data.shape == (1, 16, 16)


def test_hook_with_mock_runner():
    model = _model()
    runner = SimpleNamespace(model=model, iter=0,
                             logger=MMLogger.get_instance('test_mt_hook'))
    hook = MLDSMeanTeacherHook(momentum=0.99)
    hook.before_train(runner)
    for s, t in zip(model.decode_head.parameters(),
                    model.teacher['decode_head'].parameters()):
        assert torch.equal(s, t)
    runner.iter = 3
    hook.before_train_iter(runner, 3)
    assert model.cur_iter == 3
    with torch.no_grad():
        for p in model.decode_head.parameters():
            p.add_(1.0)
    before = [t.clone() for t in model.teacher['decode_head'].parameters()]
    hook.after_train_iter(runner, 3)  # warm-up: m = min(0.99, 1 - 1/5)
    for old, s, t in zip(before, model.decode_head.parameters(),
                         model.teacher['decode_head'].parameters()):
        torch.testing.assert_close(t, 0.8 * old + 0.2 * s)
    with pytest.raises(TypeError):
        hook.before_train(SimpleNamespace(model=torch.nn.Linear(1, 1), iter=0))


@pytest.mark.parametrize('kwargs', [
    dict(consistency_weight=-1.0), dict(consistency_rampup=-1),
    dict(teacher_noise_std=-0.1), dict(predict_with='ema')
])
def test_bad_args(kwargs):
    with pytest.raises(ValueError):
        _model(**kwargs)


def test_hook_bad_args():
    with pytest.raises(ValueError):
        MLDSMeanTeacherHook(momentum=1.0)
    with pytest.raises(ValueError):
        MLDSMeanTeacherHook(interval=0)


def test_bn_stats_labeled_keeps_unlabeled_out_of_batchnorm():
    """bn_stats='labeled': the supervised loss and the BatchNorm running
    statistics are those of the labelled samples alone (as an exemplar-only
    UNet), whatever the unlabelled slices are; 'batch' mixes them in."""
    streams = ['exemplar', 'exemplar', 'unlabeled', 'unlabeled']
    inputs, samples = _batch(streams)
    other = inputs.clone()
    other[2:] = other[2:] * 5 + 3  # very different unlabelled slices

    def run(bn_stats, x, batch=slice(None)):
        model = _model(bn_stats=bn_stats, teacher_noise_std=0.0)
        model.train()
        losses = model.loss(x[batch], samples[batch])
        bn = next(m for m in model.backbone.modules()
                  if isinstance(m, torch.nn.BatchNorm2d))
        return losses, bn.running_mean.clone()

    a, mean_a = run('labeled', inputs)
    b, mean_b = run('labeled', other)
    c, mean_c = run('labeled', inputs, slice(0, 2))  # labelled only
    for key in ('decode.loss_ce', 'decode.loss_mlds'):
        torch.testing.assert_close(a[key], b[key])
        torch.testing.assert_close(a[key], c[key])
    torch.testing.assert_close(mean_a, mean_c)
    torch.testing.assert_close(mean_b, mean_c)
    d, mean_d = run('batch', inputs)
    e, mean_e = run('batch', other)
    assert not torch.allclose(d['decode.loss_ce'], e['decode.loss_ce'])
    assert not torch.allclose(mean_d, mean_e)
    # the unlabelled pass still trains the student through the consistency
    model = _model(bn_stats='labeled', teacher_noise_std=0.0)
    model.train()
    model.cur_iter = 10
    model.loss(inputs, samples)['loss_consistency'].backward()
    grads = [p.grad for p in model.backbone.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
    # a batch without labelled samples leaves the statistics untouched
    _, mean_u = run('labeled', inputs, slice(2, 4))
    torch.testing.assert_close(mean_u, torch.zeros_like(mean_u))
    _, mean_ub = run('batch', inputs, slice(2, 4))
    assert mean_ub.abs().sum() > 0
    with pytest.raises(ValueError, match='bn_stats'):
        _model(bn_stats='unlabeled')
