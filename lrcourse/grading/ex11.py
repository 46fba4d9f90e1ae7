"""Exercises of lecture 11: adaptive methods together with schedules.

PyTorch's reduce-on-plateau rule, Ma and Yarats' warmup length 2 / (1 - beta2), Adam under a
linear warmup with the schedule evaluated at the right step, and a warmup plus cosine decay that
fits a fixed budget. References come from ``lrcourse.schedules.ReduceOnPlateau``,
``lrcourse.optimizers.adam`` and ``lrcourse.explorers.adaptive``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex11.py``.
"""

import numpy as np

from lrcourse.experiments import example_curve
from lrcourse.optimizers import adam
from lrcourse.problems import Quadratic
from lrcourse.schedules import ReduceOnPlateau, constant, linear_warmup, warmup_decay
from lrcourse.theory import untuned_warmup

from .ex01 import DENSE, DIAG, ONE, TILTED, path_hidden
from .spec import Exercise, Hidden

TITLE = "Adaptive methods with schedules"
NOTEBOOK = "11_adaptive_with_schedules"

# The learner writes these rules; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "ReduceOnPlateau": "uses lrcourse's ReduceOnPlateau",
    "lrcourse.optimizers": "uses lrcourse.optimizers",
    "lrcourse.schedules": "uses lrcourse.schedules",
    "lrcourse.explorers": "uses lrcourse.explorers",
}

A = np.array


# --- 11.plateau_lrs ----------------------------------------------------------------------------


def _plateau_lrs(metrics, lr, factor, patience, threshold, cooldown):
    plateau = ReduceOnPlateau(
        lr, factor=factor, patience=patience, threshold=threshold, cooldown=cooldown
    )
    return np.array([float(plateau.step(metric)) for metric in metrics])


plateau_lrs = Exercise(
    id="11.plateau_lrs",
    title="Reduce on plateau, as PyTorch does it",
    key=(
        "bad > patience",
        "best * (1 - threshold)",
        r"\text{best} \cdot (1 - \text{threshold})",
        r"\text{best} \times (1 - \text{threshold})",
    ),
    reference=_plateau_lrs,
    cases=[
        dict(
            metrics=A([5.0, 4, 4, 4, 4, 4]),
            lr=1.0,
            factor=0.1,
            patience=1,
            threshold=1e-4,
            cooldown=0,
        ),
        dict(
            metrics=A([3.0, 2, 2, 1, 1, 1]),
            lr=0.2,
            factor=0.5,
            patience=0,
            threshold=1e-4,
            cooldown=0,
        ),
        dict(
            metrics=A([1.0, 0.995, 0.986, 0.984, 0.983, 0.98]),
            lr=0.1,
            factor=0.5,
            patience=1,
            threshold=0.01,
            cooldown=0,
        ),
        dict(
            metrics=A([0.2, 0.185, 0.17, 0.16, 0.15, 0.149, 0.148, 0.147]),
            lr=0.01,
            factor=0.3,
            patience=1,
            threshold=0.05,
            cooldown=0,
        ),
        dict(
            metrics=A([1.0, 1, 1, 0.5, 0.6, 0.6, 0.6, 0.6]),
            lr=0.1,
            factor=0.1,
            patience=1,
            threshold=1e-4,
            cooldown=2,
        ),
        dict(metrics=A([1.0] * 10), lr=0.1, factor=0.1, patience=2, threshold=1e-4, cooldown=1),
        dict(
            metrics=example_curve(25).round(4),
            lr=0.02,
            factor=0.5,
            patience=2,
            threshold=1e-4,
            cooldown=0,
        ),
    ],
    hints={"shape": "Return one rate per metric: an array of len(metrics) numbers."},
    hidden_cases=[
        Hidden(
            "a long run with several plateaus and a cooldown",
            dict(
                metrics=A(
                    [2.0, 1.5, 1.2, 1.19, 1.19, 1.18, 1.0, 0.9, 0.9, 0.9]
                    + [0.9, 0.85, 0.85, 0.85, 0.85, 0.84, 0.7, 0.7, 0.7, 0.7]
                ),
                lr=0.1,
                factor=0.5,
                patience=2,
                threshold=0.02,
                cooldown=1,
            ),
        ),
        Hidden(
            "patience = 0 with a cooldown",
            dict(
                metrics=A([1.0, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5]),
                lr=0.3,
                factor=0.2,
                patience=0,
                threshold=1e-4,
                cooldown=2,
            ),
        ),
        Hidden(
            "a metric on a larger scale (around 100)",
            dict(
                metrics=A([100.0, 99.5, 99.0, 98.8, 97.5, 97.4, 97.3, 97.2]),
                lr=0.1,
                factor=0.5,
                patience=1,
                threshold=0.01,
                cooldown=0,
            ),
        ),
        Hidden(
            "a metric that rises after improving",
            dict(
                metrics=A([1.0, 0.8, 0.9, 1.0, 1.1, 0.7, 0.75, 0.8]),
                lr=0.05,
                factor=0.1,
                patience=1,
                threshold=1e-3,
                cooldown=0,
            ),
        ),
    ],
)


