"""Deformable registration: hand-checked pieces, a known synthetic warp, and
a real ACDC pair (its labels read only to score the result)."""
import numpy as np
import pytest
import torch

from elseg.registration import (bspline_basis, jacobian_determinant,
                                local_ncc_map, ncc, register_pair, warp_image,
                                warp_label)


def _dice(a, b, c):
    return 2 * ((a == c) & (b == c)).sum() / ((a == c).sum() + (b == c).sum())


def _phantom(n=96):
    """Three nested ellipses (labels 1-3) on a faint texture."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    img = 0.1 + 0.05 * np.sin(9 * x) * np.cos(7 * y)
    lab = np.zeros((n, n), np.uint8)
    for k, (cy, cx, ry, rx, v) in enumerate(
            [(0.5, 0.5, 0.3, 0.35, 0.5), (0.45, 0.42, 0.14, 0.12, 0.9),
             (0.55, 0.66, 0.1, 0.13, 0.7)], 1):
        m = ((y - cy) / ry)**2 + ((x - cx) / rx)**2 < 1
        img[m] = v + 0.05 * np.sin(20 * x[m])
        lab[m] = k
    return img.astype(np.float32), lab


def test_warp_by_a_whole_pixel_shift():
    img = np.arange(64, dtype=np.float32).reshape(8, 8)
    disp = np.zeros((2, 8, 8), np.float32)
    disp[1] = 1.0  # out(y, x) = img(y, x + 1)
    out = warp_image(img, disp).numpy()
    np.testing.assert_allclose(out[:, :7], img[:, 1:], atol=1e-4)
    np.testing.assert_allclose(out[:, 7], img[:, 7], atol=1e-4)  # border
    lab = np.zeros((8, 8), np.uint8)
    lab[2:5, 3:6] = 2
    for mode in ('onehot', 'nearest'):
        moved = warp_label(lab, disp, 3, mode=mode)
        assert moved.dtype == np.uint8
        np.testing.assert_array_equal(moved[2:5, 2:5], 2)
        assert int((moved == 2).sum()) == 9


def test_jacobian_of_hand_fields():
    h = w = 10
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    # translation: det 1
    shift = np.stack([np.full((h, w), 3.0), np.full((h, w), -2.0)])
    np.testing.assert_allclose(jacobian_determinant(shift).numpy(), 1.0)
    # u = (0.5 y, -0.25 x): (1.5) * (0.75) = 1.125
    lin = np.stack([0.5 * y, -0.25 * x])
    np.testing.assert_allclose(jacobian_determinant(lin).numpy(), 1.125,
                               rtol=1e-6)
    # u_x = -2 x: 1 - 2 = -1, the field folds everywhere
    fold = np.stack([np.zeros((h, w)), -2.0 * x])
    assert (jacobian_determinant(fold).numpy() <= 0).all()


def test_bspline_basis_by_hand():
    # 7 pixels on 4 knots (every 2 pixels) plus one control point each side
    b = bspline_basis(7, 4).numpy()
    assert b.shape == (7, 6)
    np.testing.assert_allclose(b.sum(1), 1.0, atol=1e-6)  # partition of unity
    # on a knot: 1/6, 2/3, 1/6 on the control points around it
    np.testing.assert_allclose(b[2, 1:4], [1 / 6, 2 / 3, 1 / 6], atol=1e-6)
    # half-way between knots: 1/48, 23/48, 23/48, 1/48
    np.testing.assert_allclose(b[3, 1:5], [1 / 48, 23 / 48, 23 / 48, 1 / 48],
                               atol=1e-6)


def test_ncc_values():
    a = torch.arange(16.).reshape(4, 4)
    assert ncc(a, 3 * a + 1) == pytest.approx(1.0, abs=1e-6)
    assert ncc(a, -a) == pytest.approx(-1.0, abs=1e-6)
    assert ncc(a, torch.zeros(4, 4)) == 0.0
    t = torch.rand(1, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    cc = local_ncc_map(t, 2 * t + 5, window=5, eps=1e-9)
    np.testing.assert_allclose(cc.numpy(), 1.0, atol=1e-3)


def test_recovers_a_known_smooth_warp():
    """fixed = moving warped by a known u (|u| about 3 px): the recovered
    field is within half a pixel on the organs, and the warped label
    matches the fixed one far better than the unwarped label does."""
    img, lab = _phantom()
    n = img.shape[0]
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    u = np.stack([3 * np.sin(2 * np.pi * x / n),
                  3 * np.cos(2 * np.pi * y / n) + 1.5]).astype(np.float32)
    fixed = warp_image(img, u).numpy()
    fixed_lab = warp_label(lab, u, 4)
    res = register_pair(fixed, img)
    assert res.displacement.shape == (2, n, n)
    err = np.linalg.norm(res.displacement.numpy() - u, axis=0)
    organs = fixed_lab > 0
    assert err[organs].mean() < 0.5  # mean |u| there is about 3 px
    assert err[organs].max() < 1.5
    moved = warp_label(lab, res.displacement, 4)
    for c in (1, 2, 3):
        copy, reg = _dice(lab, fixed_lab, c), _dice(moved, fixed_lab, c)
        assert copy < 0.93  # the unwarped label misses by the warp
        assert reg > 0.97
    assert res.ncc_after > res.ncc_before
    assert res.local_ncc_after > res.local_ncc_before
    assert res.folding == 0.0
    np.testing.assert_allclose(
        res.warped.numpy(), warp_image(img, res.displacement).numpy(),
        atol=1e-5)


def test_identical_images_give_a_near_zero_field():
    """Near zero where the image has structure; the faint background may
    slide a little (the bending energy leaves affine drift free there)."""
    img, lab = _phantom(64)
    res = register_pair(img, img)
    norm = np.linalg.norm(res.displacement.numpy(), axis=0)
    assert norm[lab > 0].max() < 0.2
    assert norm.mean() < 0.5
    assert res.ncc_after == pytest.approx(1.0, abs=1e-4)


def test_bad_arguments_name_the_value():
    img = np.zeros((32, 32), np.float32)
    with pytest.raises(ValueError, match=r'same shape.*\(32, 32\).*\(32, 30\)'):
        register_pair(img, np.zeros((32, 30), np.float32))
    with pytest.raises(ValueError, match=r'2D \(H, W\) image, got shape '
                       r'\(1, 32, 32\)'):
        register_pair(img[None], img[None])
    with pytest.raises(ValueError, match='window must be odd, got 8'):
        register_pair(img, img, window=8)
    with pytest.raises(ValueError, match='levels=4 makes the coarsest'):
        register_pair(img, img, levels=4)
    with pytest.raises(ValueError, match='one count per level'):
        register_pair(img, img, iterations=(5, 5))
    with pytest.raises(ValueError, match='NaN'):
        register_pair(img, np.full((32, 32), np.nan, np.float32))
    with pytest.raises(ValueError, match='label value 5 >= num_classes=3'):
        warp_label(np.full((4, 4), 5, np.uint8), np.zeros((2, 4, 4)), 3)
    with pytest.raises(ValueError, match=r'shape \(2, 4, 4\), got \(2, 5, 4\)'):
        warp_label(np.zeros((4, 4), np.uint8), np.zeros((2, 5, 4)))


# real pairs of training patients: the ED mid-ventricular slice carried to
# the ES frame at the same position, and to the next ED slice. The numbers
# are the mean Dice (RV, Myo, LV) measured with the defaults: copying the
# moving label unchanged, and the registered label (held with a 0.02 margin)
REAL_PAIRS = [
    # fixed, moving, copy Dice, registered Dice
    ('patient090_frame02_slice_4', 'patient090_frame01_slice_4', 0.621, 0.783),
    ('patient090_frame01_slice_5', 'patient090_frame01_slice_4', 0.819, 0.886),
    ('patient070_frame02_slice_4', 'patient070_frame01_slice_4', 0.509, 0.651),
]


@pytest.mark.parametrize('fixed_id,moving_id,copy_dice,reg_dice', REAL_PAIRS)
def test_real_acdc_pair(acdc_root, fixed_id, moving_id, copy_dice, reg_dice):
    h5py = pytest.importorskip('h5py')

    def read(sid):
        path = acdc_root / 'data' / 'slices' / f'{sid}.h5'
        if not path.is_file():
            pytest.skip(f'{path} not in this copy of ACDC')
        with h5py.File(path, 'r') as f:
            return f['image'][()].astype(np.float32), f['label'][()]

    fixed, fixed_lab = read(fixed_id)  # the label only scores the result
    moving, moving_lab = read(moving_id)
    res = register_pair(fixed, moving)
    moved = warp_label(moving_lab, res.displacement, 4)
    copy = np.mean([_dice(moving_lab, fixed_lab, c) for c in (1, 2, 3)])
    reg = np.mean([_dice(moved, fixed_lab, c) for c in (1, 2, 3)])
    assert copy == pytest.approx(copy_dice, abs=0.01)
    assert reg >= reg_dice - 0.02
    assert res.folding < 0.001
