"""Exercises of lecture 09: RMSProp.

RMSProp's update as PyTorch runs it (a moving average of squared gradients with weight
1 - alpha on the new one, eps outside the square root, no bias correction), the centered
variant, and every parameter's effective learning rate from a history of gradients. References
come from ``lrcourse.optimizers.rmsprop`` and ``lrcourse.explorers.rmsprop``.
"""

import numpy as np

from lrcourse.explorers.rmsprop import rmsprop_effective_lr
from lrcourse.optimizers import rmsprop

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden, quadratic_path
from .spec import Exercise, Hidden, Mutant

TITLE = "RMSProp"
NOTEBOOK = "09_rmsprop"

# The learner writes these formulas; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.explorers": "uses lrcourse.explorers.rmsprop",
}

A = np.array


# --- 09.rmsprop_path ---------------------------------------------------------------------------


def _rmsprop_path(hessian, x0, lr, alpha, eps, steps):
    return quadratic_path(rmsprop(lr=lr, alpha=alpha, eps=eps), hessian, x0, steps)


def _rmsprop_with(
    average=lambda v, g, alpha, t: alpha * v + (1 - alpha) * g * g,
    scale=lambda v, eps: np.sqrt(v) + eps,
    late=False,
):
    """RMSProp loops with one line changed, as a learner's bug would change it."""

    def run(hessian, x0, lr, alpha, eps, steps):
        x, v, path = x0, np.zeros(len(x0)), [x0]
        for t in range(1, steps + 1):
            g = hessian @ x
            if late:  # the step divides by the average before the current gradient is in it
                step = lr * g / scale(v, eps)
                v = average(v, g, alpha, t)
            else:
                v = average(v, g, alpha, t)
                step = lr * g / scale(v, eps)
            x = x - step
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _rmsprop_lerp(hessian, x0, lr, alpha, eps, steps):
    # PyTorch writes the average as a step towards g**2: v += (1 - alpha) * (g**2 - v).
    path = np.empty((steps + 1, len(x0)))
    path[0], v = x0, np.zeros(len(x0))
    for k in range(steps):
        g = hessian @ path[k]
        v += (1 - alpha) * (g**2 - v)
        path[k + 1] = path[k] - lr * g / (np.sqrt(v) + eps)
    return path


def _rmsprop_history(hessian, x0, lr, alpha, eps, steps):
    # Keep every gradient and weight them afresh: v_t = (1 - alpha) sum_j alpha**(t - j) g_j**2.
    path, grads = [x0], []
    for t in range(steps):
        grads.append(hessian @ path[-1])
        weights = (1 - alpha) * alpha ** np.arange(t, -1, -1.0)
        v = weights @ np.square(grads)
        path.append(path[-1] - lr * grads[-1] / (np.sqrt(v) + eps))
    return np.array(path)


_FORGETTING = (
    "Weight the new square by (1 - alpha): square_avg = alpha * square_avg + (1 - alpha) * g**2. "
    "Without the (1 - alpha) the average grows to g**2 / (1 - alpha), a hundred times too big "
    "for alpha = 0.99."
)