# --- 11.untuned_warmup -------------------------------------------------------------------------


untuned_warmup_exercise = Exercise(
    id="11.untuned_warmup",
    title="The untuned warmup length, rounded right",
    key=(
        "round(2 / (1 - beta2))",
        "2 / (1 - beta2)",
        r"2/(1-\beta_2)",
        r"\frac{2}{1-\beta_2}",
    ),
    reference=lambda beta2: untuned_warmup(beta2),
    cases=[dict(beta2=b) for b in (0.999, 0.99, 0.98, 0.9999, 0.95, 0.9985, 0.9)],
    hidden_cases=[
        Hidden("beta2 closer to 1 than in the visible cases", dict(beta2=0.99995)),
        Hidden("a beta2 for which 2 / (1 - beta2) is not a whole number", dict(beta2=0.997)),
        Hidden("a small beta2", dict(beta2=0.8)),
    ],
)


# --- 11.adam_warmup_path -----------------------------------------------------------------------


def _adam_warmup_path(hessian, x0, lr, warmup_steps, beta1, beta2, eps, steps):
    schedule = constant(lr) if warmup_steps == 0 else linear_warmup(constant(lr), warmup_steps)
    problem, opt = Quadratic(hessian), adam(lr=schedule, betas=(beta1, beta2), eps=eps)
    x, state, path = x0, opt.init(x0), [x0]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        path.append(x)
    return np.array(path)


