"""elseg.utils.volume: orientation, intensity schemes and their constants."""
import numpy as np
import pytest

from elseg.utils.volume import (HU_WINDOW, PERCENTILES, PRESETS,
                                nifti_to_slices, normalisation_of, normalise,
                                read_axial, scale_intensity, scale_volume,
                                slices_to_nifti, window_hu)
from tests.test_datasets.test_converters.test_nifti_folder import (
    RAS, expected_slices, permuted, save, scan)


def test_constants_are_the_documented_defaults():
    assert HU_WINDOW == (-125.0, 275.0)
    assert PERCENTILES == (0.5, 99.5)
    assert normalisation_of('CT') == dict(type='hu_window',
                                          window=[-125.0, 275.0])
    assert normalisation_of('MRI') == dict(type='percentile',
                                           percentiles=[0.5, 99.5])
    assert PRESETS['synapse'] == dict(orientation='ras_radiological',
                                      intensity='hu')


def test_window_hu_by_hand():
    np.testing.assert_allclose(window_hu(np.array([-1000., -125., 75., 275.,
                                                   900.])),
                               [0, 0, 0.5, 1, 1])
    # a window of its own: (x - 0) / 100, clipped
    np.testing.assert_allclose(window_hu(np.array([-5., 25., 150.]), (0, 100)),
                               [0, 0.25, 1])
    with pytest.raises(ValueError, match=r'\(10, 10\)'):
        window_hu(np.zeros(2), (10, 10))


def test_scale_volume_schemes_by_hand():
    vol = np.array([2., 4., 6., 10.], np.float32)
    # minmax: (x - 2) / 8
    np.testing.assert_allclose(scale_volume(vol, 'minmax'),
                               [0, 0.25, 0.5, 1])
    np.testing.assert_allclose(scale_intensity(vol), [0, 0.25, 0.5, 1])
    # hu with the window (0, 8): x / 8 clipped
    np.testing.assert_allclose(scale_volume(vol, 'hu', hu_window=(0, 8)),
                               [0.25, 0.5, 0.75, 1])
    # percentile 0/100 of 2..10 is min-max
    np.testing.assert_allclose(
        scale_volume(vol, 'percentile', percentiles=(0, 100)),
        [0, 0.25, 0.5, 1])
    with pytest.raises(ValueError, match="'zscore'"):
        scale_volume(vol, 'zscore')


def test_normalise_by_hand():
    vol = np.arange(101, dtype=np.float32)
    out = normalise(vol, 'MRI', (10, 90))  # percentiles 10 and 90 of 0..100
    assert out[[0, 10, 50, 90, 100]] == pytest.approx([0, 0, 0.5, 1, 1])
    ct = normalise(np.array([-1000., -125., 75., 275., 900.]), 'CT')
    assert ct == pytest.approx([0, 0, 0.5, 1, 1])
    assert not normalise(np.full(5, 3.0), 'MRI').any()  # constant -> zeros
    with pytest.raises(ValueError, match=r'0 <= low < high <= 100'):
        normalise(vol, 'MRI', (50, 50))


def test_axis_order_gives_the_same_slices_and_spacing(tmp_path):
    img, lab = scan()
    save(tmp_path / 'a.nii.gz', img, RAS)
    save(tmp_path / 'b.nii.gz', *permuted(img, RAS))
    a, sp_a, _ = read_axial(str(tmp_path / 'a.nii.gz'))
    b, sp_b, _ = read_axial(str(tmp_path / 'b.nii.gz'))
    np.testing.assert_array_equal(a, expected_slices(img))
    np.testing.assert_array_equal(b, a)
    assert sp_a == pytest.approx((3.0, 0.9, 0.8))
    assert sp_b == pytest.approx((3.0, 0.9, 0.8))


def test_nifti_orientation_roundtrip():
    data = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    for affine in (np.diag([1, 1, 2, 1.]), np.diag([-1, -1, 2, 1.]),
                   np.array([[0, 1, 0, 0], [-1, 0, 0, 0], [0, 0, 1, 0],
                             [0, 0, 0, 1.]])):
        for orient in ('transpose', 'ras_radiological'):
            s = nifti_to_slices(data, affine, orient)
            np.testing.assert_array_equal(slices_to_nifti(s, affine, orient),
                                          data)
    # an LPS image and its RAS twin give the same slices
    ras = nifti_to_slices(data, np.diag([1, 1, 2, 1.]), 'ras_radiological')
    lps = nifti_to_slices(data[::-1, ::-1], np.diag([-1, -1, 2, 1.]),
                          'ras_radiological')
    np.testing.assert_array_equal(ras, lps)


def test_source_slice_numbers_by_hand():
    """Axial index k (0-based, inferior to superior) as the viewers number
    the file: ITK-SNAP from 1, 3D Slicer from 0, on the file's own axis."""
    from elseg.utils.volume import source_slice
    ras = np.diag([1.0, 1.0, 2.0, 1.0])
    assert source_slice(ras, 5, 0) == dict(axis='k', itk_snap=1, slicer=0)
    flipped = np.diag([1.0, 1.0, -2.0, 1.0])  # file's k runs downwards
    assert source_slice(flipped, 5, 0) == dict(axis='k', itk_snap=5, slicer=4)
    # (z, x, y) storage: the superior axis is the file's first (i)
    zxy = np.array([[0, 1.0, 0, 0], [0, 0, 1.0, 0], [3.0, 0, 0, 0],
                    [0, 0, 0, 1]])
    assert source_slice(zxy, 4, 2) == dict(axis='i', itk_snap=3, slicer=2)
    with pytest.raises(ValueError, match='outside 0..3'):
        source_slice(zxy, 4, 4)
