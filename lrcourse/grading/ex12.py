"""Exercises of lecture 12: choosing a schedule.

The learning-rate range test in three small functions (the ramp of rates, the smoothed loss, the
steepest-descent rule with its blow-up cut-off), then the last step of a tuning run: choosing a
schedule and its peak rate from sweep results, by validation loss, under a budget of steps.
References come from ``lrcourse.range_test``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex12.py``.
"""

import numpy as np

from lrcourse.range_test import lr_ramp as _ramp
from lrcourse.range_test import smooth as _smooth
from lrcourse.range_test import steepest as _steepest

from .spec import Exercise, Hidden

TITLE = "Choosing a schedule"
NOTEBOOK = "12_choosing_a_schedule"

# The learner writes these; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.range_test": "uses lrcourse.range_test",
    "lrcourse.explorers": "uses lrcourse.explorers",
}

# The notebook's experiments train the digits MLP; the range test itself stays out of reach.
ALLOW = ("_validate", "optimizers", "problems", "train", "data")

A = np.array
NAN = np.nan


# --- 12.lr_ramp --------------------------------------------------------------------------------


def _reference_ramp(start_lr, end_lr, num_steps):
    return _ramp(start_lr, end_lr, num_steps)


lr_ramp = Exercise(
    id="12.lr_ramp",
    key=(
        "(end_lr / start_lr) ** (k / (num_steps - 1))",
        r"\left(\frac{\eta_{\text{end}}}{\eta_{\text{start}}}\right)^{k/(N-1)}",
        r")^{k/(N-1)}",
    ),
    title="The exponential ramp of a range test",
    reference=_reference_ramp,
    cases=[
        dict(start_lr=1e-3, end_lr=1.0, num_steps=4),
        dict(start_lr=1e-5, end_lr=10.0, num_steps=7),
        dict(start_lr=0.01, end_lr=0.1, num_steps=2),
        dict(start_lr=0.5, end_lr=2.0, num_steps=3),
        dict(start_lr=1e-6, end_lr=100.0, num_steps=101),
    ],
    hints={"shape": "Return num_steps rates: an array of shape (num_steps,)."},
    hidden_cases=[
        Hidden("a long ramp (300 steps)", dict(start_lr=1e-7, end_lr=1.0, num_steps=300)),
        Hidden("a ramp over a narrow range", dict(start_lr=0.3, end_lr=0.4, num_steps=5)),
        Hidden(
            "an odd number of steps over several decades",
            dict(start_lr=2e-4, end_lr=50.0, num_steps=9),
        ),
    ],
)


# --- 12.smoothed_loss --------------------------------------------------------------------------


def _reference_smooth(losses, beta):
    return _smooth(losses, beta)


smoothed_loss = Exercise(
    id="12.smoothed_loss",
    key=(
        "average / (1 - beta ** (k + 1))",
        r"\frac{a_k}{1-\beta^{k+1}}",
        r"/(1-\beta^{k+1})",
        r"\beta\, a_{k-1} + (1-\beta)\,\ell_k",
    ),
    title="The smoothed loss, with bias correction",
    reference=_reference_smooth,
    cases=[
        dict(losses=A([1.0, 3.0]), beta=0.5),
        dict(losses=A([2.3, 2.2, 2.25, 2.0, 1.7, 1.9, 1.2, 1.0]), beta=0.9),
        dict(losses=A([4.0, 2.0, 1.0]), beta=0.0),
        dict(losses=A([2.3]), beta=0.98),
        dict(losses=np.linspace(2.3, 0.3, 40) + 0.2 * np.sin(np.arange(40.0)), beta=0.98),
    ],
    hints={"shape": "Return one smoothed value per loss: an array as long as losses."},
    hidden_cases=[
        Hidden(
            "a long, noisy curve (200 losses)",
            dict(
                losses=2.5 * np.exp(-np.arange(200) / 60)
                + 0.2
                + 0.1 * np.cos(1.7 * np.arange(200)),
                beta=0.9,
            ),
        ),
        Hidden("beta very close to 1", dict(losses=A([5.0, 4.0, 4.5, 3.0, 3.5]), beta=0.999)),
        Hidden("a rising curve", dict(losses=A([0.1, 0.2, 0.4, 0.8, 1.6, 3.2]), beta=0.6)),
    ],
)


# --- 12.steepest_lr ----------------------------------------------------------------------------


def _reference_steepest(lrs, smoothed, diverge_factor):
    return _steepest(lrs, smoothed, diverge_factor)


