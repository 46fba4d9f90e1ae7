"""Exercises of lecture 06: schedules compared on a real task.

The four steps of a fair comparison, each as a small function: choose each schedule's peak on
validation loss and report the test loss of that choice; turn a schedule counted in epochs into
the rate of every update; name the winner under a fixed budget; and find where runs diverged.
References come from ``lrcourse.explorers.compare``, ``lrcourse.schedules`` and
``lrcourse.train``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex06.py``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Problem
from lrcourse.schedules import step_decay
from lrcourse.train import run

from .spec import Exercise, Hidden

TITLE = "Schedules compared on a real task"
NOTEBOOK = "06_schedules_compared"

REVIEW = {
    "lrcourse.explorers": "uses lrcourse.explorers.compare",
    "lrcourse.schedules": "uses lrcourse.schedules",
    "lrcourse.train": "uses lrcourse.train",
}

A = np.array
NAN = np.nan


# --- 06.pick_by_validation ---------------------------------------------------------------------


def _pick(peaks, val_loss, test_loss):
    from lrcourse.experiments import Sweep  # the rule the lecture used, Sweep.best

    val_loss = np.asarray(val_loss, dtype=float)
    sweep = Sweep(
        names=tuple(range(len(val_loss))),
        peaks=np.asarray(peaks, dtype=float),
        epochs=1,
        steps_per_epoch=1,
        seed=0,
        lr=None,
        train_loss=None,
        val_loss=val_loss[..., None],
        test_loss=np.asarray(test_loss, dtype=float)[..., None],
        final_train_loss=None,
        val_accuracy=None,
        test_accuracy=None,
        diverged=np.isnan(val_loss),
    )
    best = sweep.best()
    rows = np.arange(len(val_loss))
    return np.stack([sweep.peaks[best], sweep.test_loss[rows, best, -1]], axis=1)


_PEAKS = A([0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6])

# A larger sweep for a hidden case: 5 schedules x 6 peaks, the largest peaks diverged.
_VAL = np.random.default_rng(6).uniform(0.1, 1.0, (5, 6)).round(3)
_VAL[[0, 1, 1, 3], [5, 4, 5, 5]] = NAN
_TEST = (_VAL + np.random.default_rng(7).uniform(-0.05, 0.05, (5, 6))).round(3)

pick_by_validation = Exercise(
    id="06.pick_by_validation",
    key=("np.argmin(val, axis=1)",),
    title="Choose each peak on validation, report it on test",
    reference=_pick,
    cases=[
        dict(
            peaks=A([0.1, 0.2, 0.4]),
            val_loss=A([[0.5, 0.3, 0.4], [0.6, 0.45, 0.2]]),
            test_loss=A([[0.45, 0.35, 0.3], [0.5, 0.4, 0.25]]),
        ),
        dict(
            peaks=A([0.1, 0.2, 0.4]),
            val_loss=A([[0.3, 0.2, NAN], [NAN, 0.5, 0.4]]),
            test_loss=A([[0.28, 0.25, NAN], [NAN, 0.45, 0.41]]),
        ),
        dict(
            peaks=_PEAKS,
            val_loss=A(
                [
                    [0.21, 0.2, 0.1999, 0.21, 0.31, 48.0, 57.5],
                    [0.25, 0.2, 0.18, 0.166, 0.1568, 0.436, 1.3],
                    [0.45, 0.3, 0.22, 0.19, 0.18, 0.1707, 0.216],
                ]
            ),
            test_loss=A(
                [
                    [0.17, 0.16, 0.139, 0.15, 0.26, 47.0, 56.0],
                    [0.2, 0.15, 0.13, 0.12, 0.109, 0.4, 1.2],
                    [0.4, 0.25, 0.16, 0.14, 0.126, 0.134, 0.2],
                ]
            ),
        ),
        dict(
            peaks=A([0.01, 1.0]),
            val_loss=A([[2.0, 1.0]]),
            test_loss=A([[1.9, 1.1]]),
        ),
    ],
    hints={
        "shape": "Return one row per schedule, [chosen peak, its test loss]: shape "
        "(len(val_loss), 2).",
    },
    hidden_cases=[
        Hidden(
            "a larger sweep (5 schedules, 6 peaks), some runs diverged",
            dict(peaks=_PEAKS[:6], val_loss=_VAL, test_loss=_TEST),
        ),
        Hidden(
            "a single peak per schedule",
            dict(
                peaks=A([0.3]),
                val_loss=A([[0.4], [0.2], [0.9]]),
                test_loss=A([[0.5], [0.3], [0.8]]),
            ),
        ),
        Hidden(
            "rows where only one run did not diverge",
            dict(
                peaks=A([0.05, 0.1, 0.2, 0.4]),
                val_loss=A([[NAN, NAN, 0.3, NAN], [0.5, NAN, NAN, NAN]]),
                test_loss=A([[NAN, NAN, 0.32, NAN], [0.55, NAN, NAN, NAN]]),
            ),
        ),
    ],
)


# --- 06.lr_per_step ----------------------------------------------------------------------------


def _lr_per_step(lr, step_size, gamma, n_train, batch_size, epochs):
    steps_per_epoch = -(-n_train // batch_size)  # the last, smaller batch is an update too
    step = np.arange(epochs * steps_per_epoch)
    return step_decay(lr, step_size, gamma)(step // steps_per_epoch)


lr_per_step = Exercise(
    id="06.lr_per_step",
    key=(
        "-(-n_train // batch_size)",
        "epoch // step_size",
        r"\gamma^{\lfloor e / \text{step\_size} \rfloor}",
        r"\lceil n_\text{train} / \text{batch\_size} \rceil",
    ),
    title="The rate of every update, from a schedule counted in epochs",
    reference=_lr_per_step,
    cases=[
        dict(lr=0.1, step_size=2, gamma=0.5, n_train=10, batch_size=4, epochs=5),
        dict(lr=1.0, step_size=1, gamma=0.1, n_train=8, batch_size=4, epochs=3),
        dict(lr=0.4, step_size=8, gamma=0.1, n_train=1197, batch_size=32, epochs=16),
        dict(lr=0.05, step_size=3, gamma=0.5, n_train=7, batch_size=7, epochs=7),
        dict(lr=0.2, step_size=1, gamma=0.5, n_train=5, batch_size=10, epochs=2),
    ],
    hints={
        "shape": "Return one rate per update: epochs * ceil(n_train / batch_size) numbers.",
    },
    hidden_cases=[
        Hidden(
            "a large dataset that the batch size divides exactly",
            dict(lr=0.3, step_size=2, gamma=0.2, n_train=960, batch_size=64, epochs=6),
        ),
        Hidden(
            "one update per epoch over many epochs",
            dict(lr=0.5, step_size=5, gamma=0.5, n_train=3, batch_size=8, epochs=12),
        ),
        Hidden(
            "step_size longer than the run",
            dict(lr=0.02, step_size=10, gamma=0.1, n_train=50, batch_size=16, epochs=4),
        ),
    ],
)


# --- 06.winner_at_budget -----------------------------------------------------------------------


def _winner(val_curves, budget):
    at_budget = np.asarray(val_curves, dtype=float)[:, budget]
    return int(np.argmin(np.where(np.isnan(at_budget), np.inf, at_budget)))


_CURVES = A(
    [
        [2.3, 0.5, 0.20, 0.25, 0.30],  # fast, then overfits: best early, not at the end
        [2.3, 0.9, 0.40, 0.22, 0.21],
        [2.3, 0.8, 0.35, 0.33, 0.32],
    ]
)
_DIVERGED = A(
    [
        [2.3, 0.6, 0.30, 0.26, 0.25],
        [2.3, 0.3, 0.10, NAN, NAN],  # best of all, until it diverged
        [2.3, 0.7, 0.32, 0.27, 0.22],
    ]
)
_MANY = A(  # for hidden cases
    [
        [2.3, 1.2, 0.8, 0.60, 0.50, 0.45, 0.42, 0.40],
        [2.3, 0.9, 0.5, 0.40, 0.38, 0.37, 0.36, 0.36],
        [2.3, 1.5, 1.0, 0.70, 0.45, 0.30, 0.25, 0.21],
        [2.3, 1.0, 0.6, 0.45, 0.35, 0.33, 0.32, 0.31],
        [2.3, 0.8, 0.4, NAN, NAN, NAN, NAN, NAN],  # the best at epoch 2, then lost
        [2.3, 1.1, 0.7, 0.50, 0.40, 0.34, 0.30, 0.29],
    ]
)
_LATE = A(
    [
        [2.3, 1.0, 0.50, 0.31, 0.20, 0.15],
        [2.3, 0.7, 0.12, 0.29, 0.28, 0.27],  # the best epoch of all, early on
        [2.3, 0.9, 0.45, 0.30, 0.26, 0.20],
        [2.3, 0.8, 0.33, 0.32, 0.29, 0.25],
    ]
)

winner_at_budget = Exercise(
    id="06.winner_at_budget",
    key=("val_curves[:, budget]",),
    title="The winner under a fixed budget",
    reference=_winner,
    cases=[
        dict(val_curves=_CURVES, budget=4),
        dict(val_curves=_LATE, budget=3),
        dict(val_curves=_DIVERGED, budget=4),
        dict(val_curves=_LATE, budget=5),
        dict(val_curves=_CURVES, budget=2),
    ],
    hints={"shape": "Return one number: the index (row) of the winning schedule."},
    hidden_cases=[
        Hidden("more schedules, one of them diverged", dict(val_curves=_MANY, budget=5)),
        Hidden("a budget that ends before a run diverges", dict(val_curves=_MANY, budget=2)),
        Hidden("a single schedule", dict(val_curves=A([[2.3, 1.0, 0.5]]), budget=2)),
    ],
)


# --- 06.diverged_at ----------------------------------------------------------------------------


class _Replay(Problem):
    """A stand-in problem whose loss at step k is row k of a recorded history: ``run`` then
    applies its own divergence rule to it."""

    name, dim = "replay", 1

    def __init__(self, loss):
        self.rows = iter(np.asarray(loss, dtype=float))
        self.start = np.zeros(1)

    def loss_and_grad(self, params, batch=None, rng=None):
        return next(self.rows) * np.ones(params.shape[:-1]), np.zeros_like(params)

    def loss(self, params):  # run() asks for both; loss_and_grad is what it calls
        raise NotImplementedError

    def grad(self, params):
        raise NotImplementedError


def _diverged_at(loss, factor):
    loss = np.asarray(loss, dtype=float)
    params = np.zeros((loss.shape[1], 1))
    history = run(
        sgd(lr=0.0),
        _Replay(loss),
        params,
        steps=len(loss) - 1,
        divergence_factor=factor,
        record_params=False,
    )
    return history.diverged_at


_RUNS = A(
    [
        [2.3, 2.3, 2.3],
        [1.2, 5.0, 2.0],
        [0.8, 4e3, NAN],
        [0.5, 9e8, NAN],
        [0.4, 3e13, NAN],
        [0.3, np.inf, NAN],
    ]
)
_SMALL_START = A(
    [
        [0.01, 0.01, -0.5],
        [0.005, 5.0, -10.0],
        [0.002, 60.0, -90.0],
        [0.001, 150.0, -150.0],
    ]
)

# Five runs growing by a different factor per step, and one that turns NaN (hidden cases only).
_GROWING = np.column_stack(
    [2.0 * A([0.9, 1.0, 1.8, 2.5, 4.0]) ** np.arange(25)[:, None], np.r_[np.ones(12), [NAN] * 13]]
)

diverged_at = Exercise(
    id="06.diverged_at",
    key=("np.argmax(bad, axis=0)",),
    title="Where each run of a sweep diverged",
    reference=_diverged_at,
    cases=[
        dict(loss=_RUNS, factor=1e12),
        dict(loss=_SMALL_START, factor=100.0),
        dict(loss=A([[1.0], [0.5], [0.25]]), factor=1e12),
        dict(loss=A([[3.0, 3.0], [2.0, np.inf], [1.0, np.inf]]), factor=10.0),
        dict(loss=_RUNS[:2], factor=1e12),
    ],
    hints={
        "shape": "Return one step per run (a column of `loss`), -1 for a run that never diverged."
    },
    hidden_cases=[
        Hidden("more runs over more steps", dict(loss=_GROWING, factor=1e6)),
        Hidden(
            "a loss exactly at the limit",
            dict(loss=A([[2.0, 0.5], [20.0, 10.0], [20.0, 10.5], [5.0, 1.0]]), factor=10.0),
        ),
        Hidden(
            "runs lost early, by inf, NaN or a large negative loss",
            dict(loss=A([[1.0, -3.0, 0.2], [np.inf, -40.0, 11.0], [NAN, -50.0, 0.1]]), factor=10.0),
        ),
    ],
)

EXERCISES = [pick_by_validation, lr_per_step, winner_at_budget, diverged_at]
