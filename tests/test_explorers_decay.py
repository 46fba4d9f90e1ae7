"""The explorers of lectures 03 and 04, driven without a browser, and the expected loss they draw.

Moving a control must change what the learner sees (the picture and the status line). Each test
also prints the median time of ~20 slider updates (recompute + redraw + PNG), to compare with the
course's 100 ms budget; the time is reported, not asserted (it depends on the machine's load).
"""

import statistics

import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse.experiments import lecture_problem
from lrcourse.explorers import decay
from lrcourse.optimizers import sgd
from lrcourse.problems import noisy_quadratic
from lrcourse.stateful import replay
from lrcourse.theory import expected_loss
from lrcourse.train import run


def drag(explorer, name, values):
    """Set control ``name`` to each value; return the median update time in seconds."""
    times = []
    for value in values:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer) != before, f"moving {name} to {value!r} changed nothing"
        times.append(explorer.seconds)
    return statistics.median(times)


# --- expected_loss -----------------------------------------------------------------------------


def test_expected_loss_settles_on_the_noise_floor():
    problem = noisy_quadratic(curvatures=[1.0, 4.0], sigma=0.5, angle=0.3)
    for lr in (0.02, 0.2, 0.45):
        loss = expected_loss(problem, np.full(3000, lr))
        assert loss[-1] == pytest.approx(float(problem.noise_floor(lr)), rel=1e-9)


def test_expected_loss_is_the_average_of_many_runs():
    problem = lecture_problem()
    lrs = np.concatenate([np.full(100, 0.2), np.full(100, 0.02), np.geomspace(0.02, 0.002, 100)])
    history = run(sgd(lr=replay(lrs)), problem, np.tile(problem.start, (4000, 1)), steps=300)
    simulated = history.loss.mean(axis=1)
    exact = expected_loss(problem, lrs)
    assert exact[0] == simulated[0]
    # 4000 runs: the mean's relative standard error is about 2.5 %
    np.testing.assert_allclose(simulated[1:], exact[1:], rtol=0.12)
    assert abs(simulated[150:].mean() / exact[150:].mean() - 1) < 0.03


def test_expected_loss_broadcasts_and_reports_divergence():
    problem = lecture_problem()
    lrs = np.full((2, 3, 50), 0.1)
    lrs[1, 2] = 0.6  # above 2 / L = 0.5
    loss = expected_loss(problem, lrs)
    assert loss.shape == (2, 3, 51)
    assert np.all(np.isfinite(loss[0])) and loss[1, 2, -1] > 1e6 * loss[1, 2, 0]
    assert np.all(expected_loss(problem, np.full((2, 2000), 0.9))[:, -1] == np.inf)
    with pytest.raises(ValueError, match="noisy quadratic"):
        expected_loss(object(), lrs)


# --- the explorers -----------------------------------------------------------------------------


def test_every_explorer_builds_with_its_defaults():
    for name, make in decay.EXPLORERS.items():
        explorer = make()
        assert explorer.error is None, (name, explorer.status.value)
        assert explorer.image.value and explorer.status.value


def test_step_race_reacts_and_names_the_lowest():
    explorer = decay.step_race()
    assert "Lowest: step_decay" in explorer.status.value
    median = drag(explorer, "step_decay.lr", np.geomspace(0.05, 0.4, 20))
    print(f"\nstep_race: median update {median * 1e3:.1f} ms (drag step_decay.lr)")
    explorer.controls["multistep_decay.milestones"].value = (200, 300)
    assert explorer.error is None
    explorer.controls["constant.lr"].value = 0.8  # above 2 / L: diverges, reported, no crash
    assert explorer.error is None
    assert "constant: diverged at step" in explorer.status.value


def test_decay_race_reacts():
    explorer = decay.decay_race()
    median = drag(explorer, "exponential_decay.gamma", np.linspace(0.995, 0.999, 20).round(4))
    print(f"\ndecay_race: median update {median * 1e3:.1f} ms (drag exponential_decay.gamma)")
    explorer.controls["polynomial_decay.end_lr"].value = 0.0
    explorer.controls["polynomial_decay.total_steps"].value = 1000  # ends at 0 before the end
    assert explorer.error is None and "polynomial_decay: E[loss]" in explorer.status.value


def test_stepping_explorer_shows_each_trap():
    explorer = decay.stepping_explorer()
    assert explorer.status.value.startswith(
        "applied rate changes at update 500, 750 (intended: 500, 750)"
    )
    explorer.controls["where"].value = "after each update"
    assert explorer.status.value.startswith("applied rate changes at update 10, 15 ")
    explorer.controls["where"].value = "before each epoch"
    assert explorer.status.value.startswith("applied rate changes at update 450, 700 ")
    explorer.controls["where"].value = "after each epoch"
    explorer.controls["plotted_first"].value = True
    assert explorer.status.value.startswith("applied rate changes at update never ")
    explorer.controls["plotted_first"].value = False
    median = drag(explorer, "lr", np.geomspace(0.05, 0.4, 20))
    print(f"\nstepping_explorer: median update {median * 1e3:.1f} ms (drag lr)")
    median = drag(explorer, "steps_per_epoch", list(range(30, 70, 2)))
    print(f"stepping_explorer: median update {median * 1e3:.1f} ms (drag steps_per_epoch)")
