"""Exercises of lecture 06: schedules compared on a real task.

The four steps of a fair comparison, each as a small function: choose each schedule's peak on
validation loss and report the test loss of that choice; turn a schedule counted in epochs into
the rate of every update; name the winner under a fixed budget; and find where runs diverged.
References come from ``lrcourse.explorers.compare``, ``lrcourse.schedules`` and
``lrcourse.train``.
"""

import numpy as np

from lrcourse.optimizers import sgd
from lrcourse.problems import Problem
from lrcourse.schedules import step_decay
from lrcourse.train import run

from .spec import Exercise, Hidden, Mutant

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
    from lrcourse.explorers.compare import Sweep  # the rule the lecture used, Sweep.best

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


def _pick_with(choose, report="test", as_index=False):
    """Wrong pickers: another choice of column, another number reported, or the column index."""

    def pick(peaks, val_loss, test_loss):
        val, test = np.asarray(val_loss, float), np.asarray(test_loss, float)
        best = choose(val, test)
        rows = np.arange(len(val))
        shown = (test if report == "test" else val)[rows, best]
        first = best.astype(float) if as_index else np.asarray(peaks, float)[best]
        return np.stack([first, shown], axis=1)

    return pick


def _no_nan(val):
    return np.where(np.isnan(val), np.inf, val)


def _pick_loops(peaks, val_loss, test_loss):
    out = []
    for val, test in zip(val_loss, test_loss):
        k = min((v, k) for k, v in enumerate(val) if not np.isnan(v))[1]
        out.append([peaks[k], test[k]])
    return np.array(out)


def _pick_nanargmin(peaks, val_loss, test_loss):
    best = np.nanargmin(val_loss, axis=1)
    return np.column_stack(
        [np.asarray(peaks)[best], np.asarray(test_loss)[np.arange(len(best)), best]]
    )


_PEAKS = A([0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6])

# A larger sweep for a hidden case: 5 schedules x 6 peaks, the largest peaks diverged.
_VAL = np.random.default_rng(6).uniform(0.1, 1.0, (5, 6)).round(3)
_VAL[[0, 1, 1, 3], [5, 4, 5, 5]] = NAN
_TEST = (_VAL + np.random.default_rng(7).uniform(-0.05, 0.05, (5, 6))).round(3)

