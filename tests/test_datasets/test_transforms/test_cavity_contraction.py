"""Tests of CavityContraction, standalone and as a source of ExemplarSynthesis."""
from pathlib import Path

import numpy as np
import pytest
from mmcv.transforms.utils import cache_random_params
from mmseg.registry import TRANSFORMS

import elseg  # noqa: F401  (registers the transforms)
from elseg.datasets.transforms import CavityContraction, ExemplarSynthesis

SIZE = 64
# unique constant intensity per organ class
LEVELS = {1: 0.3, 2: 0.55, 3: 0.8}
ALL_OFF = dict(int_exemplar=False, int_background=False, geo_exemplar=False,
               geo_background=False)
#: ExemplarSynthesis samples made by the reference implementation of the
#: contraction, whose samples the ACDC systole rows of docs/results describe.
FIXTURE = Path(__file__).resolve().parents[2] / 'data' / \
    'cavity_contraction_esm.npz'
LV = dict(cavity=3, wall=2, prob=0.5, keep_range=(0.3, 1.0))
RV = dict(LV, more=[dict(cavity=1, wall=0, keep_range=(0.4, 1.0))])
#: fixture cases: name -> (ExemplarSynthesis kwargs, contraction config)
CASES = {
    'lv_joint': (dict(), LV),
    'rv_joint': (dict(), RV),
    'rv_category': (dict(mode='category'), RV),
}
SEEDS = (0, 1, 2, 3)


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


def _fixture_inputs():
    """The 40x40 exemplar image, label and background of the fixture."""
    size = 40
    yy, xx = np.mgrid[:size, :size]
    label = np.zeros((size, size), np.uint8)
    label[np.hypot(yy - 20, xx - 11) < 6] = 1
    r = np.hypot(yy - 20, xx - 22)
    label[r < 7.6] = 2
    label[r < 4.4] = 3
    rng = np.random.default_rng(5)
    img = rng.uniform(0.05, 0.95, (size, size)).astype(np.float32)
    bg = rng.uniform(0.05, 0.95, (size, size)).astype(np.float32)
    return img, label, bg


def _esm(kwargs, contraction, **extra):
    return ExemplarSynthesis(**kwargs, **extra, source_transforms=[
        dict(type='CavityContraction', **contraction)])


# ------------------------------------------------------------- standalone
def _block():
    """5x5: a 3x3 LV (3) of 0.9 inside a ring of Myo (2) of 0.25 and 0.75."""
    seg = np.full((5, 5), 2, np.uint8)
    seg[1:4, 1:4] = 3
    img = np.full((5, 5), 0.9, np.float32)
    ring = seg == 2
    img[ring] = np.where(np.arange(16) % 2 == 0, 0.25, 0.75)
    return img, seg


def test_standalone_keeps_the_innermost_pixel_by_hand():
    """keep 1/9 of a 3x3 cavity: the centre (distance 2) stays, the other 8
    (distance 1) become Myo with the ring's median, (0.25 + 0.75) / 2."""
    img, seg = _block()
    copies = img.copy(), seg.copy()
    t = CavityContraction(cavity=3, wall=2, prob=1.0,
                          keep_range=(1 / 9, 1 / 9))
    out = t(dict(img=img, gt_seg_map=seg))
    expected_seg = np.full((5, 5), 2, np.uint8)
    expected_seg[2, 2] = 3
    np.testing.assert_array_equal(out['gt_seg_map'], expected_seg)
    expected_img = img.copy()
    expected_img[1:4, 1:4] = 0.5
    expected_img[2, 2] = 0.9
    np.testing.assert_array_equal(out['img'], expected_img)
    # the inputs were not modified in place
    np.testing.assert_array_equal(img, copies[0])
    np.testing.assert_array_equal(seg, copies[1])


def test_standalone_multichannel_image_takes_the_median_per_channel():
    img, seg = _block()
    rgb = np.stack([img, 1.0 - img, np.full_like(img, 0.1)], axis=-1)
    out = CavityContraction(cavity=3, wall=2, prob=1.0,
                            keep_range=(0.0, 0.0))(
        dict(img=rgb, gt_seg_map=seg))
    assert (out['gt_seg_map'] == 2).all()
    # ring medians per channel: 0.5, 1 - 0.5, 0.1
    np.testing.assert_allclose(out['img'][2, 2], [0.5, 0.5, 0.1], rtol=1e-6)
    np.testing.assert_array_equal(out['img'][0, 0], rgb[0, 0])


