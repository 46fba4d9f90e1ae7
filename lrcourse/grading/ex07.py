"""Exercises of lecture 07: momentum and Nesterov.

PyTorch's heavy-ball update (the buffer starts at the first gradient, undamped; then
buf = momentum * buf + (1 - dampening) * g), Nesterov's update g + momentum * buf, the stability
bound 2 (1 + momentum) / L, and Polyak's tuned learning rate and momentum for a quadratic.
References come from ``lrcourse.optimizers.sgd``, ``lrcourse.problems`` and
``lrcourse.explorers.momentum``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex07.py``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic
from lrcourse.theory import max_stable_lr, optimal_momentum

from .ex01 import (
    DENSE,
    DIAG,
    FIVE,
    HESSIAN_HIDDEN,
    ONE,
    STIFF,
    TILTED,
    TURNED,
    path_hidden,
    quadratic_path,
)
from .spec import Exercise, Hidden

TITLE = "Momentum and Nesterov"
NOTEBOOK = "07_momentum"

A = np.array


# --- 07.momentum_path --------------------------------------------------------------------------


def _momentum_path(hessian, x0, lr, momentum, dampening, steps):
    return quadratic_path(sgd(lr=lr, momentum=momentum, dampening=dampening), hessian, x0, steps)


momentum_path = Exercise(
    id="07.momentum_path",
    key=(
        "momentum * buf + (1 - dampening) * g",
        r"\beta\, b_{k-1} + (1 - \tau)\, g_k",
        r"\beta b + (1-\tau) g",
    ),
    title="Heavy-ball momentum as PyTorch runs it",
    reference=_momentum_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, dampening=0.0, steps=6),
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, dampening=0.5, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, momentum=0.5, dampening=0.5, steps=10),
        dict(hessian=ONE, x0=A([1.0]), lr=0.2, momentum=0.8, dampening=0.8, steps=8),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.1, momentum=0.7, dampening=0.1, steps=7),
        dict(hessian=TILTED, x0=A([1.0, 1.0]), lr=0.1, momentum=0.0, dampening=0.0, steps=5),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, momentum=0.9, dampening=0.3, steps=0),
    ],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, momentum=0.8, dampening=0.2),
        dict(lr=0.01, momentum=0.95, dampening=0.0),
        dict(lr=0.1, momentum=0.9, dampening=0.5),
    )
    + [
        Hidden(
            "dampening equal to momentum",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.2, momentum=0.6, dampening=0.6, steps=8),
        )
    ],
)


# --- 07.nesterov_path --------------------------------------------------------------------------


def _nesterov_path(hessian, x0, lr, momentum, steps):
    return quadratic_path(sgd(lr=lr, momentum=momentum, nesterov=True), hessian, x0, steps)


nesterov_path = Exercise(
    id="07.nesterov_path",
    key=(
        "g + momentum * buf",
        r"g_k + \beta\, b_k",
        r"g + \beta b",
    ),
    title="Nesterov momentum in PyTorch's form",
    reference=_nesterov_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, momentum=0.9, steps=6),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, momentum=0.5, steps=10),
        dict(hessian=ONE, x0=A([1.0]), lr=0.2, momentum=0.8, steps=8),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.1, momentum=0.7, steps=7),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, momentum=0.9, steps=0),
    ],
    hints={"shape": "Return steps + 1 points: x0 first, then one point after each update."},
    hidden_cases=path_hidden(
        dict(lr=0.05, momentum=0.8), dict(lr=0.01, momentum=0.95), dict(lr=0.1, momentum=0.9)
    )
    + [
        Hidden(
            "a small momentum and a large rate",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.4, momentum=0.1, steps=6),
        )
    ],
)


# --- 07.momentum_max_lr ------------------------------------------------------------------------


def _max_lr(hessian, momentum):
    return max_stable_lr(Quadratic(hessian).L, momentum)


momentum_max_lr = Exercise(
    id="07.momentum_max_lr",
    key=(
        "2 (1 + beta) / L",
        "2 * (1 + momentum) /",
        r"\frac{2\,(1 + \beta)}{L}",
        r"2(1+\beta)",
    ),
    title="The largest stable learning rate with momentum",
    reference=_max_lr,
    cases=[
        dict(hessian=DIAG, momentum=0.9),
        dict(hessian=TILTED, momentum=0.5),
        dict(hessian=DENSE, momentum=0.0),
        dict(hessian=ONE, momentum=0.99),
        dict(hessian=TURNED, momentum=0.3),
    ],
    hidden_cases=[
        Hidden("a larger, dense Hessian (5 x 5)", dict(hessian=FIVE, momentum=0.6)),
        Hidden(
            "a very ill-conditioned Hessian, momentum near 1", dict(hessian=STIFF, momentum=0.999)
        ),
        Hidden(
            "a 3 x 3 diagonal Hessian in no particular order",
            dict(hessian=np.diag([3.0, 0.5, 8.0]), momentum=0.45),
        ),
    ],
)


# --- 07.polyak_momentum ------------------------------------------------------------------------


def _polyak(hessian):
    q = Quadratic(hessian)
    lr, beta, _ = optimal_momentum(q.mu, q.L)
    return np.array([lr, beta])


polyak_momentum = Exercise(
    id="07.polyak_momentum",
    key=(
        "4 / (np.sqrt(L) + np.sqrt(mu)) ** 2",
        "(root_kappa - 1) / (root_kappa + 1)",
        r"\frac{4}{(\sqrt{L} + \sqrt{\mu})^2}",
        r"4/(\sqrt L + \sqrt\mu)^2",
        r"\frac{4}{(\sqrt L + \sqrt\mu)^2}",
        r"\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}",
        r"\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}",
        r"(\sqrt\kappa - 1)/(\sqrt\kappa + 1)",
    ),
    title="Polyak's tuned learning rate and momentum",
    reference=_polyak,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=A([[5.0]])),
        dict(hessian=TURNED),
    ],
    hints={"shape": "Return two numbers, [lr, momentum]."},
    hidden_cases=HESSIAN_HIDDEN,
)

EXERCISES = [momentum_path, nesterov_path, momentum_max_lr, polyak_momentum]
