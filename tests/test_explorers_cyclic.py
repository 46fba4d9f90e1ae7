"""The explorers of lecture 05, driven without a browser, and the two problems they share.

Moving a control must change what the learner sees (the picture and the status line). Each test
also prints the median time of ~20 slider updates (recompute + redraw + PNG), to compare with the
course's 100 ms budget; the time is reported, not asserted (it depends on the machine's load).
Run with ``-s`` to see the medians.
"""

import statistics
import warnings

import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse.experiments import race_problem
from lrcourse.explorers import compare, cyclic
from lrcourse.optimizers import sgd
from lrcourse.problems import common_noise_quadratic, noisy_quadratic, steep_bowl
from lrcourse.schedules import constant, linear_warmup
from lrcourse.theory import expected_loss
from lrcourse.train import run


def drag(explorer, name, values):
    """Set control ``name`` to each value in turn; each move must change the picture and the
    status line. Returns the median update time in seconds."""
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would land on a notebook's stderr
        for value in values:
            before = shown(explorer)
            explorer.controls[name].value = value
            assert explorer.error is None, explorer.status.value
            after = shown(explorer)
            assert after[0] != before[0] and after[1] != before[1], f"{name}={value!r}"
            times.append(explorer.seconds)
    return statistics.median(times)


def report(label, seconds):
    print(f"\n{label}: median slider update {seconds * 1e3:.1f} ms (budget 100 ms)")


# --- the problems ------------------------------------------------------------------------------


def test_steep_bowl_gradient_and_sharpness():
    bowl = steep_bowl()
    x = np.array([[0.7, -1.3], [2.0, 0.5], [0.0, 0.0]])
    h = 1e-6
    for i in range(2):
        e = np.eye(2)[i] * h
        numeric = (bowl.loss(x + e) - bowl.loss(x - e)) / (2 * h)
        np.testing.assert_allclose(bowl.grad(x)[:, i], numeric, rtol=1e-6, atol=1e-8)
    # The Hessian is diagonal, c + 3 x^2; its largest entry is the sharpness.
    np.testing.assert_allclose(bowl.sharpness(x), [4 + 3 * 1.69, 1 + 12.0, 4.0])
    assert bowl.loss(bowl.minimum) == 0 and np.all(bowl.grad(bowl.minimum) == 0)
    with pytest.raises(ValueError, match="curvatures"):
        steep_bowl(curvatures=[1.0, 2.0, 3.0])


def test_the_same_peak_diverges_without_warmup_and_converges_with_it():
    bowl = steep_bowl()
    assert 2 / bowl.sharpness(bowl.start) < 0.4 < 2 / bowl.sharpness(bowl.minimum)
    assert run(sgd(lr=constant(0.4)), bowl, steps=60).diverged
    warmed = run(sgd(lr=linear_warmup(0.4, 10)), bowl, steps=60)
    assert not warmed.diverged and warmed.loss[-1] < 1e-12


def test_common_noise_is_shared_across_leading_axes_only():
    q = common_noise_quadratic(curvatures=[0.5, 2.0], sigma=1.0)
    params = np.zeros((3, 4, 2))
    g = q.grad(params, rng=np.random.default_rng(0))
    assert np.all(g[0] == g[1]) and np.all(g[1] == g[2])  # the same noise for every row
    assert not np.allclose(g[:, 0], g[:, 1])  # but independent across seeds
    # One run (params of shape (dim,)) gets ordinary noise; no rng, the exact gradient.
    assert q.grad(np.ones(2), rng=np.random.default_rng(0)).shape == (2,)
    np.testing.assert_array_equal(q.grad(params), np.zeros_like(params))
    # Each seed on its own is the ordinary noisy quadratic: same Hessian, noise, start.
    plain = noisy_quadratic(curvatures=[0.5, 2.0], sigma=1.0)
    np.testing.assert_array_equal(q.hessian, plain.hessian)
    np.testing.assert_array_equal(q.start, plain.start)


def test_the_race_problem_agrees_with_the_exact_expected_loss():
    problem = race_problem()
    rates = np.full(300, 0.15)
    history = run(
        sgd(lr=0.15), problem, np.tile(problem.start, (2000, 1)), 300, record_params=False
    )
    exact = expected_loss(problem, rates)
    mean, error = history.loss.mean(axis=1), history.loss.std(axis=1) / np.sqrt(2000)
    assert np.all(np.abs(mean[1:] - exact[1:]) < 5 * error[1:])


