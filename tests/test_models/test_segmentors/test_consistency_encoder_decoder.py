"""ConsistencyEncoderDecoder: masked losses, threshold, CutMix targets, FP
stream, EMA teacher, ramp-up."""
import copy
import math

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from elseg.models.segmentors.consistency_encoder_decoder import (
    masked_ce_loss, masked_dice_loss)

BACKBONE = dict(type='UNet', in_channels=1, base_channels=4, num_stages=2,
                strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1, ),
                downsamples=(True, ), enc_dilations=(1, 1),
                dec_dilations=(1, ), norm_cfg=dict(type='BN'),
                upsample_cfg=dict(type='InterpConv'))


def build(bn_stats='batch', **consistency):
    torch.manual_seed(0)
    cfg = dict(
        bn_stats=bn_stats,
        type='ConsistencyEncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0],
                               std=[1.0], bgr_to_rgb=False, pad_val=0,
                               seg_pad_val=255),
        backbone=BACKBONE,
        decode_head=dict(type='FCNHead', in_channels=4, in_index=-1,
                         channels=4, num_convs=1, concat_input=False,
                         num_classes=3, norm_cfg=dict(type='BN'),
                         align_corners=False, init_cfg=None,
                         loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'),
        consistency=consistency)
    return MODELS.build(ConfigDict(cfg)).train()


def samples(streams, size=16):
    out = []
    for s in streams:
        ds = SegDataSample(metainfo=dict(stream=s, img_shape=(size, size),
                                         ori_shape=(size, size),
                                         pad_shape=(size, size)))
        value = 255 if s == 'unlabeled' else 1
        ds.gt_sem_seg = PixelData(
            data=torch.full((1, size, size), value, dtype=torch.long))
        out.append(ds)
    return out


def test_masked_dice_by_hand():
    # one pixel counts: prob of class 1 = sigmoid(2) ~ 0.881 (2 classes)
    logits = torch.tensor([[[[0.0, 5.0]], [[2.0, -5.0]]]])  # (1, 2, 1, 2)
    target = torch.tensor([[[1, 0]]])
    mask = torch.tensor([[[True, False]]])
    p1 = 1 / (1 + math.exp(-2.0))
    p0 = 1 - p1
    eps = 1e-5
    d0 = 1 - (0 + eps) / (p0**2 + 0 + eps)  # class 0 absent from the target
    d1 = 1 - (2 * p1 + eps) / (p1**2 + 1 + eps)
    assert masked_dice_loss(logits, target, mask).item() == pytest.approx(
        (d0 + d1) / 2, rel=1e-5)
    # nothing confident: the loss is exactly 0
    assert masked_dice_loss(logits, target, ~mask & False).item() == 0.0
    # 'present': class 0 is absent from the masked target, only d1 counts
    assert masked_dice_loss(logits, target, mask, 'present').item() == \
        pytest.approx(d1, rel=1e-5)
    # nothing confident: no class present, the same 0 as 'all'
    assert masked_dice_loss(logits, target, ~mask & False,
                            'present').item() == 0.0


def test_masked_ce_divides_by_all_pixels():
    logits = torch.tensor([[[[0.0, 0.0]], [[math.log(3.0), 0.0]]]])
    target = torch.tensor([[[1, 0]]])
    mask = torch.tensor([[[True, False]]])
    # CE of pixel 0 = -log(3/4); divided by 2 pixels, not 1
    assert masked_ce_loss(logits, target, mask).item() == pytest.approx(
        -math.log(0.75) / 2, rel=1e-6)


def test_threshold_mask_and_logged_ratio():
    x = torch.rand(4, 1, 16, 16)
    ds = samples(['exemplar', 'exemplar', 'unlabeled', 'unlabeled'])
    everything = build(conf_thresh=0.0).loss(x, ds)
    assert everything['cons_conf_ratio'].item() == 1.0
    assert everything['loss_cons_strong'].item() > 0
    nothing = build(conf_thresh=1.0).loss(x, ds)
    assert nothing['cons_conf_ratio'].item() == 0.0
    # masked Dice with an empty mask is 0: no unlabelled supervision
    assert nothing['loss_cons_strong'].item() == 0.0
    assert nothing['loss_cons_fp'].item() == 0.0
    # the exemplar loss is there in both; unlabelled all-ignore samples give
    # no supervised term
    assert 'loss_seg_exemplar' in nothing
    assert 'loss_seg_unlabeled' not in nothing
    # middle threshold: the ratio is the fraction of confident weak pixels
    model = build(conf_thresh=0.5)
    out = model.loss(x, ds)
    assert 0.0 <= out['cons_conf_ratio'].item() <= 1.0


