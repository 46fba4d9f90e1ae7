"""Lecture 12's module: the sensitivity sweep, good_width, the double well, and the range-test
explorer driven without a browser (every control changes what is shown; updates are timed)."""

import statistics

import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse.experiments import DEFAULT_LR, OPTIMIZERS, good_width, sensitivity
from lrcourse.explorers import choosing
from lrcourse.explorers.choosing import EXPLORERS, range_test_explorer
from lrcourse.optimizers import sgd
from lrcourse.problems import HeldOut, TiltedDoubleWell
from lrcourse.train import run

# --- the sweep ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    """Two optimizers, two schedules, three rates, one epoch: 12 networks."""
    return sensitivity(
        [1e-3, 1e-1, 100.0], epochs=1, optimizer_names=("SGD", "Adam"), names=("constant", "cosine")
    )


def test_the_sweep_has_one_value_per_optimizer_schedule_and_rate(small):
    assert small.val_loss.shape == small.val_accuracy.shape == small.test_loss.shape == (2, 2, 3)
    assert small.train_loss.shape == (2, 2, 3, small.steps_per_epoch + 1)
    assert np.isclose(small.start_val_loss, np.log(10), rtol=0.02)  # chance level


def test_a_network_of_the_sweep_is_the_network_trained_alone(small):
    problem = HeldOut()
    steps = problem.steps_per_epoch
    alone = run(OPTIMIZERS["Adam"](0.1), problem, problem.start, steps, eval_every=steps)
    assert np.isclose(small.at("Adam", "constant", 0.1), alone.metrics["val_loss"][-1], rtol=1e-9)


def test_failed_runs_are_marked_and_never_best(small):
    assert small.failed[:, :, -1].all()  # lr 100 makes things worse for both optimizers
    assert np.isinf(small.curve("SGD", "constant")[-1])
    lr, loss = small.best("Adam", "constant")
    assert lr in (1e-3, 1e-1) and np.isfinite(loss)
    name, lr, loss = small.best("SGD")
    assert name in ("constant", "cosine") and loss == min(
        small.best("SGD", s)[1] for s in ("constant", "cosine")
    )
    with pytest.raises(ValueError, match="lr must be one of the swept rates"):
        small.at("SGD", "constant", 0.5)


def test_defaults_are_pytorchs():
    assert DEFAULT_LR == {
        "SGD": 1e-3,
        "momentum": 1e-3,
        "RMSProp": 1e-2,
        "Adam": 1e-3,
        "AdamW": 1e-3,
    }
    assert set(OPTIMIZERS) == set(DEFAULT_LR)


# --- good_width --------------------------------------------------------------------------------


def test_good_width_measures_decades_within_the_tolerance():
    lrs = [1e-3, 1e-2, 1e-1, 1.0]
    assert good_width(lrs, [1.0, 1.0, 1.0, 1.0]) == 3.0
    assert good_width(lrs, [9.0, 1.0, 9.0, 9.0]) == pytest.approx(0.37, abs=0.01)
    assert good_width(lrs, [2.0, 1.0, 1.2, np.inf]) == 1.59
    assert good_width(lrs, [np.nan] * 4) == 0.0
    wide, narrow = good_width(lrs, [1.2, 1.0, 1.1, 1.4]), good_width(lrs, [3.0, 1.0, 3.0, 9.0])
    assert wide > narrow


@pytest.mark.parametrize(
    "lrs, losses, tolerance, message",
    [
        ([1e-2, 1e-3], [1.0, 1.0], 1.5, "lrs must be increasing"),
        ([1e-3], [1.0], 1.5, "lrs must be increasing"),
        ([1e-3, 1e-2], [1.0, 1.0], 0.5, "tolerance must be >= 1"),
        ([0.0, 1e-2], [1.0, 1.0], 1.5, "lrs must be > 0"),
    ],
)
def test_good_width_rejects_bad_input(lrs, losses, tolerance, message):
    with pytest.raises(ValueError, match=message):
        good_width(lrs, losses, tolerance)


# --- the double well ---------------------------------------------------------------------------


def test_the_double_well_has_a_shallow_and_a_deep_minimum():
    well = TiltedDoubleWell()
    assert np.allclose(well.grad(well.minima[:, None]), 0, atol=1e-12)
    assert well.minima_loss[0] < well.minima_loss[1]  # the left one is deeper
    x = np.linspace(-2, 2, 9)[:, None]
    eps = 1e-6
    numeric = (well.loss(x + eps) - well.loss(x - eps)) / (2 * eps)
    assert np.allclose(well.grad(x)[:, 0], numeric, atol=1e-6)
    with pytest.raises(ValueError, match="tilt must be small enough"):
        TiltedDoubleWell(tilt=0.5)


def test_small_rates_stay_in_the_shallow_minimum_and_larger_ones_jump():
    well = TiltedDoubleWell()
    lrs = np.array([0.01, 0.1, 0.45, 2.0])
    h = run(sgd(lr=lrs[:, None]), well, np.tile(well.start, (4, 1)), 400)
    x = h.final_params[:, 0]
    assert np.allclose(x[:2], well.minima[1], atol=1e-3)
    assert np.isclose(x[2], well.minima[0], atol=1e-3)
    assert h.diverged[3]


# --- the explorer ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer():
    return range_test_explorer(bands={"momentum 0.9": (0.1, 1.0)})


@pytest.mark.parametrize(
    "name, value",
    [
        ("beta", 0.9),
        ("diverge_factor", 2.0),
        ("seed", 3),
        ("start_lr", 1e-4),
        ("end_lr", 3.0),
        ("num_steps", 60),
        ("optimizer", "Adam"),
    ],
)
def test_every_control_changes_what_is_shown(explorer, name, value):
    before = shown(explorer)
    explorer.controls[name].value = value
    assert explorer.error is None, explorer.status.value
    assert shown(explorer)[0] != before[0], f"moving {name} did not change the picture"
    assert "suggestions:" in explorer.status.value


def test_the_status_names_the_blow_up_and_the_three_rules():
    explorer = range_test_explorer()
    status = explorer.status.value
    assert status.startswith("momentum 0.9, seed 0: blew up at step")
    for rule in ("steepest", "minimum/10", "valley"):
        assert rule in status
    explorer.controls["end_lr"].value = 0.02
    assert "never blew up" in explorer.status.value


def test_an_impossible_ramp_is_shown_not_raised():
    explorer = range_test_explorer()
    explorer.controls["start_lr"].value = 1e-2
    explorer.controls["end_lr"].value = 1e-2
    assert isinstance(explorer.error, ValueError)
    assert "end_lr must be &gt; start_lr" in explorer.status.value


@pytest.mark.parametrize(
    "name, values",
    [
        ("beta", np.linspace(0.5, 0.99, 20)),
        ("diverge_factor", np.linspace(2.0, 9.5, 16)),
        ("start_lr", np.geomspace(1e-6, 1e-4, 20)),
        ("seed", list(range(10)) * 2),
    ],
)
def test_slider_updates_are_fast(name, values):
    """Prints the median time of ~20 updates (recompute + redraw + PNG); asserts no time."""
    explorer = range_test_explorer()
    times = []
    for value in values:
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        times.append(explorer.seconds)
    print(f"range_test_explorer, {name}: median of {len(times)} updates "
          f"{statistics.median(times) * 1e3:.0f} ms")  # fmt: skip


def test_the_module_lists_its_explorers():
    assert set(EXPLORERS) == {"range_test_explorer"}
    assert callable(choosing.EXPLORERS["range_test_explorer"])
