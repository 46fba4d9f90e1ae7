"""Lecture 06's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex06.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from lrcourse.grading.ex06 import _winner

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 06.pick_by_validation --------------------------------------------------------------------


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


MUTANTS["06.pick_by_validation"] = [
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
]

ALTERNATES["06.pick_by_validation"] = [_pick_loops, _pick_nanargmin]

# --- 06.lr_per_step ---------------------------------------------------------------------------


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


MUTANTS["06.lr_per_step"] = [
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
]

ALTERNATES["06.lr_per_step"] = [_lr_repeat, _lr_loop]

# --- 06.winner_at_budget ----------------------------------------------------------------------


def _winner_loop(val_curves, budget):
    best, winner = np.inf, -1
    for s, curve in enumerate(val_curves):
        if curve[budget] < best:  # False for NaN: a diverged run never wins
            best, winner = curve[budget], s
    return winner


MUTANTS["06.winner_at_budget"] = [
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
]

ALTERNATES["06.winner_at_budget"] = [
    _winner_loop,
    lambda val_curves, budget: int(np.nanargmin(val_curves[:, budget])),
]

# --- 06.diverged_at ---------------------------------------------------------------------------


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


MUTANTS["06.diverged_at"] = [
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
]

ALTERNATES["06.diverged_at"] = [
    _diverged_loop,
    _diverged_with(lambda loss, factor: ~np.isfinite(loss) | (np.abs(loss) > _limit(loss, factor))),
]
