"""lrcourse.problems: every gradient against finite differences, batch axes, data, errors."""

import doctest
import sys
from pathlib import Path

import numpy as np
import pytest

from lrcourse import problems as P

RNG = np.random.default_rng(12345)


def finite_difference(f, params, h=1e-6):
    """Central differences of a function returning one loss per run: (f(x + h e_i) - f(x - h e_i))
    / 2h for every coordinate i, all runs at once."""
    grads = np.empty_like(params)
    for i in range(params.shape[-1]):
        e = np.zeros(params.shape[-1])
        e[i] = h
        grads[..., i] = (f(params + e) - f(params - e)) / (2 * h)
    return grads


def random_points(problem, runs=(5,), scale=1.0):
    """Points near the start and the minimum, with leading (run) axes."""
    centre = problem.start if problem.minimum is None else (problem.start + problem.minimum) / 2
    return centre + scale * RNG.standard_normal((*runs, problem.dim))


DETERMINISTIC = {
    "quadratic 2-D rotated": lambda: P.quadratic(condition=50.0, angle=0.7, center=[1.0, -2.0]),
    "quadratic 5-D": lambda: P.quadratic(curvatures=[0.1, 1.0, 2.0, 5.0, 9.0]),
    "noisy quadratic (exact part)": lambda: P.noisy_quadratic(condition=4.0, angle=0.3),
    "rosenbrock": P.rosenbrock,
    "rosenbrock a=2 b=5": lambda: P.rosenbrock(a=2.0, b=5.0),
    "beale": P.beale,
    "himmelblau": P.himmelblau,
    "saddle": P.saddle,
    "linear regression": lambda: P.linear_regression(dim=3, feature_scales=[1, 2, 4]),
    "logistic regression": lambda: P.logistic_regression(dim=4, n_train=300),
}


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_gradient_matches_finite_differences(name):
    problem = DETERMINISTIC[name]()
    params = random_points(problem, runs=(2, 3), scale=0.5)
    expected = finite_difference(problem.loss, params)
    got = problem.grad(params)
    assert got.shape == params.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_batched_loss_and_grad_equal_runs_one_by_one(name):
    problem = DETERMINISTIC[name]()
    params = random_points(problem, runs=(4,))
    loss, grad = problem.loss(params), problem.grad(params)
    assert loss.shape == (4,) and grad.shape == (4, problem.dim)
    for r in range(4):
        np.testing.assert_allclose(loss[r], problem.loss(params[r]), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(grad[r], problem.grad(params[r]), rtol=1e-13, atol=1e-14)
        assert np.ndim(problem.loss(params[r])) == 0
    both = problem.loss_and_grad(params)
    np.testing.assert_array_equal(both[0], loss)
    np.testing.assert_array_equal(both[1], grad)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_every_problem_knows_start_minimum_and_bounds(name):
    problem = DETERMINISTIC[name]()
    assert isinstance(problem.name, str) and problem.name
    assert problem.start.shape == (problem.dim,)
    assert problem.minimum.shape == (problem.dim,)
    assert np.isfinite(problem.loss(problem.start))
    np.testing.assert_allclose(problem.loss(problem.minimum), problem.min_loss, atol=1e-12)
    np.testing.assert_allclose(problem.grad(problem.minimum), 0, atol=1e-5)
    if problem.dim == 2:
        (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
        for point in (problem.start, problem.minimum):
            assert x_lo < point[0] < x_hi and y_lo < point[1] < y_hi
    else:
        assert problem.bounds is None
    assert problem.name in repr(problem)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_loss_on_a_grid_for_contour_plots(name):
    problem = DETERMINISTIC[name]()
    if problem.dim != 2:
        return
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    x, y = np.meshgrid(np.linspace(x_lo, x_hi, 7), np.linspace(y_lo, y_hi, 5))
    z = problem.loss(np.stack([x, y], axis=-1))
    assert z.shape == (5, 7) and np.isfinite(z).all()
    assert z.min() >= problem.min_loss - 1e-12


def test_minimum_is_lowest_nearby():
    """Nothing sampled near the minimum is lower than it (the saddle's minimum is a real one)."""
    for problem in [P.rosenbrock(), P.beale(), P.himmelblau(), P.saddle()]:
        nearby = problem.minimum + 1e-2 * RNG.standard_normal((200, 2))
        assert problem.loss(nearby).min() >= problem.min_loss


def test_himmelblau_minima_and_saddle_point():
    h = P.himmelblau()
    np.testing.assert_allclose(h.loss(h.minima), 0, atol=1e-10)
    np.testing.assert_allclose(h.grad(h.minima), 0, atol=1e-4)
    s = P.saddle()
    np.testing.assert_array_equal(s.grad(np.zeros(2)), 0)  # a stationary point ...
    assert s.loss(np.array([0.0, 0.1])) < 0 < s.loss(np.array([0.1, 0.0]))  # ... not a minimum


# --- quadratics --------------------------------------------------------------------------------


def test_quadratic_curvatures_condition_and_rotation():
    q = P.quadratic(condition=25.0, angle=np.pi / 6)
    assert (q.L, q.mu, q.condition) == (25.0, 1.0, 25.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.hessian), [1.0, 25.0])
    eigenvector = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])  # the first axis, turned
    np.testing.assert_allclose(q.hessian @ eigenvector, eigenvector)
    q3 = P.quadratic(curvatures=[3.0, 1.0, 2.0])
    np.testing.assert_array_equal(q3.eigenvalues, [1.0, 2.0, 3.0])
    assert q3.L == 3.0 and q3.mu == 1.0 and q3.bounds is None
    default = P.quadratic()
    assert default.condition == 10.0 and default.dim == 2
    # f(x) = 1/2 x^T H x, exactly
    x = np.array([0.3, -1.2])
    assert q.loss(x + q.minimum) == pytest.approx(0.5 * x @ q.hessian @ x, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"curvatures": [1.0, 2.0], "condition": 3.0}, "not both"),
        ({"condition": 0.5}, "condition must be >= 1"),
        ({"condition": -2.0}, "condition must be > 0"),
        ({"curvatures": [1.0, -1.0]}, "curvatures must be > 0"),
        ({"curvatures": [1.0, 2.0, 3.0], "angle": 0.1}, "angle rotates a 2-D"),
        ({"curvatures": [1.0, np.nan]}, "curvatures must be finite"),
        ({"condition": 10.0, "center": [1.0, 2.0, 3.0]}, "last axis of length 2"),
    ],
)
def test_quadratic_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        P.quadratic(**kwargs)


