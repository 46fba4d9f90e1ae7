"""Lecture 08's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex08.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 08.adagrad_path --------------------------------------------------------------------------


def _adagrad_with(
    accumulate=lambda s, g: s + g * g, scale=lambda s, eps: np.sqrt(s) + eps, before=False
):
    """AdaGrad loops with one line changed, as a learner's bug would change it."""

    def run(hessian, x0, lr, eps, steps):
        x, s, path = x0, np.zeros_like(x0, dtype=float), [x0]
        for _ in range(steps):
            g = hessian @ x
            if before:  # the step uses the sum without the current gradient
                step = lr * g / scale(s, eps)
                s = accumulate(s, g)
            else:
                s = accumulate(s, g)
                step = lr * g / scale(s, eps)
            x = x - step
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _adagrad_norm(hessian, x0, lr, eps, steps):
    # Keep the root of the sum instead: r = sqrt(r^2 + g^2), the running norm of each coordinate.
    x, r, path = x0, np.zeros_like(x0, dtype=float), [x0]
    for _ in range(steps):
        g = hessian @ x
        r = np.hypot(r, g)
        x = x - lr * g / (r + eps)
        path.append(x)
    return np.array(path)


def _adagrad_history(hessian, x0, lr, eps, steps):
    # Keep every gradient and sum their squares afresh each step (slow, but right).
    path, grads = [x0], []
    for _ in range(steps):
        grads.append(hessian @ path[-1])
        total = np.sum(np.square(grads), axis=0)
        path.append(path[-1] - lr * grads[-1] / (np.sqrt(total) + eps))
    return np.array(path)


def _mean_squares(hessian, x0, lr, eps, steps):
    x, s, path = x0, np.zeros_like(x0, dtype=float), [x0]
    for k in range(steps):
        g = hessian @ x
        s = s + g * g
        x = x - lr * g / (np.sqrt(s / (k + 1)) + eps)
        path.append(x)
    return np.array(path).reshape(-1, len(x0))


MUTANTS["08.adagrad_path"] = [
    Mutant(
        "eps inside the root",
        _adagrad_with(scale=lambda s, eps: np.sqrt(s + eps)),
        "PyTorch adds eps after the square root: sqrt(sum) + eps. Keras and Optax put it "
        "inside, sqrt(sum + eps): a different optimizer when eps is not tiny.",
    ),
    Mutant(
        "sum of gradients",
        _adagrad_with(accumulate=lambda s, g: s + g),
        "Accumulate the squared gradients, sum + g**2, not the gradients themselves.",
    ),
    Mutant(
        "sum of |g|",
        _adagrad_with(accumulate=lambda s, g: s + np.abs(g)),
        "Accumulate the squared gradients, sum + g**2, and divide by the square root.",
    ),
    Mutant(
        "no square root",
        _adagrad_with(scale=lambda s, eps: s + eps),
        "Divide by the square root of the sum: sqrt(sum) + eps.",
    ),
    Mutant(
        "sum one step late",
        _adagrad_with(before=True),
        "Add the current gradient's square to the sum first, then divide by its root: the "
        "first step is lr * g / (|g| + eps), about lr * sign(g).",
    ),
    Mutant(
        "mean of squares",
        _mean_squares,
        "AdaGrad divides by the root of the *sum* of squared gradients, not of their mean: "
        "that is what makes its rates fall like 1 / sqrt(t).",
    ),
]

ALTERNATES["08.adagrad_path"] = [_adagrad_norm, _adagrad_history]

# --- 08.effective_lr --------------------------------------------------------------------------


def _rates_loop(grads, lr, eps):
    out, s = np.zeros_like(grads, dtype=float), np.zeros(grads.shape[1:])
    for t, g in enumerate(grads):
        s = s + g**2
        out[t] = lr / (np.sqrt(s) + eps)
    return out


def _rates_with(total=lambda g: np.cumsum(g**2, axis=0), scale=lambda s, eps: np.sqrt(s) + eps):
    def answer(grads, lr, eps):
        return lr / scale(total(grads), eps)

    return answer


MUTANTS["08.effective_lr"] = [
    Mutant(
        "eps inside the root",
        _rates_with(scale=lambda s, eps: np.sqrt(s + eps)),
        "PyTorch adds eps after the square root: lr / (sqrt(sum) + eps).",
    ),
    Mutant(
        "current gradient left out",
        _rates_with(
            total=lambda g: np.cumsum(np.concatenate([np.zeros_like(g[:1]), g[:-1] ** 2]), 0)
        ),
        "The sum includes the current gradient: step t divides by the root of g_0^2 + ... + g_t^2.",
    ),
    Mutant(
        "sum of gradients",
        _rates_with(total=lambda g: np.abs(np.cumsum(g, axis=0))),
        "Accumulate squared gradients, g**2, over the steps (np.cumsum(grads**2, axis=0)).",
    ),
    Mutant(
        "no square root",
        _rates_with(scale=lambda s, eps: s + eps),
        "Divide by the square root of the sum of squares.",
    ),
    Mutant(
        "total over all steps",
        _rates_with(total=lambda g: np.broadcast_to(np.sum(g**2, axis=0), g.shape)),
        "Each step has its own rate: use the running sum up to that step (np.cumsum), not "
        "the total over all steps.",
    ),
    Mutant(
        "summed over parameters",
        _rates_with(total=lambda g: np.cumsum(np.sum(g**2, axis=1, keepdims=True), 0) + 0 * g),
        "Each parameter keeps its own sum: accumulate along the steps (axis 0) only.",
    ),
]

ALTERNATES["08.effective_lr"] = [
    _rates_loop,
    lambda grads, lr, eps: lr / (np.sqrt(np.add.accumulate(np.square(grads))) + eps),
]

# --- 08.adagrad_lr_decay ----------------------------------------------------------------------


MUTANTS["08.adagrad_lr_decay"] = [
    Mutant(
        "one step late",
        lambda lr, lr_decay, step: lr / (1 + (np.asarray(step) + 1) * lr_decay),
        "The first update (step 0) uses lr itself: lr / (1 + step * lr_decay). PyTorch "
        "writes it with t = step + 1 as lr / (1 + (t - 1) * lr_decay).",
    ),
    Mutant(
        "exponential",
        lambda lr, lr_decay, step: lr * (1 - lr_decay) ** np.asarray(step),
        "lr_decay is an inverse-time decay, lr / (1 + step * lr_decay), not a factor per step.",
    ),
    Mutant(
        "power",
        lambda lr, lr_decay, step: lr / (1 + lr_decay) ** np.asarray(step),
        "lr_decay is an inverse-time decay, lr / (1 + step * lr_decay): the denominator "
        "grows linearly, not geometrically.",
    ),
    Mutant(
        "linear",
        lambda lr, lr_decay, step: lr * (1 - np.asarray(step) * lr_decay),
        "Divide by (1 + step * lr_decay); multiplying by (1 - step * lr_decay) would turn "
        "negative.",
    ),
    Mutant(
        "multiplied",
        lambda lr, lr_decay, step: lr * (1 + np.asarray(step) * lr_decay),
        "The rate falls with the step: divide by (1 + step * lr_decay).",
    ),
]

ALTERNATES["08.adagrad_lr_decay"] = [
    lambda lr, lr_decay, step: lr / (1.0 + lr_decay * np.asarray(step, dtype=float)),
    lambda lr, lr_decay, step: np.divide(lr, np.add(1, np.multiply(step, lr_decay))),
]