_LRS = np.geomspace(1e-4, 10.0, 11)
_TOO_FEW = (
    "Did the cut-off keep almost nothing? Compare each point with the best loss *so far* "
    "(np.fmin.accumulate(smoothed)), not with the best of the whole curve: a curve that starts "
    "at 2.3 and ends at 0.4 is above 4 x 0.4 at its very first point."
)

# A longer range test for a hidden case: a smooth fall around lr = 5e-3, a blow-up past lr = 1.
_LONG_LRS = np.geomspace(1e-5, 10.0, 40)
_LONG = (
    0.3
    + 2.0 / (1 + np.exp(3 * (np.log10(_LONG_LRS) + 2.3)))
    + np.where(_LONG_LRS > 1, 50 * np.log10(_LONG_LRS) ** 2, 0.0)
)

steepest_lr = Exercise(
    id="12.steepest_lr",
    key=(
        "np.gradient(smoothed[:n], np.log(lrs[:n]))",
        "np.gradient(kept_smoothed, np.log(kept_lrs))",
        r"f \cdot \min_{j \le k} \hat\ell_j",
        r"\arg\min_k \mathrm{d}\hat\ell_k / \mathrm{d}\log\eta_k",
    ),
    title="The steepest-descent suggestion, cut at the blow-up",
    reference=_reference_steepest,
    cases=[
        dict(
            lrs=_LRS,
            smoothed=A([2.3, 2.3, 2.25, 2.1, 1.6, 0.9, 0.5, 0.4, 0.45, 2.5, NAN]),
            diverge_factor=4.0,
        ),
        # after the blow-up the loss swings down: a steep "fall" that is not one
        dict(
            lrs=_LRS,
            smoothed=A([2.3, 2.28, 2.2, 1.9, 1.5, 1.2, 1.0, 0.8, 5.0, 0.1, 0.05]),
            diverge_factor=4.0,
        ),
        # NaN straight after the steepest point: nothing exceeds the factor first
        dict(
            lrs=_LRS[:7],
            smoothed=A([2.0, 1.9, 1.7, 1.2, 0.6, NAN, NAN]),
            diverge_factor=4.0,
        ),
        # a bump on the way down, above 3 x the best overall but not 3 x the best so far
        dict(
            lrs=_LRS[:9],
            smoothed=A([1.0, 1.0, 0.9, 1.5, 2.2, 1.2, 0.7, 0.5, 3.0]),
            diverge_factor=3.0,
        ),
        # NaN right after a point that is not the steepest
        dict(
            lrs=_LRS[:6],
            smoothed=A([2.0, 1.9, 1.2, 1.0, 0.95, NAN]),
            diverge_factor=4.0,
        ),
        # unevenly spaced rates (a linear ramp): the slope is against log(lr)
        dict(
            lrs=A([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
            smoothed=A([2.0, 1.6, 1.3, 1.05, 0.8, 0.6]),
            diverge_factor=4.0,
        ),
        # the loss never blows up: use it all
        dict(
            lrs=_LRS[:6],
            smoothed=A([2.3, 2.2, 1.9, 1.5, 1.4, 1.35]),
            diverge_factor=4.0,
        ),
    ],
    hints={
        "shape": "Return one number: the suggested learning rate, one of lrs.",
        "error:IndexError": _TOO_FEW,
        "error:ValueError": _TOO_FEW,
    },
    hidden_cases=[
        Hidden(
            "a longer range test (40 rates)",
            dict(lrs=_LONG_LRS, smoothed=_LONG, diverge_factor=4.0),
        ),
        Hidden(
            "a curve that turns inf at the blow-up",
            dict(
                lrs=np.geomspace(1e-4, 1.0, 9),
                smoothed=A([2.0, 1.98, 1.9, 1.4, 1.2, 0.8, 0.7, np.inf, np.inf]),
                diverge_factor=5.0,
            ),
        ),
        Hidden(
            "a larger diverge_factor",
            dict(
                lrs=_LRS[2:],
                smoothed=A([3.0, 2.9, 2.5, 1.5, 1.0, 2.5, 9.0, 0.6, 0.5]),
                diverge_factor=10.0,
            ),
        ),
    ],
)


# --- 12.choose_schedule ------------------------------------------------------------------------


def _choose(val_loss, budgets, peaks, budget):
    val_loss = np.asarray(val_loss, dtype=float)
    fits = np.asarray(budgets) <= budget
    considered = np.where(np.isnan(val_loss) | ~fits, np.inf, val_loss)
    s, k, b = np.unravel_index(np.argmin(considered), considered.shape)
    return np.array([s, peaks[k], budgets[b]], dtype=float)


# val_loss[s, k, b]: schedule s, peak k, budget b
_THREE = A(
    [
        [[0.90, 0.60, 0.50], [0.70, 0.45, 0.30], [NAN, NAN, NAN]],  # constant
        [[0.80, 0.50, 0.35], [0.60, 0.40, 0.25], [0.65, 0.38, 0.22]],  # cosine
    ]
)
_NAN_BEST = A(
    [
        [[0.5, NAN], [0.4, 0.3]],
        [[0.45, 0.33], [NAN, NAN]],
        [[0.6, 0.35], [0.55, 0.31]],
    ]
)
_OVERFIT = A(
    [
        [[0.40, 0.20, 0.25, 0.30]],  # best at the second budget, then worse
        [[0.50, 0.30, 0.22, 0.21]],
    ]
)

# A larger sweep for a hidden case: the largest peak diverged for every schedule.
_SWEEP = np.random.default_rng(12).uniform(0.2, 1.0, (3, 4, 3)).round(3)
_SWEEP[:, 3] = NAN

choose_schedule = Exercise(
    id="12.choose_schedule",
    key=("np.unravel_index(np.argmin(considered), considered.shape)",),
    title="Choose a schedule and its peak under a budget",
    reference=_choose,
    cases=[
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=1000),
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=500),
        dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=300),
        dict(val_loss=_NAN_BEST, budgets=[50, 200], peaks=A([0.01, 0.03]), budget=200),
        dict(val_loss=_OVERFIT, budgets=[10, 20, 40, 80], peaks=A([3e-4]), budget=80),
        dict(val_loss=_OVERFIT, budgets=[10, 20, 40, 80], peaks=A([3e-4]), budget=79),
    ],
    hidden_cases=[
        Hidden(
            "a budget that only the shortest runs fit",
            dict(val_loss=_THREE, budgets=[100, 300, 1000], peaks=A([0.1, 0.3, 1.0]), budget=100),
        ),
        Hidden(
            "a larger sweep (3 schedules, 4 peaks, 3 budgets)",
            dict(
                val_loss=_SWEEP, budgets=[50, 100, 200], peaks=A([0.01, 0.03, 0.1, 0.3]), budget=100
            ),
        ),
        Hidden(
            "a budget between two run lengths",
            dict(
                val_loss=A([[[0.5, 0.3, 0.22, 0.21], [0.45, 0.28, NAN, NAN]]]),
                budgets=[10, 20, 40, 80],
                peaks=A([1e-3, 3e-3]),
                budget=50,
            ),
        ),
    ],
    hints={
        "shape": "Return three numbers: [schedule index, peak rate, budget in steps].",
        "error:ValueError": "np.unravel_index(np.argmin(x), x.shape) turns the position in the "
        "flattened array back into (s, k, b).",
    },
)


