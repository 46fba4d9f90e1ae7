"""Lecture 03's mutants (common mistakes, each with its hint) and alternates (right answers).

The exercises are in ``lrcourse/grading/ex03.py``; ``exercise_data`` says how these are used.
"""

import numpy as np

from . import Mutant

MUTANTS = {}
ALTERNATES = {}


# --- 03.step_decay ----------------------------------------------------------------------------


def _step_decay_loop(lr, step_size, gamma, step):
    flat = [lr * gamma ** (int(s) // step_size) for s in np.ravel(step)]
    return np.reshape(flat, np.shape(step))


_AT_THE_STEP = (
    "The rate changes AT step step_size: steps 0 .. step_size - 1 use lr, step step_size uses "
    "lr * gamma. The number of cuts so far is step // step_size."
)


MUTANTS["03.step_decay"] = [
    Mutant(
        "no floor",
        lambda lr, step_size, gamma, step: lr * gamma ** (np.asarray(step) / step_size),
        "Step decay holds the rate for step_size steps, then cuts it: the exponent is the "
        "whole number of periods, step // step_size. Without the floor this is exponential "
        "decay (lecture 04).",
    ),
    Mutant(
        "one step early",
        lambda lr, step_size, gamma, step: lr * gamma ** ((np.asarray(step) + 1) // step_size),
        _AT_THE_STEP,
    ),
    Mutant(
        "one step late",
        lambda lr, step_size, gamma, step: (
            lr * gamma ** (np.maximum(np.asarray(step) - 1, 0) // step_size)
        ),
        _AT_THE_STEP,
    ),
    Mutant(
        "ceil",
        lambda lr, step_size, gamma, step: lr * gamma ** np.ceil(np.asarray(step) / step_size),
        "Round the number of periods down (step // step_size), not up: the first step_size "
        "steps use lr itself.",
    ),
    Mutant(
        "product",
        lambda lr, step_size, gamma, step: lr * gamma * (np.asarray(step) // step_size),
        "Each cut multiplies the rate by gamma once more: a power, gamma ** (step // "
        "step_size), not a product.",
    ),
    Mutant(
        "counts from one",
        lambda lr, step_size, gamma, step: lr * gamma ** (np.asarray(step) // step_size + 1),
        "Step 0, the first update, uses lr itself: no cut has happened yet.",
    ),
]

ALTERNATES["03.step_decay"] = [
    _step_decay_loop,
    lambda lr, step_size, gamma, step: lr * np.power(gamma, np.floor_divide(step, step_size)),
]

# --- 03.multistep_decay -----------------------------------------------------------------------


def _multistep_loop(lr, milestones, gamma, step):
    flat = [lr * gamma ** sum(1 for m in milestones if m <= s) for s in np.ravel(step)]
    return np.reshape(flat, np.shape(step))


def _multistep_compare(lr, milestones, gamma, step):
    passed = np.sum(np.asarray(step)[..., None] >= np.asarray(milestones), axis=-1)
    return lr * gamma**passed


MUTANTS["03.multistep_decay"] = [
    Mutant(
        "one step late",
        lambda lr, milestones, gamma, step: (
            lr * gamma ** np.searchsorted(milestones, step, side="left")
        ),
        "The rate changes AT the milestone: at step == milestone the cut rate is already in "
        "use. Count the milestones <= step (np.searchsorted(milestones, step, side='right')).",
    ),
    Mutant(
        "first milestone only",
        lambda lr, milestones, gamma, step: lr * gamma ** (np.asarray(step) >= milestones[0]),
        "Every milestone passed multiplies the rate by gamma once more: count all the "
        "milestones <= step, not only the first.",
    ),
    Mutant(
        "all milestones",
        lambda lr, milestones, gamma, step: lr * gamma ** len(milestones) + 0 * np.asarray(step),
        "Count only the milestones already reached at this step; before the first one the "
        "rate is lr.",
    ),
    Mutant(
        "evenly spaced",
        lambda lr, milestones, gamma, step: lr * gamma ** (np.asarray(step) // milestones[0]),
        "Milestones need not be evenly spaced: step // milestones[0] is step decay. Count "
        "the milestones <= step.",
    ),
    Mutant(
        "product",
        lambda lr, milestones, gamma, step: (
            lr * gamma * np.searchsorted(milestones, step, side="right")
        ),
        "Each milestone multiplies the rate by gamma: gamma ** (milestones passed), a power.",
    ),
]

ALTERNATES["03.multistep_decay"] = [_multistep_loop, _multistep_compare]

# --- 03.per_step_lrs --------------------------------------------------------------------------


def _per_step_loop(epoch_lrs, steps_per_epoch):
    return np.array(
        [epoch_lrs[k // steps_per_epoch] for k in range(len(epoch_lrs) * steps_per_epoch)]
    )


_EPOCH_OF = "Update k lies in epoch k // steps_per_epoch and uses that epoch's rate."


MUTANTS["03.per_step_lrs"] = [
    Mutant(
        "tile",
        lambda epoch_lrs, steps_per_epoch: np.tile(epoch_lrs, steps_per_epoch),
        "Each epoch's rate is used for steps_per_epoch updates in a row: np.repeat, not "
        "np.tile (which cycles through all the epochs again and again).",
    ),
    Mutant(
        "not converted",
        lambda epoch_lrs, steps_per_epoch: np.array(epoch_lrs, dtype=float),
        "An optimizer counts updates: return one rate per update, len(epoch_lrs) * "
        "steps_per_epoch of them. Using the epoch schedule per update is trap 1 of the "
        "lecture: it finishes steps_per_epoch times too early.",
    ),
    Mutant(
        "one epoch early",
        lambda epoch_lrs, steps_per_epoch: np.repeat(
            np.append(epoch_lrs[1:], epoch_lrs[-1]), steps_per_epoch
        ),
        _EPOCH_OF + " Running every epoch at the next epoch's rate is trap 2: the "
        "scheduler stepped before the epoch.",
    ),
    Mutant(
        "one update early",
        lambda epoch_lrs, steps_per_epoch: np.append(
            np.repeat(epoch_lrs, steps_per_epoch)[1:], epoch_lrs[-1]
        ),
        _EPOCH_OF + " The first update of an epoch already uses the new rate, the last "
        "update of the epoch before still uses the old one.",
    ),
]

ALTERNATES["03.per_step_lrs"] = [
    _per_step_loop,
    lambda epoch_lrs, steps_per_epoch: np.kron(epoch_lrs, np.ones(steps_per_epoch)),
]

# --- 03.phase_floors --------------------------------------------------------------------------


def _floor_of(rate, L, sigma):
    rate = np.asarray(rate, dtype=float)
    stable = rate * L < 2
    return np.where(stable, rate * sigma**2 / (2 * np.where(stable, 2 - rate * L, 1.0)), np.inf)


def _phase_floors_loop(lr, gamma, n_drops, L, sigma):
    out = []
    for i in range(n_drops + 1):
        rate = lr * gamma**i
        out.append(rate * sigma**2 / (2 * (2 - rate * L)) if rate * L < 2 else np.inf)
    return np.array(out)


MUTANTS["03.phase_floors"] = [
    Mutant(
        "small-rate approximation",
        lambda lr, gamma, n_drops, L, sigma: lr * gamma ** np.arange(n_drops + 1) * sigma**2 / 4,
        "rate * sigma^2 / 4 is only the small-rate approximation; the floor is "
        "rate sigma^2 / (2 (2 - rate L)), which grows faster near the limit 2 / L.",
    ),
    Mutant(
        "n_drops phases",
        lambda lr, gamma, n_drops, L, sigma: _floor_of(lr * gamma ** np.arange(n_drops), L, sigma),
        "n_drops cuts make n_drops + 1 phases; the first runs at lr itself.",
    ),
    Mutant(
        "first phase cut",
        lambda lr, gamma, n_drops, L, sigma: _floor_of(
            lr * gamma ** np.arange(1, n_drops + 2), L, sigma
        ),
        "The first phase runs at lr, before any cut: the rates are lr * gamma ** i for "
        "i = 0 .. n_drops.",
    ),
    Mutant(
        "floor scaled",
        lambda lr, gamma, n_drops, L, sigma: (
            _floor_of(lr, L, sigma) * gamma ** np.arange(n_drops + 1)
        ),
        "The floor is not exactly proportional to the rate: compute each phase's floor from "
        "its own rate lr * gamma ** i, (2 - rate L) factor included.",
    ),
    Mutant(
        "no inf",
        lambda lr, gamma, n_drops, L, sigma: (
            (r := lr * gamma ** np.arange(n_drops + 1)) * sigma**2 / (2 * (2 - r * L))
        ),
        "A phase whose rate has rate * L >= 2 diverges and has no floor: return np.inf for "
        "it (np.where(rate * L < 2, ..., np.inf)).",
    ),
]

ALTERNATES["03.phase_floors"] = [
    _phase_floors_loop,
    lambda lr, gamma, n_drops, L, sigma: _floor_of(
        lr * np.cumprod(np.r_[1.0, np.full(n_drops, gamma)]), L, sigma
    ),
]

# --- 03.fixed_run -----------------------------------------------------------------------------


def _run_with(epoch_of_rate):
    """GD on L x^2 / 2 where epoch e runs at lr * gamma ** (epoch_of_rate(e) // step_size)."""

    def run(x0, L, lr, step_size, gamma, epochs, steps_per_epoch):
        x, path = x0, [x0]
        for epoch in range(epochs):
            rate = lr * gamma ** (epoch_of_rate(epoch) // step_size)
            for _ in range(steps_per_epoch):
                x = x - rate * L * x
                path.append(x)
        return np.array(path)

    return run


def _fixed_run_vectorised(x0, L, lr, step_size, gamma, epochs, steps_per_epoch):
    epoch = np.arange(epochs * steps_per_epoch) // steps_per_epoch
    return x0 * np.r_[1.0, np.cumprod(1 - lr * gamma ** (epoch // step_size) * L)]


def _stepped_per_batch(x0, L, lr, step_size, gamma, epochs, steps_per_epoch):
    x, path = x0, [x0]
    for update in range(epochs * steps_per_epoch):
        x = x - lr * gamma ** (update // step_size) * L * x
        path.append(x)
    return np.array(path)


MUTANTS["03.fixed_run"] = [
    Mutant(
        "the planted bug",
        _run_with(lambda epoch: epoch + 1),
        "The scheduler is still stepped before the epoch's updates, so every epoch runs at the "
        "next epoch's rate. Step it once per epoch, after the epoch's last update.",
    ),
    Mutant(
        "stepped per batch",
        _stepped_per_batch,
        "step_size counts epochs: step the scheduler once per epoch, not after every batch "
        "(then the rate falls steps_per_epoch times too early).",
    ),
    Mutant(
        "one epoch late",
        _run_with(lambda epoch: max(epoch - 1, 0)),
        "Epoch e (from 0) runs after e scheduler steps: the first cut applies in epoch "
        "step_size, not one epoch later.",
    ),
    Mutant(
        "no decay",
        _run_with(lambda epoch: 0),
        "The fix keeps the schedule: the rate is still cut by gamma every step_size epochs.",
    ),
]

ALTERNATES["03.fixed_run"] = [_run_with(lambda epoch: epoch), _fixed_run_vectorised]
