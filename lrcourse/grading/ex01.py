"""Exercises of lecture 01: gradient descent and the learning rate.

The model problem is the quadratic f(x) = 1/2 x^T H x with H symmetric positive definite, whose
gradient is H x. References come from ``lrcourse.optimizers.sgd`` and ``lrcourse.problems``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex01.py``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic, quadratic

from .spec import Exercise, Hidden

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


gd_step = Exercise(
    id="01.gd_step",
    key=(
        "params - lr * grads",
        r"x_k - \eta \nabla f(x_k)",
        r"\theta_k - \eta \nabla f(\theta_k)",
    ),
    title="One step of gradient descent",
    reference=_gd_step,
    cases=[
        dict(params=A([1.0, -2.0]), grads=A([0.5, 0.5]), lr=0.1),
        dict(params=A([3.0]), grads=A([-4.0]), lr=0.25),
        dict(params=A([0.0, 0.0, 0.0]), grads=A([1.0, 2.0, 3.0]), lr=1e-3),
        dict(params=A([[1.0, 2.0], [3.0, 4.0]]), grads=A([[0.1, -0.2], [1.0, 1.0]]), lr=0.5),
        dict(params=A([2.0, -1.0]), grads=A([0.0, 0.0]), lr=10.0),
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


_OFF_BY_ONE = (
    "Count the rows: `steps` updates visit steps + 1 points, the start x0 first and then one "
    "point after each update."
)

gradient_descent = Exercise(
    id="01.gradient_descent",
    key=(
        "x - lr * (hessian @ x)",
        "lr * hessian @ x",
        r"x_k - \eta H x_k",
        r"(I - \eta H)",
    ),
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


max_stable_lr = Exercise(
    id="01.max_stable_lr",
    key=(
        "2 / L",
        "2 / np.linalg.eigvalsh",
        r"\frac{2}{L}",
        r"2/\lambda",  # 2/\lambda_{\max}, as lecture 01 writes it
        r"|1 - \eta \lambda_i| < 1",  # the condition the answer is one line from
        r"\eta L < 2",
        "lr * L < 2",
    ),
    title="The largest stable learning rate",
    reference=lambda hessian: 2 / Quadratic(hessian).L,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=ONE),
        dict(hessian=A([[10.0, 0.0], [0.0, 1.0]])),
        dict(hessian=TURNED),
    ],
    hidden_cases=HESSIAN_HIDDEN,
)


# --- 01.condition_number -----------------------------------------------------------------------


condition_number = Exercise(
    id="01.condition_number",
    key=(
        "L / mu",
        "eigenvalues[-1] / eigenvalues[0]",
        r"\frac{L}{\mu}",
        r"L / \mu",
        r"\frac{\lambda_{\max}}{\lambda_{\min}}",
        r"1 - 2/\kappa",  # the flattest factor at the limit: kappa in one line
    ),
    title="The condition number",
    reference=lambda hessian: Quadratic(hessian).condition,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=ONE),
        dict(hessian=TURNED),
    ],
    hidden_cases=HESSIAN_HIDDEN,
)


# --- 01.steps_to_shrink (predict, then run) ----------------------------------------------------


def _steps_to_shrink(L, lr, factor):
    """The experiment itself: gradient descent on L x^2 / 2 from x = 1, counting the updates."""
    x, steps = 1.0, 0
    while abs(x) > factor and steps < 100_000:  # every case is stable; the cap only guards
        x = x - lr * L * x
        steps += 1
    return steps


steps_to_shrink = Exercise(
    id="01.steps_to_shrink",
    kind="predict",
    key=(
        "np.log(factor) / np.log(abs(1 - lr * L))",
        "abs(1 - lr * L)",
        r"\ln\varepsilon / \ln|r|",
        r"1 - \eta L",
        r"1 - \eta \lambda",  # the factor of one update along an eigenvector
    ),
    title="Predict how many steps gradient descent needs",
    reference=_steps_to_shrink,
    cases=[
        dict(L=1.0, lr=0.1, factor=0.01),
        dict(L=4.0, lr=0.45, factor=1e-3),  # |1 - lr L| = 0.8: it overshoots, and still shrinks
        dict(L=2.0, lr=0.05, factor=0.5),
        dict(L=10.0, lr=0.01, factor=0.1),
        dict(L=1.0, lr=1.5, factor=0.01),
    ],
    hints={"type": "Return the number of updates, a whole number such as 44."},
    hidden_cases=[
        Hidden("a rate just below 2 / L", dict(L=100.0, lr=0.0195, factor=1e-6)),
        Hidden("a flat direction (L < 1)", dict(L=0.5, lr=0.2, factor=0.3)),
        Hidden("a rate close to 1 / L", dict(L=3.0, lr=0.3, factor=2e-4)),
    ],
)

EXERCISES = [gd_step, gradient_descent, max_stable_lr, condition_number, steps_to_shrink]
