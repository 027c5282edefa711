"""Laterality-aware flips: ESM and SegRotFlip swap paired left/right labels."""
import numpy as np
import pytest

from elseg.datasets.transforms import check_flip_pairs
from elseg.datasets.transforms.exemplar_synthesis import (ExemplarSynthesis,
                                                          swap_pairs)
from elseg.datasets.transforms.seg_rot_flip import SegRotFlip


def exemplar():
    """Class 2 in columns 1-2 (value 0.2), class 3 in columns 5-6 (0.8).

    The organs' centroid column is (1 + 2 + 5 + 6) / 4 = 3.5, so a flip about
    it maps column 1 <-> 6 and 2 <-> 5.
    """
    lab = np.zeros((8, 8), np.uint8)
    img = np.zeros((8, 8), np.float32)
    lab[2:6, 1:3], img[2:6, 1:3] = 2, 0.2
    lab[2:6, 5:7], img[2:6, 5:7] = 3, 0.8
    return img, lab


def esm(**kwargs):
    """A flip-only ESM: every other transform is the identity or off."""
    return ExemplarSynthesis(
        int_exemplar=False, int_background=False, geo_background=False,
        scale_range=(1, 1), aspect_range=(1, 1), rotate_range=(0, 0),
        translate_ratio=0, **kwargs)


@pytest.mark.parametrize('pairs', [None, [(2, 3)]], ids=['kept', 'swapped'])
def test_esm_flip_with_and_without_swap(pairs):
    img, lab = exemplar()
    out = esm(flip_prob=1.0, flip_pairs=pairs)(dict(
        exemplar_img=img, exemplar_label=lab,
        img=np.zeros((8, 8), np.float32)))
    # the image is mirrored either way: the 0.8 organ now fills columns 1-2
    np.testing.assert_allclose(out['img'][2:6, 1:3], 0.8)
    np.testing.assert_allclose(out['img'][2:6, 5:7], 0.2)
    seg = out['gt_seg_map']
    if pairs is None:  # labels travel with the pixels
        assert (seg[2:6, 1:3] == 3).all() and (seg[2:6, 5:7] == 2).all()
    else:  # the organ now on the left is called 2 again: labels keep sides
        np.testing.assert_array_equal(seg, lab)


def test_esm_no_flip_keeps_everything():
    img, lab = exemplar()
    out = esm(flip_prob=0.0, flip_pairs=[(2, 3)])(dict(
        exemplar_img=img, exemplar_label=lab,
        img=np.zeros((8, 8), np.float32)))
    np.testing.assert_array_equal(out['gt_seg_map'], lab)
    np.testing.assert_allclose(out['img'], img)


@pytest.mark.parametrize('bad', [[(2, 2)], [(0, 1)], [(1, 2), (2, 3)], [(1, )]])
def test_flip_pairs_validated(bad):
    with pytest.raises(ValueError, match='flip_pairs'):
        ExemplarSynthesis(flip_pairs=bad)
    with pytest.raises(ValueError, match='flip_pairs'):
        SegRotFlip(flip_pairs=bad)


def test_check_flip_pairs_by_hand():
    assert check_flip_pairs(None) is None
    assert check_flip_pairs([]) == ()
    # lists and numpy ids become int tuples, order kept
    assert check_flip_pairs([[3, 2], (np.uint8(5), 4)]) == ((3, 2), (5, 4))
    assert check_flip_pairs([(1, 254)]) == ((1, 254), )
    for bad in ([(2, 2)], [(0, 1)], [(1, 255)], [(1, 2), (2, 3)], [(1, )],
                [(1, 2, 3)]):
        with pytest.raises(ValueError, match='flip_pairs.*got'):
            check_flip_pairs(bad)


def test_swap_pairs_by_hand():
    seg = np.array([[0, 2, 3, 4, 255]], np.uint8)
    np.testing.assert_array_equal(swap_pairs(seg, [(2, 3)]),
                                  [[0, 3, 2, 4, 255]])


@pytest.mark.parametrize('pairs,expected', [
    (None, [[3, 2], [255, 0]]),
    ([(2, 3)], [[2, 3], [255, 0]]),
])
def test_segrotflip_swaps_on_flip(pairs, expected, monkeypatch):
    t = SegRotFlip(rotate_prob=0.0, flip_prob=1.0, flip_pairs=pairs)
    monkeypatch.setattr(t, '_draw', lambda: ('flip', 0.0, 0, 1))  # k=0, x
    res = t(dict(img=np.array([[1., 2.], [3., 4.]], np.float32),
                 gt_seg_map=np.array([[2, 3], [0, 255]], np.uint8),
                 seg_fields=['gt_seg_map']))
    np.testing.assert_array_equal(res['img'], [[2., 1.], [4., 3.]])
    np.testing.assert_array_equal(res['gt_seg_map'], expected)


def test_segrotflip_without_flips_never_mirrors():
    t = SegRotFlip(rotate_prob=0.0, flip_prob=0.0, flip_pairs=[(2, 3)])
    lab = np.array([[2, 3], [0, 1]], np.uint8)
    for _ in range(20):
        res = t(dict(img=np.zeros((2, 2), np.float32), gt_seg_map=lab.copy(),
                     seg_fields=['gt_seg_map']))
        np.testing.assert_array_equal(res['gt_seg_map'], lab)
