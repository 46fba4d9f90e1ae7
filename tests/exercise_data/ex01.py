"""Lecture 01's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex01.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from lrcourse.grading.ex01 import _OFF_BY_ONE

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 01.gd_step -------------------------------------------------------------------------------


def _gd_step_in_place(params, grads, lr):
    params -= lr * grads
    return params


def _gd_step_loop(params, grads, lr):
    out = np.array(params, dtype=float)
    for i in np.ndindex(out.shape):
        out[i] = out[i] - lr * grads[i]
    return out


MUTANTS["01.gd_step"] = [
    Mutant(
        "wrong sign",
        lambda params, grads, lr: params + lr * grads,
        "The gradient points uphill; gradient descent steps the other way: params - lr * grads.",
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
]

ALTERNATES["01.gd_step"] = [
    lambda params, grads, lr: np.subtract(params, lr * grads),
    lambda params, grads, lr: params + (-lr) * grads,
    _gd_step_loop,
]

# --- 01.gradient_descent ----------------------------------------------------------------------


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


MUTANTS["01.gradient_descent"] = [
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
]

ALTERNATES["01.gradient_descent"] = [_gd_closed_form, _gd_preallocated]

# --- 01.max_stable_lr -------------------------------------------------------------------------


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


MUTANTS["01.max_stable_lr"] = [
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
]

ALTERNATES["01.max_stable_lr"] = [
    lambda hessian: 2 / np.linalg.norm(hessian, 2),
    lambda hessian: 2 / max(np.linalg.eigvals(hessian).real),
    _power_iteration,
]

# --- 01.condition_number ----------------------------------------------------------------------


MUTANTS["01.condition_number"] = [
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
]

ALTERNATES["01.condition_number"] = [
    lambda hessian: np.linalg.cond(hessian),
    lambda hessian: (lambda s: s[0] / s[-1])(np.linalg.svd(hessian, compute_uv=False)),
]

# --- 01.steps_to_shrink -----------------------------------------------------------------------


def _shrink_closed_form(L, lr, factor):
    return int(np.ceil(np.log(factor) / np.log(abs(1 - lr * L))))


def _shrink_powers(L, lr, factor):
    # the distance after k updates is |1 - lr L| ** k: the first k at which it is <= factor
    k = np.arange(1, 100_000)
    return int(k[np.argmax(abs(1 - lr * L) ** k <= factor)])


_COUNT_UPDATES = (
    "Each update multiplies the distance by |1 - lr * L|; you need the first whole number of "
    "updates k with |1 - lr * L| ** k <= factor, so round the real solution up."
)

MUTANTS["01.steps_to_shrink"] = [
    Mutant(
        "rounded down",
        lambda L, lr, factor: int(np.floor(np.log(factor) / np.log(abs(1 - lr * L)))),
        _COUNT_UPDATES + " Rounding down stops one update short.",
    ),
    Mutant(
        "counts the start",
        lambda L, lr, factor: int(np.ceil(np.log(factor) / np.log(abs(1 - lr * L)))) + 1,
        "Count updates, not points: the start x0 is not an update.",
    ),
    Mutant(
        "no absolute value",
        lambda L, lr, factor: np.ceil(np.log(factor) / np.log(1 - lr * L)),
        "Above lr = 1 / L the factor 1 - lr * L is negative: the iterate overshoots and changes "
        "sign every step. Its size still shrinks by |1 - lr * L| per update.",
    ),
    Mutant(
        "lr L as the factor",
        lambda L, lr, factor: int(np.ceil(np.log(factor) / np.log(lr * L))),
        "One update multiplies the distance by 1 - lr * L (what remains after the step), not by "
        "lr * L (the size of the step).",
    ),
]

ALTERNATES["01.steps_to_shrink"] = [_shrink_closed_form, _shrink_powers]
