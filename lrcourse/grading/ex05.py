"""Exercises of lecture 05: cosine decay, warmup, restarts, one-cycle and warmup-stable-decay.

Every schedule here is a function of the step: ``step`` is an int or an integer array, and the
answer has its shape. The references are the schedules of ``lrcourse.schedules``; the cases are
built to catch the classic mistakes: a cosine that is not clamped (PyTorch's), a warmup one step
off, restarts counted from the wrong end, one-cycle's phases placed as in another framework.

Those mistakes, each with its hint, and other correct answers are test data:
``tests/exercise_data/ex05.py``.
"""

import numpy as np

from lrcourse.schedules import cosine_decay, cosine_restarts, linear_warmup, one_cycle
from lrcourse.schedules import warmup_stable_decay as _wsd
from lrcourse.stateful import replay

from .spec import Exercise, Hidden

TITLE = "Cosine decay, warmup, restarts, cyclical, one-cycle, warmup-stable-decay"
NOTEBOOK = "05_cosine_warmup_cyclic"

A = np.array
STEPS = np.arange(13)


# --- 05.cosine_lr ------------------------------------------------------------------------------


def _cosine_lr(step, lr, total_steps, min_lr):
    return cosine_decay(lr, total_steps, min_lr)(step)


cosine_lr = Exercise(
    id="05.cosine_lr",
    key=(
        "(1 + np.cos(np.pi * t / total_steps)) / 2",
        r"\cos(\pi \min(t, T) / T)",
        r"\frac{1 + \cos(\pi t / T)}{2}",
    ),
    title="Cosine decay, clamped at min_lr after total_steps",
    reference=_cosine_lr,
    cases=[
        dict(step=STEPS, lr=0.1, total_steps=8, min_lr=0.0),
        dict(step=A([0, 5, 10, 15, 20, 25, 30]), lr=0.5, total_steps=10, min_lr=0.01),
        dict(step=3, lr=1.0, total_steps=4, min_lr=0.0),
        dict(step=A([0, 1, 2, 3]), lr=0.2, total_steps=1, min_lr=0.05),
        dict(step=A([0, 250, 500, 999, 1000, 1500]), lr=0.3, total_steps=1000, min_lr=0.003),
    ],
    hints={
        "error:ValueError": (
            "step may be an array: `if step > total_steps` cannot decide for a whole array. "
            "Use np.minimum(step, total_steps)."
        ),
        "error:TypeError": "step may be an array: use np.cos and np.minimum, not math.cos and min.",
    },
    hidden_cases=[
        Hidden("the value at step 0 (an int)", dict(step=0, lr=0.7, total_steps=30, min_lr=0.07)),
        Hidden(
            "min_lr > 0 with a long horizon",
            dict(
                step=A([0, 1, 2500, 5000, 7500, 9999, 10_000, 20_000]),
                lr=0.25,
                total_steps=10_000,
                min_lr=0.005,
            ),
        ),
        Hidden("an int step past total_steps", dict(step=50, lr=0.4, total_steps=20, min_lr=0.02)),
    ],
)


# --- 05.prepend_warmup -------------------------------------------------------------------------


def _prepend_warmup(lrs, warmup_steps, start_factor):
    schedule = linear_warmup(replay(lrs), warmup_steps, start_factor)
    return schedule(np.arange(warmup_steps + len(lrs)))


prepend_warmup = Exercise(
    id="05.prepend_warmup",
    key=(
        "start_factor + (1 - start_factor) * t / warmup_steps",
        r"(1 - s)\,\frac{t}{W}",
        r"(1 - s)\, t / W",
    ),
    title="A linear warmup in front of any schedule",
    reference=_prepend_warmup,
    cases=[
        dict(lrs=A([0.1, 0.09, 0.07, 0.04, 0.02, 0.0]), warmup_steps=4, start_factor=0.0),
        dict(lrs=A([0.5, 0.5, 0.5]), warmup_steps=2, start_factor=0.1),
        dict(lrs=A([0.2, 0.1]), warmup_steps=5, start_factor=0.25),
        dict(lrs=A([1.0]), warmup_steps=1, start_factor=0.5),
        dict(lrs=A([0.3, 0.3, 0.03, 0.03]), warmup_steps=3, start_factor=1.0),
    ],
    hints={"shape": "Return warmup_steps + len(lrs) rates: the ramp, then all of lrs."},
    hidden_cases=[
        Hidden(
            "a long warmup in front of a long schedule",
            dict(
                lrs=0.15 * (1 + np.cos(np.pi * np.arange(40) / 40)),
                warmup_steps=25,
                start_factor=0.1,
            ),
        ),
        Hidden(
            "a one-step warmup from start_factor = 0",
            dict(lrs=A([0.2, 0.1, 0.05]), warmup_steps=1, start_factor=0.0),
        ),
        Hidden(
            "a warmup longer than the schedule behind it",
            dict(lrs=A([0.8, 0.4]), warmup_steps=9, start_factor=0.5),
        ),
    ],
)


# --- 05.restart_steps --------------------------------------------------------------------------


def _restart_steps(period, period_mult, total_steps):
    lr = cosine_restarts(1.0, period, period_mult)(np.arange(total_steps))
    return np.flatnonzero(lr == 1.0)[1:]  # the rate is back at its peak: a restart (not step 0)