rmsprop_path = Exercise(
    id="09.rmsprop_path",
    title="RMSProp on a quadratic, as PyTorch runs it",
    reference=_rmsprop_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, alpha=0.9, eps=0.1, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.01, alpha=0.99, eps=1e-8, steps=10),
        dict(hessian=ONE, x0=A([2.0]), lr=0.1, alpha=0.5, eps=1.0, steps=5),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.02, alpha=0.9, eps=0.01, steps=8),
        dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.1, alpha=0.8, eps=0.5, steps=12),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, alpha=0.99, eps=1e-8, steps=0),
    ],
    mutants=[
        Mutant(
            "eps inside the root",
            _rmsprop_with(scale=lambda v, eps: np.sqrt(v + eps)),
            "PyTorch adds eps after the square root: sqrt(square_avg) + eps. Keras and Optax put "
            "it inside, sqrt(square_avg + eps): a different optimizer when eps is not tiny.",
        ),
        Mutant(
            "no (1 - alpha)",
            _rmsprop_with(average=lambda v, g, alpha, t: alpha * v + g * g),
            _FORGETTING,
        ),
        Mutant(
            "alpha and 1 - alpha swapped",
            _rmsprop_with(average=lambda v, g, alpha, t: (1 - alpha) * v + alpha * g * g),
            "alpha is the weight of the *old* average (it remembers), 1 - alpha that of the new "
            "square: square_avg = alpha * square_avg + (1 - alpha) * g**2.",
        ),
        Mutant(
            "AdaGrad's sum",
            _rmsprop_with(average=lambda v, g, alpha, t: v + g * g),
            "That is AdaGrad's sum. RMSProp forgets: square_avg = alpha * square_avg + "
            "(1 - alpha) * g**2.",
        ),
        Mutant(
            "bias corrected",
            lambda hessian, x0, lr, alpha, eps, steps: _rmsprop_bias_corrected(
                hessian, x0, lr, alpha, eps, steps
            ),
            "PyTorch's RMSprop has no bias correction: divide by sqrt(square_avg) + eps as it "
            "is, not by sqrt(square_avg / (1 - alpha**t)). The large first steps are part of it.",
        ),
        Mutant(
            "average one step late",
            _rmsprop_with(late=True),
            "Update the average with the current gradient first, then divide by its root: the "
            "first step is lr * g / (sqrt(1 - alpha) * |g| + eps).",
        ),
        Mutant(
            "no square root",
            _rmsprop_with(scale=lambda v, eps: v + eps),
            "Divide by the square root of the average of squares (the root mean square): "
            "sqrt(square_avg) + eps.",
        ),
    ],
    alternates=[_rmsprop_lerp, _rmsprop_history],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.02, alpha=0.9, eps=1e-8),
        dict(lr=0.01, alpha=0.99, eps=1e-8),
        dict(lr=0.05, alpha=0.95, eps=0.1),
    )
    + [
        Hidden(
            "alpha = 0 (no memory)",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.05, alpha=0.0, eps=1e-3, steps=8),
        )
    ],
)


def _rmsprop_bias_corrected(hessian, x0, lr, alpha, eps, steps):
    x, v, path = x0, np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        v = alpha * v + (1 - alpha) * g * g
        x = x - lr * g / (np.sqrt(v / (1 - alpha**t)) + eps)
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


# --- 09.centered_rmsprop_path ------------------------------------------------------------------


def _centered_path(hessian, x0, lr, alpha, eps, steps):
    return quadratic_path(rmsprop(lr=lr, alpha=alpha, eps=eps, centered=True), hessian, x0, steps)


def _centered_with(
    mean=lambda m, g, alpha: alpha * m + (1 - alpha) * g,
    spread=lambda v, m: v - m * m,
    scale=lambda s, eps: np.sqrt(s) + eps,
    mean_late=False,
):
    def run(hessian, x0, lr, alpha, eps, steps):
        x, v, m, path = x0, np.zeros(len(x0)), np.zeros(len(x0)), [x0]
        for _ in range(steps):
            g = hessian @ x
            v = alpha * v + (1 - alpha) * g * g
            if mean_late:
                s = spread(v, m)
                m = mean(m, g, alpha)
            else:
                m = mean(m, g, alpha)
                s = spread(v, m)
            with np.errstate(invalid="ignore"):
                x = x - lr * g / scale(s, eps)
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _centered_lerp(hessian, x0, lr, alpha, eps, steps):
    path = np.empty((steps + 1, len(x0)))
    path[0], v, m = x0, np.zeros(len(x0)), np.zeros(len(x0))
    for k in range(steps):
        g = hessian @ path[k]
        v = v + (1 - alpha) * (g * g - v)
        m = m + (1 - alpha) * (g - m)
        std = np.sqrt(v - m**2)
        path[k + 1] = path[k] - lr * g / (std + eps)
    return path