def test_quadratic_class_rejects_bad_hessians():
    with pytest.raises(ValueError, match="symmetric"):
        P.Quadratic([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="positive definite"):
        P.Quadratic([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="square"):
        P.Quadratic([1.0, 2.0])


def test_params_with_the_wrong_last_axis_are_rejected():
    for problem in [P.rosenbrock(), P.quadratic(curvatures=[1, 2, 3]), P.digits_mlp()]:
        with pytest.raises(ValueError, match=f"last axis of length {problem.dim}"):
            problem.loss(np.zeros((3, problem.dim + 1)))
        with pytest.raises(ValueError, match="params must have"):
            problem.grad(1.0)


def test_noisy_quadratic_noise_has_the_right_distribution():
    q = P.noisy_quadratic(curvatures=[2.0, 3.0], sigma=0.7)
    x = np.tile([1.0, -1.0], (20_000, 1))
    g = q.grad(x, rng=np.random.default_rng(0))
    noise = g - q.grad(x)
    np.testing.assert_allclose(noise.mean(axis=0), 0, atol=0.02)
    np.testing.assert_allclose(noise.std(axis=0), 0.7, rtol=0.02)
    assert abs(np.corrcoef(noise.T)[0, 1]) < 0.03  # independent coordinates
    np.testing.assert_array_equal(q.grad(x[0]), [2.0, -3.0])  # no rng: exact
    # The same seed gives the same noise; the loss is the exact f.
    a = q.loss_and_grad(x[:3], rng=np.random.default_rng(5))
    b = q.loss_and_grad(x[:3], rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], q.loss(x[:3]))


def test_noise_floor_formula():
    q = P.noisy_quadratic(curvatures=[1.0], sigma=1.0)
    assert q.noise_floor(0.1) == pytest.approx(0.1 / (2 * 1.9))
    q2 = P.noisy_quadratic(curvatures=[1.0, 4.0], sigma=2.0)
    lr = np.array([0.1, 0.2, 0.6])
    expected = [sum(r * 4 / (2 * (2 - r * lam)) for lam in (1.0, 4.0)) for r in lr[:2]]
    np.testing.assert_allclose(q2.noise_floor(lr)[:2], expected)
    assert q2.noise_floor(lr)[2] == np.inf  # 0.6 > 2 / L = 0.5: no stationary state
    with pytest.raises(ValueError, match="lr must be > 0"):
        q.noise_floor(-0.1)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        P.noisy_quadratic(sigma=-1.0)


# --- regression on mini-batches ----------------------------------------------------------------


@pytest.mark.parametrize("make", [P.linear_regression, P.logistic_regression])
def test_minibatch_gradients_and_data(make):
    problem = make(dim=3, n_train=200, batch_size=16, seed=3)
    assert problem.n_train == 200 and problem.batch_size == 16 and problem.steps_per_epoch == 13
    params = problem.minimum + RNG.standard_normal((2, 3))
    batch = np.array([5, 17, 3, 199])
    expected = finite_difference(lambda p: problem.loss(p, batch), params)
    np.testing.assert_allclose(problem.grad(params, batch), expected, rtol=1e-6, atol=1e-8)
    # The full loss is the mean of the per-example losses.
    singles = [problem.loss(params, np.array([i])) for i in range(problem.n_train)]
    np.testing.assert_allclose(np.mean(singles, axis=0), problem.loss(params), rtol=1e-12)
    loss, grad = problem.loss_and_grad(params, batch=batch)
    np.testing.assert_array_equal(loss, problem.loss(params, batch))
    np.testing.assert_array_equal(grad, problem.grad(params, batch))
    # Deterministic data from the seed.
    again = make(dim=3, n_train=200, batch_size=16, seed=3)
    np.testing.assert_array_equal(again.x, problem.x)
    np.testing.assert_array_equal(again.y, problem.y)
    assert not np.array_equal(make(dim=3, n_train=200, seed=4).x, problem.x)


def test_linear_regression_hessian_and_conditioning():
    p = P.linear_regression(dim=2, feature_scales=[1.0, 5.0], n_train=2000)
    np.testing.assert_allclose(p.hessian, p.x.T @ p.x / p.n_train)
    assert 20 < p.condition < 30  # about 5^2
    np.testing.assert_allclose(p.minimum, p.w_true, atol=0.1)
    assert p.min_loss == pytest.approx(0.5 * 0.5**2, rel=0.1)  # half the noise variance
    assert P.linear_regression(batch_size=None).batch_size is None
    assert P.linear_regression(batch_size=10_000, n_train=50).batch_size == 50


def test_logistic_regression_minimum_and_accuracy():
    p = P.logistic_regression(dim=2, n_train=2000)
    np.testing.assert_allclose(p.grad(p.minimum), 0, atol=1e-10)
    np.testing.assert_allclose(p.minimum, p.w_true, rtol=0.2)
    assert 0.7 < p.accuracy(p.minimum) < 1
    metrics = p.evaluate(np.stack([p.minimum, p.start]))
    assert set(metrics) == {"loss", "accuracy"} and metrics["loss"].shape == (2,)
    assert metrics["loss"][1] == pytest.approx(np.log(2))  # w = 0: every p = 1/2
    # Far from the minimum the loss stays finite and warning-free (no overflow in exp).
    big = np.array([1e6, -1e6])
    assert np.isfinite(p.loss(big)) and np.isfinite(p.grad(big)).all()


@pytest.mark.parametrize("n_train, dim, seed", [(3, 5, 0), (6, 2, 1), (10, 2, 0)])
def test_separable_data_is_refused(n_train, dim, seed):
    """Separable classes have no finite minimum: Newton's steps never shrink, and we say so."""
    with pytest.raises(ValueError, match="separable"):
        P.logistic_regression(dim=dim, n_train=n_train, seed=seed)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"n_train": 2.5}, "n_train must be an integer"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"feature_scales": [1.0, -1.0]}, "feature_scales must be > 0"),
    ],
)
def test_linear_regression_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        P.linear_regression(**kwargs)


