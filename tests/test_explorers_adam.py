"""Lecture 10's helpers and explorers, driven without a browser.

The helpers must agree with ``optimizers.adam`` and with the formulas the lecture states; the
explorers must react to every control and answer quickly. Update times are printed (run with
``-s`` to see them), never asserted: the machine running the tests may be busy.
"""

import numpy as np
import pytest
from explorer_helpers import median_update_ms, moves_and_reacts, shown

from lrcourse.experiments import decay_example, online_counterexample
from lrcourse.explorers.adam import (
    EXPLORERS,
    adam_explorer,
    adam_race,
    bias_correction_explorer,
    weight_decay_explorer,
)
from lrcourse.interop import keras_adam, uncorrected_adam
from lrcourse.optimizers import adam, adamw, sgd
from lrcourse.problems import Scaled as scaled
from lrcourse.problems import counterexample_gradients, quadratic, rosenbrock
from lrcourse.schedules import inverse_sqrt
from lrcourse.theory import bias_correction_factor
from lrcourse.train import run


def steps_of(opt, grads):
    params, state, out = np.zeros(grads.shape[1:]), opt.init(np.zeros(grads.shape[1:])), []
    for g in grads:
        new, state = opt.step(params, g, state)
        out.append(new - params)
        params = new
    return np.array(out)


# --- bias correction ---------------------------------------------------------------------------


def test_the_factor_is_the_ratio_of_uncorrected_to_corrected_steps():
    grads = np.random.default_rng(2).standard_normal((300, 4)) * np.array([1.0, 0.1, 10.0, 3.0])
    corrected = steps_of(adam(lr=0.01, eps=0.0), grads)
    uncorrected = steps_of(uncorrected_adam(lr=0.01, eps=0.0), grads)
    factor = bias_correction_factor(np.arange(1, 301))
    assert np.allclose(uncorrected / corrected, factor[:, None], rtol=1e-9)


def test_the_factor_at_the_steps_the_lecture_quotes():
    t = np.array([1, 12, 100, 1000])
    assert np.allclose(bias_correction_factor(t), [3.16228, 6.56852, 3.24080, 1.25758], atol=5e-6)
    factor = bias_correction_factor(np.arange(1, 20_001))
    assert np.argmax(factor) == 11 and np.all(factor > 1)
    assert bias_correction_factor(5, betas=(0.9, 0.9)) == pytest.approx(np.sqrt(1 - 0.9**5))


def test_the_factor_rejects_step_zero_and_bad_betas():
    with pytest.raises(ValueError, match="t must be an integer >= 1"):
        bias_correction_factor(0)
    with pytest.raises(ValueError, match="t must be an integer"):
        bias_correction_factor(1.5)
    with pytest.raises(ValueError, match="betas"):
        bias_correction_factor(3, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="betas"):
        uncorrected_adam(betas=0.9)


def test_keras_adam_is_pytorch_adam_with_a_rescaled_eps():
    grads = np.random.default_rng(3).standard_normal((50, 3)) * 1e-4
    keras = steps_of(keras_adam(lr=1e-3, epsilon=1e-7), grads)
    for t in (1, 10, 50):  # eps_torch = epsilon / sqrt(1 - beta2**t) at step t
        torch = steps_of(adam(lr=1e-3, eps=1e-7 / np.sqrt(1 - 0.999**t)), grads)
        assert np.allclose(keras[t - 1], torch[t - 1], rtol=1e-10)


def test_the_first_steps_of_keras_and_pytorch_differ_for_small_gradients():
    g = np.array([1e-6, 1e-3, 1.0])
    torch = -steps_of(adam(lr=1e-3), g[None])[0]
    keras = -steps_of(keras_adam(lr=1e-3), g[None])[0]
    assert np.allclose(torch, [9.901e-4, 9.9999e-4, 1e-3], rtol=1e-4)
    assert np.allclose(keras, [2.4025e-4, 9.9685e-4, 1e-3], rtol=1e-4)


# --- scale, counterexample, decay --------------------------------------------------------------


def test_adam_is_invariant_to_the_scale_of_the_loss_and_sgd_is_not():
    bowl = quadratic(curvatures=[1.0, 50.0])
    problem = scaled(bowl, [1.0, 1000.0])
    h = run(adam(lr=0.1), problem, np.tile(bowl.start, (2, 1)), steps=200)
    assert np.abs(h.params[:, 0] - h.params[:, 1]).max() < 1e-7
    h = run(sgd(lr=0.03), problem, np.tile(bowl.start, (2, 1)), steps=200)
    assert h.diverged.tolist() == [False, True]
    assert scaled(bowl, [2.0]).loss(bowl.start[None]) == pytest.approx(2 * bowl.loss(bowl.start))
    with pytest.raises(ValueError, match="scale"):
        scaled(bowl, [0.0])


