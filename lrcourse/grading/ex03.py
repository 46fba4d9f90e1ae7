"""Exercises of lecture 03: step and multi-step decay, and when a scheduler steps.

Step decay lr * gamma ** (step // step_size) and multi-step decay lr * gamma ** (number of
milestones <= step) as vectorised functions of the step; the rate of every update from the rate
of every epoch; and the noise floor each phase of a step schedule settles on. References come from
``lrcourse.schedules``, ``lrcourse.stateful`` and ``lrcourse.problems``.
"""

import numpy as np

from lrcourse import schedules
from lrcourse.problems import noisy_quadratic
from lrcourse.stateful import per_epoch, replay

from .spec import Exercise, Hidden, Mutant

TITLE = "Step and multi-step decay"
NOTEBOOK = "03_step_decay"

A = np.array


# --- 03.step_decay -----------------------------------------------------------------------------


def _step_decay(lr, step_size, gamma, step):
    return schedules.step_decay(lr, step_size, gamma)(step)


def _step_decay_loop(lr, step_size, gamma, step):
    flat = [lr * gamma ** (int(s) // step_size) for s in np.ravel(step)]
    return np.reshape(flat, np.shape(step))


_AT_THE_STEP = (
    "The rate changes AT step step_size: steps 0 .. step_size - 1 use lr, step step_size uses "
    "lr * gamma. The number of cuts so far is step // step_size."
)

step_decay = Exercise(
    id="03.step_decay",
    title="Step decay",
    reference=_step_decay,
    cases=[
        dict(lr=0.1, step_size=3, gamma=0.5, step=np.arange(10)),
        dict(lr=0.2, step_size=500, gamma=0.1, step=A([0, 499, 500, 999, 1000, 1999])),
        dict(lr=1.0, step_size=1, gamma=0.1, step=np.arange(5)),
        dict(lr=0.05, step_size=4, gamma=0.9, step=7),
        dict(lr=0.3, step_size=10, gamma=1.0, step=np.arange(0, 50, 7)),
        dict(lr=0.5, step_size=2, gamma=0.5, step=np.arange(12).reshape(3, 4)),
    ],
    mutants=[
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
    ],
    alternates=[
        _step_decay_loop,
        lambda lr, step_size, gamma, step: lr * np.power(gamma, np.floor_divide(step, step_size)),
    ],
    hints={"shape": "Return one rate per step: the same shape as step (a number for a number)."},
    hidden_cases=[
        Hidden("the value at step 0 (an int)", dict(lr=0.7, step_size=5, gamma=0.3, step=0)),
        Hidden(
            "steps far beyond the visible ones",
            dict(lr=0.4, step_size=1000, gamma=0.95, step=A([0, 999, 1000, 25_000, 99_999])),
        ),
        Hidden("an int step several periods in", dict(lr=0.25, step_size=6, gamma=0.8, step=20)),
    ],
)


# --- 03.multistep_decay ------------------------------------------------------------------------


def _multistep(lr, milestones, gamma, step):
    return schedules.multistep_decay(lr, milestones, gamma)(step)


def _multistep_loop(lr, milestones, gamma, step):
    flat = [lr * gamma ** sum(1 for m in milestones if m <= s) for s in np.ravel(step)]
    return np.reshape(flat, np.shape(step))


def _multistep_compare(lr, milestones, gamma, step):
    passed = np.sum(np.asarray(step)[..., None] >= np.asarray(milestones), axis=-1)
    return lr * gamma**passed


multistep_decay = Exercise(
    id="03.multistep_decay",
    title="Multi-step decay",
    reference=_multistep,
    cases=[
        dict(lr=1.0, milestones=[3, 5], gamma=0.5, step=np.arange(8)),
        dict(lr=0.1, milestones=[2], gamma=0.1, step=np.arange(5)),
        dict(
            lr=0.2,
            milestones=[1000, 1500],
            gamma=0.1,
            step=A([0, 999, 1000, 1001, 1499, 1500, 1999]),
        ),
        dict(lr=0.5, milestones=[15, 30], gamma=0.5, step=30),
        dict(lr=0.3, milestones=[1, 2, 4], gamma=0.9, step=np.arange(6).reshape(2, 3)),
    ],
    mutants=[
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
            lambda lr, milestones, gamma, step: (
                lr * gamma ** len(milestones) + 0 * np.asarray(step)
            ),
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
    ],
    alternates=[_multistep_loop, _multistep_compare],
    hints={"shape": "Return one rate per step: the same shape as step (a number for a number)."},
    hidden_cases=[
        Hidden(
            "many milestones, unevenly spaced",
            dict(lr=0.6, milestones=[2, 3, 7, 20, 21], gamma=0.7, step=np.arange(25)),
        ),
        Hidden(
            "an int step before the first milestone",
            dict(lr=0.05, milestones=[100, 200], gamma=0.1, step=99),
        ),
        Hidden(
            "steps far past the last milestone",
            dict(
                lr=0.8,
                milestones=[30_000, 60_000, 80_000],
                gamma=0.2,
                step=A([0, 29_999, 30_000, 60_000, 79_999, 80_000, 500_000]),
            ),
        ),
    ],
)


# --- 03.per_step_lrs ---------------------------------------------------------------------------


def _per_step(epoch_lrs, steps_per_epoch):
    updates = np.arange(len(epoch_lrs) * steps_per_epoch)
    return per_epoch(replay(epoch_lrs), steps_per_epoch)(updates)


def _per_step_loop(epoch_lrs, steps_per_epoch):
    return np.array(
        [epoch_lrs[k // steps_per_epoch] for k in range(len(epoch_lrs) * steps_per_epoch)]
    )


_EPOCH_OF = "Update k lies in epoch k // steps_per_epoch and uses that epoch's rate."

per_step_lrs = Exercise(
    id="03.per_step_lrs",
    title="From a rate per epoch to a rate per update",
    reference=_per_step,
    cases=[
        dict(epoch_lrs=A([0.1, 0.1, 0.01, 0.001]), steps_per_epoch=3),
        dict(epoch_lrs=A([0.5, 0.25]), steps_per_epoch=1),
        dict(epoch_lrs=A([0.2, 0.2, 0.02, 0.02, 0.002, 0.002]), steps_per_epoch=4),
        dict(epoch_lrs=A([0.3]), steps_per_epoch=5),
        dict(epoch_lrs=0.9 ** np.arange(5), steps_per_epoch=2),
    ],
    mutants=[
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
    ],
    alternates=[
        _per_step_loop,
        lambda epoch_lrs, steps_per_epoch: np.kron(epoch_lrs, np.ones(steps_per_epoch)),
    ],
    hints={"shape": "Return one rate per update: an array of len(epoch_lrs) * steps_per_epoch."},
    hidden_cases=[
        Hidden(
            "many epochs with many updates each",
            dict(epoch_lrs=0.5 * 0.93 ** np.arange(30), steps_per_epoch=7),
        ),
        Hidden(
            "rates that rise from epoch to epoch (a warmup)",
            dict(epoch_lrs=A([0.01, 0.02, 0.05, 0.1, 0.1]), steps_per_epoch=3),
        ),
        Hidden(
            "more updates per epoch than epochs",
            dict(epoch_lrs=A([0.4, 0.04]), steps_per_epoch=9),
        ),
    ],
)


# --- 03.phase_floors ---------------------------------------------------------------------------


def _phase_floors(lr, gamma, n_drops, L, sigma):
    rates = lr * gamma ** np.arange(n_drops + 1)
    return noisy_quadratic(curvatures=[L], sigma=sigma).noise_floor(rates)


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


phase_floors = Exercise(
    id="03.phase_floors",
    title="The noise floor of each phase",
    reference=_phase_floors,
    cases=[
        dict(lr=0.2, gamma=0.1, n_drops=2, L=4.0, sigma=1.0),
        dict(lr=0.4, gamma=0.5, n_drops=3, L=4.0, sigma=2.0),
        dict(lr=1.0, gamma=0.1, n_drops=2, L=3.0, sigma=1.0),
        dict(lr=0.05, gamma=0.2, n_drops=0, L=1.0, sigma=0.5),
        dict(lr=0.3, gamma=0.9, n_drops=4, L=5.0, sigma=1.0),
        dict(lr=0.5, gamma=0.5, n_drops=1, L=4.0, sigma=1.0),
    ],
    mutants=[
        Mutant(
            "small-rate approximation",
            lambda lr, gamma, n_drops, L, sigma: (
                lr * gamma ** np.arange(n_drops + 1) * sigma**2 / 4
            ),
            "rate * sigma^2 / 4 is only the small-rate approximation; the floor is "
            "rate sigma^2 / (2 (2 - rate L)), which grows faster near the limit 2 / L.",
        ),
        Mutant(
            "n_drops phases",
            lambda lr, gamma, n_drops, L, sigma: _floor_of(
                lr * gamma ** np.arange(n_drops), L, sigma
            ),
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
    ],
    alternates=[
        _phase_floors_loop,
        lambda lr, gamma, n_drops, L, sigma: _floor_of(
            lr * np.cumprod(np.r_[1.0, np.full(n_drops, gamma)]), L, sigma
        ),
    ],
    hints={
        "shape": "Return one floor per phase: n_drops + 1 numbers.",
        "error:ZeroDivisionError": (
            "At rate * L = 2 the denominator is 0: that phase has no floor, return np.inf for "
            "every rate with rate * L >= 2."
        ),
    },
    hidden_cases=[
        Hidden("many drops (10)", dict(lr=0.1, gamma=0.7, n_drops=10, L=2.0, sigma=3.0)),
        Hidden(
            "a first rate just below 2 / L", dict(lr=0.49, gamma=0.5, n_drops=2, L=4.0, sigma=1.0)
        ),
        Hidden(
            "a stiff problem (large L)", dict(lr=0.015, gamma=0.3, n_drops=3, L=100.0, sigma=0.2)
        ),
    ],
)

EXERCISES = [step_decay, multistep_decay, per_step_lrs, phase_floors]