restart_steps = Exercise(
    id="05.restart_steps",
    key=(
        "length *= period_mult",
        "period * (m**k - 1) / (m - 1)",
        r"\frac{m^k - 1}{m - 1}",
        r"(m^k - 1)/(m - 1)",
    ),
    title="Where SGDR restarts",
    reference=_restart_steps,
    cases=[
        dict(period=100, period_mult=2, total_steps=2000),
        dict(period=3, period_mult=3, total_steps=200),
        dict(period=10, period_mult=1, total_steps=45),
        dict(period=5, period_mult=2, total_steps=6),
        dict(period=1, period_mult=2, total_steps=64),
        dict(period=5, period_mult=2, total_steps=5),
        dict(period=7, period_mult=4, total_steps=1000),
    ],
    hints={
        "error:ZeroDivisionError": (
            "With period_mult = 1 every cycle is period steps long and (m^k - 1) / (m - 1) is "
            "0 / 0: the restarts are simply k * period."
        ),
        "shape": "Return one step per restart with 0 < step < total_steps (maybe none at all).",
    },
    hidden_cases=[
        Hidden(
            "a long horizon with period_mult = 1", dict(period=7, period_mult=1, total_steps=100)
        ),
        Hidden("no restart before total_steps", dict(period=50, period_mult=2, total_steps=30)),
        Hidden(
            "period_mult = 3 from a period of 1", dict(period=1, period_mult=3, total_steps=500)
        ),
        Hidden("a restart at the last step", dict(period=4, period_mult=2, total_steps=13)),
    ],
)


# --- 05.one_cycle_lr ---------------------------------------------------------------------------


def _one_cycle_lr(step, max_lr, total_steps, pct_start):
    return one_cycle(max_lr, total_steps, pct_start)(step)


one_cycle_lr = Exercise(
    id="05.one_cycle_lr",
    key=(
        "np.cos(np.pi * x)",
        r"(1 + \cos \pi x)/2",
        r"x = (t - p)/(T - 1 - p)",
    ),
    title="One-cycle, two phases, held at its final rate",
    reference=_one_cycle_lr,
    cases=[
        dict(step=STEPS, max_lr=0.1, total_steps=10, pct_start=0.3),
        dict(
            step=A([0, 12, 24, 25, 60, 99, 100, 150]), max_lr=1.0, total_steps=100, pct_start=0.25
        ),
        dict(step=np.arange(24), max_lr=0.5, total_steps=20, pct_start=0.5),
        dict(step=0, max_lr=0.2, total_steps=50, pct_start=0.3),
        dict(step=A([5, 19, 29, 30, 31]), max_lr=0.05, total_steps=30, pct_start=0.4),
    ],
    hidden_cases=[
        Hidden(
            "a long cycle with a short first phase",
            dict(
                step=A([0, 50, 99, 100, 500, 998, 999, 1500]),
                max_lr=0.3,
                total_steps=1000,
                pct_start=0.1,
            ),
        ),
        Hidden(
            "an int step in the second phase",
            dict(step=17, max_lr=0.08, total_steps=40, pct_start=0.25),
        ),
        Hidden(
            "steps around and past the end",
            dict(step=np.arange(60, 80), max_lr=2.0, total_steps=64, pct_start=0.5),
        ),
    ],
)


# --- 05.wsd_lr ---------------------------------------------------------------------------------


def _wsd_lr(step, lr, total_steps, warmup_steps, decay_steps):
    return _wsd(lr, total_steps, warmup_steps, decay_steps, shape="sqrt")(step)


wsd_lr = Exercise(
    id="05.wsd_lr",
    key=(
        "1 - np.sqrt(x)",
        "np.clip((t - start) / decay_steps, 0, 1)",
        r"1 - \sqrt{x}",
        r"x = (t - C)/D",
        r"\eta\, t/W",
    ),
    title="Warmup-stable-decay with a 1 - sqrt cooldown",
    reference=_wsd_lr,
    cases=[
        dict(step=np.arange(12), lr=1.0, total_steps=10, warmup_steps=2, decay_steps=4),
        dict(
            step=A([0, 50, 100, 700, 800, 850, 900, 999, 1000, 1200]),
            lr=0.3,
            total_steps=1000,
            warmup_steps=100,
            decay_steps=200,
        ),  # fmt: skip
        dict(step=np.arange(8), lr=0.5, total_steps=6, warmup_steps=0, decay_steps=6),
        dict(step=7, lr=0.2, total_steps=10, warmup_steps=3, decay_steps=4),
    ],
    hints={
        "error:ZeroDivisionError": (
            "warmup_steps may be 0 (no warmup): then no step is in the warmup, so never divide "
            "by it."
        ),
    },
    hidden_cases=[
        Hidden(
            "a long run with a short warmup",
            dict(
                step=A([0, 10, 49, 50, 1000, 1599, 1600, 1700, 1999, 2000, 3000]),
                lr=0.6,
                total_steps=2000,
                warmup_steps=50,
                decay_steps=400,
            ),
        ),
        Hidden(
            "no stable phase: the cooldown starts as the warmup ends",
            dict(step=np.arange(14), lr=0.4, total_steps=12, warmup_steps=4, decay_steps=8),
        ),
        Hidden(
            "an int step in the warmup",
            dict(step=3, lr=0.9, total_steps=100, warmup_steps=10, decay_steps=20),
        ),
    ],
)

EXERCISES = [cosine_lr, prepend_warmup, restart_steps, one_cycle_lr, wsd_lr]
