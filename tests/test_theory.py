"""The theory the lectures state, asserted on lrcourse's own optimizers and problems.

- Gradient descent on a quadratic of largest curvature L converges for lr < 2/L, diverges above.
- Heavy-ball momentum (PyTorch's SGD, dampening 0) moves the bound to 2 (1 + beta) / L.
- Constant-rate SGD on a noisy quadratic settles at the floor lr sigma^2 / (2 (2 - lr L)): halve
  the rate and the floor halves.
- The best constant rate, 2 / (mu + L), contracts the error by (kappa - 1) / (kappa + 1) per step.
"""

import numpy as np
import pytest

from lrcourse.optimizers import sgd
from lrcourse.problems import noisy_quadratic, quadratic
from lrcourse.train import run

FACTORS = np.array([0.99, 1.01])  # just inside, just outside the bound


def expected_divergence_step(factor_per_step, loss0, divergence_factor=1e12):
    """The first k with loss0 * factor^k > 1e12 * max(loss0, 1): run's divergence rule."""
    return int(np.ceil(np.log(divergence_factor * max(loss0, 1) / loss0) / np.log(factor_per_step)))


@pytest.mark.parametrize("L", [0.5, 4.0, 100.0])
def test_gradient_descent_stability_bound_is_2_over_L(L):
    q = quadratic(curvatures=[L], start=[1.0])
    lrs = FACTORS * 2 / L
    h = run(sgd(lr=lrs[:, None]), q, params=np.ones((2, 1)), steps=3000)
    converged, diverged = h.loss[:, 0], h.loss[:, 1]
    assert not h.diverged[0] and converged[-1] < 1e-40 * converged[0]
    assert h.diverged[1]
    # x_k = (1 - lr L)^k x_0, so the loss grows by (1 - lr L)^2 = 1.02^2 per step.
    loss0 = L / 2
    assert abs(h.diverged_at[1] - expected_divergence_step(1.02**2, loss0)) <= 1
    np.testing.assert_allclose(diverged[:100], loss0 * 1.02 ** (2 * np.arange(100)), rtol=1e-10)


def test_the_bound_is_set_by_the_largest_curvature_whatever_the_condition():
    q = quadratic(condition=100.0, angle=0.3)  # L = 100, mu = 1
    lrs = FACTORS * 2 / q.L
    h = run(sgd(lr=lrs[:, None]), q, params=np.tile(q.start, (2, 1)), steps=3000)
    assert not h.diverged[0] and h.loss[-1, 0] < 1e-20
    assert h.diverged[1]


@pytest.mark.parametrize("beta", [0.5, 0.9])
@pytest.mark.parametrize("L", [1.0, 10.0])
def test_heavy_ball_stability_bound_is_2_1_plus_beta_over_L(beta, L):
    """x_{k+1} = x_k - lr L x_k + beta (x_k - x_{k-1}) is stable iff 0 < lr L < 2 (1 + beta)."""
    q = quadratic(curvatures=[L], start=[1.0])
    bound = 2 * (1 + beta) / L
    lrs = FACTORS * bound
    opt = sgd(lr=lrs[:, None], momentum=beta, dampening=0.0)
    h = run(opt, q, params=np.ones((2, 1)), steps=3000)
    assert not h.diverged[0] and h.loss[-1, 0] < 1e-20 * h.loss[0, 0]
    assert h.diverged[1]
    # Without momentum the same rates are far beyond 2 / L.
    plain = run(sgd(lr=lrs[:, None]), q, params=np.ones((2, 1)), steps=3000)
    assert plain.diverged.all()


