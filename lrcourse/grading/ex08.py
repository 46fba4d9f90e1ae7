"""Exercises of lecture 08: AdaGrad.

AdaGrad's update as PyTorch runs it (sum of squared gradients, eps outside the square root), the
effective learning rate lr / (sqrt(sum g^2) + eps) of every parameter at every step, and PyTorch's
``lr_decay``. References come from ``lrcourse.optimizers.adagrad`` and
``lrcourse.explorers.adagrad``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex08.py``.
"""

import numpy as np

from lrcourse.optimizers import AdagradState, adagrad
from lrcourse.problems import Quadratic
from lrcourse.theory import adagrad_effective_lr as effective_lr

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden
from .spec import Exercise, Hidden

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


adagrad_path = Exercise(
    id="08.adagrad_path",
    key=(
        "g / (np.sqrt(total) + eps)",
        r"\frac{\eta}{\sqrt{s_k} + \epsilon}",
        r"s_k = s_{k-1} + g_k^2",
        r"g/(\sqrt{s} + \epsilon)",
    ),
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
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(dict(lr=0.3, eps=1e-8), dict(lr=0.5, eps=1e-10), dict(lr=0.4, eps=0.1))
    + [Hidden("a large eps", dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=2.0, eps=5.0, steps=8))],
)


# --- 08.effective_lr ---------------------------------------------------------------------------


def _effective_lr(grads, lr, eps):
    return effective_lr(grads, lr=lr, eps=eps)


_G1 = np.random.default_rng(8).standard_normal((8, 3)).round(3)
_SPARSE = A([[0.0, 2.0], [0.0, -1.0], [3.0, 0.5], [0.0, 0.5], [-1.0, 0.0], [0.0, 0.0]])

effective_lr_exercise = Exercise(
    id="08.effective_lr",
    key=(
        "np.sqrt(np.cumsum(grads**2, axis=0))",
        "lr / (sqrt(running sum of g**2) + eps)",
        r"\sqrt{g_0^2 + g_1^2 + \dots + g_k^2}",
        r"(\sqrt{s_t} + \epsilon)",
    ),
    title="Every parameter's effective learning rate",
    reference=_effective_lr,
    cases=[
        dict(grads=A([[1.0], [1.0], [1.0], [1.0]]), lr=0.1, eps=1e-10),
        dict(grads=_G1, lr=0.5, eps=0.1),
        dict(grads=_SPARSE, lr=1.0, eps=1e-3),
        dict(grads=A([[0.01, 100.0], [0.02, -50.0], [-0.01, 10.0]]), lr=0.01, eps=1e-8),
        dict(grads=_G1[:, :1] * 3, lr=2.0, eps=1.0),
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
    key=(
        "lr / (1 + step * lr_decay)",
        "lr / (1 + np.asarray(step) * lr_decay)",
        r"1 + \text{step} \cdot \text{lr\_decay}",
        r"1 + (t - 1)\,\text{lr\_decay}",
    ),
    title="AdaGrad's lr_decay",
    reference=_lr_decay,
    cases=[
        dict(lr=0.1, lr_decay=0.01, step=0),
        dict(lr=0.1, lr_decay=0.01, step=1),
        dict(lr=0.5, lr_decay=0.1, step=A([0, 1, 2, 10, 100])),
        dict(lr=1.0, lr_decay=0.0, step=A([0, 5, 50])),
        dict(lr=0.01, lr_decay=1e-3, step=A([0, 999, 10_000])),
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
