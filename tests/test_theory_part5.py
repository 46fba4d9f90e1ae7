"""Part V's closed forms (``lrcourse.theory``), checked against what the optimizers do.

- Gradient descent on a quadratic is stable below curvature 2 / lr and not above.
- Adam's averaged momentum, with a frozen preconditioner P, is stable below
  (2 + 2 beta1) / ((1 - beta1) lr) in the eigenvalues of P^-1 H, and not above.
- The noise scale, the steps-to-target model and the scaling rules say what they say.
"""

import numpy as np
import pytest

from lrcourse.optimizers import sgd
from lrcourse.problems import quadratic
from lrcourse.theory import adam_edge, gd_edge, noise_scale, scaled_lr, steps_to_target
from lrcourse.train import run

FACTORS = np.array([0.98, 1.02])  # just inside, just outside the edge


@pytest.mark.parametrize("lr", [0.01, 0.3, 2.0])
def test_gradient_descent_is_stable_below_gd_edge_only(lr):
    curvatures = FACTORS * gd_edge(lr)
    losses = [run(sgd(lr=lr), quadratic(curvatures=[c], start=[1.0]), steps=2000).loss[-1]
              for c in curvatures]  # fmt: skip
    assert losses[0] < 1e-10
    assert not losses[1] < 1e6  # NaN: the run diverged and stopped


@pytest.mark.parametrize(("lr", "beta1"), [(1e-3, 0.9), (0.01, 0.5), (0.1, 0.0), (3e-4, 0.99)])
def test_averaged_momentum_with_a_frozen_preconditioner_is_stable_below_adam_edge(lr, beta1):
    # x -= lr P^-1 m, m = beta1 m + (1 - beta1) g, g = H x: stable iff every eigenvalue of
    # P^-1 H is below the edge. P = diag(p), H diagonal with curvatures c: eigenvalues c / p.
    p = np.array([0.5, 2.0])
    edge = adam_edge(lr, beta1)
    for factor, stable in zip(FACTORS, (True, False)):
        curvatures = factor * edge * p  # the top of P^-1 H at factor * edge
        x, m = np.ones((1, 2)), np.zeros((1, 2))
        for _ in range(20_000):
            m = beta1 * m + (1 - beta1) * curvatures * x
            x = x - lr * m / p
            if np.abs(x).max() > 1e6:  # diverged: stop before it overflows
                break
        assert (np.abs(x).max() < 1e-3) == stable, (factor, np.abs(x).max())


def test_adam_edge_is_38_over_lr_at_beta1_09_and_2_over_lr_without_momentum():
    assert adam_edge(1e-3) == pytest.approx(38_000)
    assert adam_edge(0.25, beta1=0.0) == gd_edge(0.25) == 8.0
    with pytest.raises(ValueError, match="beta1"):
        adam_edge(0.1, beta1=1.0)
    with pytest.raises(ValueError, match="lr"):
        gd_edge(0.0)


def test_noise_scale_steps_and_scaling_rules():
    assert noise_scale(8.0, 2.0) == 4.0
    steps = steps_to_target(np.array([1.0, 100.0, 1e6]), min_steps=10.0, b_noise=100.0)
    assert steps.tolist() == pytest.approx([1010.0, 20.0, 10.001])
    examples = steps * np.array([1.0, 100.0, 1e6])  # the examples: fixed below B_noise
    assert examples[1] / examples[0] == pytest.approx(2000 / 1010)
    assert scaled_lr(0.1, 64, 16) == pytest.approx(0.4)
    assert scaled_lr(0.1, 64, 16, rule="sqrt") == pytest.approx(0.2)
    with pytest.raises(ValueError, match="rule"):
        scaled_lr(0.1, 64, 16, rule="cube")
    with pytest.raises(ValueError, match="grad_norm_sq"):
        noise_scale(1.0, 0.0)
