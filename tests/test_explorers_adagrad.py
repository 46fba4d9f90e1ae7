"""Lecture 08's explorers and helpers, driven without a browser."""

import ipywidgets
import numpy as np
import pytest
from explorer_helpers import moves_and_reacts, shown

from lrcourse.explorers.adagrad import EXPLORERS, adagrad_race, effective_lr_explorer
from lrcourse.optimizers import adagrad
from lrcourse.problems import LinearRegression, gradient_streams, sparse_regression
from lrcourse.theory import adagrad_effective_lr as effective_lr
from lrcourse.train import run

# --- effective_lr ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"lr": 0.1},
        {"lr": 0.5, "eps": 0.1},
        {"lr": 0.2, "initial_accumulator_value": 0.3},
        {"lr": 0.2, "lr_decay": 0.05, "eps": 1e-3},
    ],
)
def test_the_effective_rate_is_what_adagrad_applies(settings):
    grads = np.random.default_rng(1).standard_normal((50, 3))
    opt = adagrad(**settings)
    params, state, applied = np.zeros(3), opt.init(np.zeros(3)), []
    for g in grads:
        new, state = opt.step(params, g, state)
        applied.append((params - new) / g)
        params = new
    assert np.allclose(effective_lr(grads, **settings), applied, rtol=1e-12)


def test_keras_and_optax_put_eps_inside_the_root():
    g = np.array([[1.0], [2.0]])
    rates = effective_lr(g, lr=1.0, eps=1e-7, initial_accumulator_value=0.1, eps_inside=True)
    assert np.allclose(rates[:, 0], [1 / np.sqrt(1.1 + 1e-7), 1 / np.sqrt(5.1 + 1e-7)])
    assert round(float(rates[0, 0]), 5) == 0.95346
    assert round(float(effective_lr(np.ones((1, 1)), lr=1.0)[0, 0]), 10) == 0.9999999999


def test_the_effective_rate_falls_like_one_over_root_t_and_checks_its_input():
    rates = effective_lr(np.ones((1000, 1)), lr=1.0)[:, 0]
    t = np.arange(1, 1001)
    assert abs(np.polyfit(np.log(t[9:]), np.log(rates[9:]), 1)[0] + 0.5) < 0.01
    with pytest.raises(ValueError, match="leading axis"):
        effective_lr(1.0)
    with pytest.raises(ValueError, match="eps"):
        effective_lr(np.ones((2, 1)), eps=-1.0)


def test_gradient_streams_have_the_advertised_scales():
    g = gradient_streams(20000, seed=3)
    assert abs(g[:, 0].std() - 1) < 0.05 and abs(g[:, 1].std() - 0.01) < 0.0005
    assert abs(np.mean(g[:, 2] != 0) - 0.02) < 0.005
    assert np.array_equal(gradient_streams(100), gradient_streams(100))  # seeded


def test_the_sparse_regression_is_a_linear_regression_with_rare_features():
    p = sparse_regression(n_train=2000, dense=3, rare=4, p_rare=0.05, seed=1)
    assert isinstance(p, LinearRegression) and p.dim == 7
    assert set(np.unique(p.x[:, 3:])) == {0.0, 1.0}
    assert np.allclose(np.diag(p.hessian)[3:], p.x[:, 3:].mean(axis=0))
    assert np.allclose(p.grad(p.minimum), 0, atol=1e-10)
    h = run(adagrad(lr=0.3), p, steps=50)
    assert h.loss.shape == (51,) and not h.diverged
    with pytest.raises(ValueError, match="p_rare"):
        sparse_regression(p_rare=0.0)


# --- the explorers -----------------------------------------------------------------------------


def test_the_effective_rate_explorer_reacts_to_every_control():
    explorer = effective_lr_explorer(steps=500)
    assert isinstance(explorer.controls["lr"], ipywidgets.FloatLogSlider)
    assert isinstance(explorer.controls["eps"], ipywidgets.FloatLogSlider)
    for name, value in [
        ("lr", 0.5),
        ("eps", 1e-2),
        ("initial_accumulator_value", 0.1),
        ("eps_inside", True),
    ]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer) != before, name


def test_the_keras_accumulator_slows_the_first_step_of_small_gradients():
    explorer = effective_lr_explorer()
    explorer.controls["initial_accumulator_value"].value = 0.1
    explorer.controls["eps"].value = 1e-7
    explorer.controls["eps_inside"].value = True
    large, small = (float(x.split(" ")[0]) for x in explorer.status.value[22:].split(", ")[:2])
    assert small < 0.05 and large > 5 * small  # |g| ~ 1e-2 against sqrt(0.1): plain SGD


def test_the_adagrad_race_can_turn_its_bowl():
    race = adagrad_race(angle=np.pi / 4, steps=50)
    assert "45 degrees" in race.figure.axes[0].get_title()
    before = shown(race)
    race.controls["AdaGrad.lr"].value = 0.3
    assert race.error is None and shown(race) != before


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    lr_name = next(k for k in explorer.controls if k == "lr" or k.endswith(".lr"))
    moves_and_reacts(explorer, lr_name, 0.5, 1.5)