# --- the shipped dataset and the MLP -----------------------------------------------------------


def test_shipped_digits_dataset():
    images, labels = P.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(
        np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )
    # The first image is the well-known zero of this dataset.
    assert images[0, 1].tolist() == [0, 0, 13, 15, 10, 15, 5, 0]
    # Checksums of the pixels and of their order.
    assert int(images.sum()) == 561_718
    weights = np.arange(1, 1798)[:, None, None]
    assert int((images.astype(np.int64) * weights).sum()) == 503_904_265
    folder = P.DATA.parent
    assert P.DATA.stat().st_size < 2 * 2**20
    licence = (folder / "LICENSE").read_text()
    assert "CC BY 4.0" in licence and "Alpaydin" in licence
    assert "10.24432/C50P49" in (folder / "README.md").read_text()


def test_the_package_does_not_need_scikit_learn():
    source = Path(P.__file__).read_text()
    assert "sklearn" not in source.replace("sklearn/datasets", "")
    assert "sklearn" not in sys.modules


def test_digits_split_is_fixed_disjoint_and_complete():
    mlp = P.digits_mlp()
    assert {name: len(i) for name, i in mlp.indices.items()} == {
        "train": 1197,
        "val": 300,
        "test": 300,
    }
    together = np.concatenate(list(mlp.indices.values()))
    np.testing.assert_array_equal(np.sort(together), np.arange(1797))  # disjoint and complete
    images, labels = P.load_digits()
    for name, (x, y) in mlp.splits.items():
        rows = mlp.indices[name]
        np.testing.assert_array_equal(x, images[rows].reshape(-1, 64) / 16.0)
        np.testing.assert_array_equal(y.argmax(axis=1), labels[rows])
    # The split does not depend on the initialisation seed.
    np.testing.assert_array_equal(P.digits_mlp(seed=7).indices["test"], mlp.indices["test"])
    assert mlp.x.min() == 0 and mlp.x.max() == 1 and mlp.n_train == len(mlp.x)


