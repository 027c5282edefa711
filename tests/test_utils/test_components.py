"""elseg.utils.components: largest and anchored connected components, by hand."""
import numpy as np
import pytest

from elseg.utils.components import (keep_anchored_components,
                                    keep_largest_component)


def heart_row():
    """One row of one slice: Myo at x=0-1, a small RV at x=3 (2 px from the
    Myo), a larger RV blob at x=7-10 (a chest-wall false positive)."""
    pred = np.zeros((1, 1, 12), np.uint8)
    pred[0, 0, 0:2] = 2
    pred[0, 0, 3] = 1
    pred[0, 0, 7:11] = 1
    return pred


def test_largest_component_limited_to_classes():
    pred = heart_row()
    assert keep_largest_component(pred, 3)[0, 0].tolist() == \
        [2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
    # classes=[2]: the RV is left as it is
    assert np.array_equal(keep_largest_component(pred, 3, classes=[2]), pred)


def test_anchored_class_keeps_the_component_against_its_anchor():
    pred = heart_row()
    # margin 2: x=3 is 2 px from the Myo's x=1 -> kept; the blob 6 px away goes
    out = keep_anchored_components(pred, 3, {1: (2, )}, margin=2)
    assert out[0, 0].tolist() == [2, 2, 0, 1] + [0] * 8
    # margin 1: no RV component touches -> fall back to the largest one
    out = keep_anchored_components(pred, 3, {1: (2, )}, margin=1)
    assert out[0, 0].tolist() == keep_largest_component(pred, 3)[0, 0].tolist()
    # every component against the anchor is kept (RV pieces on both sides of
    # the Myo), and anchors count after their own largest-component step
    row = np.zeros((1, 1, 18), np.uint8)
    row[0, 0, 0] = 1        # RV piece, 2 px left of the Myo
    row[0, 0, 2:6] = 2      # Myo
    row[0, 0, 7:9] = 1      # RV piece, 2 px right of the Myo
    row[0, 0, 12:16] = 1    # larger RV blob, 7 px away
    row[0, 0, 17] = 2       # a stray Myo voxel (removed: not the largest)
    out = keep_anchored_components(row, 3, {1: (2, )}, margin=2)
    assert out[0, 0].tolist() == [1, 0, 2, 2, 2, 2, 0, 1, 1] + [0] * 9


def test_anchor_distance_is_in_plane_only():
    """An RV voxel on the next slice, right above the Myo, is 1 slice away:
    the in-plane margin does not reach it."""
    pred = np.zeros((2, 1, 8), np.uint8)
    pred[0, 0, 0:2] = 2  # Myo on slice 0
    pred[1, 0, 0] = 1    # RV on slice 1, above the Myo
    pred[1, 0, 5:8] = 1  # larger RV far away on slice 1
    out = keep_anchored_components(pred, 3, {1: (2, )}, margin=3)
    assert out[1, 0].tolist() == [0, 0, 0, 0, 0, 1, 1, 1]  # fallback: largest
    # an RV voxel on slice 0, 2 px from the Myo (26-connected to neither RV
    # piece of slice 1: 3 and 2 px away in x) is the one kept
    pred[0, 0, 3] = 1
    out = keep_anchored_components(pred, 3, {1: (2, )}, margin=3)
    assert out[0, 0].tolist() == [2, 2, 0, 1, 0, 0, 0, 0]
    assert out[1, 0].tolist() == [0] * 8


@pytest.mark.parametrize('anchors, margin, words', [
    ({1: ()}, 3, 'at least one'),
    ({1: (4, )}, 3, 'foreground classes 1..3'),
    ({1: (1, )}, 3, 'not be the class itself'),
    ({1: (2, ), 2: (3, )}, 3, 'anchored in turn'),
    ({1: (2, )}, 0, 'margin must be >= 1'),
])
def test_bad_anchors_are_named(anchors, margin, words):
    with pytest.raises(ValueError, match=words):
        keep_anchored_components(heart_row(), 4, anchors, margin=margin)