def test_standalone_more_with_background_wall_by_hand():
    """more=[cavity 1, wall 0, keep 0]: the whole RV becomes background and
    keeps its intensity; a wall that the map lacks leaves it unchanged."""
    img, seg = _block()
    seg[0, :] = 1  # a one-row RV above the LV
    t = CavityContraction(cavity=3, wall=2, prob=1.0, keep_range=(1.0, 1.0),
                          more=dict(cavity=1, wall=0, keep_range=(0.0, 0.0)))
    out = t(dict(img=img, gt_seg_map=seg))
    expected = seg.copy()
    expected[0, :] = 0
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    np.testing.assert_array_equal(out['img'], img)
    absent = CavityContraction(cavity=3, wall=4, prob=1.0,
                               keep_range=(0.0, 0.0))
    same = absent(dict(img=img, gt_seg_map=seg))
    assert same['gt_seg_map'] is seg and same['img'] is img


def test_standalone_draws_by_hand():
    """apply = u0 < prob, keep = 0.3 + 0.7 * u1, then one draw per more
    entry, drawn whether or not the sample contracts."""
    img, seg = _exemplar(textured=False)
    n_lv = int((seg == 3).sum())
    t = CavityContraction(cavity=3, wall=2, prob=0.5,
                          more=[dict(cavity=1, wall=0)])
    for seed in range(6):
        np.random.seed(seed)
        u = np.random.rand(4)
        np.random.seed(seed)
        out = t(dict(img=img, gt_seg_map=seg))
        assert np.random.rand() == u[3]  # three draws were made
        kept = (out['gt_seg_map'] == 3).sum()
        if u[0] < 0.5:
            assert kept == int(round((0.3 + 0.7 * u[1]) * n_lv))
        else:
            assert out['gt_seg_map'] is seg and kept == n_lv


def test_standalone_cache_random_params_repeats_the_contraction():
    img, seg = _exemplar(textured=False)
    t = CavityContraction(cavity=3, wall=2, prob=1.0)
    with cache_random_params(t):
        outs = [t(dict(img=img, gt_seg_map=seg))['gt_seg_map']
                for _ in range(3)]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])
    assert (outs[0] == 3).sum() < (seg == 3).sum()


def test_standalone_build_repr_and_shape_error():
    t = TRANSFORMS.build(dict(type='CavityContraction', cavity=3, wall=2,
                              more=[dict(cavity=1, wall=0)]))
    assert isinstance(t, CavityContraction)
    assert repr(t) == ("CavityContraction(cavity=3, wall=2, prob=0.5, "
                       "keep_range=(0.3, 1.0), more=[{'cavity': 1, "
                       "'wall': 0, 'keep_range': (0.3, 1.0)}])")
    with pytest.raises(ValueError, match=r'got \(4, 5\) and \(5, 5\)'):
        t(dict(img=np.zeros((4, 5), np.float32),
               gt_seg_map=np.zeros((5, 5), np.uint8)))


@pytest.mark.parametrize('cfg, match', [
    (dict(cavity=3, wall=3), 'wall another class id'),
    (dict(cavity=3, wall=0), r'wall another class id \(>= 1\)'),
    (dict(cavity=3, wall=2, more=[dict(cavity=1, wall=-1)]),
     r'more\[0\]: cavity must be an organ class id'),
    (dict(cavity=3, wall=2, more=[dict(cavity=3, wall=0)]), 'each cavity once'),
    (dict(cavity=3, wall=2, more=[dict(cavity=1, wall=0, prob=1)]),
     r'more\[0\] needs keys'),
    (dict(cavity=3, wall=2, more=[dict(cavity=1)]),
     r'more\[0\] needs keys cavity and wall'),
    (dict(cavity=3, wall=2, prob=1.5), r'prob must be in \[0, 1\], got 1.5'),
    (dict(cavity=3, wall=2, keep_range=(0.5, 1.2)), r'lie in \[0, 1\]'),
])
def test_cavity_contraction_bad_config(cfg, match):
    with pytest.raises(ValueError, match=match):
        CavityContraction(**cfg)
    # the same message through ExemplarSynthesis's source_transforms
    with pytest.raises(ValueError, match=match):
        _esm(dict(), cfg)


