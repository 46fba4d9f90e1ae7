"""The explorers and the landscape of lectures 01 and 02 (``lrcourse.explorers.descent``).

Driven without a browser: moving a control must change the picture and the status line, and
never raise. The time of one update is measured and printed (run with ``-s`` to see it), not
asserted: it depends on the machine.
"""

import doctest
import statistics

import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse import widgets
from lrcourse.explorers import descent
from lrcourse.explorers.descent import EXPLORERS, noise_floor_explorer, zigzag_explorer
from lrcourse.optimizers import sgd
from lrcourse.problems import BowlWithDip, quadratic
from lrcourse.train import run

# Every explorer lectures 01 and 02 show: this module's, and the generic lr_explorer as 01 uses it.
LECTURE_EXPLORERS = {
    **EXPLORERS,
    "lr_explorer(quadratic)": lambda: widgets.lr_explorer(quadratic(condition=10), steps=50),
}


def test_doctests():
    result = doctest.testmod(descent, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4 and result.failed == 0  # BowlWithDip's: with problems'


# --- the landscape -----------------------------------------------------------------------------


def test_gradient_and_hessian_match_finite_differences():
    dip = BowlWithDip()
    points = np.random.default_rng(0).uniform(-3, 3, size=(20, 2))
    h = 1e-6
    for axis, e in enumerate(np.eye(2)):
        slope = (dip.loss(points + h * e) - dip.loss(points - h * e)) / (2 * h)
        np.testing.assert_allclose(dip.grad(points)[:, axis], slope, rtol=1e-6, atol=1e-6)
        bend = (dip.grad(points + h * e) - dip.grad(points - h * e)) / (2 * h)
        np.testing.assert_allclose(dip.hessian(points)[:, :, axis], bend, rtol=1e-5, atol=1e-5)


def test_two_minima_a_sharp_local_one_and_a_flat_global_one():
    dip = BowlWithDip()
    for point in (dip.local_minimum, dip.minimum):
        assert np.abs(dip.grad(point)).max() < 1e-12
        assert np.all(dip.curvatures(point) > 0)
    assert dip.loss(dip.local_minimum) > dip.min_loss + 2
    assert dip.curvatures(dip.local_minimum).max() > 20 * dip.curvatures(dip.minimum).max()
    assert dip.grad(np.zeros((3, 4, 2))).shape == (3, 4, 2)  # batched
    assert dip.loss(np.zeros((3, 4, 2))).shape == (3, 4)


def test_the_dip_holds_gradient_descent_only_below_two_over_its_curvature():
    dip = BowlWithDip()
    limit = 2 / dip.curvatures(dip.local_minimum).max()
    lrs = np.array([0.9, 1.1]) * limit
    history = run(sgd(lr=lrs[:, None]), dip, np.tile(dip.start, (2, 1)), steps=2000)
    gap = np.linalg.norm(history.final_params - dip.local_minimum, axis=-1)
    assert gap[0] < 1e-9 and gap[1] > 1e-2


def test_bad_landscapes_are_clear_errors():
    with pytest.raises(ValueError, match="width"):
        BowlWithDip(width=-1.0)
    with pytest.raises(ValueError, match="too shallow"):
        BowlWithDip(depth=0.1)


# --- the explorers -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(LECTURE_EXPLORERS))
def test_every_control_changes_what_is_shown(name):
    explorer = LECTURE_EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    for control in explorer.controls.values():
        before = shown(explorer)
        control.value = control.value * 1.5
        assert explorer.error is None, explorer.status.value
        after = shown(explorer)
        assert after[0] != before[0] and after[1] != before[1]


@pytest.mark.parametrize("name", list(LECTURE_EXPLORERS))
def test_slider_update_time(name):
    """Drag the first slider through 20 positions; print the median update time."""
    explorer = LECTURE_EXPLORERS[name]()
    control = next(iter(explorer.controls.values()))
    low, high = 10**control.min, 10**control.max  # log sliders: min and max are exponents
    times = []
    for value in np.geomspace(max(low, high / 300), high / 1.5, 20):
        control.value = float(value)
        assert explorer.error is None, explorer.status.value
        times.append(explorer.seconds)
    print(f"\n{name}: median update {1e3 * statistics.median(times):.0f} ms over 20 moves")


def test_zigzag_reports_factors_and_divergence():
    explorer = zigzag_explorer(kappa=100.0, lr=1.0)
    assert "|1 - lr mu| = 0.99 (flat)" in explorer.status.value
    assert "|1 - lr L| = 0 (steep)" in explorer.status.value
    explorer.controls["lr"].value = 2.5
    assert "diverged at step" in explorer.status.value


def test_noise_floor_explorer_measures_the_predicted_floor():
    explorer = noise_floor_explorer(lr=0.05, sigma=1.0)
    status = explorer.status.value
    predicted = float(status.split("predicted floor ")[1].split(";")[0])
    measured = float(status.split("(last 100 steps) ")[1].split(" ")[0])
    assert abs(measured / predicted - 1) < 0.25  # 32 runs x 100 steps: a rough estimate
    explorer.controls["lr"].value = 0.002
    assert "not there yet" in explorer.status.value
    explorer.controls["lr"].value = 0.25
    assert "no floor" in explorer.status.value and explorer.error is None