def test_mlp_parameters_are_views_of_one_flat_vector():
    mlp = P.digits_mlp(hidden=(16, 8))
    assert mlp.sizes == (64, 16, 8, 10)
    assert mlp.dim == 64 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10
    params = mlp.init_params(np.random.default_rng(0), (3, 2))
    assert params.shape == (3, 2, mlp.dim)
    layers = mlp.layers(params)
    assert [W.shape for W, _ in layers] == [(3, 2, 64, 16), (3, 2, 16, 8), (3, 2, 8, 10)]
    assert [b.shape for _, b in layers] == [(3, 2, 16), (3, 2, 8), (3, 2, 10)]
    for W, b in layers:
        assert np.shares_memory(W, params) and np.shares_memory(b, params)
        bound = 1 / np.sqrt(W.shape[-2])
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
    layers[1][0][0, 0, 3, 4] = 123.0  # writing a view writes the flat vector
    assert (params == 123.0).sum() == 1
    np.testing.assert_array_equal(P.digits_mlp(seed=1).start, P.digits_mlp(seed=1).start)
    assert not np.array_equal(P.digits_mlp(seed=1).start, P.digits_mlp(seed=2).start)


@pytest.mark.parametrize("hidden, activation", [((12, 7), "tanh"), (9, "relu")])
def test_mlp_gradient_matches_finite_differences_with_batch_axes(hidden, activation):
    mlp = P.digits_mlp(hidden=hidden, activation=activation)
    params = mlp.init_params(np.random.default_rng(1), (2, 2)) * 2  # bigger: livelier gradients
    batch = np.array([0, 5, 9, 100, 1000, 1196])
    loss, grads = mlp.loss_and_grad(params, batch=batch)
    assert loss.shape == (2, 2) and grads.shape == params.shape
    np.testing.assert_array_equal(loss, mlp.loss(params, batch))
    np.testing.assert_array_equal(grads, mlp.grad(params, batch))
    # Every coordinate of the first network; a sample of coordinates for all four.
    f = lambda p: mlp.loss(p, batch)  # noqa: E731
    np.testing.assert_allclose(
        grads[0, 0], finite_difference(f, params[0, 0]), rtol=1e-5, atol=1e-8
    )
    h = 1e-6
    for i in np.random.default_rng(2).choice(mlp.dim, 40, replace=False):
        e = np.zeros(mlp.dim)
        e[i] = h
        expected = (f(params + e) - f(params - e)) / (2 * h)
        np.testing.assert_allclose(grads[..., i], expected, rtol=1e-5, atol=1e-8)