adam_warmup_path = Exercise(
    id="11.adam_warmup_path",
    title="Adam with a linear warmup, each rate at the right step",
    key=(
        "min(k / warmup_steps, 1.0)",
        r"\min(k / W, 1)",
        r"m / (1 - \beta_1^t)",
        r"v / (1 - \beta_2^t)",
        r"\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
    ),
    reference=_adam_warmup_path,
    cases=[
        dict(
            hessian=DIAG,
            x0=A([1.0, 1.0]),
            lr=0.1,
            warmup_steps=4,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=8,
        ),
        dict(
            hessian=TILTED,
            x0=A([-2.0, 1.5]),
            lr=0.3,
            warmup_steps=5,
            beta1=0.9,
            beta2=0.99,
            eps=1e-8,
            steps=12,
        ),
        dict(
            hessian=ONE, x0=A([2.0]), lr=0.5, warmup_steps=2, beta1=0.5, beta2=0.9, eps=0.1, steps=6
        ),
        dict(
            hessian=DENSE,
            x0=A([1.0, -1.0, 2.0]),
            lr=0.05,
            warmup_steps=10,
            beta1=0.8,
            beta2=0.95,
            eps=1e-6,
            steps=15,
        ),
        dict(
            hessian=DIAG,
            x0=A([0.5, -0.5]),
            lr=0.1,
            warmup_steps=0,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=5,
        ),
        dict(
            hessian=DIAG,
            x0=A([3.0, -1.0]),
            lr=0.1,
            warmup_steps=3,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            steps=0,
        ),
    ],
    hidden_cases=path_hidden(
        dict(lr=0.05, warmup_steps=4, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(lr=0.02, warmup_steps=15, beta1=0.9, beta2=0.99, eps=1e-8),
        dict(lr=0.1, warmup_steps=3, beta1=0.8, beta2=0.9, eps=1e-6),
    )
    + [
        Hidden(
            "a warmup longer than the run",
            dict(
                hessian=TILTED,
                x0=A([1.0, -1.0]),
                lr=0.3,
                warmup_steps=20,
                beta1=0.9,
                beta2=0.999,
                eps=1e-8,
                steps=8,
            ),
        ),
        Hidden(
            "warmup_steps = 1",
            dict(
                hessian=DIAG,
                x0=A([2.0, -1.0]),
                lr=0.1,
                warmup_steps=1,
                beta1=0.9,
                beta2=0.99,
                eps=1e-8,
                steps=6,
            ),
        ),
    ],
    hints={
        "shape": "Return steps + 1 points: x0 first, then one point after each update.",
        "nan": "A NaN here usually means dividing by 1 - beta**0 = 0 in a bias correction "
        "(t counts from 1), or by warmup_steps = 0 (no warmup: the rate is lr throughout).",
    },
)


# --- 11.budget_schedule ------------------------------------------------------------------------


def _budget_schedule(lr, beta2, total_steps, step):
    warmup = min(untuned_warmup(beta2), total_steps // 10)
    return warmup_decay(lr, warmup, total_steps, "cosine")(step)


budget_schedule = Exercise(
    id="11.budget_schedule",
    title="Warmup and cosine decay within a fixed budget",
    key=(
        "np.clip(t - warmup, 0, decay) / decay",
        r"1 + \cos",
        r"\cos\frac{\pi \min(t - W,\ T - W)}{T - W}",
    ),
    reference=_budget_schedule,
    cases=[
        dict(
            lr=1e-3,
            beta2=0.999,
            total_steps=10_000,
            step=A([0, 1, 500, 999, 1000, 1001, 5000, 9999, 10_000, 12_000]),
        ),
        dict(lr=0.01, beta2=0.99, total_steps=5000, step=A([0, 100, 199, 200, 201, 2600, 4999])),
        dict(lr=3e-4, beta2=0.999, total_steps=30_000, step=A([0, 1, 1000, 1999, 2000, 16_000])),
        dict(lr=0.1, beta2=0.9, total_steps=100, step=np.arange(0, 101, 5)),
        dict(lr=1.0, beta2=0.98, total_steps=1000, step=100),
        dict(lr=0.5, beta2=0.999, total_steps=50, step=A([0, 2, 4, 5, 6, 27, 49, 50])),
    ],
    hints={"shape": "Return one rate per step: the same shape as `step` (a number for a number)."},
    hidden_cases=[
        Hidden(
            "a long budget in which the untuned warmup fits",
            dict(
                lr=2e-3,
                beta2=0.9995,
                total_steps=100_000,
                step=A([0, 1, 1999, 3999, 4000, 4001, 50_000, 99_999, 100_000, 150_000]),
            ),
        ),
        Hidden("an int step in the warmup", dict(lr=0.05, beta2=0.99, total_steps=3000, step=57)),
        Hidden(
            "the smallest budget, T = 10",
            dict(lr=0.4, beta2=0.99, total_steps=10, step=np.arange(12)),
        ),
        Hidden("an int step past the budget", dict(lr=0.3, beta2=0.95, total_steps=500, step=777)),
    ],
)

EXERCISES = [plateau_lrs, untuned_warmup_exercise, adam_warmup_path, budget_schedule]
