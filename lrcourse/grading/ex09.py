"""Exercises of lecture 09: RMSProp.

RMSProp's update as PyTorch runs it (a moving average of squared gradients with weight
1 - alpha on the new one, eps outside the square root, no bias correction), the centered
variant, and every parameter's effective learning rate from a history of gradients. References
come from ``lrcourse.optimizers.rmsprop`` and ``lrcourse.explorers.rmsprop``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex09.py``.
"""

import numpy as np

from lrcourse.optimizers import rmsprop
from lrcourse.theory import rmsprop_effective_lr

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden, quadratic_path
from .spec import Exercise, Hidden

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


rmsprop_path = Exercise(
    id="09.rmsprop_path",
    key=(
        "alpha * square_avg + (1 - alpha) * g**2",
        r"\alpha v_{k-1} + (1-\alpha) g_k^2",
        r"\alpha v_{t-1} + (1-\alpha) g_t^2",
    ),
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


# --- 09.centered_rmsprop_path ------------------------------------------------------------------


def _centered_path(hessian, x0, lr, alpha, eps, steps):
    return quadratic_path(rmsprop(lr=lr, alpha=alpha, eps=eps, centered=True), hessian, x0, steps)


centered_rmsprop_path = Exercise(
    id="09.centered_rmsprop_path",
    key=(
        "np.sqrt(square_avg - grad_avg**2)",
        r"v_k - \bar g_k^2",
        r"v_t - \bar g_t^2",
    ),
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


_G1 = np.random.default_rng(9).standard_normal((8, 3)).round(3)
_SHRINK = A([[1.0, 2.0], [0.5, -1.0], [0.1, 0.5], [0.01, -0.2], [0.01, 0.1], [0.001, 0.0]])

rmsprop_effective_lr_exercise = Exercise(
    id="09.rmsprop_effective_lr",
    key=(
        "lr / (sqrt(square_avg) + eps)",
        "lr / (np.sqrt(square_avg) + eps)",
        r"\eta/(\sqrt{v_k} + \epsilon)",
        r"\eta/(\sqrt{v_t} + \epsilon)",
        r"\frac{\eta}{\sqrt{v_k} + \epsilon}",
        r"\frac{\eta}{\sqrt{v_t} + \epsilon}",
    ),
    title="Every parameter's effective learning rate",
    reference=_effective_lr,
    cases=[
        dict(grads=A([[1.0], [1.0], [1.0], [1.0]]), lr=0.01, alpha=0.99, eps=1e-8),
        dict(grads=_G1, lr=0.5, alpha=0.9, eps=0.1),
        dict(grads=_SHRINK, lr=1.0, alpha=0.5, eps=1e-3),
        dict(grads=A([[0.01, 100.0], [0.02, -50.0], [-0.01, 10.0]]), lr=0.01, alpha=0.9, eps=1e-8),
        dict(grads=_G1[:, :1] * 3, lr=2.0, alpha=0.8, eps=1.0),
    ],
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


# --- 09.rmsprop_step_size (derive) -------------------------------------------------------------


def _rmsprop_step_size(g, lr, alpha, eps, k):
    # under a constant gradient the average is v_k = (1 - alpha**k) g**2 (no bias correction)
    k = np.asarray(k)
    return lr * abs(g) / (np.sqrt(1 - alpha**k) * abs(g) + eps)


rmsprop_step_size = Exercise(
    id="09.rmsprop_step_size",
    kind="derive",
    key=(
        "np.sqrt(1 - alpha**k)",
        "sqrt(1 - alpha^k)",
        r"\sqrt{1-\alpha^k}",
        r"\sqrt{1-\alpha^t}",
    ),
    title="Derive: RMSProp's step under a constant gradient",
    reference=_rmsprop_step_size,
    cases=[
        dict(g=1.0, lr=0.01, alpha=0.99, eps=1e-8, k=1),
        dict(g=-3.0, lr=0.01, alpha=0.99, eps=1e-8, k=np.arange(1, 6)),
        dict(g=1e-7, lr=0.1, alpha=0.9, eps=1e-6, k=A([1, 10, 100])),
        dict(g=2.0, lr=0.001, alpha=0.5, eps=0.1, k=A([[1, 2], [3, 4]])),
    ],
    hints={"shape": "Return one step size per k: the same shape as k (a number for an int)."},
    hidden_cases=[
        Hidden(
            "late updates (k in the thousands)",
            dict(g=0.5, lr=0.01, alpha=0.999, eps=1e-8, k=A([1000, 5000, 20000])),
        ),
        Hidden(
            "a gradient far smaller than eps",
            dict(g=-1e-10, lr=1.0, alpha=0.99, eps=1e-8, k=A([1, 50])),
        ),
        Hidden("a fast average (alpha = 0.1)", dict(g=4.0, lr=0.3, alpha=0.1, eps=1e-3, k=3)),
    ],
)

EXERCISES = [rmsprop_path, centered_rmsprop_path, rmsprop_effective_lr_exercise, rmsprop_step_size]
