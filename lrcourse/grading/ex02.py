"""Exercises of lecture 02: the constant learning rate.

Ill-conditioning and the best constant rate 2 / (mu + L) on the quadratic f(x) = 1/2 x^T H x;
then stochastic gradients g = H x + noise, and the noise floor lr sigma^2 / (2 (2 - lr L)) that no
constant rate gets below, which is what motivates decaying the rate.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Quadratic, noisy_quadratic

from .ex01 import DENSE, DIAG, FIVE, FIVE_X0, HESSIAN_HIDDEN, STIFF, TILTED, TURNED
from .spec import Exercise, Hidden, Mutant

TITLE = "The constant learning rate"
NOTEBOOK = "02_constant_lr"

# The learner writes these formulas; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.problems": "uses lrcourse.problems",
}

A = np.array


def _eig(hessian):
    """(mu, L): the smallest and largest eigenvalue."""
    ev = np.linalg.eigvalsh(hessian)
    return ev[0], ev[-1]


# --- 02.best_constant_lr -----------------------------------------------------------------------


def _best_lr(hessian):
    q = Quadratic(hessian)
    return 2 / (q.mu + q.L)


best_constant_lr = Exercise(
    id="02.best_constant_lr",
    title="The best constant learning rate, 2 / (mu + L)",
    reference=_best_lr,
    cases=[
        dict(hessian=DIAG),
        dict(hessian=TILTED),
        dict(hessian=DENSE),
        dict(hessian=A([[5.0]])),
        dict(hessian=TURNED),
    ],
    mutants=[
        Mutant(
            "2/L",
            lambda hessian: 2 / _eig(hessian)[1],
            "2 / L is where gradient descent stops converging, not its best rate. The best rate "
            "balances the flattest and the stiffest direction: 2 / (mu + L).",
        ),
        Mutant(
            "1/L",
            lambda hessian: 1 / _eig(hessian)[1],
            "1 / L is safe, but slower than needed: the best rate is 2 / (mu + L).",
        ),
        Mutant(
            "half",
            lambda hessian: 1 / sum(_eig(hessian)),
            "Check the factor 2: the rate is 2 / (mu + L).",
        ),
        Mutant(
            "difference",
            lambda hessian: 2 / np.ptp(_eig(hessian)),
            "mu + L, a sum: the rate that makes |1 - lr mu| equal |1 - lr L|.",
        ),
        Mutant(
            "trace",
            lambda hessian: 2 / np.trace(hessian),
            "mu + L equals the trace only for a 2x2 matrix; use the extreme eigenvalues.",
        ),
    ],
    alternates=[
        lambda hessian: 1 / ((_eig(hessian)[0] + _eig(hessian)[1]) / 2),
        lambda hessian: (
            2 / (min(np.linalg.eigvals(hessian).real) + max(np.linalg.eigvals(hessian).real))
        ),
    ],
    hidden_cases=HESSIAN_HIDDEN,
)


# --- 02.convergence_factor ---------------------------------------------------------------------


convergence_factor = Exercise(
    id="02.convergence_factor",
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
    mutants=[
        Mutant(
            "no absolute value",
            lambda hessian, lr: np.max(1 - lr * np.linalg.eigvalsh(hessian)),
            "A factor 1 - lr * lambda below -1 also grows the error (it flips sign each step): "
            "take the absolute value, |1 - lr * lambda|.",
        ),
        Mutant(
            "only L",
            lambda hessian, lr: abs(1 - lr * _eig(hessian)[1]),
            "Small rates are limited by the flattest direction (mu), large ones by the stiffest "
            "(L): take the largest |1 - lr * lambda| over all eigenvalues.",
        ),
        Mutant(
            "only mu",
            lambda hessian, lr: abs(1 - lr * _eig(hessian)[0]),
            "Large rates are limited by the stiffest direction (L): take the largest "
            "|1 - lr * lambda| over all eigenvalues, not only mu's.",
        ),
        Mutant(
            "smallest",
            lambda hessian, lr: np.min(np.abs(1 - lr * np.linalg.eigvalsh(hessian))),
            "The slowest direction decides: the largest |1 - lr * lambda|, not the smallest.",
        ),
        Mutant(
            "squared",
            lambda hessian, lr: np.max(np.abs(1 - lr * np.linalg.eigvalsh(hessian))) ** 2,
            "That is the factor for the loss; the task asks for the distance to the minimum.",
        ),
    ],
    alternates=[
        lambda hessian, lr: max(abs(1 - lr * _eig(hessian)[0]), abs(1 - lr * _eig(hessian)[1])),
        lambda hessian, lr: np.linalg.norm(np.eye(len(hessian)) - lr * hessian, 2),
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


def _sweep_with(transform=lambda path, h: 0.5 * path[-1] @ h @ path[-1], extra=0):
    """Wrong sweeps: a different final number, or a different number of updates."""

    def run(hessian, x0, lrs, steps):
        out = []
        for lr in lrs:
            x, path = x0, [x0]
            for _ in range(max(steps + extra, 0)):
                x = x - lr * hessian @ x
                path.append(x)
            out.append(transform(path, hessian))
        return np.array(out)

    return run


def _sweep_loops(hessian, x0, lrs, steps):
    losses = np.zeros(len(lrs))
    for i, lr in enumerate(lrs):
        x = x0.copy()
        for _ in range(steps):
            x = x - lr * (hessian @ x)
        losses[i] = 0.5 * x @ hessian @ x
    return losses


def _sweep_closed_form(hessian, x0, lrs, steps):
    ev, vecs = np.linalg.eigh(hessian)
    z0 = vecs.T @ x0  # coordinates along the eigenvectors shrink independently
    z = z0 * (1 - np.asarray(lrs)[:, None] * ev) ** steps
    return 0.5 * np.sum(ev * z**2, axis=1)


_STEPS = "Run exactly `steps` updates for every rate, then take the loss of the last point."

lr_sweep = Exercise(
    id="02.lr_sweep",
    title="A sweep over learning rates",
    reference=_sweep,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lrs=A([0.01, 0.05, 0.1, 0.18, 0.2, 0.25]), steps=20),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lrs=A([0.1, 0.3, 0.5, 0.6]), steps=10),
        dict(hessian=A([[1.0]]), x0=A([2.0]), lrs=A([0.5, 1.0, 1.5, 2.5]), steps=5),
        dict(hessian=DENSE, x0=A([1.0, 0.0, -1.0]), lrs=A([0.05, 0.4]), steps=30),
        dict(hessian=DIAG, x0=A([1.0, -2.0]), lrs=A([0.1, 0.3]), steps=0),
    ],
    mutants=[
        Mutant("one update short", _sweep_with(extra=-1), _STEPS),
        Mutant("one update extra", _sweep_with(extra=1), _STEPS),
        Mutant(
            "no half",
            _sweep_with(lambda path, h: path[-1] @ h @ path[-1]),
            "The loss is f(x) = 1/2 x^T H x: keep the 1/2.",
        ),
        Mutant(
            "distance",
            _sweep_with(lambda path, h: np.linalg.norm(path[-1])),
            "Report the loss f(x) = 1/2 x^T H x of the last point, not its distance to 0.",
        ),
        Mutant(
            "best loss",
            _sweep_with(lambda path, h: min(0.5 * x @ h @ x for x in path)),
            "Report the loss after the last update, not the best loss along the way.",
        ),
        Mutant(
            "start loss",
            _sweep_with(lambda path, h: 0.5 * path[0] @ h @ path[0]),
            "Each rate needs its own run from x0: the loss of x0 itself is the same for all.",
        ),
    ],
    alternates=[_sweep_loops, _sweep_closed_form],
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


def _sgd_with(update, start=True, shift=0):
    def run(hessian, x0, lr, noise):
        x, path = x0, [x0] if start else []
        for k in range(len(noise)):
            x = update(x, lr, hessian, noise[(k + shift) % len(noise)])
            path.append(x)
        return np.array(path).reshape(-1, len(x0))

    return run


def _sgd_preallocated(hessian, x0, lr, noise):
    path = np.zeros((len(noise) + 1, len(x0)))
    path[0] = x0
    for k, xi in enumerate(noise):
        path[k + 1] = path[k] - lr * hessian @ path[k] - lr * xi
    return path


_RIGHT = lambda x, lr, h, xi: x - lr * (h @ x + xi)  # noqa: E731 (the mutants vary this line)

sgd_path = Exercise(
    id="02.sgd_path",
    title="SGD with noisy gradients",
    reference=_sgd_path,
    cases=[
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, noise=_NOISE[:5]),
        dict(hessian=TILTED, x0=A([-2.0, 1.5]), lr=0.1, noise=_NOISE),
        dict(hessian=A([[1.0]]), x0=A([3.0]), lr=0.5, noise=_NOISE[:6, :1]),
        dict(hessian=DIAG, x0=A([1.0, 1.0]), lr=0.05, noise=np.zeros((4, 2))),
        dict(hessian=DIAG, x0=A([0.5, -0.5]), lr=0.1, noise=np.zeros((0, 2))),
    ],
    mutants=[
        Mutant(
            "noise not scaled",
            _sgd_with(lambda x, lr, h, xi: x - lr * h @ x - xi),
            "The noise is part of the gradient, so the learning rate scales it too: "
            "x - lr * (H x + noise[k]).",
        ),
        Mutant(
            "noise sign",
            _sgd_with(lambda x, lr, h, xi: x - lr * (h @ x - xi)),
            "The stochastic gradient is H x + noise[k]: add the noise to the gradient.",
        ),
        Mutant(
            "noise one late",
            _sgd_with(_RIGHT, shift=-1),
            "Update k uses noise[k]: the first update uses noise[0].",
        ),
        Mutant(
            "no start",
            _sgd_with(_RIGHT, start=False),
            "Return len(noise) + 1 points: the start x0 first, then one point per update.",
        ),
        Mutant(
            "no noise",
            _sgd_with(lambda x, lr, h, xi: x - lr * h @ x),
            "Add noise[k] to the exact gradient H x in update k.",
        ),
    ],
    alternates=[_sgd_preallocated],
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


def _floor_no_inf(lr, L, sigma):
    return lr * sigma**2 / (2 * (2 - lr * L))


def _floor_where(lr, L, sigma):
    lr = np.asarray(lr, dtype=float)
    stable = lr * L < 2
    return np.where(stable, lr * sigma**2 / (2 * np.where(stable, 2 - lr * L, 1.0)), np.inf)


def _floor_loop(lr, L, sigma):
    lrs = np.atleast_1d(np.asarray(lr, dtype=float))
    out = [r * sigma**2 / (2 * (2 - r * L)) if r * L < 2 else np.inf for r in lrs]
    return np.reshape(out, np.shape(lr))


noise_floor = Exercise(
    id="02.noise_floor",
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
    mutants=[
        Mutant(
            "no half",
            lambda lr, L, sigma: np.where(lr * L < 2, lr * sigma**2 / (2 - lr * L), np.inf),
            "The floor is the expected loss, E[f] = L E[x^2] / 2: keep the 2 in 2 (2 - lr L).",
        ),
        Mutant(
            "one minus",
            lambda lr, L, sigma: np.where(lr * L < 2, lr * sigma**2 / (2 * (1 - lr * L)), np.inf),
            "It is (2 - lr L), from 1 - (1 - lr L)^2 = lr L (2 - lr L).",
        ),
        Mutant(
            "sigma not squared",
            lambda lr, L, sigma: np.where(lr * L < 2, lr * sigma / (2 * (2 - lr * L)), np.inf),
            "The noise enters through its variance, sigma ** 2.",
        ),
        Mutant(
            "lr squared",
            lambda lr, L, sigma: np.where(
                lr * L < 2, lr**2 * sigma**2 / (2 * (2 - lr * L)), np.inf
            ),
            "One lr cancels: E[x^2] = lr^2 sigma^2 / (lr L (2 - lr L)); the floor has lr, not "
            "lr ** 2.",
        ),
        Mutant(
            "variance",
            lambda lr, L, sigma: np.where(lr * L < 2, lr * sigma**2 / (L * (2 - lr * L)), np.inf),
            "That is E[x^2]; the floor is the expected loss, L * E[x^2] / 2.",
        ),
        Mutant(
            "no inf",
            _floor_no_inf,
            "For lr >= 2 / L SGD diverges and there is no floor: return np.inf there "
            "(np.where(lr * L < 2, ..., np.inf)).",
        ),
    ],
    alternates=[_floor_where, _floor_loop],
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

EXERCISES = [best_constant_lr, convergence_factor, lr_sweep, sgd_path, noise_floor]
