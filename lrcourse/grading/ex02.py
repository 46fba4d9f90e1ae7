"""Exercises of lecture 02: the constant learning rate.

Ill-conditioning and the best constant rate 2 / (mu + L) on the quadratic f(x) = 1/2 x^T H x;
then stochastic gradients g = H x + noise, and the noise floor lr sigma^2 / (2 (2 - lr L)) that no
constant rate gets below, which is what motivates decaying the rate.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex02.py``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic, noisy_quadratic

from .ex01 import DENSE, DIAG, FIVE, FIVE_X0, HESSIAN_HIDDEN, STIFF, TILTED, TURNED
from .spec import Exercise, Hidden

TITLE = "The constant learning rate"
NOTEBOOK = "02_constant_lr"

# The learner writes these formulas; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.problems": "uses lrcourse.problems",
}

A = np.array


# --- 02.best_constant_lr -----------------------------------------------------------------------


def _best_lr(hessian):
    q = Quadratic(hessian)
    return 2 / (q.mu + q.L)


best_constant_lr = Exercise(
    id="02.best_constant_lr",
    key=(
        "2 / (mu + L)",
        "2 / (eigenvalues[0] + eigenvalues[-1])",
        r"\frac{2}{\mu + L}",
        r"2/(\mu + L)",
        r"1 - \eta\mu = \eta L - 1",  # the balance the answer solves, one line from it
    ),
    title="The best constant learning rate",
    reference=_best_lr,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=A([[5.0]])),
        dict(hessian=TURNED),
    ],
    hidden_cases=HESSIAN_HIDDEN,
)


# --- 02.convergence_factor ---------------------------------------------------------------------


convergence_factor = Exercise(
    id="02.convergence_factor",
    key=(
        "|1 - lr * lambda|",
        "np.abs(1 - lr *",
        r"\max_i |1 - \eta \lambda_i|",
        r"\max(|1 - \eta\mu|, |1 - \eta L|)",
        r"1 - \eta\lambda",  # the factor of one direction: the answer is its largest size
    ),
    title="How much one step shrinks the distance to the minimum",
    reference=lambda hessian, lr: np.max(np.abs(1 - lr * Quadratic(hessian).eigenvalues)),
    cases=[
        dict(hessian=DIAG, lr=0.05),
        dict(hessian=DIAG, lr=1.5),
        dict(hessian=DIAG, lr=0.18),
        dict(hessian=DIAG, lr=0.25),
        dict(hessian=DIAG, lr=2 / 11),
        dict(hessian=DENSE, lr=0.3),
        dict(hessian=TURNED, lr=0.015),
    ],
    hidden_cases=[
        Hidden("a larger, dense Hessian (5 x 5)", dict(hessian=FIVE, lr=0.2)),
        Hidden("a very ill-conditioned Hessian with a small rate", dict(hessian=STIFF, lr=1.5e-4)),
        Hidden(
            "a rate past the stability limit on a non-diagonal Hessian",
            dict(hessian=TILTED, lr=0.9),
        ),
    ],
)


# --- 02.lr_sweep -------------------------------------------------------------------------------


def _sweep(hessian, x0, lrs, steps):
    # One batched run: row i of params follows learning rate lrs[i].
    problem, opt = Quadratic(hessian), sgd(lr=np.asarray(lrs)[:, None])
    params = np.tile(x0, (len(lrs), 1))
    state = opt.init(params)
    for _ in range(steps):
        params, state = opt.step(params, problem.grad(params), state)
    return problem.loss(params)


lr_sweep = Exercise(
    id="02.lr_sweep",
    key=("0.5 * x @ hessian @ x",),
    title="A sweep over learning rates",
    reference=_sweep,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lrs=A([0.01, 0.05, 0.1, 0.18, 0.2, 0.25]), steps=20),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lrs=A([0.1, 0.3, 0.5, 0.6]), steps=10),
        dict(hessian=A([[1.0]]), x0=A([2.0]), lrs=A([0.5, 1.0, 1.5, 2.5]), steps=5),
        dict(hessian=DENSE, x0=A([1.0, 0.0, -1.0]), lrs=A([0.05, 0.4]), steps=30),
        dict(hessian=DIAG, x0=A([1.0, -2.0]), lrs=A([0.1, 0.3]), steps=0),
    ],
    hints={"shape": "Return one number per learning rate: an array of shape (len(lrs),)."},
    hidden_cases=[
        Hidden(
            "many rates on a larger problem (shape (5,))",
            dict(
                hessian=FIVE,
                x0=FIVE_X0,
                lrs=np.geomspace(0.01, 0.5, 12),
                steps=15,
            ),
        ),
        Hidden(
            "a single rate and many steps",
            dict(hessian=TURNED, x0=A([1.0, 2.0]), lrs=A([0.015]), steps=40),
        ),
        Hidden(
            "steps=1 (one update per rate)",
            dict(hessian=DIAG, x0=A([2.0, 1.0]), lrs=A([0.05, 0.15, 0.25]), steps=1),
        ),
    ],
)


# --- 02.sgd_path -------------------------------------------------------------------------------

_NOISE = np.random.default_rng(2).standard_normal((12, 2)).round(3)
_NOISE_5 = np.random.default_rng(5).standard_normal((15, 5)).round(3)  # hidden cases only


def _sgd_path(hessian, x0, lr, noise):
    problem, opt = Quadratic(hessian), sgd(lr=lr)
    x, state, path = x0, opt.init(x0), [x0]
    for xi in noise:
        x, state = opt.step(x, problem.grad(x) + xi, state)
        path.append(x)
    return np.array(path)


sgd_path = Exercise(
    id="02.sgd_path",
    key=(
        "x - lr * (hessian @ x + xi)",
        r"x_k - \eta g_k",
        r"x_k - \eta (H x_k + \xi_k)",
    ),
    title="SGD with noisy gradients",
    reference=_sgd_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, noise=_NOISE[:5]),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, noise=_NOISE),
        dict(hessian=A([[1.0]]), x0=A([3.0]), lr=0.5, noise=_NOISE[:6, :1]),
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, noise=np.zeros((4, 2))),
        dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.1, noise=np.zeros((0, 2))),
    ],
    hints={"shape": "Return len(noise) + 1 points: the start x0 first, then one per update."},
    hidden_cases=[
        Hidden(
            "a larger problem (shape (5,)) and a longer run",
            dict(hessian=FIVE, x0=FIVE_X0, lr=0.1, noise=_NOISE_5),
        ),
        Hidden(
            "a single noisy update",
            dict(hessian=TILTED, x0=A([1.0, -1.0]), lr=0.2, noise=_NOISE[3:4]),
        ),
        Hidden(
            "noise much larger than the gradient",
            dict(hessian=DENSE, x0=A([0.1, 0.0, -0.1]), lr=0.02, noise=10 * _NOISE_5[:8, :3]),
        ),
    ],
)


# --- 02.noise_floor ----------------------------------------------------------------------------


def _noise_floor(lr, L, sigma):
    return noisy_quadratic(curvatures=[L], sigma=sigma).noise_floor(lr)


noise_floor = Exercise(
    id="02.noise_floor",
    key=(
        "lr sigma^2 / (2 (2 - lr L))",
        "lr * sigma**2 / (2 *",
        r"\frac{\eta \sigma^2}{2 (2 - \eta L)}",
        r"\frac{\eta \sigma^2}{2 (2 - \eta \lambda)}",
        r"\eta \sigma^2 / (2 (2 - \eta L))",
        r"(1 - \eta L)^2 v",  # the balance it solves, one line from the answer
        r"(1 - \eta \lambda)^2 v",
    ),
    title="The noise floor of constant-rate SGD",
    reference=_noise_floor,
    cases=[
        dict(lr=0.1, L=4.0, sigma=1.0),
        dict(lr=0.01, L=10.0, sigma=0.3),
        dict(lr=A([0.01, 0.05, 0.1, 0.15]), L=10.0, sigma=1.0),
        dict(lr=A([0.05, 0.2, 0.3]), L=10.0, sigma=2.0),
        dict(lr=0.3, L=10.0, sigma=1.0),
        dict(lr=0.2, L=10.0, sigma=1.0),
    ],
    hints={
        "error:ZeroDivisionError": (
            "At lr = 2 / L the denominator is 0: SGD does not settle at all, so return np.inf "
            "for every lr >= 2 / L."
        ),
        "error:ValueError": (
            "lr may be an array: `if lr * L < 2:` cannot decide for a whole array. "
            "Use np.where(lr * L < 2, ..., np.inf)."
        ),
        "value": "Check the formula lr sigma^2 / (2 (2 - lr L)), and np.inf for lr >= 2 / L.",
    },
    hidden_cases=[
        Hidden(
            "an array of rates on a much stiffer problem",
            dict(lr=A([1e-4, 1e-3, 5e-3, 0.01, 0.019]), L=100.0, sigma=0.5),
        ),
        Hidden("a rate just below the limit 2 / L", dict(lr=0.099, L=20.0, sigma=1.0)),
        Hidden("sigma = 0 (no noise)", dict(lr=0.05, L=4.0, sigma=0.0)),
    ],
)


# --- 02.lr_for_floor (derive) ------------------------------------------------------------------


def _lr_for_floor(floor, L, sigma):
    # noise_floor solved for the rate: floor * 2 * (2 - lr L) = lr sigma^2
    floor = np.asarray(floor, dtype=float)
    return 4 * floor / (sigma**2 + 2 * floor * L)


lr_for_floor = Exercise(
    id="02.lr_for_floor",
    kind="derive",
    key=(
        "4 * floor / (sigma**2 + 2 * floor * L)",
        "sigma**2 + 2 * floor * L",
        r"\frac{4F}{\sigma^2 + 2FL}",
        r"\frac{4 E}{\sigma^2 + 2 E L}",
    ),
    title="The constant rate for a given noise floor",
    reference=_lr_for_floor,
    cases=[
        dict(floor=0.01, L=1.0, sigma=1.0),
        dict(floor=0.5, L=1.0, sigma=1.0),  # a high floor: the rate is close to 2 / L
        dict(floor=A([1e-4, 1e-2, 1.0]), L=4.0, sigma=0.5),
        dict(floor=0.1, L=10.0, sigma=3.0),
    ],
    hints={"shape": "Return one rate per floor: a number for a number, an array for an array."},
    hidden_cases=[
        Hidden("a stiff problem (large L)", dict(floor=A([0.02, 0.2, 2.0]), L=250.0, sigma=2.0)),
        Hidden("little noise (small sigma)", dict(floor=0.003, L=2.0, sigma=0.05)),
        Hidden("a very low floor", dict(floor=A([1e-8, 1e-6]), L=1.0, sigma=10.0)),
    ],
)

EXERCISES = [best_constant_lr, convergence_factor, lr_sweep, sgd_path, noise_floor, lr_for_floor]