@pytest.mark.parametrize('cfg, match', [
    (dict(cavity=3), 'wall'),
    (dict(cavity=3, wall=2, ratio=1), 'ratio'),
])
def test_cavity_contraction_missing_or_unknown_argument(cfg, match):
    with pytest.raises(TypeError, match=match):
        CavityContraction(**cfg)


# ------------------------------------------- as a source of ExemplarSynthesis
def test_cavity_contraction_by_hand():
    """keep=0.25: the LV keeps its innermost quarter, the rim becomes Myo with
    the Myo's median intensity; the RV and the organ area are unchanged."""
    img, label = _exemplar(textured=False)
    n_lv, n_myo, n_rv = ((label == k).sum() for k in (3, 2, 1))
    esm = _esm(ALL_OFF, dict(cavity=3, wall=2, prob=1.0,
                             keep_range=(0.25, 0.25)))
    out = esm(dict(exemplar_img=img, exemplar_label=label,
                   img=_background(textured=False)))
    seg = out['gt_seg_map']
    kept = int(round(0.25 * n_lv))
    assert (seg == 3).sum() == kept
    assert (seg == 2).sum() == n_myo + n_lv - kept
    assert (seg == 1).sum() == n_rv
    # the kept cavity is the innermost part: within the disc of the same area
    yy, xx = np.nonzero(seg == 3)
    assert np.hypot(yy - 32, xx - 36).max() <= np.sqrt(kept / np.pi) + 1.0
    peeled = (label == 3) & (seg == 2)
    assert peeled.sum() == n_lv - kept
    np.testing.assert_allclose(out['img'][peeled], LEVELS[2])
    np.testing.assert_allclose(out['img'][seg == 3], LEVELS[3])
    # the inputs were not modified in place
    assert (label == 3).sum() == n_lv


def test_more_cavities_contract_with_the_first_by_hand():
    """more=[RV, wall 0]: in the same sample the RV keeps its innermost half
    and its rim becomes background showing the background image; the LV
    contracts as without it."""
    img, label = _exemplar(textured=False)
    n_lv, n_myo, n_rv = ((label == k).sum() for k in (3, 2, 1))
    bg = np.full((SIZE, SIZE), 0.1, np.float32)
    esm = _esm(ALL_OFF, dict(
        cavity=3, wall=2, prob=1.0, keep_range=(0.25, 0.25),
        more=[dict(cavity=1, wall=0, keep_range=(0.5, 0.5))]))
    out = esm(dict(exemplar_img=img, exemplar_label=label, img=bg))
    seg = out['gt_seg_map']
    kept_lv, kept_rv = int(round(0.25 * n_lv)), int(round(0.5 * n_rv))
    assert (seg == 3).sum() == kept_lv
    assert (seg == 2).sum() == n_myo + n_lv - kept_lv
    assert (seg == 1).sum() == kept_rv
    peeled_rv = (label == 1) & (seg == 0)
    assert peeled_rv.sum() == n_rv - kept_rv
    np.testing.assert_allclose(out['img'][peeled_rv], 0.1)
    np.testing.assert_allclose(out['img'][seg == 1], LEVELS[1])
    # prob 0: neither contracts
    none = _esm(ALL_OFF, dict(cavity=3, wall=2, prob=0.0,
                              more=dict(cavity=1, wall=0)))
    seg0 = none(dict(exemplar_img=img, exemplar_label=label,
                     img=bg))['gt_seg_map']
    np.testing.assert_array_equal(seg0, label)


def test_cavity_contraction_prob_zero_and_draw_order():
    img, label = _exemplar()
    base = ExemplarSynthesis()
    off = _esm(dict(), dict(cavity=3, wall=2, prob=0.0))
    outs = []
    for esm in (base, off):
        np.random.seed(7)
        outs.append(esm(dict(exemplar_img=img, exemplar_label=label,
                             img=_background())))
    # drawn after every other parameter: same sample when it does not fire
    np.testing.assert_array_equal(outs[0]['gt_seg_map'], outs[1]['gt_seg_map'])
    np.testing.assert_array_equal(outs[0]['img'], outs[1]['img'])


