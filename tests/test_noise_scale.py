"""Per-example gradients of the digits MLP and the gradient noise scale (lecture 15)."""

import itertools

import numpy as np
import pytest

from lrcourse.problems import digits_mlp, noise_scale_of


@pytest.mark.parametrize("criterion", ["cross_entropy", "squared_error"])
def test_per_example_grads_are_the_gradients_of_single_examples(criterion):
    mlp = digits_mlp(hidden=(6, 5), criterion=criterion)
    batch = np.array([3, 17, 256, 1000])
    g = mlp.per_example_grads(mlp.start, batch=batch)
    one_by_one = [mlp.grad(mlp.start, batch=[i]) for i in batch]
    assert g.shape == (4, mlp.dim) and np.allclose(g, one_by_one, rtol=1e-12, atol=1e-15)


def test_per_example_grads_of_many_networks_average_to_the_gradient():
    mlp = digits_mlp(hidden=8)
    params = mlp.init_params(np.random.default_rng(0), shape=(3,))
    g = mlp.per_example_grads(params)
    assert g.shape == (3, mlp.n_train, mlp.dim)
    assert np.allclose(g.mean(axis=-2), mlp.grad(params), atol=1e-15)


def test_the_noise_of_a_mean_of_b_gradients_is_the_trace_over_b():
    # Every ordered pair of 5 examples drawn with replacement: the mean of |g_B - G|^2 over all
    # of them is tr(Sigma) / 2 exactly, so at B = B_noise the noise equals |G|^2.
    g = np.random.default_rng(1).standard_normal((5, 3)) + [1.0, 2.0, 0.5]
    G = g.mean(axis=0)
    pairs = [np.sum(((g[i] + g[j]) / 2 - G) ** 2) for i, j in itertools.product(range(5), repeat=2)]
    trace = np.mean(np.sum((g - G) ** 2, axis=1))
    assert np.mean(pairs) == pytest.approx(trace / 2)
    assert noise_scale_of(g) == pytest.approx(trace / np.sum(G**2))


def test_the_noise_scale_is_zero_without_noise_and_batched_over_networks():
    same = np.tile([1.0, -2.0], (4, 1))
    assert noise_scale_of(same) == 0.0
    stacked = np.stack([same, same + [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])
    assert noise_scale_of(stacked).tolist() == [0.0, pytest.approx(0.5 / 5)]


def test_the_noise_scale_of_the_digits_mlp_grows_as_it_trains():
    mlp = digits_mlp(hidden=16)
    start = noise_scale_of(mlp.per_example_grads(mlp.start))
    params = mlp.start
    for _ in range(100):  # full-batch gradient descent: |G| shrinks faster than the noise
        params = params - 0.5 * mlp.grad(params)
    later = noise_scale_of(mlp.per_example_grads(params))
    assert 10 < start < later
