"""Lecture 09's explorers and helpers, driven without a browser.

The effective-rate helper must agree with what ``optimizers.rmsprop`` actually does; the
explorers must react to every control (the picture and the status line change) and answer
quickly. Update times are printed (run with ``-s`` to see them), never asserted: the machine
running the tests may be busy.
"""

import numpy as np
import pytest
from explorer_helpers import median_update_ms, moves_and_reacts, shown

from lrcourse.explorers.rmsprop import EXPLORERS, rmsprop_explorer, rmsprop_race
from lrcourse.optimizers import rmsprop
from lrcourse.problems import quadratic, rosenbrock
from lrcourse.theory import averaging_weights, rmsprop_effective_lr
from lrcourse.train import run

# --- the helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("alpha, eps", [(0.99, 1e-8), (0.9, 0.1), (0.5, 0.0)])
def test_the_effective_rate_times_the_gradient_is_the_optimizers_step(centered, alpha, eps):
    grads = np.random.default_rng(1).standard_normal((40, 3)) * np.array([1.0, 0.01, 100.0])
    rates = rmsprop_effective_lr(grads, lr=0.05, alpha=alpha, eps=eps, centered=centered)
    opt = rmsprop(lr=0.05, alpha=alpha, eps=eps, centered=centered)
    params, state, steps = np.zeros(3), opt.init(np.zeros(3)), []
    for g in grads:
        new, state = opt.step(params, g, state)
        steps.append(new - params)
        params = new
    assert np.allclose(-rates * grads, steps, rtol=1e-10, atol=1e-15)


def test_keras_puts_eps_inside_the_root():
    g = np.array([[1.0, 1e-3, 1e-6]])
    keras = rmsprop_effective_lr(g, lr=1.0, alpha=0.9, eps=1e-7, eps_inside=True)[0]
    assert np.allclose(keras, 1 / np.sqrt(0.1 * g[0] ** 2 + 1e-7))
    assert round(float(keras[0]), 4) == 3.1623
    torch = rmsprop_effective_lr(g, lr=1.0)[0]  # PyTorch's defaults: alpha 0.99, eps 1e-8
    assert np.allclose(torch, 1 / (0.1 * np.abs(g[0]) + 1e-8))


def test_hyperparameters_broadcast_over_runs():
    alphas = np.array([[0.9], [0.99]])
    rates = rmsprop_effective_lr(np.ones((5, 1)), lr=1.0, alpha=alphas, eps=0.0)
    assert rates.shape == (5, 2, 1)
    assert np.allclose(rates[0, :, 0], 1 / np.sqrt(1 - alphas[:, 0]))


def test_no_gradient_yet_gives_an_infinite_rate_without_a_warning():
    with np.errstate(all="raise"):
        rates = rmsprop_effective_lr(np.zeros((2, 1)), lr=1.0, eps=0.0)
    assert np.isinf(rates).all()


def test_the_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        rmsprop_effective_lr(np.ones((2, 1)), alpha=1.0)
    with pytest.raises(ValueError, match="grads"):
        rmsprop_effective_lr(1.0)
    with pytest.raises(ValueError, match="steps"):
        averaging_weights(0.9, 0)


def test_the_weights_sum_to_one_and_the_horizon_holds_63_percent():
    for alpha in (0.5, 0.9, 0.99, 0.999):
        weights = averaging_weights(alpha, 50_000)
        assert np.isclose(weights.sum(), 1.0)
        horizon = round(1 / (1 - alpha))
        assert np.isclose(weights[:horizon].sum(), 1 - alpha**horizon)
        if alpha >= 0.9:  # 1 - alpha**(1 / (1 - alpha)) tends to 1 - 1/e
            assert abs(weights[:horizon].sum() - (1 - np.exp(-1))) < 0.02


def test_a_constant_rate_settles_at_the_edge_of_stability():
    bowl, lrs = quadratic(curvatures=[1.0, 50.0]), np.array([[0.02], [0.2]])
    h = run(rmsprop(lr=lrs, alpha=0.9), bowl, np.tile(bowl.start, (2, 1)), steps=1500)
    assert np.allclose(np.abs(h.params[-1]), lrs / 2, rtol=1e-3)
    rates = rmsprop_effective_lr(bowl.grad(h.params[:-1]), lr=lrs, alpha=0.9)
    assert np.allclose(rates[-1], 2 / bowl.eigenvalues, rtol=1e-3)


# --- the explorers -----------------------------------------------------------------------------


def test_the_rmsprop_explorer_reacts_to_every_control():
    explorer = rmsprop_explorer()
    for name, value in [
        ("lr", 0.03),
        ("alpha", 0.9),
        ("eps", 1e-3),
        ("momentum", 0.5),
        ("centered", True),
    ]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1], name
    assert "centered" in explorer.status.value and "momentum 0.5" in explorer.status.value


def test_the_rmsprop_explorer_reports_the_first_step_and_the_edge_of_stability():
    explorer = rmsprop_explorer()
    assert "first step 10 x lr" in explorer.status.value
    explorer.controls["alpha"].value = 0.5
    assert "first step 1.41 x lr" in explorer.status.value
    assert explorer.status.value.endswith("rates at the last step 2 (x1), 0.04 (x2)")


def test_the_rmsprop_explorer_reports_divergence_and_works_off_a_quadratic():
    explorer = rmsprop_explorer(rosenbrock(), steps=50, lr=0.01)
    assert explorer.error is None and "final loss" in explorer.status.value
    explorer = rmsprop_explorer(lr=0.3)
    explorer.controls["centered"].value = True
    explorer.controls["momentum"].value = 0.99
    assert explorer.error is None
    with pytest.raises(ValueError, match="2-D"):
        rmsprop_explorer(quadratic(curvatures=[1.0, 2.0, 3.0]))


def test_the_race_has_four_optimizers_with_their_own_controls():
    race = rmsprop_race(steps=100)
    assert {"SGD.lr", "momentum.momentum", "AdaGrad.lr", "RMSProp.alpha"} <= set(race.controls)
    before = shown(race)
    race.controls["RMSProp.alpha"].value = 0.9
    assert race.error is None and shown(race) != before
    assert race.status.value.count("final loss") + race.status.value.count("diverged") == 4


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    lr_name = next(k for k in explorer.controls if k == "lr" or k.endswith("RMSProp.lr"))
    moves_and_reacts(explorer, lr_name, 0.5, 1.5)
    alpha = "alpha" if "alpha" in explorer.controls else "RMSProp.alpha"
    ms = median_update_ms(explorer, alpha, np.linspace(0.9, 0.999, 20))
    print(f"{name}: median update {ms:.0f} ms over 20 moves of {alpha}")