centered_rmsprop_path = Exercise(
    id="09.centered_rmsprop_path",
    title="Centered RMSProp",
    reference=_centered_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.02, alpha=0.9, eps=0.1, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.005, alpha=0.99, eps=1e-8, steps=10),
        dict(hessian=ONE, x0=A([2.0]), lr=0.05, alpha=0.5, eps=1.0, steps=5),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.01, alpha=0.9, eps=0.01, steps=8),
        dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.05, alpha=0.8, eps=0.5, steps=12),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, alpha=0.99, eps=1e-8, steps=0),
    ],
    mutants=[
        Mutant(
            "not centered",
            _rmsprop_with(),
            "Centered RMSProp also averages the gradient itself, grad_avg = alpha * grad_avg + "
            "(1 - alpha) * g, and divides by sqrt(square_avg - grad_avg**2) + eps.",
        ),
        Mutant(
            "mean not squared",
            _centered_with(spread=lambda v, m: v - m),
            "Subtract the *square* of the averaged gradient: square_avg - grad_avg**2 estimates "
            "the variance, E[g^2] - E[g]^2.",
        ),
        Mutant(
            "mean without (1 - alpha)",
            _centered_with(mean=lambda m, g, alpha: alpha * m + g),
            "Average the gradient the same way as its square: grad_avg = alpha * grad_avg + "
            "(1 - alpha) * g.",
        ),
        Mutant(
            "eps inside the root",
            _centered_with(scale=lambda s, eps: np.sqrt(s + eps)),
            "PyTorch adds eps after the square root: sqrt(square_avg - grad_avg**2) + eps.",
        ),
        Mutant(
            "mean one step late",
            _centered_with(mean_late=True),
            "Update both averages with the current gradient before you divide: grad_avg too.",
        ),
        Mutant(
            "plus instead of minus",
            _centered_with(spread=lambda v, m: v + m * m),
            "The variance is the mean square *minus* the squared mean: square_avg - grad_avg**2.",
        ),
    ],
    alternates=[_centered_lerp],
    hints={
        "shape": "Return steps + 1 points: x0 first, then one point after each update.",
        "nan": "A NaN here usually means a square root of a negative number: the variance is "
        "square_avg - grad_avg**2, with both averages updated with the current gradient.",
    },
    hidden_cases=path_hidden(
        dict(lr=0.01, alpha=0.9, eps=1e-8),
        dict(lr=0.005, alpha=0.95, eps=1e-8),
        dict(lr=0.02, alpha=0.9, eps=0.1),
    ),
)


# --- 09.rmsprop_effective_lr -------------------------------------------------------------------


def _effective_lr(grads, lr, alpha, eps):
    return rmsprop_effective_lr(grads, lr=lr, alpha=alpha, eps=eps)


def _rates_with(average=lambda v, g, alpha, t: alpha * v + (1 - alpha) * g * g, late=False):
    def answer(grads, lr, alpha, eps):
        v, out = np.zeros(grads.shape[1:]), np.zeros(grads.shape)
        for t, g in enumerate(grads, start=1):
            if late:
                out[t - 1] = lr / (np.sqrt(v) + eps)
                v = average(v, g, alpha, t)
            else:
                v = average(v, g, alpha, t)
                out[t - 1] = lr / (np.sqrt(v) + eps)
        return out

    return answer


def _rates_matrix(grads, lr, alpha, eps):
    # v_t = sum_j W[t, j] g_j**2 with W[t, j] = (1 - alpha) alpha**(t - j) for j <= t.
    n = len(grads)
    age = np.arange(n)[:, None] - np.arange(n)[None, :]
    weights = np.where(age >= 0, (1 - alpha) * alpha ** np.maximum(age, 0), 0.0)
    return lr / (np.sqrt(weights @ grads**2) + eps)


