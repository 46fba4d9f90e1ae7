"""Lecture 07's explorers and theory, driven without a browser.

The explorers must react to every control (the picture and the status line change) and answer
quickly; the theory functions must agree with what the optimizers actually do.
"""

import ipywidgets
import numpy as np
import pytest
from explorer_helpers import moves_and_reacts, shown

from lrcourse.explorers import momentum
from lrcourse.explorers.momentum import EXPLORERS, momentum_explorer
from lrcourse.interop import keras_sgd
from lrcourse.optimizers import adagrad, adam, sgd
from lrcourse.problems import noisy_quadratic, quadratic, rosenbrock
from lrcourse.schedules import step_decay
from lrcourse.theory import max_stable_lr, momentum_noise_floor, momentum_rate, optimal_momentum
from lrcourse.train import run
from lrcourse.widgets import optimizer_race

# --- theory ------------------------------------------------------------------------------------


def test_the_rate_of_plain_gradient_descent_is_max_abs_one_minus_lr_lambda():
    lrs = np.array([0.01, 0.05, 0.1, 0.19])
    expected = np.max(np.abs(1 - lrs[:, None] * np.array([1.0, 10.0])), axis=1)
    assert np.allclose(momentum_rate(lrs, 0.0, [1.0, 10.0]), expected)
    assert np.allclose(momentum_rate(lrs, 0.0, [1.0, 10.0], nesterov=True), expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_the_rate_matches_the_spectral_radius_of_the_update(nesterov):
    bowl = quadratic(curvatures=[1.0, 7.0])
    for lr, beta in [(0.05, 0.3), (0.2, 0.9), (0.1, 0.6)]:
        a = lr * bowl.eigenvalues
        radius = []
        for ai in a:  # the update on (x_k, lr * buf_{k-1}), written out
            if nesterov:
                m = np.array([[1 - ai * (1 + beta), -(beta**2)], [ai, beta]])
            else:
                m = np.array([[1 - ai, -beta], [ai, beta]])
            radius.append(np.abs(np.linalg.eigvals(m)).max())
        assert np.isclose(momentum_rate(lr, beta, bowl.eigenvalues, nesterov), max(radius))


@pytest.mark.parametrize("beta, nesterov", [(0.0, False), (0.5, False), (0.9, False), (0.9, True)])
def test_the_stability_bound_splits_converging_from_growing_runs(beta, nesterov):
    bowl = quadratic(condition=20.0)
    limit = max_stable_lr(bowl.L, beta, nesterov=nesterov)
    if beta == 0:
        opt = sgd(lr=limit * np.array([[0.99], [1.01]]))
    else:
        opt = sgd(lr=limit * np.array([[0.99], [1.01]]), momentum=beta, nesterov=nesterov)
    h = run(opt, bowl, np.tile(bowl.start, (2, 1)), steps=400)
    assert h.loss[-1, 0] < 1e-3 * h.loss[0, 0]
    assert h.diverged[1] or h.loss[-1, 1] > h.loss[0, 1]


def test_polyaks_values_give_the_square_root_rate():
    lr, beta, rate = optimal_momentum(1.0, 100.0)
    assert np.isclose(rate, 9 / 11)
    assert np.isclose(momentum_rate(lr, beta, [1.0, 100.0]), rate)
    # slightly off the tuned values, the rate is worse
    assert momentum_rate(lr * 1.1, beta, [1.0, 100.0]) > rate
    assert momentum_rate(lr, beta * 0.9, [1.0, 100.0]) > rate


def test_the_noise_floor_reduces_to_plain_sgd_and_matches_a_simulation():
    q = noisy_quadratic(curvatures=[1.0, 4.0], sigma=0.5)
    lrs = np.array([0.01, 0.1, 0.3])
    assert np.allclose(momentum_noise_floor(lrs, 0.0, q.eigenvalues, 0.5), q.noise_floor(lrs))
    assert momentum_noise_floor(0.9, 0.5, q.eigenvalues) == np.inf  # 0.9 * 4 > 2 * 1.5
    h = run(sgd(lr=0.02, momentum=0.8), q, np.zeros((400, 2)), steps=600, record_params=False)
    measured = h.loss[200:].mean()
    assert abs(measured / momentum_noise_floor(0.02, 0.8, q.eigenvalues, 0.5) - 1) < 0.05


def test_keras_sgd_equals_pytorch_at_a_constant_rate_and_not_under_a_schedule():
    bowl = quadratic(condition=10.0)
    for nesterov in (False, True):
        a = run(sgd(lr=0.05, momentum=0.8, nesterov=nesterov), bowl, steps=60)
        b = run(keras_sgd(lr=0.05, momentum=0.8, nesterov=nesterov), bowl, steps=60)
        assert np.allclose(a.params, b.params, rtol=0, atol=1e-12)
    schedule = step_decay(lr=0.05, step_size=10, gamma=0.1)
    a = run(sgd(lr=schedule, momentum=0.8), bowl, steps=30)
    b = run(keras_sgd(lr=schedule, momentum=0.8), bowl, steps=30)
    assert np.allclose(a.params[:11], b.params[:11]) and not np.allclose(a.params, b.params)


def test_keras_sgd_validates_and_keeps_its_inputs():
    with pytest.raises(ValueError, match="momentum"):
        keras_sgd(momentum=1.5)
    params, grads = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    opt = keras_sgd(lr=0.1, momentum=0.9)
    opt.step(params, grads, opt.init(params))
    assert params.tolist() == [1.0, 2.0] and grads.tolist() == [0.5, -0.5]


# --- momentum_explorer -------------------------------------------------------------------------


def test_the_momentum_explorer_reacts_to_every_control():
    explorer = momentum_explorer()
    assert isinstance(explorer.controls["lr"], ipywidgets.FloatLogSlider)
    for name, value in [("lr", 0.05), ("momentum", 0.9), ("nesterov", True)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1]
    assert "Nesterov" in explorer.status.value


def test_the_momentum_explorer_reports_theory_and_the_optimal_button_sets_polyak():
    explorer = momentum_explorer(quadratic(condition=20.0))
    explorer.controls["momentum"].value = 0.9
    assert "rate 0.949 per step (theory), stable for lr below 0.19" in explorer.status.value
    button = explorer.children[0].children[-1]
    button.click()
    lr, beta, _ = optimal_momentum(1.0, 20.0)
    assert np.isclose(explorer.controls["lr"].value, lr, rtol=0.03)  # the slider rounds
    assert np.isclose(explorer.controls["momentum"].value, beta, atol=1e-3)
    assert "rate 0.63" in explorer.status.value


def test_the_momentum_explorer_shows_divergence_and_nesterov_without_momentum():
    explorer = momentum_explorer(lr=0.05)
    explorer.controls["lr"].value = 0.5
    assert "diverged at step" in explorer.status.value
    explorer.controls["nesterov"].value = True  # momentum 0: plain SGD, not an error
    assert explorer.error is None


def test_the_momentum_explorer_takes_other_problems():
    explorer = momentum_explorer(rosenbrock(), steps=100, lr=1e-3, momentum=0.9)
    assert explorer.error is None and "theory" not in explorer.status.value
    with pytest.raises(ValueError, match="2-D"):
        momentum_explorer(quadratic(curvatures=[1.0, 2.0, 3.0]))


# --- optimizer_race ----------------------------------------------------------------------------


def test_the_race_has_one_set_of_controls_per_optimizer_and_reruns_only_the_moved_one():
    race = optimizer_race(
        quadratic(condition=20.0),
        {
            "SGD": (sgd, {"lr": 0.05}),
            "momentum": (sgd, {"lr": 0.05, "momentum": 0.9}),
            "AdaGrad": (adagrad, {"lr": 0.5, "eps": 1e-10}),
        },
        steps=50,
    )
    assert sorted(race.controls) == [
        "AdaGrad.eps", "AdaGrad.lr", "SGD.lr", "momentum.lr", "momentum.momentum",
    ]  # fmt: skip
    assert isinstance(race.controls["AdaGrad.eps"], ipywidgets.FloatLogSlider)
    before = race.status.value.split("; ")
    race.controls["momentum.momentum"].value = 0.5
    after = race.status.value.split("; ")
    assert after[0] == before[0] and after[2] == before[2] and after[1] != before[1]


def test_the_race_takes_factories_of_its_own_and_fixed_values():
    race = optimizer_race(
        rosenbrock(),
        {
            "Adam": (
                lambda lr, beta1, beta2: adam(lr=lr, betas=(beta1, beta2)),
                {"lr": 0.05, "beta1": 0.9, "beta2": 0.999},
            ),
            "SGD": (sgd, {"lr": 1e-3, "momentum": ipywidgets.fixed(0.9)}),
        },
        steps=80,
    )
    assert "SGD.momentum" not in race.controls
    before = shown(race)
    race.controls["Adam.beta1"].value = 0.5
    assert race.error is None and shown(race) != before


def test_a_bad_setting_in_the_race_is_shown_not_raised():
    race = optimizer_race(steps=30)  # SGD, momentum and Nesterov on the default bowl
    race.controls["Nesterov.momentum"].value = 0.0  # Nesterov needs momentum > 0
    assert isinstance(race.error, ValueError) and "nesterov" in race.status.value
    race.controls["Nesterov.momentum"].value = 0.9
    assert race.error is None


def test_the_race_checks_its_arguments():
    with pytest.raises(ValueError, match="non-empty dict"):
        optimizer_race(quadratic(), {})
    with pytest.raises(ValueError, match="pair"):
        optimizer_race(quadratic(), {"SGD": sgd})
    with pytest.raises(ValueError, match="2-D"):
        optimizer_race(quadratic(curvatures=[1.0, 2.0, 3.0]), {"SGD": (sgd, {"lr": 0.1})})


# --- all of them -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    first = next(iter(explorer.controls))  # the phase map has no lr slider: its kappa
    lr_name = next((k for k in explorer.controls if k == "lr" or k.endswith(".lr")), first)
    moves_and_reacts(explorer, lr_name, 0.5, 1.5)


def test_the_module_lists_its_explorers():
    assert set(EXPLORERS) >= {"momentum_explorer", "optimizer_race"}
    assert all(callable(make) for make in momentum.EXPLORERS.values())


def test_the_phase_map_marks_polyaks_optimum_and_the_band_closes_there():
    from lrcourse.explorers.momentum import phase_map_explorer
    from lrcourse.theory import critically_damped_lrs

    explorer = phase_map_explorer()
    for kappa in (10.0, 1000.0):
        explorer.controls["kappa"].value = kappa
        assert explorer.error is None and f"kappa {kappa:.3g}:" in explorer.status.value
        lr, beta, _ = optimal_momentum(1 / kappa, 1.0)
        low, high = critically_damped_lrs(beta, 1 / kappa, 1.0)
        assert np.isclose(low, lr) and np.isclose(high, lr)  # the band closes at the optimum