def test_whole_cavity_removed_in_category_mode():
    """keep 0 on a cavity that is a class of its own: the class is skipped."""
    img, label = _exemplar(textured=False)
    esm = _esm(dict(mode='category', int_exemplar=False,
                    int_background=False, geo_background=False),
               dict(cavity=3, wall=2, prob=1.0, keep_range=(0.0, 0.0)))
    np.random.seed(0)
    seg = esm(dict(exemplar_img=img, exemplar_label=label,
                   img=_background(textured=False)))['gt_seg_map']
    assert not (seg == 3).any() and (seg == 2).any() and (seg == 1).any()


@pytest.mark.parametrize('name', sorted(CASES))
def test_samples_match_the_reference_implementation(name):
    """Same seed, bit-identical sample and the same next global draw as the
    reference implementation stored in the fixture."""
    ref = np.load(FIXTURE)
    kwargs, contraction = CASES[name]
    esm = _esm(kwargs, contraction)
    img, label, bg = _fixture_inputs()
    contracted = 0
    for i, seed in enumerate(SEEDS):
        np.random.seed(seed)
        out = esm(dict(exemplar_img=img, exemplar_label=label, img=bg))
        assert out['img'].dtype == ref[f'{name}_img'].dtype
        np.testing.assert_array_equal(out['img'], ref[f'{name}_img'][i])
        np.testing.assert_array_equal(out['gt_seg_map'],
                                      ref[f'{name}_seg'][i])
        assert np.random.rand() == ref[f'{name}_next'][i]
        np.random.seed(seed)
        plain = ExemplarSynthesis(**kwargs)(dict(
            exemplar_img=img, exemplar_label=label, img=bg))
        contracted += not np.array_equal(plain['gt_seg_map'],
                                         out['gt_seg_map'])
    # the seeds cover samples with and without the contraction
    assert 0 < contracted < len(SEEDS)


def test_cache_random_params_with_the_sources_repeats_the_sample():
    esm = _esm(dict(mode='category'), dict(cavity=3, wall=2, prob=1.0))
    img, label = _exemplar()
    np.random.seed(4)
    with cache_random_params([esm, *esm.source_transforms]):
        outs = [esm(dict(exemplar_img=img, exemplar_label=label,
                         img=_background())) for _ in range(2)]
    np.random.seed(4)
    outs.append(esm(dict(exemplar_img=img, exemplar_label=label,
                         img=_background())))
    for out in outs[1:]:  # the cached sample is the seeded one
        np.testing.assert_array_equal(outs[0]['img'], out['img'])
        np.testing.assert_array_equal(outs[0]['gt_seg_map'],
                                      out['gt_seg_map'])


# ---------------------------------------------- general source_transforms
class _Relabel:
    """A plain callable source: relabels ``src`` as ``dst``."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst

    def __call__(self, results):
        seg = results['gt_seg_map'].copy()
        seg[seg == self.src] = self.dst
        results['gt_seg_map'] = seg
        return results


def test_any_source_transform_runs_on_the_exemplar():
    img, label = _exemplar(textured=False)
    esm = ExemplarSynthesis(**ALL_OFF, source_transforms=[_Relabel(3, 2)])
    out = esm(dict(exemplar_img=img, exemplar_label=label,
                   img=_background(textured=False)))
    expected = np.where(label == 3, 2, label)
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    # pixels keep their exemplar values: only the label changed
    np.testing.assert_array_equal(out['img'], img)
    assert 'source_transforms=[' in repr(esm)


@pytest.mark.parametrize('source, match', [
    (_Relabel(3, 7), r'may not add organ classes, got \[7\]'),
    (lambda r: None, 'dropped the exemplar'),
    (lambda r: dict(r, img=r['img'][:8]), r'keep the exemplar shape'),
])
def test_bad_source_transforms(source, match):
    img, label = _exemplar(textured=False)
    esm = ExemplarSynthesis(source_transforms=[source])
    with pytest.raises(ValueError, match=match):
        esm(dict(exemplar_img=img, exemplar_label=label, img=_background()))


@pytest.mark.parametrize('value', [dict(type='CavityContraction'), 'x', [3]])
def test_source_transforms_must_be_a_list_of_transforms(value):
    with pytest.raises(ValueError, match='source_transforms must'):
        ExemplarSynthesis(source_transforms=value)