def test_the_counterexample_sends_adam_to_the_worst_point_and_amsgrad_to_the_best():
    assert counterexample_gradients(4, C=5.0).tolist() == [5.0, -1.0, -1.0, 5.0]
    assert np.allclose(inverse_sqrt(2.0)(np.array([0, 3])), [2.0, 1.0])
    adam_x = online_counterexample(steps=900)
    ams_x = online_counterexample(amsgrad=True, steps=900)
    assert adam_x.shape == (901, 3) and np.all(np.abs(adam_x) <= 1)
    assert np.all(adam_x[-3:] > 0.98) and np.all(ams_x[-3:] < -0.98)
    assert np.all(online_counterexample(steps=900, beta2=0.99)[-3:] < -0.98)
    with pytest.raises(ValueError, match="starts"):
        online_counterexample(starts=(2.0,))


def test_adamw_decays_every_weight_alike_and_l2_inside_adam_does_not():
    lr, wd, steps = 0.01, 0.1, 1000
    decoupled = decay_example(adamw(lr=lr, weight_decay=wd), steps=steps)
    assert decoupled[-1, -1] == pytest.approx((1 - lr * wd) ** steps, rel=1e-12)
    assert np.allclose(decoupled[-1], (1 - lr * wd) ** steps, atol=2 * lr)
    coupled = decay_example(adam(lr=lr, weight_decay=wd), steps=steps)
    assert coupled[-1, 0] > 0.85 and abs(coupled[-1, -1]) < 2 * lr  # |g| = 10 and |g| = 0
    assert np.all(np.diff(coupled[-1]) < 0)  # the smaller the gradients, the stronger the decay


# --- the explorers -----------------------------------------------------------------------------


def test_the_bias_correction_explorer_reports_the_factor_and_reacts():
    explorer = bias_correction_explorer()
    assert "(factor 3.16); the factor peaks at 6.57 at step 12" in explorer.status.value
    for name, value in [("lr", 0.05), ("beta1", 0.5), ("beta2", 0.99)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1], name
    explorer.controls["beta1"].value = 0.99  # = beta2: the factor is sqrt(1 - 0.99**t) < 1
    assert "(factor 0.1);" in explorer.status.value


def test_the_adam_explorer_reacts_and_meets_sgd_with_momentum_at_large_eps():
    explorer = adam_explorer(steps=80)
    for name, value in [
        ("lr", 0.1),
        ("eps", 1e-3),
        ("beta1", 0.5),
        ("beta2", 0.99),
        ("amsgrad", True),
    ]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1], name
    explorer.controls["eps"].value = 1e3
    losses = [float(part.rsplit(" ", 1)[1]) for part in explorer.status.value.split("; ")]
    assert losses[0] == pytest.approx(losses[1], rel=0.05)
    with pytest.raises(ValueError, match="2-D"):
        adam_explorer(quadratic(curvatures=[1.0, 2.0, 3.0]))


def test_the_weight_decay_explorer_reacts_to_both_sliders():
    explorer = weight_decay_explorer(steps=100)
    for name, value in [("lr", 0.005), ("weight_decay", 1.0)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None and shown(explorer) != before


def test_the_race_has_four_optimizers_with_beta_sliders():
    race = adam_race(rosenbrock(), steps=80)
    assert {"momentum.lr", "Adam.beta1", "AMSGrad.beta2", "NAdam.lr"} <= set(race.controls)
    before = shown(race)
    race.controls["Adam.beta2"].value = 0.9
    assert race.error is None and shown(race) != before


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    lr_name = next(k for k in explorer.controls if k == "lr" or k.endswith("Adam.lr"))
    moves_and_reacts(explorer, lr_name, 0.5, 1.5)
    other = next(
        (k for k in explorer.controls if k.endswith(("beta2", "eps", "weight_decay"))), None
    )
    if other is not None:
        start = explorer.controls[other].value
        values = np.linspace(0.9, 0.999, 20) if "beta" in other else start * np.geomspace(1, 10, 20)
        ms = median_update_ms(explorer, other, values)
        print(f"{name}: median update {ms:.0f} ms over 20 moves of {other}")
