"""Lecture 02's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex02.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 02.best_constant_lr ----------------------------------------------------------------------


def _eig(hessian):
    """(mu, L): the smallest and largest eigenvalue."""
    ev = np.linalg.eigvalsh(hessian)
    return ev[0], ev[-1]


MUTANTS["02.best_constant_lr"] = [
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
]

ALTERNATES["02.best_constant_lr"] = [
    lambda hessian: 1 / ((_eig(hessian)[0] + _eig(hessian)[1]) / 2),
    lambda hessian: (
        2 / (min(np.linalg.eigvals(hessian).real) + max(np.linalg.eigvals(hessian).real))
    ),
]

# --- 02.convergence_factor --------------------------------------------------------------------


MUTANTS["02.convergence_factor"] = [
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
]

ALTERNATES["02.convergence_factor"] = [
    lambda hessian, lr: max(abs(1 - lr * _eig(hessian)[0]), abs(1 - lr * _eig(hessian)[1])),
    lambda hessian, lr: np.linalg.norm(np.eye(len(hessian)) - lr * hessian, 2),
]

# --- 02.lr_sweep ------------------------------------------------------------------------------


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


MUTANTS["02.lr_sweep"] = [
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
]

ALTERNATES["02.lr_sweep"] = [_sweep_loops, _sweep_closed_form]

# --- 02.sgd_path ------------------------------------------------------------------------------


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


MUTANTS["02.sgd_path"] = [
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
]

ALTERNATES["02.sgd_path"] = [_sgd_preallocated]

# --- 02.noise_floor ---------------------------------------------------------------------------


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


MUTANTS["02.noise_floor"] = [
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
        lambda lr, L, sigma: np.where(lr * L < 2, lr**2 * sigma**2 / (2 * (2 - lr * L)), np.inf),
        "One lr cancels: E[x^2] = lr^2 sigma^2 / (lr L (2 - lr L)); the floor has lr, not lr ** 2.",
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
]

ALTERNATES["02.noise_floor"] = [_floor_where, _floor_loop]

# --- 02.lr_for_floor --------------------------------------------------------------------------


def _floor_by_bisection(floor, L, sigma):
    # the floor grows with the rate on (0, 2 / L): bisect on it, no algebra
    floor = np.asarray(floor, dtype=float)
    low, high = np.zeros_like(floor), np.full_like(floor, 2 / L)
    for _ in range(200):
        mid = (low + high) / 2
        too_high = mid * sigma**2 / (2 * (2 - mid * L)) > floor
        low, high = np.where(too_high, low, mid), np.where(too_high, mid, high)
    return (low + high) / 2


MUTANTS["02.lr_for_floor"] = [
    Mutant(
        "small-rate approximation",
        lambda floor, L, sigma: 4 * np.asarray(floor) / sigma**2,
        "floor = lr sigma^2 / 4 holds only for small rates; solve the exact floor "
        "lr sigma^2 / (2 (2 - lr L)) for lr: the answer stays below 2 / L.",
    ),
    Mutant(
        "floor without the 2",
        lambda floor, L, sigma: 2 * np.asarray(floor) / (sigma**2 + np.asarray(floor) * L),
        "Start from the exact floor of lecture 02, lr sigma^2 / (2 (2 - lr L)), with its factor "
        "2 in the denominator.",
    ),
    Mutant(
        "sign slip",
        lambda floor, L, sigma: 4 * np.asarray(floor) / (sigma**2 - 2 * np.asarray(floor) * L),
        "Collect the lr terms on one side: 4 floor = lr (sigma^2 + 2 floor L). A minus sign "
        "there gives rates above 2 / L, or negative ones.",
    ),
]

ALTERNATES["02.lr_for_floor"] = [
    _floor_by_bisection,
    lambda floor, L, sigma: 1 / (sigma**2 / (4 * np.asarray(floor, dtype=float)) + L / 2),
]
