"""Lecture 15's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex15.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 15.noise_scale ----------------------------------------------------------------------------


def _unbiased(grads):
    mean = grads.mean(axis=0)
    return np.sum((grads - mean) ** 2) / (len(grads) - 1) / np.sum(mean**2)


MUTANTS["15.noise_scale"] = [
    Mutant(
        "no mean subtracted",
        lambda grads: np.mean(np.sum(grads**2, axis=1)) / np.sum(grads.mean(axis=0) ** 2),
        "The noise is the spread of the gradients around their mean: subtract the mean gradient "
        "G from each g_i before squaring. Without it you get tr(Sigma) / |G|^2 + 1.",
    ),
    Mutant(
        "divides by n - 1",
        _unbiased,
        "Here the examples are the whole population: tr(Sigma) is the mean of |g_i - G|^2 over "
        "them, divided by n, not n - 1.",
    ),
    Mutant(
        "summed, not averaged",
        lambda grads: np.sum((grads - grads.mean(axis=0)) ** 2) / np.sum(grads.mean(axis=0) ** 2),
        "tr(Sigma) is the noise of ONE example's gradient: the mean over examples of "
        "|g_i - G|^2, not their sum.",
    ),
    Mutant(
        "upside down",
        lambda grads: (
            np.sum(grads.mean(axis=0) ** 2)
            / np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1))
        ),
        "The noise scale is noise over signal, tr(Sigma) / |G|^2: large when the gradients "
        "disagree.",
    ),
    Mutant(
        "norm, not squared norm",
        lambda grads: (
            np.mean(np.sum((grads - grads.mean(axis=0)) ** 2, axis=1))
            / np.linalg.norm(grads.mean(axis=0))
        ),
        "Divide by the squared length of the mean gradient, |G|^2: both numbers are squares, so "
        "their ratio is a number of examples.",
    ),
]

ALTERNATES["15.noise_scale"] = [
    lambda grads: np.trace(np.cov(grads.T, bias=True)) / np.sum(grads.mean(axis=0) ** 2),
    lambda grads: (
        (np.mean(np.sum(grads**2, axis=1)) - np.sum(grads.mean(axis=0) ** 2))
        / np.sum(grads.mean(axis=0) ** 2)
    ),
]


# --- 15.critical_batch -------------------------------------------------------------------------


def _fit(x, steps):
    return np.polyfit(np.asarray(x, float), np.asarray(steps, float), 1)


MUTANTS["15.critical_batch"] = [
    Mutant(
        "fitted against B, not 1/B",
        lambda batch_sizes, steps: _fit(batch_sizes, steps)[0] / _fit(batch_sizes, steps)[1],
        "The model S = S_min + S_min B_crit / B is a straight line in 1 / B, not in B: fit steps "
        "against 1 / batch_sizes.",
    ),
    Mutant(
        "intercept over slope",
        lambda batch_sizes, steps: (
            _fit(1 / np.asarray(batch_sizes), steps)[1]
            / _fit(1 / np.asarray(batch_sizes), steps)[0]
        ),
        "In S = a + b / B the intercept a is S_min and the slope b is S_min B_crit: "
        "B_crit = b / a.",
    ),
    Mutant(
        "the slope alone",
        lambda batch_sizes, steps: _fit(1 / np.asarray(batch_sizes), steps)[0],
        "The slope of steps against 1 / B is S_min B_crit, a number of examples: divide by the "
        "intercept S_min.",
    ),
]


def _normal_equations(batch_sizes, steps):
    X = np.stack([np.ones(len(batch_sizes)), 1 / np.asarray(batch_sizes, float)], axis=1)
    a, b = np.linalg.lstsq(X, np.asarray(steps, float), rcond=None)[0]
    return b / a


ALTERNATES["15.critical_batch"] = [_normal_equations]
