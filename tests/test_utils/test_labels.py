import numpy as np
import pytest

from elseg.utils.labels import class_counts, missing_classes


def test_class_counts_by_hand():
    label = np.array([[0, 1, 1], [3, 3, 3], [255, 2, 0]], dtype=np.uint8)
    # class 1: 2 px, class 2: 1 px, class 3: 3 px; 255 (ignore) not counted
    assert class_counts(label, 4).tolist() == [2, 1, 3]
    assert class_counts(label, 5).tolist() == [2, 1, 3, 0]
    with pytest.raises(ValueError, match='num_classes must be >= 2, got 1'):
        class_counts(label, 1)
    with pytest.raises(ValueError, match='>= 0, got -1'):
        class_counts(np.array([0, -1]), 3)


def test_missing_classes_by_hand():
    label = np.array([[0, 1, 1], [3, 3, 3], [255, 2, 0]], dtype=np.uint8)
    assert missing_classes(label, 4) == []
    assert missing_classes(label, 5) == [4]
    assert missing_classes(label, 4, min_pixels=2) == [2]
    assert missing_classes(label, 4, min_pixels=3) == [1, 2]
    with pytest.raises(ValueError, match='min_pixels must be >= 1, got 0'):
        missing_classes(label, 4, min_pixels=0)
