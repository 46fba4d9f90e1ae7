"""Lecture 14's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex14.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 14.power_iteration ------------------------------------------------------------------------


def _norm_not_quotient(hessian, vector, iters):
    v = vector / np.linalg.norm(vector)
    for _ in range(iters):
        hv = hessian @ v
        v = hv / np.linalg.norm(hv)
    return np.linalg.norm(hessian @ v)


def _no_normalising(hessian, vector, iters):
    v = vector
    for _ in range(iters):
        v = hessian @ v
    return v @ hessian @ v / (v @ v)


def _start_not_normalised(hessian, vector, iters):
    v = vector
    for _ in range(iters):
        hv = hessian @ v
        v = hv / np.linalg.norm(hv)
    return v @ hessian @ v


def _one_more(hessian, vector, iters):
    v = vector / np.linalg.norm(vector)
    for _ in range(iters + 1):
        hv = hessian @ v
        v = hv / np.linalg.norm(hv)
    return v @ hessian @ v


def _largest_algebraic(hessian, vector, iters):
    return np.linalg.eigvalsh(hessian)[-1]


def _returns_vector(hessian, vector, iters):
    v = vector / np.linalg.norm(vector)
    for _ in range(iters):
        hv = hessian @ v
        v = hv / np.linalg.norm(hv)
    return v


MUTANTS["14.power_iteration"] = [
    Mutant(
        "the length of H v",
        _norm_not_quotient,
        "|H v| is the size of the eigenvalue, never its sign, and only once v has converged. "
        "Return the Rayleigh quotient v . (H v) of the unit vector v.",
    ),
    Mutant(
        "no normalising",
        _no_normalising,
        "Without dividing by its length after every product, the vector grows like "
        "(largest eigenvalue)^k and overflows: keep only its direction.",
    ),
    Mutant(
        "start not normalised",
        _start_not_normalised,
        "The quotient v . (H v) is the eigenvalue only for a vector of length 1: normalise the "
        "start too (with iters = 0 it is the vector you return the quotient of).",
    ),
    Mutant(
        "one iteration too many",
        _one_more,
        "Count the products: iters = 0 means no product before the quotient (the Rayleigh "
        "quotient of the start itself), iters = 1 means one.",
    ),
    Mutant(
        "the largest eigenvalue, not the largest in size",
        _largest_algebraic,
        "Power iteration converges to the eigenvalue of largest absolute value, with its sign, "
        "and after iters products it is an estimate, not the exact eigenvalue: iterate.",
    ),
    Mutant(
        "returns the vector",
        _returns_vector,
        "Return the estimate of the eigenvalue, v . (H v), not the eigenvector.",
    ),
]


def _power_iteration_matrix_power(hessian, vector, iters):
    # H^k v in one go, for the small exponents where it cannot overflow; then the quotient.
    v = vector / np.linalg.norm(vector)
    for _ in range(iters):
        v = hessian @ v
        v = v / np.linalg.norm(v)
    hv = hessian @ v
    return float(v @ hv / (v @ v))


def _power_iteration_scaled_by_max(hessian, vector, iters):
    # Normalising by the largest entry instead of the length: the direction is the same.
    v = np.array(vector, dtype=float)
    for _ in range(iters):
        v = hessian @ v
        v = v / np.abs(v).max()
    return (v @ hessian @ v) / (v @ v)


ALTERNATES["14.power_iteration"] = [
    _power_iteration_matrix_power,
    _power_iteration_scaled_by_max,
]


# --- 14.edge_sharpness -------------------------------------------------------------------------

MUTANTS["14.edge_sharpness"] = [
    Mutant(
        "2 / lr whatever the momentum",
        lambda lr, beta1: 2 / np.asarray(lr),
        "2 / lr is the edge of gradient descent without momentum. Averaged momentum, "
        "m = beta1 m + (1 - beta1) g, moves it: find the curvature at which the linear map of "
        "(x_k, x_{k-1}) gets an eigenvalue -1.",
    ),
    Mutant(
        "heavy-ball edge",
        lambda lr, beta1: (2 + 2 * beta1) / np.asarray(lr),
        "(2 + 2 beta1) / lr is the edge of heavy-ball momentum (PyTorch's SGD, buf = beta buf "
        "+ g). Adam averages, m = beta1 m + (1 - beta1) g, so each gradient enters with a "
        "factor (1 - beta1): the edge is 1 / (1 - beta1) times higher.",
    ),
    Mutant(
        "half the edge",
        lambda lr, beta1: (1 + beta1) / ((1 - beta1) * np.asarray(lr)),
        "Check the case beta1 = 0: the answer must be gradient descent's 2 / lr.",
    ),
    Mutant(
        "one over lr",
        lambda lr, beta1: 1 / ((1 - beta1) * np.asarray(lr)),
        "Check the case beta1 = 0: the answer must be gradient descent's 2 / lr.",
    ),
]

ALTERNATES["14.edge_sharpness"] = [
    lambda lr, beta1: 2 * (1 + beta1) / (1 - beta1) / np.asarray(lr, dtype=float),
    lambda lr, beta1: (2 / np.asarray(lr)) * (1 + beta1) / (1 - beta1),
]
