"""SegScaleIntensity: the exemplar stream's scale / intensity jitter."""
import numpy as np
import pytest

from elseg.datasets.transforms import SegScaleIntensity

FIXED_INTENSITY = dict(gamma_range=(2.0, 2.0), contrast_range=(1.0, 1.0),
                       brightness_range=(0.0, 0.0),
                       blur_sigma_range=(0.0, 0.0),
                       noise_std_range=(0.0, 0.0))


def _sample():
    img = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    lab = np.zeros((8, 8), np.uint8)
    lab[3:5, 3:5] = 2  # the central 2x2
    return dict(img=img, gt_seg_map=lab)


def test_intensity_only_by_hand():
    t = SegScaleIntensity(prob=1.0, geometric=False, **FIXED_INTENSITY)
    s = _sample()
    out = t(dict(s))
    np.testing.assert_allclose(out['img'], s['img']**2, atol=1e-6)
    np.testing.assert_array_equal(out['gt_seg_map'], s['gt_seg_map'])


def test_scale_two_doubles_the_central_label_by_hand():
    # scale 2 about the centre (3.5, 3.5): output pixel p samples source
    # (p - 3.5) / 2 + 3.5, so rows/cols 2..5 fall on the source's 3..4
    t = SegScaleIntensity(prob=1.0, intensity=False, scale_range=(2.0, 2.0),
                          aspect_range=(1.0, 1.0))
    out = t(_sample())
    expected = np.zeros((8, 8), np.uint8)
    expected[2:6, 2:6] = 2
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    assert set(np.unique(out['gt_seg_map'])) == {0, 2}  # no blended values


def test_prob_zero_is_identity_and_bad_arguments():
    s = _sample()
    out = SegScaleIntensity(prob=0.0)(dict(s))
    assert out['img'] is s['img']
    with pytest.raises(ValueError, match='prob'):
        SegScaleIntensity(prob=2.0)
    with pytest.raises(ValueError, match='scale_range'):
        SegScaleIntensity(scale_range=(1.4, 0.7))
    with pytest.raises(ValueError, match='border_mode'):
        SegScaleIntensity(border_mode='wrap')
