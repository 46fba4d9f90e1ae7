"""Exercises of lecture 16: learning without a schedule.

One update of Schedule-Free SGD's three sequences, from the gradient taken at y, and the switch
PyTorch's ``optimizer.eval()`` makes: the average x recovered from the point y the model holds
in training and the optimizer's z. The references are built from
``lrcourse.optimizers.sgd_schedule_free`` (its own update, one step from a given state).

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex16.py``.
"""

import numpy as np

from lrcourse.optimizers import ScheduleFreeState, averaging_weight, sgd_schedule_free

from .spec import Exercise, Hidden

TITLE = "Learning without a schedule"
NOTEBOOK = "16_no_schedule"

# The learner writes these; lrcourse's own optimizer in an answer deserves a look.
REVIEW = {
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "sgd_schedule_free": "uses lrcourse's sgd_schedule_free",
    "import schedulefree": "uses the schedulefree package",
}

# The notebook runs the learner's update on a noisy quadratic.
ALLOW = ("_validate", "problems", "data")

A = np.array


# --- 16.schedule_free_step ---------------------------------------------------------------------


def _reference_step(y, z, x, grads, lr, momentum, c):
    """lrcourse's update from a state whose averaging weight for this step is exactly c."""
    y, z, x = (np.asarray(a, dtype=float) for a in (y, z, x))
    # weight_sum = (1 - c) / c and lr_max = 1 with weight_lr_power = 0 give weight 1 and c.
    ratio = np.inf if c == 0 else (1 - c) / c
    zero = np.zeros_like(y[..., :1])
    state = ScheduleFreeState(0, z, x, zero + ratio, zero + 1.0, np.zeros_like(y))
    got, _, _ = averaging_weight(0, 1.0, state, 0.0, 0.0)
    assert np.allclose(got, c)
    opt = sgd_schedule_free(lr=lr, momentum=momentum, weight_lr_power=0.0)
    y_new, new = opt.step(y, np.asarray(grads, dtype=float), state)
    return y_new, new.z, new.x


def _state(z, x, grads, lr, momentum, c):
    """A case whose y is where the method keeps it: (1 - momentum) z + momentum x."""
    z, x = A(z, dtype=float), A(x, dtype=float)
    y = (1 - momentum) * z + momentum * x
    return dict(y=y, z=z, x=x, grads=A(grads, dtype=float), lr=lr, momentum=momentum, c=c)


schedule_free_step = Exercise(
    id="16.schedule_free_step",
    title="One step of Schedule-Free SGD: z, x and y",
    reference=_reference_step,
    cases=[
        # the first step: all three points start together, and c = 1
        _state([1.0, -2.0], [1.0, -2.0], [0.5, -1.0], lr=0.1, momentum=0.9, c=1.0),
        # three points apart: which one takes the gradient step, which averages, which mixes
        _state([2.0, -1.0], [0.0, 1.0], [1.0, 2.0], lr=0.5, momentum=0.9, c=0.25),
        _state([4.0], [1.0], [-2.0], lr=0.2, momentum=0.5, c=0.1),
        # momentum close to 0: y is (almost) z
        _state([2.0, 0.0], [0.0, 3.0], [0.3, -0.3], lr=1.0, momentum=0.05, c=0.5),
        # a batch of runs (leading axis)
        _state(
            [[2.0, 2.0], [1.0, -3.0]],
            [[0.0, 1.0], [-1.0, 0.5]],
            [[0.1, 0.2], [-0.4, 0.8]],
            lr=0.3,
            momentum=0.8,
            c=0.2,
        ),
    ],  # fmt: skip
    key=(
        "(1 - c) * x + c * z",
        "(1 - momentum) * z + momentum * x",
        r"(1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}",
        r"(1-c)x + cz",
        r"(1-\beta)\, z_t + \beta\, x_t",
        r"(1-\beta)z + \beta x",
    ),
    hints={
        "type": "Return the three new points as a tuple (y, z, x), in that order.",
        "shape": "Return the three new points as a tuple (y, z, x), each of the shape of y.",
    },
    hidden_cases=[
        Hidden(
            "c = 0: the average does not move",
            _state([3.0, -1.0], [0.5, 0.5], [1.0, 1.0], lr=0.1, momentum=0.9, c=0.0),
        ),
        Hidden(
            "a rate of zero: nothing moves but the average",
            _state([2.0], [-1.0], [5.0], lr=0.0, momentum=0.7, c=0.5),
        ),
        Hidden(
            "momentum 0.99 on three coordinates",
            _state(
                [1.0, -1.0, 2.0], [0.0, 0.0, 0.0], [2.0, -2.0, 0.5], lr=0.05, momentum=0.99, c=1 / 7
            ),
        ),  # fmt: skip
    ],
)


# --- 16.eval_point -----------------------------------------------------------------------------


def _reference_eval_point(y, z, momentum):
    """x from y = (1 - momentum) z + momentum x, as schedulefree's optimizer.eval() moves it."""
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    return (y - (1 - momentum) * z) / momentum


eval_point = Exercise(
    id="16.eval_point",
    title="Switch to the evaluation point: x from y and z",
    reference=_reference_eval_point,
    cases=[
        dict(y=A([1.0, -2.0]), z=A([1.0, -2.0]), momentum=0.9),  # y = z: then x is there too
        dict(y=A([1.9, 0.1]), z=A([1.0, 1.0]), momentum=0.9),
        dict(y=A([2.0]), z=A([4.0]), momentum=0.5),
        dict(y=A([0.3, -0.3, 1.0]), z=A([3.0, 0.0, -1.0]), momentum=0.25),
        dict(y=A([[1.0, 0.0], [2.0, 2.0]]), z=A([[0.0, 1.0], [1.0, 3.0]]), momentum=0.8),
    ],
    # the answer, and the rule for y it is one line of algebra away from
    key=(
        "(1 - momentum) * z) / momentum",
        r"(y - (1-\beta) z)/\beta",
        r"\frac{y - (1-\beta)z}{\beta}",
        "(1 - momentum) * z + momentum * x",
        r"(1-\beta)\, z_t + \beta\, x_t",
        r"(1-\beta)z + \beta x",
    ),
    hints={"shape": "Return x, an array of the shape of y."},
    hidden_cases=[
        Hidden(
            "momentum 0.99: x is nearly y", dict(y=A([1.0, 2.0]), z=A([5.0, -5.0]), momentum=0.99)
        ),  # fmt: skip
        Hidden("a small momentum: x far from y", dict(y=A([1.0]), z=A([1.2]), momentum=0.05)),
        Hidden(
            "a batch of runs",
            dict(
                y=A([[0.5, 0.5], [1.0, -1.0], [0.0, 2.0]]),
                z=A([[1.0, 0.0], [0.0, 0.0], [2.0, 2.0]]),
                momentum=0.7,
            ),
        ),  # fmt: skip
    ],
)

EXERCISES = [schedule_free_step, eval_point]