# --- 12.budget_rates (experiment) --------------------------------------------------------------


def _warmup_cosine(steps):
    """The course's tuned recipe: 10% linear warmup from 0 to 0.3, then a cosine down to 0."""
    warmup, k = steps // 10, np.arange(steps)
    cosine = 0.15 * (1 + np.cos(np.pi * np.clip(k - warmup, 0, None) / (steps - warmup)))
    return np.where(k < warmup, 0.3 * k / warmup, cosine)


def _val_loss(rates, steps):
    """The outcome: the digits MLP's validation loss after SGD (momentum 0.9) with these rates."""
    from lrcourse.optimizers import sgd
    from lrcourse.problems import digits_mlp
    from lrcourse.train import run

    mlp = digits_mlp(hidden=32)  # batch 32, the course's split and start
    opt = sgd(lr=lambda step: rates[np.minimum(step, steps - 1)], momentum=0.9)
    final = run(opt, mlp, steps=steps, seed=0, record_params=False).final_params
    return float(mlp.loss(final, split="val"))  # NaN or inf for a run that diverged


budget_rates = Exercise(
    id="12.budget_rates",
    kind="experiment",
    key=("np.cos(np.pi * np.clip(k - warmup",),
    title="Experiment: train the digits MLP within a budget",
    reference=_warmup_cosine,
    outcome=_val_loss,
    rtol=0.1,  # the target: a validation loss at most 1.1 times the tuned recipe's
    atol=0.0,
    cases=[dict(steps=100), dict(steps=200)],
    hints={
        "shape": "Return one rate per update: an array of shape (steps,).",
        "value": "Run a few candidates in the experiment cell: which peak rate trains fastest "
        "without blowing up, and does the rate end high or low?",
    },
    hidden_cases=[
        Hidden("a smaller budget (80 steps)", dict(steps=80)),
        Hidden("a budget between the visible ones (150 steps)", dict(steps=150)),
        Hidden("a budget of 120 steps", dict(steps=120)),
    ],
)

EXERCISES = [lr_ramp, smoothed_loss, steepest_lr, choose_schedule, budget_rates]
