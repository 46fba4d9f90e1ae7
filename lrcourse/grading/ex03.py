"""Exercises of lecture 03: step and multi-step decay, and when a scheduler steps.

Step decay lr * gamma ** (step // step_size) and multi-step decay lr * gamma ** (number of
milestones <= step) as vectorised functions of the step; the rate of every update from the rate
of every epoch; and the noise floor each phase of a step schedule settles on. References come from
``lrcourse.schedules``, ``lrcourse.stateful`` and ``lrcourse.problems``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex03.py``.
"""

import numpy as np

from lrcourse import schedules
from lrcourse.problems import noisy_quadratic
from lrcourse.stateful import per_epoch, replay

from .spec import Exercise, Hidden

TITLE = "Step and multi-step decay"
NOTEBOOK = "03_step_decay"

A = np.array


# --- 03.step_decay -----------------------------------------------------------------------------


def _step_decay(lr, step_size, gamma, step):
    return schedules.step_decay(lr, step_size, gamma)(step)


step_decay = Exercise(
    id="03.step_decay",
    key=(
        "gamma ** (step // step_size)",
        "step // step_size",
        r"\gamma^{\lfloor t / s \rfloor}",
    ),
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


multistep_decay = Exercise(
    id="03.multistep_decay",
    key=(
        "number of milestones <= step",
        "np.searchsorted(milestones, step",
        r"\gamma^{\#\{i : m_i \le t\}}",
        r"\#\{i : m_i \le t\}",
    ),
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


per_step_lrs = Exercise(
    id="03.per_step_lrs",
    key=(
        "np.repeat(epoch_lrs",
        "repeated steps_per_epoch times",
        r"\lfloor k / \text{steps\_per\_epoch} \rfloor",
    ),
    title="From a rate per epoch to a rate per update",
    reference=_per_step,
    cases=[
        dict(epoch_lrs=A([0.1, 0.1, 0.01, 0.001]), steps_per_epoch=3),
        dict(epoch_lrs=A([0.5, 0.25]), steps_per_epoch=1),
        dict(epoch_lrs=A([0.2, 0.2, 0.02, 0.02, 0.002, 0.002]), steps_per_epoch=4),
        dict(epoch_lrs=A([0.3]), steps_per_epoch=5),
        dict(epoch_lrs=0.9 ** np.arange(5), steps_per_epoch=2),
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


phase_floors = Exercise(
    id="03.phase_floors",
    key=(
        "lr * gamma ** np.arange(n_drops + 1)",
        r"\frac{\eta \sigma^2}{2 (2 - \eta L)}",
        r"\gamma^{n}\eta_0",
    ),
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


# --- 03.fixed_run (debug) ----------------------------------------------------------------------


def _fixed_run(x0, L, lr, step_size, gamma, epochs, steps_per_epoch):
    """Gradient descent on L x^2 / 2 with StepLR stepped once per epoch, after the epoch."""
    updates = np.arange(epochs * steps_per_epoch)
    rates = per_epoch(schedules.step_decay(lr, step_size, gamma), steps_per_epoch)(updates)
    return x0 * np.concatenate([[1.0], np.cumprod(1 - rates * L)])


fixed_run = Exercise(
    id="03.fixed_run",
    kind="debug",
    key=(
        "gamma ** (epoch // step_size)",
        r"\gamma^{\lfloor e / s \rfloor}",
    ),
    title="Debug: the scheduler that stepped too early",
    reference=_fixed_run,
    cases=[
        dict(x0=1.0, L=1.0, lr=0.5, step_size=2, gamma=0.1, epochs=5, steps_per_epoch=3),
        dict(x0=2.0, L=4.0, lr=0.2, step_size=1, gamma=0.5, epochs=3, steps_per_epoch=2),
        dict(x0=-1.0, L=2.0, lr=0.9, step_size=3, gamma=0.2, epochs=7, steps_per_epoch=1),
        dict(x0=1.0, L=1.0, lr=0.1, step_size=4, gamma=0.5, epochs=2, steps_per_epoch=4),
    ],
    hints={"shape": "Return x0 and the point after every update: epochs * steps_per_epoch + 1."},
    hidden_cases=[
        Hidden(
            "many epochs of many updates",
            dict(x0=3.0, L=0.5, lr=1.0, step_size=5, gamma=0.3, epochs=20, steps_per_epoch=6),
        ),
        Hidden(
            "a rate that overshoots until the first cut",
            dict(x0=1.0, L=10.0, lr=0.15, step_size=2, gamma=0.1, epochs=6, steps_per_epoch=5),
        ),
        Hidden(
            "a single epoch",
            dict(x0=0.5, L=3.0, lr=0.1, step_size=1, gamma=0.5, epochs=1, steps_per_epoch=8),
        ),
    ],
)

EXERCISES = [step_decay, multistep_decay, per_step_lrs, phase_floors, fixed_run]