def test_strong_views_mix_image_label_and_confidence_together():
    model = build(cutmix_prob=1.0, num_strong=3, strong=dict(
        jitter_prob=0.0, blur_prob=0.0, noise_prob=0.0))
    n = 5
    x = (torch.arange(n, dtype=torch.float32) / 10)[:, None, None, None]
    x = x.expand(n, 1, 16, 16).clone()
    pseudo = torch.arange(n)[:, None, None].expand(n, 16, 16).clone()
    conf = (torch.arange(n, dtype=torch.float32) / 10)[:, None, None].expand(
        n, 16, 16).clone()
    views = model.strong_views(x, pseudo, conf,
                               generator=torch.Generator().manual_seed(1))
    assert len(views) == 3
    mixed = 0
    for img, lab, cf in views:
        src = torch.round(img[:, 0] * 10).long()  # which image a pixel is from
        assert torch.equal(lab, src)
        assert torch.allclose(cf, src.float() / 10)
        mixed += int((src != pseudo).sum())
    assert mixed > 0  # some boxes came from other images


def test_feature_perturbation_on_and_off():
    x = torch.rand(4, 1, 16, 16)
    ds = samples(['exemplar', 'unlabeled', 'unlabeled', 'unlabeled'])
    assert 'loss_cons_fp' not in build(fp=False).loss(x, ds)
    model = build(fp_modules=['backbone.encoder.1'],
                  fp_input_modules=['backbone.decoder.0'])
    assert 'loss_cons_fp' in model.loss(x, ds)
    model.eval()
    clean = model._decode(x)
    torch.manual_seed(3)
    perturbed = model._decode(x, fp=True)
    assert not torch.allclose(clean, perturbed)
    # the dropout hooks are removed afterwards
    assert not model.backbone.encoder[1]._forward_hooks
    assert not model.backbone.decoder[0]._forward_pre_hooks
    assert torch.allclose(model._decode(x), clean)
    # head-input perturbation when no module is named
    plain = build()
    plain.eval()
    assert not torch.allclose(plain._decode(x), plain._decode(x, fp=True))
    with pytest.raises(ValueError, match='not submodules'):
        build(fp_modules=['backbone.nope'])


def test_ema_update_by_hand_and_first_copy():
    model = build(ema_momentum=0.9)
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.fill_(1.0)
        for p in model.decode_head.parameters():
            p.fill_(3.0)
    model.ema_update(0.9)
    for p in model.teacher['decode_head'].parameters():
        assert torch.allclose(p, torch.full_like(p, 0.9 * 1 + 0.1 * 3))
    # the first iteration with consistency copies the student into the teacher
    fresh = build(ema_momentum=0.99)
    assert int(fresh.cons_start_iter) == -1
    fresh.loss(torch.rand(2, 1, 16, 16), samples(['exemplar', 'unlabeled']))
    assert int(fresh.cons_start_iter) >= 0
    for sp, tp in zip(fresh.decode_head.parameters(),
                      fresh.teacher['decode_head'].parameters()):
        # teacher = copy taken before this step; no optimizer step was made
        assert torch.allclose(sp, tp)
    assert all(not p.requires_grad for p in fresh.teacher.parameters())
    with pytest.raises(ValueError, match='ema_momentum'):
        build().ema_update(0.5)


def test_rampup_weight_and_stages():
    model = build(rampup_iters=10)
    x, ds = torch.rand(2, 1, 16, 16), samples(['exemplar', 'unlabeled'])
    first = model.loss(x, ds)
    assert first['cons_weight'].item() == pytest.approx(math.exp(-5))
    only2 = build(stages=(2, ))
    out = only2.loss(x, ds)
    assert 'loss_cons_strong' not in out and int(only2.cons_start_iter) == -1
    only2.set_stage(2)
    assert 'loss_cons_strong' in only2.loss(x, ds)


def test_bad_consistency_arguments():
    with pytest.raises(ValueError, match='Unknown consistency'):
        build(threshold=0.9)
    with pytest.raises(ValueError, match='conf_thresh'):
        build(conf_thresh=1.5)
    with pytest.raises(ValueError, match='loss_type'):
        build(loss_type='mse')
    with pytest.raises(ValueError, match='stages'):
        build(stages=(3, ))
    with pytest.raises(ValueError, match='ema_momentum'):
        build(ema_momentum=1.0)
    with pytest.raises(ValueError, match='start_iter'):
        build(start_iter=-1)
    with pytest.raises(ValueError, match="dice_classes.*'some'"):
        build(dice_classes='some')
    with pytest.raises(ValueError, match="bn_stats.*'all'"):
        build(bn_stats='all')