def test_noise_floor_halves_with_the_rate_and_matches_the_formula():
    """E[f] = lr sigma^2 / (2 (2 - lr L)) for f = 1/2 L x^2 with N(0, sigma^2) gradient noise.

    4,000 runs per rate in one batched computation; the average is taken over steps 200-1200,
    after the iterates have forgotten the start (variance relaxes like (1 - lr L)^(2k))."""
    L, sigma, runs = 1.0, 1.0, 4000
    q = noisy_quadratic(curvatures=[L], sigma=sigma, start=[0.0])
    lrs = np.array([0.1, 0.05])
    h = run(sgd(lr=lrs[:, None, None]), q, params=np.zeros((2, runs, 1)), steps=1200, seed=0)
    assert not h.diverged.any()
    floor = h.loss[200:].mean(axis=(0, 2))  # one number per rate
    formula = lrs * sigma**2 / (2 * (2 - lrs * L))
    np.testing.assert_allclose(floor, formula, rtol=0.15)
    np.testing.assert_allclose(floor, q.noise_floor(lrs), rtol=0.15)
    assert floor[0] / floor[1] == pytest.approx(2.0, rel=0.15)  # halve the rate, halve the floor
    # The estimate is much better than the 15% asked for: it is a sound test, not a lucky one.
    np.testing.assert_allclose(floor, formula, rtol=0.05)


def test_noise_floor_sums_over_the_eigen_directions():
    q = noisy_quadratic(condition=4.0, angle=0.6, sigma=0.5, start=[0.0, 0.0])
    lr = 0.2  # lr L = 0.8
    h = run(sgd(lr=lr), q, params=np.zeros((3000, 2)), steps=400, seed=1)
    floor = h.loss[100:].mean()
    assert floor == pytest.approx(float(q.noise_floor(lr)), rel=0.15)


@pytest.mark.parametrize("condition", [2.0, 10.0, 100.0])
def test_best_constant_rate_contracts_by_kappa_minus_1_over_kappa_plus_1(condition):
    q = quadratic(condition=condition, angle=0.4)
    best = 2 / (q.mu + q.L)
    rate = (condition - 1) / (condition + 1)
    h = run(sgd(lr=best), q, steps=60)
    distance = np.linalg.norm(h.params - q.minimum, axis=-1)
    # Both eigen-components are multiplied by +-(kappa - 1)/(kappa + 1): every step, exactly.
    np.testing.assert_allclose(distance[1:] / distance[:-1], rate, rtol=1e-9)
    # Any other constant rate is slower in the long run: max |1 - lr lambda| > rate. (Rates only a
    # little above the best one, since for large kappa 2 / (mu + L) is already close to 2 / L.)
    others = best * np.array([0.8, 0.95, 0.99, 1.005])
    h = run(sgd(lr=others[:, None]), q, params=np.tile(q.start, (4, 1)), steps=200)
    assert not h.diverged.any()
    error = np.linalg.norm(h.params - q.minimum, axis=-1)
    measured = (error[-1] / error[-21]) ** (1 / 20)  # the rate per step, late in the run
    worst_case = np.max(np.abs(1 - others[:, None] * q.eigenvalues), axis=1)
    assert (rate * (1 + 1e-6) < measured).all() and (measured <= worst_case * (1 + 1e-9)).all()


# --- lrcourse.theory: the closed forms, each with its formula and a doctest ----------------------


def test_every_closed_form_has_a_formula_and_a_passing_doctest():
    import doctest

    from lrcourse import theory

    finder = doctest.DocTestFinder()
    for name in theory.__all__:
        function = getattr(theory, name)
        (test,) = [t for t in finder.find(function, name) if t.name == name]
        assert test.examples, f"{name} has no doctest"
        assert "=" in function.__doc__ or "/" in function.__doc__, f"{name} states no formula"
    result = doctest.testmod(theory, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= len(theory.__all__)


def test_the_bias_correction_factor_is_the_ratio_of_the_first_steps():
    from lrcourse.interop import uncorrected_adam
    from lrcourse.optimizers import adam
    from lrcourse.theory import bias_correction_factor

    q = quadratic(curvatures=[1.0], start=[1.0])
    lr = 1e-4  # small enough that the gradient barely changes over the 10 steps
    h_corrected = run(adam(lr=lr), q, steps=10)
    h_uncorrected = run(uncorrected_adam(lr=lr), q, steps=10)
    ratio = np.diff(h_uncorrected.params[:, 0]) / np.diff(h_corrected.params[:, 0])
    np.testing.assert_allclose(ratio, bias_correction_factor(np.arange(1, 11)), rtol=1e-3)