pick_by_validation = Exercise(
    id="06.pick_by_validation",
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
    mutants=[
        Mutant(
            "chosen on test",
            _pick_with(lambda val, test: np.nanargmin(test, axis=1)),
            "You chose by the test loss. The test set must take no part in any choice: choose "
            "the peak with the lowest *validation* loss, then report the test loss of that peak.",
        ),
        Mutant(
            "NaN chosen",
            _pick_with(lambda val, test: np.argmin(val, axis=1)),
            "A diverged run has a NaN loss, and np.argmin treats NaN as the smallest number. "
            "Exclude them: np.nanargmin, or np.where(np.isnan(val_loss), np.inf, val_loss).",
        ),
        Mutant(
            "largest",
            _pick_with(lambda val, test: np.nanargmax(val, axis=1)),
            "The best peak has the lowest validation loss, not the highest.",
        ),
        Mutant(
            "index",
            _pick_with(lambda val, test: np.argmin(_no_nan(val), axis=1), as_index=True),
            "Return the peak rate itself, peaks[k], not its position k in the sweep.",
        ),
        Mutant(
            "validation reported",
            _pick_with(lambda val, test: np.argmin(_no_nan(val), axis=1), report="val"),
            "The second number is the one you report: the *test* loss of the chosen peak. The "
            "validation loss did the choosing, so it is optimistic about the choice.",
        ),
    ],
    alternates=[_pick_loops, _pick_nanargmin],
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


def _lr_with(epoch_of, per_epoch=lambda n, b: -(-n // b), smooth=False):
    """Wrong conversions: another epoch for update k, another count of updates per epoch."""

    def lr_per_step(lr, step_size, gamma, n_train, batch_size, epochs):
        spe = max(per_epoch(n_train, batch_size), 1)
        k = np.arange(epochs * spe)
        epoch = epoch_of(k, spe, step_size)
        power = epoch / step_size if smooth else epoch // step_size
        return lr * gamma**power

    return lr_per_step


def _lr_repeat(lr, step_size, gamma, n_train, batch_size, epochs):
    per_epoch = [lr * gamma ** (e // step_size) for e in range(epochs)]
    return np.repeat(per_epoch, int(np.ceil(n_train / batch_size)))


def _lr_loop(lr, step_size, gamma, n_train, batch_size, epochs):
    out, rate = [], lr
    for epoch in range(epochs):
        if epoch > 0 and epoch % step_size == 0:
            rate = rate * gamma  # what scheduler.step() at the end of an epoch does
        for _ in range(0, n_train, batch_size):
            out.append(rate)
    return np.array(out)


lr_per_step = Exercise(
    id="06.lr_per_step",
    title="The rate of every update, from a schedule counted in epochs",
    reference=_lr_per_step,
    cases=[
        dict(lr=0.1, step_size=2, gamma=0.5, n_train=10, batch_size=4, epochs=5),
        dict(lr=1.0, step_size=1, gamma=0.1, n_train=8, batch_size=4, epochs=3),
        dict(lr=0.4, step_size=8, gamma=0.1, n_train=1197, batch_size=32, epochs=16),
        dict(lr=0.05, step_size=3, gamma=0.5, n_train=7, batch_size=7, epochs=7),
        dict(lr=0.2, step_size=1, gamma=0.5, n_train=5, batch_size=10, epochs=2),
    ],
    mutants=[
        Mutant(
            "stepped every batch",
            _lr_with(lambda k, spe, size: k),
            "The schedule counts epochs, but you fed it the update number: the classic bug of "
            "calling a per-epoch scheduler after every batch. Update k is in epoch "
            "k // steps_per_epoch.",
        ),
        Mutant(
            "floor division",
            _lr_with(lambda k, spe, size: k // spe, per_epoch=lambda n, b: n // b),
            "An epoch has ceil(n_train / batch_size) updates: the last, smaller batch is an "
            "update too (-(-n_train // batch_size) in integers).",
        ),
        Mutant(
            "one epoch early",
            _lr_with(lambda k, spe, size: k // spe + 1),
            "Epoch 0 uses the starting rate: a per-epoch scheduler steps at the *end* of each "
            "epoch, so update k uses the rate of epoch k // steps_per_epoch.",
        ),
        Mutant(
            "smooth",
            _lr_with(lambda k, spe, size: k // spe, smooth=True),
            "Step decay multiplies by gamma once per step_size epochs: the power is "
            "floor(epoch / step_size), not epoch / step_size.",
        ),
        Mutant(
            "one per epoch",
            lambda lr, step_size, gamma, n_train, batch_size, epochs: (
                lr * gamma ** (np.arange(epochs) // step_size)
            ),
            "Return one rate per *update*: epochs * steps_per_epoch numbers, each epoch's rate "
            "repeated for each of its mini-batches.",
        ),
    ],
    alternates=[_lr_repeat, _lr_loop],
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


def _winner_loop(val_curves, budget):
    best, winner = np.inf, -1
    for s, curve in enumerate(val_curves):
        if curve[budget] < best:  # False for NaN: a diverged run never wins
            best, winner = curve[budget], s
    return winner


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
    title="The winner under a fixed budget",
    reference=_winner,
    cases=[
        dict(val_curves=_CURVES, budget=4),
        dict(val_curves=_LATE, budget=3),
        dict(val_curves=_DIVERGED, budget=4),
        dict(val_curves=_LATE, budget=5),
        dict(val_curves=_CURVES, budget=2),
    ],
    mutants=[
        Mutant(
            "NaN wins",
            lambda val_curves, budget: int(np.argmin(val_curves[:, budget])),
            "np.argmin treats NaN as the smallest number, so a diverged run would win. Exclude "
            "it: np.where(np.isnan(x), np.inf, x) before np.argmin.",
        ),
        Mutant(
            "best epoch",
            lambda val_curves, budget: int(np.nanargmin(np.nanmin(val_curves[:, 1:], axis=1))),
            "Compare every schedule at the same point, the end of the budget (column budget). "
            "Taking each curve's best epoch is early stopping on validation: another rule.",
        ),
        Mutant(
            "last column",
            lambda val_curves, budget: _winner(val_curves, -1),
            "The budget is `budget` epochs: compare column `budget`, which need not be the last.",
        ),
        Mutant(
            "one epoch short",
            lambda val_curves, budget: _winner(val_curves, budget - 1),
            "Column 0 is before training, so the loss after `budget` epochs is column `budget`.",
        ),
        Mutant(
            "largest",
            lambda val_curves, budget: int(np.nanargmax(val_curves[:, budget])),
            "The winner has the lowest validation loss, not the highest.",
        ),
    ],
    alternates=[_winner_loop, lambda val_curves, budget: int(np.nanargmin(val_curves[:, budget]))],
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


def _diverged_with(bad_of, when_never=-1, shift=0):
    def diverged_at(loss, factor):
        loss = np.asarray(loss, dtype=float)
        bad = bad_of(loss, factor)
        first = np.argmax(bad, axis=0) + shift
        return np.where(bad.any(axis=0), first, when_never) if when_never is not None else first

    return diverged_at


def _limit(loss, factor):
    return factor * np.maximum(np.abs(loss[0]), 1.0)


def _diverged_loop(loss, factor):
    out = []
    for run_loss in np.asarray(loss, dtype=float).T:
        limit = factor * max(abs(run_loss[0]), 1.0)
        k = next((k for k, x in enumerate(run_loss) if not abs(x) <= limit), -1)
        out.append(k)
    return np.array(out)


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
    title="Where each run of a sweep diverged",
    reference=_diverged_at,
    cases=[
        dict(loss=_RUNS, factor=1e12),
        dict(loss=_SMALL_START, factor=100.0),
        dict(loss=A([[1.0], [0.5], [0.25]]), factor=1e12),
        dict(loss=A([[3.0, 3.0], [2.0, np.inf], [1.0, np.inf]]), factor=10.0),
        dict(loss=_RUNS[:2], factor=1e12),
    ],
    mutants=[
        Mutant(
            "only non-finite",
            _diverged_with(lambda loss, factor: ~np.isfinite(loss)),
            "A run is lost long before it overflows: it has diverged as soon as |loss| exceeds "
            "factor * max(|loss[0]|, 1), or is not finite.",
        ),
        Mutant(
            "argmax of nothing",
            _diverged_with(lambda loss, factor: ~(np.abs(loss) <= _limit(loss, factor)), None),
            "np.argmax of a column with no True in it is 0, not 'never': return -1 where no "
            "step is bad (bad.any(axis=0) tells you which).",
        ),
        Mutant(
            "no max with 1",
            _diverged_with(lambda loss, factor: ~(np.abs(loss) <= factor * np.abs(loss[0]))),
            "The limit is factor * max(|loss[0]|, 1): a run that starts with a tiny loss is not "
            "lost the moment its loss grows past factor times that tiny number.",
        ),
        Mutant(
            "NaN missed",
            _diverged_with(lambda loss, factor: np.abs(loss) > _limit(loss, factor)),
            "NaN > limit is False, so a NaN loss slips through. Test the opposite, "
            "~(np.abs(loss) <= limit), which is True for NaN, or add ~np.isfinite(loss).",
        ),
        Mutant(
            "last good step",
            _diverged_with(lambda loss, factor: ~(np.abs(loss) <= _limit(loss, factor)), shift=-1),
            "Report the first bad step itself, not the last good one.",
        ),
        Mutant(
            "no absolute value",
            _diverged_with(lambda loss, factor: ~(loss <= _limit(loss, factor))),
            "A loss can run away downwards too (a loss with no lower bound): compare |loss| with "
            "the limit.",
        ),
    ],
    alternates=[
        _diverged_loop,
        _diverged_with(
            lambda loss, factor: ~np.isfinite(loss) | (np.abs(loss) > _limit(loss, factor))
        ),
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
