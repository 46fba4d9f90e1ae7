"""Lecture 16's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex16.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 16.schedule_free_step ---------------------------------------------------------------------


def _step(y, z, x, grads, lr, momentum, c, *, average_old_z=False, swap_momentum=False,
          swap_c=False, sign=-1.0, old_points_for_y=False):  # fmt: skip
    z_new = z + sign * lr * grads
    source = z if average_old_z else z_new
    x_new = (c * x + (1 - c) * source) if swap_c else ((1 - c) * x + c * source)
    zy, xy = (z, x) if old_points_for_y else (z_new, x_new)
    y_new = (
        (momentum * zy + (1 - momentum) * xy)
        if swap_momentum
        else ((1 - momentum) * zy + momentum * xy)
    )
    return y_new, z_new, x_new


MUTANTS["16.schedule_free_step"] = [
    Mutant(
        "the average takes the old z",
        lambda *a: _step(*a, average_old_z=True),
        "Take the SGD step first: the average x moves towards the new z, the one that has just "
        "used the gradient.",
    ),
    Mutant(
        "momentum on the wrong side",
        lambda *a: _step(*a, swap_momentum=True),
        "y lies a fraction momentum of the way from z to x: with momentum 0.9 it is mostly x, the "
        "average, and with momentum near 0 it is z.",
    ),
    Mutant(
        "c weighs the old average",
        lambda *a: _step(*a, swap_c=True),
        "c is the weight of the new z in the average: with c = 1 (the first step) the average is "
        "the new z itself.",
    ),
    Mutant(
        "gradient ascent",
        lambda *a: _step(*a, sign=1.0),
        "z steps against the gradient, as plain SGD does.",
    ),
    Mutant(
        "y from the old points",
        lambda *a: _step(*a, old_points_for_y=True),
        "The next gradient is taken between the new z and the new x: update z and x first, "
        "then interpolate.",
    ),
    Mutant(
        "the gradient step on y",
        lambda y, z, x, grads, lr, momentum, c: _step(y, y, x, grads, lr, momentum, c),
        "The gradient is taken at y but the step is z's: z - lr * grads, not y - lr * grads.",
    ),
]


def _step_in_place(y, z, x, grads, lr, momentum, c):
    # The schedulefree package's form: y moves without forming x's update first.
    y_new = (1 - c) * y + c * z + lr * (momentum * (1 - c) - 1) * grads
    z_new = z - lr * grads
    return y_new, z_new, x + c * (z_new - x)


def _step_lerp(y, z, x, grads, lr, momentum, c):
    z_new = z - lr * grads
    x_new = x + c * (z_new - x)
    return z_new + momentum * (x_new - z_new), z_new, x_new


ALTERNATES["16.schedule_free_step"] = [_step_in_place, _step_lerp]


# --- 16.eval_point -----------------------------------------------------------------------------

MUTANTS["16.eval_point"] = [
    Mutant(
        "y itself",
        lambda y, z, momentum: np.array(y, dtype=float),
        "In training the model holds y, not x: recover x from y = (1 - momentum) z + momentum x.",
    ),
    Mutant(
        "momentum on the wrong side",
        lambda y, z, momentum: (y - momentum * z) / (1 - momentum),
        "y is a fraction momentum of the way from z to x, so momentum multiplies x, not z.",
    ),
    Mutant(
        "not divided",
        lambda y, z, momentum: y - (1 - momentum) * z,
        "Solve for x: after subtracting z's share, divide by x's weight.",
    ),
    Mutant(
        "y moved towards z",
        lambda y, z, momentum: y + (1 - momentum) * (z - y),
        "x lies beyond y, on the side away from z: y is between z and x.",
    ),
]

ALTERNATES["16.eval_point"] = [
    lambda y, z, momentum: y + (1 - 1 / momentum) * (z - y),  # schedulefree's lerp
    lambda y, z, momentum: z + (y - z) / momentum,
]