def test_mlp_batched_equals_one_by_one():
    mlp = P.digits_mlp(hidden=(20, 10))
    params = mlp.init_params(np.random.default_rng(3), (5,))
    batch = np.arange(40, 72)
    loss, grads = mlp.loss_and_grad(params, batch)
    for r in range(5):
        one_loss, one_grads = mlp.loss_and_grad(params[r], batch)
        np.testing.assert_allclose(loss[r], one_loss, rtol=1e-13)
        np.testing.assert_allclose(grads[r], one_grads, rtol=1e-12, atol=1e-15)
        for split in ("train", "val", "test"):
            np.testing.assert_allclose(
                mlp.loss(params, split=split)[r], mlp.loss(params[r], split=split), rtol=1e-13
            )
            assert mlp.accuracy(params, split)[r] == mlp.accuracy(params[r], split)


def test_mlp_loss_accuracy_and_evaluate():
    mlp = P.digits_mlp()
    # An untrained network guesses: loss about log(10), accuracy about 1/10.
    assert mlp.loss(mlp.start) == pytest.approx(np.log(10), rel=0.05)
    assert 0 <= mlp.accuracy(mlp.start, "test") < 0.3
    metrics = mlp.evaluate(np.stack([mlp.start, mlp.start]))
    assert set(metrics) == {
        f"{s}_{m}" for s in ("train", "val", "test") for m in ("loss", "accuracy")
    }
    assert all(value.shape == (2,) for value in metrics.values())
    assert metrics["val_loss"][0] == pytest.approx(mlp.loss(mlp.start, split="val"))
    assert metrics["test_accuracy"][1] == mlp.accuracy(mlp.start, "test")
    with pytest.raises(ValueError, match="split must be one of"):
        mlp.accuracy(mlp.start, "validation")
    with pytest.raises(ValueError, match="activation must be one of"):
        P.digits_mlp(activation="sigmoid")
    with pytest.raises(ValueError, match="hidden must be an integer"):
        P.digits_mlp(hidden=(32, 0))


def test_mlp_softmax_is_stable_for_huge_logits():
    mlp = P.digits_mlp(hidden=4)
    params = mlp.start * 1e6
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is harmless
        loss, grads = mlp.loss_and_grad(params, batch=np.arange(10))
    assert np.isfinite(loss) and np.isfinite(grads).all()


@pytest.mark.parametrize("module", ["lrcourse.problems", "lrcourse.train"])
def test_doctests(module):
    mod = __import__(module, fromlist=["_"])
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
