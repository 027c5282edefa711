"""SegRotFlip: label maps keep their values; image and labels move together."""
import mmcv
import numpy as np
import pytest

from elseg.datasets.transforms import SegRotFlip


def _sample():
    lab = np.zeros((33, 33), np.uint8)
    lab[8:25, 8:25] = 2  # Myo ring around the LV
    lab[12:21, 12:21] = 3
    lab[0:4, :] = 255  # an ignore band
    lab[28:31, 3:9] = 1
    return dict(img=lab.astype(np.float32), gt_seg_map=lab.copy(),
                seg_fields=['gt_seg_map'])


def test_rotation_keeps_label_values():
    np.random.seed(0)
    t = SegRotFlip(rotate_prob=1.0, degree=(13, 13))
    out = t(_sample())
    values = set(np.unique(out['gt_seg_map']).tolist())
    assert values <= {0, 1, 2, 3, 255}
    # mmseg 1.2.2 RandomRotFlip's bilinear rotation of the same map invents
    # values (a 0/2 border reads 1, the 255 band blends): what this replaces
    bilinear = set(np.unique(mmcv.imrotate(_sample()['gt_seg_map'],
                                           13.0)).tolist())
    assert bilinear - {0, 1, 2, 3, 255}
    # the image is still interpolated bilinearly
    assert len(np.unique(out['img'])) > 5


def test_quarter_turn_by_hand():
    # a 90 degree rotation about the centre of an odd square is exact:
    # mmcv turns clockwise for positive angles, np.rot90(k=-1)
    t = SegRotFlip(rotate_prob=1.0, degree=(90, 90))
    out = t(_sample())
    np.testing.assert_array_equal(out['gt_seg_map'],
                                  np.rot90(_sample()['gt_seg_map'], -1))
    lab = _sample()['gt_seg_map']
    # the corner pixel of the RV block: (28, 3) -> (3, 32 - 28)
    assert lab[28, 3] == 1 and out['gt_seg_map'][3, 4] == 1


def test_turn_and_flip_moves_image_and_label_together():
    np.random.seed(3)
    t = SegRotFlip(rotate_prob=0.0, flip_prob=1.0)
    lab = _sample()['gt_seg_map']
    dihedral = [np.flip(np.rot90(lab, k), axis=a) for k in range(4)
                for a in (0, 1)]
    seen = set()
    for _ in range(40):
        out = t(_sample())
        assert out['gt_seg_map'].flags['C_CONTIGUOUS']
        np.testing.assert_array_equal(out['img'].astype(np.uint8),
                                      out['gt_seg_map'])
        match = [i for i, d in enumerate(dihedral)
                 if np.array_equal(d, out['gt_seg_map'])]
        assert match
        seen.add(match[0])
    assert len(seen) >= 4  # random turns and axes, not one fixed op
    # neither branch drawn: unchanged
    out = SegRotFlip(rotate_prob=0.0, flip_prob=0.0)(_sample())
    np.testing.assert_array_equal(out['gt_seg_map'], lab)


def test_border_and_argument_checks():
    assert SegRotFlip(degree=45).degree == (-45.0, 45.0)
    t = SegRotFlip(rotate_prob=1.0, degree=(45, 45), seg_border=255)
    out = t(dict(img=np.ones((21, 21), np.float32),
                 gt_seg_map=np.ones((21, 21), np.uint8),
                 seg_fields=['gt_seg_map']))
    assert out['gt_seg_map'][0, 0] == 255 and out['img'][0, 0] == 0
    assert out['gt_seg_map'][10, 10] == 1
    with pytest.raises(ValueError, match='rotate_prob.*1.5'):
        SegRotFlip(rotate_prob=1.5)
    with pytest.raises(ValueError, match=r'degree.*\(20, -20\)'):
        SegRotFlip(degree=(20, -20))
    assert 'SegRotFlip(rotate_prob=0.5' in repr(SegRotFlip())


def test_all_ignore_map_stays_ignore_when_rotated():
    """An unlabelled slice without pseudo label (all 255) gains no
    background pixels from the rotation border; a labelled map does."""
    t = SegRotFlip(rotate_prob=1.0, degree=(30, 30))
    unknown = dict(img=np.ones((16, 16), np.float32),
                   gt_seg_map=np.full((16, 16), 255, np.uint8),
                   seg_fields=['gt_seg_map'])
    assert (t(unknown)['gt_seg_map'] == 255).all()
    known = dict(img=np.ones((16, 16), np.float32),
                 gt_seg_map=np.full((16, 16), 1, np.uint8),
                 seg_fields=['gt_seg_map'])
    out = t(known)['gt_seg_map']
    assert (out == 0).any() and set(np.unique(out)) == {0, 1}
