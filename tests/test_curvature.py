"""Curvature of the digits MLP (lecture 14): Hessian-vector products and the sharpness.

``DigitsMLP.hvp`` differentiates the hand-written backward pass (Pearlmutter's R-operator). It is
checked against a dense Hessian built from central differences of the gradient on networks small
enough to form one, for both criteria and both activations; against ``torch.autograd`` (a double
backward through the same network in PyTorch, float64) when PyTorch is installed, as it is in CI;
and ``sharpness`` against ``np.linalg.eigvalsh``.
"""

import numpy as np
import pytest

from lrcourse.problems import digits_mlp, quadratic, sharpness

SETTINGS = [
    (activation, criterion)
    for activation in ("tanh", "relu")
    for criterion in ("cross_entropy", "squared_error")
]


def dense_hessian_by_differences(mlp, params, eps=1e-6):
    """Column j: (grad(params + eps e_j) - grad(params - eps e_j)) / (2 eps)."""
    steps = eps * np.eye(mlp.dim)
    return (mlp.grad(params + steps) - mlp.grad(params - steps)).T / (2 * eps)


@pytest.mark.parametrize(("activation", "criterion"), SETTINGS)
def test_hvp_is_the_hessian_of_central_differences(activation, criterion):
    mlp = digits_mlp(hidden=(5, 4), activation=activation, criterion=criterion, seed=3)
    params = mlp.start + 0.3 * np.random.default_rng(1).standard_normal(mlp.dim)
    H = mlp.hvp(params, np.eye(mlp.dim))  # every column at once: a batch of dim products
    assert np.allclose(H, H.T, atol=1e-14)
    reference = dense_hessian_by_differences(mlp, params)
    assert np.abs(H - reference).max() < 1e-7 * np.abs(H).max()


@pytest.mark.parametrize("criterion", ["cross_entropy", "squared_error"])
def test_the_gradient_of_each_criterion_matches_differences_of_the_loss(criterion):
    mlp = digits_mlp(hidden=6, criterion=criterion)
    direction = np.random.default_rng(2).standard_normal(mlp.dim)
    eps = 1e-6
    change = (mlp.loss(mlp.start + eps * direction) - mlp.loss(mlp.start - eps * direction)) / (
        2 * eps
    )
    assert mlp.grad(mlp.start) @ direction == pytest.approx(change, rel=1e-7)


def test_hvp_is_batched_over_networks_and_mini_batches():
    mlp = digits_mlp(hidden=8, criterion="squared_error")
    rng = np.random.default_rng(4)
    params = mlp.init_params(rng, shape=(3,))
    vectors = rng.standard_normal((3, mlp.dim))
    batch = np.arange(40)
    together = mlp.hvp(params, vectors, batch=batch)
    one_by_one = [mlp.hvp(p, u, batch=batch) for p, u in zip(params, vectors)]
    assert np.allclose(together, one_by_one, rtol=1e-12, atol=1e-15)
    assert together.shape == (3, mlp.dim)


def test_hvp_is_linear_in_the_vector():
    mlp = digits_mlp(hidden=8)
    rng = np.random.default_rng(5)
    u, w = rng.standard_normal((2, mlp.dim))
    assert np.allclose(
        mlp.hvp(mlp.start, 2 * u - 3 * w),
        2 * mlp.hvp(mlp.start, u) - 3 * mlp.hvp(mlp.start, w),
        atol=1e-13,
    )


@pytest.mark.parametrize("criterion", ["cross_entropy", "squared_error"])
def test_sharpness_is_the_top_eigenvalue_plain_and_preconditioned(criterion):
    mlp = digits_mlp(hidden=(5, 4), criterion=criterion)
    H = mlp.hvp(mlp.start, np.eye(mlp.dim))
    value, vector = sharpness(mlp, mlp.start, iters=400)
    assert value == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-8)
    assert np.allclose(np.abs(vector @ H), np.abs(value * vector), atol=1e-6 * value)
    p = np.random.default_rng(6).uniform(0.5, 3.0, mlp.dim)
    value, _ = sharpness(mlp, mlp.start, iters=400, preconditioner=p)
    assert value == pytest.approx(np.linalg.eigvalsh(p[:, None] * H * p)[-1], rel=1e-8)


def test_sharpness_of_many_networks_in_one_call_and_of_a_quadratic():
    mlp = digits_mlp(hidden=6, criterion="squared_error")
    params = mlp.init_params(np.random.default_rng(7), shape=(2,))
    values, vectors = sharpness(mlp, params, iters=300)
    assert values.shape == (2,) and vectors.shape == (2, mlp.dim)
    for value, p in zip(values, params):
        assert value == pytest.approx(sharpness(mlp, p, iters=300)[0], rel=1e-9)
    q = quadratic(curvatures=[0.5, 2.0, 7.0])
    assert sharpness(q, np.zeros((4, 3)), iters=200)[0] == pytest.approx(np.full(4, 7.0))


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="criterion"):
        digits_mlp(criterion="hinge")
    mlp = digits_mlp(hidden=4)
    with pytest.raises(ValueError, match="last axis of length 310"):
        mlp.hvp(mlp.start, np.ones(5))
    with pytest.raises(ValueError, match="iters"):
        sharpness(mlp, mlp.start, iters=0)


def torch_hvp(torch, mlp, params, vectors, batch):
    """The same network in PyTorch (float64): H v by a second backward pass of autograd."""
    x, y = (torch.tensor(a[batch]) for a in mlp.splits["train"])
    flat = torch.tensor(params, requires_grad=True)
    logits, i = x, 0
    for layer, (fan_in, fan_out) in enumerate(zip(mlp.sizes[:-1], mlp.sizes[1:])):
        W = flat[i : i + fan_in * fan_out].reshape(fan_in, fan_out)
        i += fan_in * fan_out
        logits = logits @ W + flat[i : i + fan_out]
        i += fan_out
        if layer < len(mlp.sizes) - 2:
            logits = torch.tanh(logits) if mlp.activation == "tanh" else torch.relu(logits)
    if mlp.criterion == "squared_error":
        loss = 0.5 * ((logits - y) ** 2).sum(dim=1).mean()
    else:
        loss = torch.nn.functional.cross_entropy(logits, y.argmax(dim=1))
    (grads,) = torch.autograd.grad(loss, flat, create_graph=True)
    (hv,) = torch.autograd.grad(grads @ torch.tensor(vectors), flat)
    return hv.numpy()


@pytest.mark.parametrize(("activation", "criterion"), SETTINGS)
def test_hvp_agrees_with_torch_autograd(live, activation, criterion):
    mlp = digits_mlp(hidden=(16, 12), activation=activation, criterion=criterion)
    rng = np.random.default_rng(8)
    params = mlp.start + 0.2 * rng.standard_normal(mlp.dim)
    vectors = rng.standard_normal(mlp.dim)
    batch = np.arange(200)
    ours = mlp.hvp(params, vectors, batch=batch)
    theirs = torch_hvp(live, mlp, params, vectors, batch)
    assert np.allclose(ours, theirs, rtol=1e-10, atol=1e-12 * np.abs(theirs).max())
