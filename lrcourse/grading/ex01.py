"""Exercises of lecture 01: gradient descent and the learning rate.

The model problem is the quadratic f(x) = 1/2 x^T H x with H symmetric positive definite, whose
gradient is H x. References come from ``lrcourse.optimizers.sgd`` and ``lrcourse.problems``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic, quadratic

from .spec import Exercise, Hidden, Mutant

TITLE = "Gradient descent and the learning rate"
NOTEBOOK = "01_gradient_descent"

# The learner writes these formulas; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.problems": "uses lrcourse.problems",
}

A = np.array  # the cases below are easier to read with a short name

# Hessians the cases share: axis-aligned, a tilted 2x2, a dense 3x3, 1-D, and an
# ill-conditioned bowl turned by 30 degrees (its diagonal is not its eigenvalues).
DIAG = A([[1.0, 0.0], [0.0, 10.0]])
TILTED = A([[2.0, 1.0], [1.0, 3.0]])
DENSE = A([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]])
ONE = A([[4.0]])
TURNED = quadratic(condition=100.0, angle=np.pi / 6).hessian
# Only in hidden cases: a dense 5x5 (diagonally dominant, so positive definite) and a turned bowl
# far stiffer than TURNED.
FIVE = A(
    [
        [5.0, 1.0, 0.5, 0.0, 0.2],
        [1.0, 4.0, 0.3, 0.6, 0.0],
        [0.5, 0.3, 3.0, 0.4, 0.1],
        [0.0, 0.6, 0.4, 2.0, 0.3],
        [0.2, 0.0, 0.1, 0.3, 1.0],
    ]
)
FIVE_X0 = A([1.0, -1.0, 0.5, 2.0, -0.5])  # a start for FIVE
STIFF = quadratic(condition=1e4, angle=0.4).hessian

# The hidden cases of every exercise whose one input is a Hessian (here and in 02, 07).
HESSIAN_HIDDEN = [
    Hidden("a larger, dense Hessian (5 x 5)", dict(hessian=FIVE)),
    Hidden("a very ill-conditioned, turned Hessian", dict(hessian=STIFF)),
    Hidden(
        "a 3 x 3 diagonal Hessian in no particular order", dict(hessian=np.diag([3.0, 0.5, 8.0]))
    ),
]


# --- 01.gd_step --------------------------------------------------------------------------------


def _gd_step(params, grads, lr):
    opt = sgd(lr=lr)
    return opt.step(params, grads, opt.init(params))[0]


def _gd_step_in_place(params, grads, lr):
    params -= lr * grads
    return params


def _gd_step_loop(params, grads, lr):
    out = np.array(params, dtype=float)
    for i in np.ndindex(out.shape):
        out[i] = out[i] - lr * grads[i]
    return out


gd_step = Exercise(
    id="01.gd_step",
    title="One step of gradient descent",
    reference=_gd_step,
    cases=[
        dict(params=A([1.0, -2.0]), grads=A([0.5, 0.5]), lr=0.1),
        dict(params=A([3.0]), grads=A([-4.0]), lr=0.25),
        dict(params=A([0.0, 0.0, 0.0]), grads=A([1.0, 2.0, 3.0]), lr=1e-3),
        dict(params=A([[1.0, 2.0], [3.0, 4.0]]), grads=A([[0.1, -0.2], [1.0, 1.0]]), lr=0.5),
        dict(params=A([2.0, -1.0]), grads=A([0.0, 0.0]), lr=10.0),
    ],
    mutants=[
        Mutant(
            "wrong sign",
            lambda params, grads, lr: params + lr * grads,
            "The gradient points uphill; gradient descent steps the other way: "
            "params - lr * grads.",
        ),
        Mutant(
            "lr ignored",
            lambda params, grads, lr: params - grads,
            "Scale the gradient by the learning rate before subtracting it.",
        ),
        Mutant(
            "lr divides",
            lambda params, grads, lr: params - grads / lr,
            "The learning rate multiplies the gradient; it does not divide it.",
        ),
        Mutant(
            "step only",
            lambda params, grads, lr: -lr * grads,
            "Return the new parameters, params - lr * grads, not only the change.",
        ),
        Mutant("in place", _gd_step_in_place, "(reported as a mutated input)"),
    ],
    alternates=[
        lambda params, grads, lr: np.subtract(params, lr * grads),
        lambda params, grads, lr: params + (-lr) * grads,
        _gd_step_loop,
    ],
    hidden_cases=[
        Hidden(
            "a larger array (shape (4, 3))",
            dict(
                params=np.arange(12.0).reshape(4, 3) - 5,
                grads=np.linspace(-1, 1, 12).reshape(4, 3),
                lr=0.07,
            ),
        ),
        Hidden(
            "a 3-D array of parameters",
            dict(params=np.ones((2, 2, 2)), grads=np.arange(8.0).reshape(2, 2, 2), lr=0.3),
        ),
        Hidden(
            "lr = 0",
            dict(params=A([0.5, -1.5, 2.5]), grads=A([3.0, -2.0, 1.0]), lr=0.0),
        ),
    ],
)


# --- 01.gradient_descent -----------------------------------------------------------------------


def path_hidden(larger, many, single):
    """The hidden cases every "path" exercise shares, each given the exercise's other inputs.

    A larger problem (5-D) over 10 steps, the turned bowl over 40, and a single update in 3-D;
    ``larger`` and the others hold the inputs between x0 and steps (lr, momentum, ...)."""
    return [
        Hidden("a larger problem (shape (5,))", dict(hessian=FIVE, x0=FIVE_X0, **larger, steps=10)),
        Hidden("many steps", dict(hessian=TURNED, x0=A([1.0, 2.0]), **many, steps=40)),
        Hidden(
            "steps=1 (a single update)",
            dict(hessian=DENSE, x0=A([2.0, 0.0, -1.0]), **single, steps=1),
        ),
    ]


def quadratic_path(opt, hessian, x0, steps):
    """The points ``opt`` visits on 1/2 x^T H x: x0, then one per update.

    The reference of every "path" exercise (here and in lectures 07-10)."""
    problem = Quadratic(hessian)
    x, state, path = x0, opt.init(x0), [x0]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        path.append(x)
    return np.array(path)


def _gradient_descent(hessian, x0, lr, steps):
    return quadratic_path(sgd(lr=lr), hessian, x0, steps)


def _gd_with(update_count, start=True, grad=lambda h, x, x0: h @ x, sign=-1.0):
    """Wrong gradient-descent loops: too few/many updates, no start, a wrong gradient."""

    def run(hessian, x0, lr, steps):
        x, path = x0, [x0] if start else []
        for _ in range(max(update_count(steps), 0)):
            x = x + sign * lr * grad(hessian, x, x0)
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _gd_aliased(hessian, x0, lr, steps):
    x, path = x0, [x0]
    for _ in range(steps):
        x -= lr * hessian @ x  # changes x0 itself, and every row of path is the same array
        path.append(x)
    return np.array(path)


def _gd_closed_form(hessian, x0, lr, steps):
    contraction = np.eye(len(x0)) - lr * hessian  # x_k = (I - lr H)^k x0
    return np.array([np.linalg.matrix_power(contraction, k) @ x0 for k in range(steps + 1)])


def _gd_preallocated(hessian, x0, lr, steps):
    path = np.empty((steps + 1, len(x0)))
    path[0] = x0
    for k in range(steps):
        path[k + 1] = path[k] - lr * (hessian @ path[k])
    return path


_OFF_BY_ONE = (
    "Count the rows: `steps` updates visit steps + 1 points, the start x0 first and then one "
    "point after each update."
)

gradient_descent = Exercise(
    id="01.gradient_descent",
    title="Gradient descent on a quadratic",
    reference=_gradient_descent,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, steps=5),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, steps=10),
        dict(hessian=ONE, x0=A([1.0]), lr=0.45, steps=4),
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.25, steps=8),
        dict(hessian=DENSE, x0=A([1.0, -1.0, 2.0]), lr=0.2, steps=6),
        dict(hessian=DIAG, x0=A([3.0, -1.0]), lr=0.1, steps=0),
    ],
    mutants=[
        Mutant("no start", _gd_with(lambda s: s, start=False), _OFF_BY_ONE),
        Mutant("one update short", _gd_with(lambda s: s - 1), _OFF_BY_ONE),
        Mutant("one update extra", _gd_with(lambda s: s + 1), _OFF_BY_ONE),
        Mutant(
            "wrong sign",
            _gd_with(lambda s: s, sign=1.0),
            "Step against the gradient: x - lr * H x. With + the iterates climb the bowl.",
        ),
        Mutant(
            "gradient without H",
            _gd_with(lambda s: s, grad=lambda h, x, x0: x),
            "The gradient of 1/2 x^T H x is H x (hessian @ x), not x.",
        ),
        Mutant(
            "stale gradient",
            _gd_with(lambda s: s, grad=lambda h, x, x0: h @ x0),
            "Evaluate the gradient at the current point x in every step, not at the start x0.",
        ),
        Mutant("aliased rows", _gd_aliased, "(reported as a mutated input)"),
    ],
    alternates=[_gd_closed_form, _gd_preallocated],
    hints={"shape": _OFF_BY_ONE},
    hidden_cases=path_hidden(dict(lr=0.15), dict(lr=0.015), dict(lr=0.3))
    + [
        Hidden(
            "a rate past 2 / L, where the iterates grow",
            dict(hessian=TILTED, x0=A([0.5, -1.0]), lr=0.6, steps=12),
        )
    ],
)


# --- 01.max_stable_lr --------------------------------------------------------------------------


def _power_iteration(hessian):
    v = np.ones(len(hessian))
    for _ in range(500):
        v = hessian @ v
        v = v / np.linalg.norm(v)
    return 2 / (v @ hessian @ v)  # the Rayleigh quotient of the top eigenvector is L


_EIGEN = (
    "The diagonal of H holds its eigenvalues only when H is diagonal; for the others use "
    "np.linalg.eigvalsh(hessian)."
)

max_stable_lr = Exercise(
    id="01.max_stable_lr",
    title="The largest stable learning rate, 2 / L",
    reference=lambda hessian: 2 / Quadratic(hessian).L,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=ONE),
        dict(hessian=A([[10.0, 0.0], [0.0, 1.0]])),
        dict(hessian=TURNED),
    ],
    mutants=[
        Mutant(
            "1/L",
            lambda hessian: 1 / np.linalg.eigvalsh(hessian).max(),
            "At lr = 1/L the stiffest direction reaches its minimum in one step; gradient "
            "descent only diverges beyond twice that: 2 / L.",
        ),
        Mutant(
            "2/mu",
            lambda hessian: 2 / np.linalg.eigvalsh(hessian).min(),
            "Use the largest eigenvalue L: the stiffest direction is the first to blow up.",
        ),
        Mutant("diagonal", lambda hessian: 2 / np.max(np.diag(hessian)), _EIGEN),
        Mutant(
            "trace",
            lambda hessian: 2 / np.trace(hessian),
            "The trace is the sum of all eigenvalues; the bound needs only the largest, L.",
        ),
        Mutant(
            "Frobenius norm",
            lambda hessian: 2 / np.linalg.norm(hessian),
            "np.linalg.norm(H) is the Frobenius norm, not the largest eigenvalue; "
            "np.linalg.norm(H, 2) or np.linalg.eigvalsh(H).max() is.",
        ),
    ],
    alternates=[
        lambda hessian: 2 / np.linalg.norm(hessian, 2),
        lambda hessian: 2 / max(np.linalg.eigvals(hessian).real),
        _power_iteration,
    ],
    hidden_cases=HESSIAN_HIDDEN,
)


# --- 01.condition_number -----------------------------------------------------------------------


condition_number = Exercise(
    id="01.condition_number",
    title="The condition number L / mu",
    reference=lambda hessian: Quadratic(hessian).condition,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=ONE),
        dict(hessian=TURNED),
    ],
    mutants=[
        Mutant(
            "inverted",
            lambda hessian: np.linalg.eigvalsh(hessian).min() / np.linalg.eigvalsh(hessian).max(),
            "The condition number is largest / smallest eigenvalue, so it is at least 1. "
            "np.linalg.eigvalsh returns them in ascending order.",
        ),
        Mutant(
            "diagonal",
            lambda hessian: np.max(np.diag(hessian)) / np.min(np.diag(hessian)),
            _EIGEN,
        ),
        Mutant(
            "difference",
            lambda hessian: np.ptp(np.linalg.eigvalsh(hessian)),
            "It is the ratio L / mu, not the difference L - mu: scaling H must not change it.",
        ),
        Mutant(
            "square root",
            lambda hessian: np.sqrt(np.linalg.cond(hessian)),
            "kappa = L / mu itself; its square root comes later, with momentum.",
        ),
    ],
    alternates=[
        lambda hessian: np.linalg.cond(hessian),
        lambda hessian: (lambda s: s[0] / s[-1])(np.linalg.svd(hessian, compute_uv=False)),
    ],
    hidden_cases=HESSIAN_HIDDEN,
)

EXERCISES = [gd_step, gradient_descent, max_stable_lr, condition_number]
