"""Label propagation along chains: chain construction, confidence by hand,
and a synthetic chain of known shifts."""
import numpy as np
import pytest

from elseg.registration import warp_image, warp_label
from elseg.registration.propagation import (neighbour_chains, propagate_label,
                                            step_confidence)
from tests.test_registration.test_deformable import _dice, _phantom


def test_neighbour_chains_by_hand():
    assert neighbour_chains(range(1, 9), 3, 2) == [[4, 5], [2, 1]]
    assert neighbour_chains(range(1, 9), 1, 2) == [[2, 3]]  # nothing below 1
    assert neighbour_chains([1, 2, 3, 4, 6], 3, 3) == [[4], [2, 1]]  # 5 missing
    assert neighbour_chains(range(1, 9), 3, 0) == []
    with pytest.raises(ValueError, match='k must be an integer >= 0, got -1'):
        neighbour_chains(range(3), 1, -1)


def test_step_confidence_by_hand():
    assert step_confidence(0.9, 0.01, 0.02) == pytest.approx(0.45)
    assert step_confidence(0.8, 0.0) == pytest.approx(0.8)
    assert step_confidence(-0.3, 0.0) == 0.0
    assert step_confidence(0.9, 0.05, 0.02) == 0.0
    with pytest.raises(ValueError, match='max_folding must be > 0, got 0'):
        step_confidence(0.9, 0.0, 0)


def _shifted_stack(n=64):
    """Images 0, 1, 2: the phantom moved down by 0, 2 and 4 pixels
    (moving(p) = img(p - shift), i.e. u_y = -shift), with their labels."""
    img, lab = _phantom(n)
    images, labels = {}, {}
    for k in range(3):
        u = np.zeros((2, n, n), np.float32)
        u[0] = -2.0 * k
        images[k] = warp_image(img, u).numpy()
        labels[k] = warp_label(lab, u, 4)
    return images, labels


def test_chain_follows_a_known_drift():
    """Image 2 is reached from image 1 (chained), and its label matches the
    true one; the chained confidence is the product of the step ones."""
    images, labels = _shifted_stack()
    out = propagate_label(images, 0, labels[0], [[1, 2]], num_classes=4)
    assert sorted(out) == [1, 2]
    assert out[1].source == 0 and out[1].steps == 1
    assert out[2].source == 1 and out[2].steps == 2
    for k in (1, 2):
        copy = np.mean([_dice(labels[0], labels[k], c) for c in (1, 2, 3)])
        reg = np.mean([_dice(out[k].label, labels[k], c) for c in (1, 2, 3)])
        assert reg > 0.95
        assert reg > copy + 0.02 * k  # copying misses by the drift
    s1 = out[1].diagnostics['step_confidence']
    s2 = out[2].diagnostics['step_confidence']
    assert out[1].confidence == pytest.approx(s1)
    assert out[2].confidence == pytest.approx(s1 * s2)
    assert 0.9 < s1 <= 1.0  # a translation is recovered almost exactly
    assert out[2].confidence_map.shape == (64, 64)
    np.testing.assert_allclose(out[2].confidence_map, out[2].confidence)
    assert out[2].label.dtype == np.uint8


def test_empty_label_stops_the_chain_and_bad_keys_raise():
    images, labels = _shifted_stack(32)
    assert propagate_label(images, 0, np.zeros_like(labels[0]), [[1, 2]]) == {}
    with pytest.raises(ValueError, match="chain key 7 is not in images"):
        propagate_label(images, 0, labels[0], [[1, 7]])
    with pytest.raises(ValueError, match='key 1 appears twice'):
        propagate_label(images, 0, labels[0], [[1], [1, 2]])
    with pytest.raises(ValueError, match=r'exemplar image shape \(32, 32\)'):
        propagate_label(images, 0, labels[0][:8], [[1]])