# --- the explorers -----------------------------------------------------------------------------


def test_every_explorer_builds_with_its_defaults():
    for name, make in cyclic.EXPLORERS.items():
        explorer = make()
        assert explorer.error is None, (name, explorer.status.value)
        assert explorer.image.value and explorer.status.value


def test_schedule_chooser_reacts_to_every_kind_of_control():
    explorer = cyclic.schedule_chooser(horizon=1000)
    times = [drag(explorer, "cosine_decay.lr", list(np.geomspace(0.05, 0.5, 20)))]
    times.append(drag(explorer, "warmup_steps", list(range(10, 210, 10))))
    assert explorer.status.value.startswith("linear_warmup(cosine_decay(lr=0.5")
    # Another schedule from the menu: its own controls appear, the others hide.
    explorer.controls["schedule"].value = "cosine_restarts"
    assert explorer.status.value.startswith("linear_warmup(cosine_restarts(lr=0.1, period=100")
    box = explorer.controls["cosine_restarts.period"]
    shown_boxes = [
        child for child in explorer.children[0].children[1:] if child.layout.display != "none"
    ]
    assert len(shown_boxes) == 1 and box in shown_boxes[0].children
    explorer.controls["warmup_steps"].value = 0
    times.append(drag(explorer, "cosine_restarts.period_mult", [1, 2, 3, 4, 3, 2, 1, 2, 3, 4]))
    explorer.controls["schedule"].value = "one_cycle"
    times.append(drag(explorer, "one_cycle.pct_start", list(np.linspace(0.1, 0.6, 20))))
    report("schedule_chooser", statistics.median(times))


def test_schedule_chooser_shows_bad_settings_in_the_status_line():
    explorer = cyclic.schedule_chooser(horizon=400, schedule="warmup_stable_decay")
    explorer.controls["warmup_stable_decay.decay_steps"].value = 390  # + warmup 40 > 400
    assert isinstance(explorer.error, ValueError)
    assert "warmup_steps + decay_steps must be &lt;= total_steps" in explorer.status.value
    explorer.controls["warmup_stable_decay.decay_steps"].value = 80
    assert explorer.error is None


def test_schedule_chooser_log_scale():
    explorer = cyclic.schedule_chooser(horizon=500, schedule="one_cycle", log=True)
    assert explorer.figure.axes[0].get_yscale() == "log"
    report("schedule_chooser(log=True)", drag(explorer, "one_cycle.max_lr", [0.2, 0.4, 0.8]))


def test_warmup_explorer_shows_divergence_and_its_cure():
    explorer = cyclic.warmup_explorer(lr=0.4, warmup_steps=10, steps=60)
    assert explorer.status.value.startswith("peak lr 0.4, warmup 10 steps: loss")
    explorer.controls["warmup_steps"].value = 0
    assert explorer.status.value == "peak lr 0.4, no warmup: diverged at step 3"
    times = [drag(explorer, "warmup_steps", list(range(1, 31)))]
    times.append(drag(explorer, "lr", list(np.geomspace(0.05, 1.5, 20))))
    explorer.controls["lr"].value = 0.6  # unstable even at the minimum: no warmup helps
    assert explorer.status.value.endswith("the loss grows, it will blow up")
    report("warmup_explorer", statistics.median(times))


def test_schedule_race_reacts_and_reports_each_schedule():
    explorer = compare.schedule_race()
    # The lecture's race: at their best peaks WSD beats cosine, and both beat one-cycle.
    assert explorer.status.value == (
        "expected loss after 700 steps: cosine_decay: 0.03353; warmup_stable_decay: 0.03271; "
        "one_cycle: 0.03595. Lowest: warmup_stable_decay."
    )
    times = [drag(explorer, "cosine_decay.lr", list(np.geomspace(0.05, 0.5, 20)))]
    times.append(drag(explorer, "warmup_stable_decay.decay_steps", list(range(35, 385, 35))))
    report("schedule_race", statistics.median(times))