def _bn_layers(model):
    return [m for m in model.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def test_bn_stats_labeled_takes_statistics_from_labelled_samples_only():
    """'labeled': one BatchNorm update per step, equal to a forward of the
    labelled samples alone; 'batch': the weak, strong and FP passes each
    update it (3 per step)."""
    x = torch.rand(4, 1, 16, 16)
    streams = ['unlabeled', 'exemplar', 'unlabeled', 'synthetic']
    for mode, updates in (('labeled', 1), ('batch', 3)):
        model = build(bn_stats=mode)
        ref = copy.deepcopy(model)
        out = model.loss(x, samples(streams))
        assert 'loss_cons_strong' in out and 'loss_cons_fp' in out
        assert all(int(m.num_batches_tracked) == updates
                   for m in _bn_layers(model))
        if mode == 'labeled':
            # the reference sees the labelled samples (1, 3) alone
            ref.decode_head.forward(ref.extract_feat(x[[1, 3]]))
            for a, b in zip(_bn_layers(model), _bn_layers(ref)):
                assert torch.allclose(a.running_mean, b.running_mean)
                assert torch.allclose(a.running_var, b.running_var)
        # the unlabelled samples' (ignore) labels never enter L_seg
        assert 'loss_seg_unlabeled' not in out
        assert 'loss_seg_exemplar' in out and 'loss_seg_synthetic' in out


def test_bn_stats_labeled_keeps_each_sample_with_its_label():
    """Reordered labelled-first, a sample's L_seg still uses its own label:
    the exemplar's loss equals that of a labelled-only forward."""
    model = build(bn_stats='labeled', num_strong=0, fp=False)
    model.decode_head.dropout = None
    x = torch.rand(3, 1, 16, 16)
    ds = samples(['unlabeled', 'exemplar', 'unlabeled'])
    ds[1].gt_sem_seg.data[:, :8] = 2
    ref = copy.deepcopy(model)
    got = model.loss(x, ds)['loss_seg_exemplar']
    want = ref.decode_head.loss_by_feat(
        ref.decode_head.forward(ref.extract_feat(x[[1]])), [ds[1]])
    assert got.item() == pytest.approx(want['loss_ce'].item(), rel=1e-5)


def test_start_iter_delays_consistency():
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    model = build(start_iter=5)
    x, ds = torch.rand(2, 1, 16, 16), samples(['exemplar', 'unlabeled'])
    try:
        hub.update_info('iter', 4)
        assert 'loss_cons_strong' not in model.loss(x, ds)
        assert int(model.cons_start_iter) == -1
        # an all-unlabelled batch in the warm-up still gives a loss to step
        only_u = model.loss(x, samples(['unlabeled', 'unlabeled']))
        assert set(k for k in only_u if k.startswith('loss')) == {'loss_none'}
        only_u['loss_none'].backward()
        assert only_u['loss_none'].item() == 0.0
        hub.update_info('iter', 5)
        assert 'loss_cons_strong' in model.loss(x, ds)
        assert int(model.cons_start_iter) == 5
    finally:
        hub.update_info('iter', None)


def test_unlabeled_labels_never_used_in_supervised_loss():
    """An unlabelled sample's gt (all ignore) never enters L_seg; a pseudo
    label (stage 2) does."""
    model = build()
    x = torch.rand(2, 1, 16, 16)
    ds = samples(['exemplar', 'unlabeled'])
    assert 'loss_seg_unlabeled' not in model.loss(x, copy.deepcopy(ds))
    ds[1].gt_sem_seg.data[:] = 2  # a pseudo label
    assert 'loss_seg_unlabeled' in model.loss(x, ds)


def test_auto_feature_perturbation_modules():
    """'auto' on mmseg's UNet: the bottleneck output and every skip input."""
    model = build(fp_modules='auto')
    assert model.cons['fp_modules'] == ['backbone.encoder.1']
    assert model.cons['fp_input_modules'] == ['backbone.decoder.0']
    assert model.fp_modules == [model.backbone.encoder[1]]
    assert model.fp_input_modules == [model.backbone.decoder[0]]
