"""elseg.models.utils.rampup: the sigmoid ramp-up, values by hand."""
import math

import pytest

from elseg.models.utils import sigmoid_rampup


def test_sigmoid_rampup():
    # exp(-5 (1 - t)^2): t = 0 -> exp(-5), t = 1/2 -> exp(-1.25), t >= 1 -> 1
    assert sigmoid_rampup(0, 10) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(5, 10) == pytest.approx(math.exp(-1.25))
    assert sigmoid_rampup(20, 10) == 1.0
    assert sigmoid_rampup(-3, 10) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(3, 0) == 1.0
