"""Tests of ExemplarSynthesis (ESM, paper Eq. 1-2)."""
import numpy as np
import pytest
from mmcv.transforms.utils import cache_random_params
from mmseg.registry import TRANSFORMS

import elseg  # noqa: F401  (registers the transform)
from elseg.datasets.transforms import ExemplarSynthesis

SIZE = 64
# unique constant intensity per organ class
LEVELS = {1: 0.3, 2: 0.55, 3: 0.8}
ALL_OFF = dict(int_exemplar=False, int_background=False, geo_exemplar=False,
               geo_background=False)


def _exemplar(textured: bool = True):
    """A cardiac-like exemplar: RV disc, Myo ring, LV inside the ring."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    r = np.hypot(yy - 32, xx - 36)
    label = np.zeros((SIZE, SIZE), np.uint8)
    label[np.hypot(yy - 32, xx - 18) < 9] = 1
    label[r < 12] = 2
    label[r < 7] = 3
    if textured:
        rng = np.random.default_rng(1)
        img = rng.uniform(0.05, 0.95, (SIZE, SIZE)).astype(np.float32)
    else:
        img = np.zeros((SIZE, SIZE), np.float32)
        for k, v in LEVELS.items():
            img[label == k] = v
    return img, label


def _background(textured: bool = True):
    if not textured:
        return np.zeros((SIZE, SIZE), np.float32)
    rng = np.random.default_rng(2)
    return rng.uniform(0.05, 0.95, (SIZE, SIZE)).astype(np.float32)


def _run(esm, seed=0, textured=True):
    img, label = _exemplar(textured)
    np.random.seed(seed)
    return esm(dict(exemplar_img=img, exemplar_label=label,
                    img=_background(textured)))


@pytest.mark.parametrize('mode', ['joint', 'category'])
@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_labels_match_pasted_pixels(mode, seed):
    esm = ExemplarSynthesis(mode=mode, int_exemplar=False,
                            int_background=False)
    out = _run(esm, seed, textured=False)
    img, seg = out['img'], out['gt_seg_map']
    assert img.dtype == np.float32 and seg.dtype == np.uint8
    assert img.shape == seg.shape == (SIZE, SIZE)
    assert out['seg_fields'] == ['gt_seg_map']
    assert out['img_shape'] == out['ori_shape'] == (SIZE, SIZE)
    assert 'exemplar_img' not in out and 'exemplar_label' not in out
    for k, v in LEVELS.items():
        has_level = np.abs(img - v) < 1e-5
        assert (seg == k).any()
        np.testing.assert_array_equal(has_level, seg == k)
    np.testing.assert_array_equal(img[seg == 0], 0.0)


def test_all_switches_off_is_a_plain_paste():
    out = _run(ExemplarSynthesis(**ALL_OFF))
    img, label = _exemplar()
    bg = _background()
    np.testing.assert_array_equal(out['gt_seg_map'], label)
    np.testing.assert_array_equal(out['img'], np.where(label > 0, img, bg))


@pytest.mark.parametrize('switch', ['int_exemplar', 'int_background',
                                    'geo_exemplar', 'geo_background'])
def test_each_switch_changes_only_its_part(switch):
    img, label = _exemplar()
    bg = _background()
    organ = label > 0
    out = _run(ExemplarSynthesis(**{**ALL_OFF, switch: True}))
    new_img, seg = out['img'], out['gt_seg_map']
    if switch == 'geo_exemplar':
        assert not np.array_equal(seg, label)
        # background pixels are untouched wherever nothing was pasted
        np.testing.assert_array_equal(new_img[seg == 0], bg[seg == 0])
        return
    np.testing.assert_array_equal(seg, label)
    if switch == 'int_exemplar':
        np.testing.assert_array_equal(new_img[~organ], bg[~organ])
        assert np.mean(new_img[organ] != img[organ]) > 0.5
    else:  # background switches leave the organ pixels exactly as they were
        np.testing.assert_array_equal(new_img[organ], img[organ])
        assert np.mean(new_img[~organ] != bg[~organ]) > 0.5


@pytest.mark.parametrize('switch', ['int_exemplar', 'int_background',
                                    'geo_background'])
def test_switch_does_not_change_other_draws(switch):
    """Turning a switch off keeps every other random draw the same."""
    full = _run(ExemplarSynthesis(), seed=5)
    part = _run(ExemplarSynthesis(**{switch: False}), seed=5)
    np.testing.assert_array_equal(full['gt_seg_map'], part['gt_seg_map'])
    organ = full['gt_seg_map'] > 0
    same = organ if switch != 'int_exemplar' else ~organ
    np.testing.assert_array_equal(full['img'][same], part['img'][same])
    assert not np.array_equal(full['img'][~same], part['img'][~same])


@pytest.mark.parametrize('mode', ['joint', 'category'])
def test_seeding(mode):
    esm = ExemplarSynthesis(mode=mode)
    a, b, c = _run(esm, 7), _run(esm, 7), _run(esm, 8)
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['gt_seg_map'], b['gt_seg_map'])
    assert not np.array_equal(a['img'], c['img'])


def test_cache_random_params_repeats_the_sample():
    esm = ExemplarSynthesis(mode='category')
    img, label = _exemplar()
    with cache_random_params(esm):
        outs = [esm(dict(exemplar_img=img, exemplar_label=label,
                         img=_background())) for _ in range(2)]
    np.testing.assert_array_equal(outs[0]['img'], outs[1]['img'])


def test_inputs_not_modified_and_clipped():
    img, label = _exemplar()
    bg = _background()
    copies = [img.copy(), label.copy(), bg.copy()]
    np.random.seed(3)
    out = ExemplarSynthesis()(dict(exemplar_img=img, exemplar_label=label,
                                   img=bg))
    for a, b in zip((img, label, bg), copies):
        np.testing.assert_array_equal(a, b)
    assert out['img'].min() >= 0.0 and out['img'].max() <= 1.0


def test_paste_order_decides_overlaps():
    """Each class grows 1.5x about its centroid, so RV and Myo overlap."""
    kwargs = dict(mode='category', int_exemplar=False, int_background=False,
                  geo_background=False, scale_range=(1, 1),
                  aspect_range=(1, 1), rotate_range=(0, 0), flip_prob=0.0,
                  translate_ratio=0.0, jitter_rotate=0.0,
                  jitter_scale=(1.5, 1.5), jitter_translate=0.0)
    rv_last = _run(ExemplarSynthesis(paste_order=(2, 3, 1), **kwargs),
                   textured=False)['gt_seg_map']
    myo_last = _run(ExemplarSynthesis(paste_order=(1, 2, 3), **kwargs),
                    textured=False)['gt_seg_map']
    assert (rv_last == 1).sum() > (myo_last == 1).sum()
    assert np.all((myo_last == 1) <= (rv_last == 1))


def test_no_organs_gives_background_only():
    np.random.seed(0)
    out = ExemplarSynthesis()(dict(
        exemplar_img=np.ones((8, 8), np.float32),
        exemplar_label=np.zeros((8, 8), np.uint8),
        img=np.zeros((8, 8), np.float32)))
    assert not out['gt_seg_map'].any()


def test_build_repr_and_errors():
    esm = TRANSFORMS.build(dict(type='ExemplarSynthesis', mode='category'))
    assert isinstance(esm, ExemplarSynthesis)
    text = repr(esm)
    assert text.startswith('ExemplarSynthesis(mode=')
    for name in ('geo_background', 'noise_std_range', 'paste_order'):
        assert name in text
    for bad in (dict(mode='mixed'), dict(scale_range=(1.4, 0.7)),
                dict(flip_prob=2.0), dict(paste_order=(1, 1)),
                dict(border_mode='wrap'), dict(gamma_range=(0, 1))):
        with pytest.raises(ValueError):
            ExemplarSynthesis(**bad)
    with pytest.raises(ValueError, match='same shape'):
        ExemplarSynthesis()(dict(exemplar_img=np.zeros((8, 8), np.float32),
                                 exemplar_label=np.zeros((8, 8), np.uint8),
                                 img=np.zeros((9, 8), np.float32)))