_G1 = np.random.default_rng(9).standard_normal((8, 3)).round(3)
_SHRINK = A([[1.0, 2.0], [0.5, -1.0], [0.1, 0.5], [0.01, -0.2], [0.01, 0.1], [0.001, 0.0]])

rmsprop_effective_lr_exercise = Exercise(
    id="09.rmsprop_effective_lr",
    title="Every parameter's effective learning rate",
    reference=_effective_lr,
    cases=[
        dict(grads=A([[1.0], [1.0], [1.0], [1.0]]), lr=0.01, alpha=0.99, eps=1e-8),
        dict(grads=_G1, lr=0.5, alpha=0.9, eps=0.1),
        dict(grads=_SHRINK, lr=1.0, alpha=0.5, eps=1e-3),
        dict(grads=A([[0.01, 100.0], [0.02, -50.0], [-0.01, 10.0]]), lr=0.01, alpha=0.9, eps=1e-8),
        dict(grads=_G1[:, :1] * 3, lr=2.0, alpha=0.8, eps=1.0),
    ],
    mutants=[
        Mutant(
            "eps inside the root",
            lambda grads, lr, alpha, eps: (
                lr / np.sqrt(rmsprop_effective_lr(grads, 1.0, alpha, 0.0) ** -2 + eps)
            ),
            "PyTorch adds eps after the square root: lr / (sqrt(square_avg) + eps).",
        ),
        Mutant(
            "AdaGrad's sum",
            _rates_with(average=lambda v, g, alpha, t: v + g * g),
            "That is AdaGrad's running sum. RMSProp's average forgets: square_avg = alpha * "
            "square_avg + (1 - alpha) * g**2.",
        ),
        Mutant(
            "no (1 - alpha)",
            _rates_with(average=lambda v, g, alpha, t: alpha * v + g * g),
            _FORGETTING,
        ),
        Mutant(
            "current gradient left out",
            _rates_with(late=True),
            "The average includes the current gradient: update it first, then compute "
            "lr / (sqrt(square_avg) + eps).",
        ),
        Mutant(
            "bias corrected",
            lambda grads, lr, alpha, eps: (
                lr
                / (
                    np.sqrt(
                        rmsprop_effective_lr(grads, 1.0, alpha, 0.0) ** -2
                        / (1 - alpha ** np.arange(1, len(grads) + 1)).reshape(
                            -1, *[1] * (grads.ndim - 1)
                        )
                    )
                    + eps
                )
            ),
            "PyTorch's RMSprop has no bias correction: use square_avg as it is.",
        ),
        Mutant(
            "averaged over parameters",
            lambda grads, lr, alpha, eps: _rates_with()(
                np.sqrt(np.mean(grads**2, axis=1, keepdims=True)) + 0 * grads, lr, alpha, eps
            ),
            "Each parameter keeps its own average: average along the steps only, not across "
            "the parameters.",
        ),
    ],
    alternates=[_rates_with(), _rates_matrix],
    hints={"shape": "Return one rate per gradient: an array of the same shape as grads."},
    hidden_cases=[
        Hidden(
            "a long history of more parameters (shape (50, 4))",
            dict(
                grads=np.random.default_rng(90).standard_normal((50, 4)).round(3),
                lr=0.01,
                alpha=0.95,
                eps=1e-8,
            ),
        ),
        Hidden("a single step", dict(grads=A([[0.5, -2.0, 0.0]]), lr=0.3, alpha=0.9, eps=0.01)),
        Hidden(
            "gradients that grow a hundredfold per step",
            dict(
                grads=np.outer([0.01, 1.0, 100.0, 1e4], [1.0, -0.5]), lr=1.0, alpha=0.99, eps=1e-6
            ),
        ),
        Hidden(
            "alpha = 0 (only the current gradient counts)",
            dict(grads=_SHRINK[:, ::-1], lr=0.1, alpha=0.0, eps=1e-4),
        ),
    ],
)

EXERCISES = [rmsprop_path, centered_rmsprop_path, rmsprop_effective_lr_exercise]
