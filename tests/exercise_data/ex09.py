"""Lecture 09's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex09.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from lrcourse.theory import rmsprop_effective_lr

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 09.rmsprop_path --------------------------------------------------------------------------


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


MUTANTS["09.rmsprop_path"] = [
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
]

ALTERNATES["09.rmsprop_path"] = [_rmsprop_lerp, _rmsprop_history]

# --- 09.centered_rmsprop_path -----------------------------------------------------------------


def _rmsprop_bias_corrected(hessian, x0, lr, alpha, eps, steps):
    x, v, path = x0, np.zeros(len(x0)), [x0]
    for t in range(1, steps + 1):
        g = hessian @ x
        v = alpha * v + (1 - alpha) * g * g
        x = x - lr * g / (np.sqrt(v / (1 - alpha**t)) + eps)
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


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


MUTANTS["09.centered_rmsprop_path"] = [
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
]

ALTERNATES["09.centered_rmsprop_path"] = [_centered_lerp]

# --- 09.rmsprop_effective_lr ------------------------------------------------------------------


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


MUTANTS["09.rmsprop_effective_lr"] = [
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
]

ALTERNATES["09.rmsprop_effective_lr"] = [_rates_with(), _rates_matrix]

# --- 09.rmsprop_step_size ---------------------------------------------------------------------


def _step_size_by_running(g, lr, alpha, eps, k):
    # run the average k times with the same gradient, as RMSProp would
    k = np.asarray(k)
    v, sizes = 0.0, {}
    for step in range(1, int(k.max()) + 1):
        v = alpha * v + (1 - alpha) * g**2
        sizes[step] = lr * abs(g) / (np.sqrt(v) + eps)
    return np.vectorize(sizes.get, otypes=[float])(k)


MUTANTS["09.rmsprop_step_size"] = [
    Mutant(
        "bias-corrected",
        lambda g, lr, alpha, eps, k: lr * abs(g) / (abs(g) + eps) + 0 * np.asarray(k),
        "That is Adam's step, corrected for the average's start at 0. RMSProp corrects nothing: "
        "after k equal gradients its average is only a fraction of g**2, so early steps are "
        "larger than lr.",
    ),
    Mutant(
        "one update late",
        lambda g, lr, alpha, eps, k: (
            lr * abs(g) / (np.sqrt(1 - alpha ** (np.asarray(k) - 1)) * abs(g) + eps)
        ),
        "The first update (k = 1) already includes its own gradient in the average.",
    ),
    Mutant(
        "eps inside the root",
        lambda g, lr, alpha, eps, k: (
            lr * abs(g) / np.sqrt((1 - alpha ** np.asarray(k)) * g**2 + eps)
        ),
        "PyTorch adds eps after the square root: sqrt(v) + eps.",
    ),
    Mutant(
        "no square root",
        lambda g, lr, alpha, eps, k: lr * abs(g) / ((1 - alpha ** np.asarray(k)) * abs(g) + eps),
        "The average is of squared gradients; RMSProp divides by its square root.",
    ),
]

ALTERNATES["09.rmsprop_step_size"] = [
    _step_size_by_running,
    lambda g, lr, alpha, eps, k: lr / (np.sqrt(1 - np.power(alpha, k)) + eps / abs(g)),
]
