"""Exercises of lecture 08: AdaGrad.

AdaGrad's update as PyTorch runs it (sum of squared gradients, eps outside the square root), the
effective learning rate lr / (sqrt(sum g^2) + eps) of every parameter at every step, and PyTorch's
``lr_decay``. References come from ``lrcourse.optimizers.adagrad`` and
``lrcourse.explorers.adagrad``.
"""

import numpy as np

from lrcourse.explorers.adagrad import effective_lr
from lrcourse.optimizers import AdagradState, adagrad
from lrcourse.problems import Quadratic

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden
from .spec import Exercise, Hidden, Mutant

TITLE = "AdaGrad"
NOTEBOOK = "08_adagrad"

A = np.array


# --- 08.adagrad_path ---------------------------------------------------------------------------


def _adagrad_path(hessian, x0, lr, eps, steps):
    problem, opt = Quadratic(hessian), adagrad(lr=lr, eps=eps)
    x, state, path = x0, opt.init(x0), [x0]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        path.append(x)
    return np.array(path)


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


adagrad_path = Exercise(
    id="08.adagrad_path",
    title="AdaGrad on a quadratic, as PyTorch runs it",
    reference=_adagrad_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.5, eps=0.1, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.3, eps=1e-10, steps=10),
        dict(hessian=ONE, x0=A([2.0]), lr=1.0, eps=1.0, steps=5),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.2, eps=0.01, steps=8),
        dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.1, eps=0.5, steps=12),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, eps=1e-10, steps=0),
    ],
    mutants=[
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
    ],
    alternates=[_adagrad_norm, _adagrad_history],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(dict(lr=0.3, eps=1e-8), dict(lr=0.5, eps=1e-10), dict(lr=0.4, eps=0.1))
    + [Hidden("a large eps", dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=2.0, eps=5.0, steps=8))],
)


# --- 08.effective_lr ---------------------------------------------------------------------------


def _effective_lr(grads, lr, eps):
    return effective_lr(grads, lr=lr, eps=eps)


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


_G1 = np.random.default_rng(8).standard_normal((8, 3)).round(3)
_SPARSE = A([[0.0, 2.0], [0.0, -1.0], [3.0, 0.5], [0.0, 0.5], [-1.0, 0.0], [0.0, 0.0]])

effective_lr_exercise = Exercise(
    id="08.effective_lr",
    title="Every parameter's effective learning rate",
    reference=_effective_lr,
    cases=[
        dict(grads=A([[1.0], [1.0], [1.0], [1.0]]), lr=0.1, eps=1e-10),
        dict(grads=_G1, lr=0.5, eps=0.1),
        dict(grads=_SPARSE, lr=1.0, eps=1e-3),
        dict(grads=A([[0.01, 100.0], [0.02, -50.0], [-0.01, 10.0]]), lr=0.01, eps=1e-8),
        dict(grads=_G1[:, :1] * 3, lr=2.0, eps=1.0),
    ],
    mutants=[
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
            "The sum includes the current gradient: step t divides by the root of "
            "g_0^2 + ... + g_t^2.",
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
    ],
    alternates=[
        _rates_loop,
        lambda grads, lr, eps: lr / (np.sqrt(np.add.accumulate(np.square(grads))) + eps),
    ],
    hints={"shape": "Return one rate per gradient: an array of the same shape as grads."},
    hidden_cases=[
        Hidden(
            "a long history of more parameters (shape (50, 4))",
            dict(
                grads=np.random.default_rng(80).standard_normal((50, 4)).round(3), lr=0.05, eps=1e-8
            ),
        ),
        Hidden("a single step", dict(grads=A([[0.5, -2.0, 0.0]]), lr=0.3, eps=0.01)),
        Hidden(
            "gradients that grow a hundredfold per step",
            dict(grads=np.outer([0.01, 1.0, 100.0, 1e4], [1.0, -0.5]), lr=1.0, eps=1e-6),
        ),
    ],
)


# --- 08.adagrad_lr_decay -----------------------------------------------------------------------


def _lr_decay(lr, lr_decay, step):
    # The rate lrcourse's adagrad uses at update ``step``: with g = 1, eps = 0 and an empty sum,
    # the update moves params by exactly that rate.
    step = np.asarray(step)
    opt = adagrad(lr=lr, lr_decay=lr_decay, eps=0.0)
    state = AdagradState(step, np.zeros(step.shape))
    params, _ = opt.step(np.zeros(step.shape), np.ones(step.shape), state)
    return -params


adagrad_lr_decay = Exercise(
    id="08.adagrad_lr_decay",
    title="AdaGrad's lr_decay",
    reference=_lr_decay,
    cases=[
        dict(lr=0.1, lr_decay=0.01, step=0),
        dict(lr=0.1, lr_decay=0.01, step=1),
        dict(lr=0.5, lr_decay=0.1, step=A([0, 1, 2, 10, 100])),
        dict(lr=1.0, lr_decay=0.0, step=A([0, 5, 50])),
        dict(lr=0.01, lr_decay=1e-3, step=A([0, 999, 10_000])),
    ],
    mutants=[
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
    ],
    alternates=[
        lambda lr, lr_decay, step: lr / (1.0 + lr_decay * np.asarray(step, dtype=float)),
        lambda lr, lr_decay, step: np.divide(lr, np.add(1, np.multiply(step, lr_decay))),
    ],
    hidden_cases=[
        Hidden(
            "steps far beyond the visible ones",
            dict(lr=0.3, lr_decay=0.05, step=A([0, 100_000, 1_000_000])),
        ),
        Hidden("an int step with a large lr_decay", dict(lr=0.2, lr_decay=2.0, step=3)),
        Hidden(
            "a small lr_decay over many steps",
            dict(lr=1.0, lr_decay=1e-5, step=np.arange(0, 200_000, 20_000)),
        ),
    ],
)

EXERCISES = [adagrad_path, effective_lr_exercise, adagrad_lr_decay]
