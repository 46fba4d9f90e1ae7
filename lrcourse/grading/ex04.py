"""Exercises of lecture 04: exponential, inverse-time and polynomial decay.

The three smooth decay families as vectorised functions of the step, the half-life of an
exponential decay, and the exact expected loss of SGD on a noisy 1-D quadratic after a whole
schedule (which decides which of several schedules ends lowest). References come from
``lrcourse.schedules`` and ``lrcourse.explorers.decay.expected_loss``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex04.py``.
"""

import numpy as np

from lrcourse import schedules
from lrcourse.problems import noisy_quadratic

from .spec import Exercise, Hidden

TITLE = "Exponential, inverse-time and polynomial decay"
NOTEBOOK = "04_exponential_decay"

A = np.array


# --- 04.exponential_decay ----------------------------------------------------------------------


def _exponential(lr, gamma, decay_steps, staircase, step):
    return schedules.exponential_decay(lr, gamma, decay_steps, staircase)(step)


exponential_decay = Exercise(
    id="04.exponential_decay",
    key=(
        "gamma ** (step / decay_steps)",
        "np.floor(periods)",
        r"\gamma^{t/s}",
        r"\gamma^{\lfloor t/s \rfloor}",
    ),
    title="Exponential decay, smooth and staircase",
    reference=_exponential,
    cases=[
        dict(lr=0.2, gamma=0.5, decay_steps=100, staircase=False, step=A([0, 50, 100, 150, 200])),
        dict(lr=0.2, gamma=0.5, decay_steps=100, staircase=True, step=A([0, 50, 100, 150, 200])),
        dict(lr=1.0, gamma=0.9, decay_steps=1, staircase=False, step=np.arange(6)),
        dict(lr=0.1, gamma=0.96, decay_steps=10, staircase=True, step=np.arange(0, 40, 3)),
        dict(lr=0.3, gamma=0.99, decay_steps=5, staircase=False, step=12),
    ],
    hints={"shape": "Return one rate per step: the same shape as step (a number for a number)."},
    hidden_cases=[
        Hidden(
            "steps far beyond the visible ones, smooth",
            dict(
                lr=0.5,
                gamma=0.9,
                decay_steps=1000,
                staircase=False,
                step=A([0, 1234, 10_000, 54_321]),
            ),
        ),
        Hidden(
            "staircase steps just before and at each period's end",
            dict(
                lr=0.3, gamma=0.7, decay_steps=7, staircase=True, step=A([0, 6, 7, 13, 14, 20, 21])
            ),
        ),
        Hidden(
            "an int step with staircase=True",
            dict(lr=0.05, gamma=0.5, decay_steps=4, staircase=True, step=11),
        ),
    ],
)


# --- 04.inverse_time_decay ---------------------------------------------------------------------


def _inverse(lr, decay_rate, decay_steps, step):
    return schedules.inverse_time_decay(lr, decay_rate, decay_steps)(step)


inverse_time_decay = Exercise(
    id="04.inverse_time_decay",
    key=(
        "lr / (1 + decay_rate * step / decay_steps)",
        "decay_rate * np.asarray(step) / decay_steps",
        r"\frac{\eta_0}{1 + k t / s}",
        r"\eta_0 / (1 + k t / s)",
    ),
    title="Inverse-time decay",
    reference=_inverse,
    cases=[
        dict(lr=1.0, decay_rate=1.0, decay_steps=1, step=np.arange(5)),
        dict(lr=0.2, decay_rate=0.01, decay_steps=1, step=A([0, 100, 1000, 10000])),
        dict(lr=0.5, decay_rate=0.5, decay_steps=10, step=np.arange(0, 50, 5)),
        dict(lr=0.1, decay_rate=2.0, decay_steps=100, step=250),
    ],
    hints={"shape": "Return one rate per step: the same shape as step (a number for a number)."},
    hidden_cases=[
        Hidden(
            "steps far beyond the visible ones",
            dict(lr=0.3, decay_rate=0.5, decay_steps=1000, step=A([0, 999, 10_000, 1_000_000])),
        ),
        Hidden(
            "an int step with decay_steps > 1", dict(lr=0.8, decay_rate=0.2, decay_steps=7, step=30)
        ),
        Hidden(
            "a large decay_rate",
            dict(lr=1.0, decay_rate=50.0, decay_steps=10, step=np.arange(0, 30, 3)),
        ),
    ],
)


# --- 04.polynomial_decay -----------------------------------------------------------------------


def _polynomial(lr, total_steps, power, end_lr, step):
    return schedules.polynomial_decay(lr, total_steps, power, end_lr)(step)


polynomial_decay = Exercise(
    id="04.polynomial_decay",
    key=(
        "(1 - min(step, total_steps) / total_steps) ** power",
        "(1 - t / total_steps) ** power",
        r"(1 - \frac{\min(t, T)}{T})^{p}",
        r"\eta_T + (\eta_0 - \eta_T)",
    ),
    title="Polynomial decay to an end rate",
    reference=_polynomial,
    cases=[
        dict(lr=1.0, total_steps=4, power=1.0, end_lr=0.0, step=np.arange(7)),
        dict(lr=0.2, total_steps=1000, power=2.0, end_lr=0.0, step=A([0, 250, 500, 999, 1000])),
        dict(lr=0.2, total_steps=100, power=1.0, end_lr=0.02, step=np.arange(0, 150, 10)),
        dict(lr=0.5, total_steps=10, power=0.5, end_lr=0.05, step=np.arange(13)),
        dict(lr=0.1, total_steps=50, power=3.0, end_lr=0.001, step=60),
    ],
    hints={"shape": "Return one rate per step: the same shape as step (a number for a number)."},
    hidden_cases=[
        Hidden(
            "steps at and past total_steps",
            dict(lr=0.4, total_steps=20, power=1.5, end_lr=0.01, step=A([0, 7, 19, 20, 21, 100])),
        ),
        Hidden(
            "the value at step 0 (an int)",
            dict(lr=0.9, total_steps=30, power=2.0, end_lr=0.1, step=0),
        ),
        Hidden(
            "a long horizon with power < 1",
            dict(
                lr=0.25,
                total_steps=5000,
                power=0.3,
                end_lr=0.0,
                step=A([0, 1, 100, 2500, 4999, 5000]),
            ),
        ),
    ],
)


# --- 04.half_life ------------------------------------------------------------------------------


def _half_life(gamma, decay_steps):
    # The t with exponential_decay(1, gamma, decay_steps)(t) == 1/2: gamma ** (t / s) = 1/2.
    return decay_steps * np.log(0.5) / np.log(gamma)


half_life = Exercise(
    id="04.half_life",
    key=(
        "np.log(0.5) / np.log(gamma)",
        "s \\ln\\frac12 / \\ln\\gamma",
        r"s \frac{\ln (1/2)}{\ln \gamma}",
        r"\gamma^{t/s} = \frac12",  # the equation the answer solves, one line from it
    ),
    title="The half-life of exponential decay",
    reference=_half_life,
    cases=[
        dict(gamma=0.99, decay_steps=1),
        dict(gamma=0.5, decay_steps=100),
        dict(gamma=0.9, decay_steps=50),
        dict(gamma=0.01 ** (1 / 2000), decay_steps=1),
        dict(gamma=0.1, decay_steps=3),
        dict(gamma=A([0.9, 0.99, 0.999]), decay_steps=1),
    ],
    hidden_cases=[
        Hidden("gamma close to 1 with a long decay_steps", dict(gamma=0.9999, decay_steps=250)),
        Hidden(
            "an array of gammas with decay_steps > 1",
            dict(gamma=A([0.5, 0.8, 0.95]), decay_steps=10),
        ),
        Hidden("a small gamma (a fast decay)", dict(gamma=0.001, decay_steps=7)),
    ],
)


# --- 04.final_expected_loss --------------------------------------------------------------------


def _final(lrs, L, sigma, x0):
    # Imported here: the explorers module brings ipywidgets and matplotlib, which check() and the
    # batch grader should not have to load just to read the exercise specs.
    from lrcourse.theory import expected_loss

    problem = noisy_quadratic(curvatures=[L], sigma=sigma, start=[x0])
    return expected_loss(problem, lrs)[..., -1]


def _shapes(T, peak, end):
    """Exponential, inverse-time and linear decay from peak to end over T updates, as rows."""
    t = np.arange(T)
    return np.stack(
        [
            schedules.exponential_decay(peak, gamma=(end / peak) ** (1 / (T - 1)))(t),
            schedules.inverse_time_decay(peak, decay_rate=(peak / end - 1) / (T - 1))(t),
            schedules.polynomial_decay(peak, total_steps=T - 1, end_lr=end)(t),
        ]
    )


final_expected_loss = Exercise(
    id="04.final_expected_loss",
    key=(
        "** 2 * m + lrs[:, k] ** 2 * sigma**2",
        r"(1 - \eta_k L)^2 m_k + \eta_k^2 \sigma^2",
        r"(1 - \eta_k \lambda)^2 m + \eta_k^2 \sigma^2",
    ),
    title="Which schedule ends lowest: the exact expected loss",
    reference=_final,
    cases=[
        dict(lrs=np.stack([np.full(5, 0.1), np.full(5, 0.2)]), L=4.0, sigma=1.0, x0=2.0),
        dict(lrs=_shapes(50, 0.5, 0.005), L=2.0, sigma=1.0, x0=3.0),
        dict(lrs=np.zeros((1, 10)), L=4.0, sigma=1.0, x0=1.5),
        dict(lrs=np.full((1, 20), 1.5), L=2.0, sigma=0.5, x0=1.0),
        dict(lrs=_shapes(200, 0.2, 0.002), L=4.0, sigma=2.0, x0=-10.0),
        dict(lrs=np.zeros((2, 0)), L=1.0, sigma=1.0, x0=2.0),
    ],
    hints={
        "shape": "Return one number per schedule (per row of lrs): an array of shape (len(lrs),).",
    },
    hidden_cases=[
        Hidden(
            "three schedules over a long horizon",
            dict(lrs=_shapes(150, 0.3, 0.003), L=3.0, sigma=0.7, x0=5.0),
        ),
        Hidden(
            "a single update per schedule",
            dict(lrs=A([[0.1], [0.3], [0.45]]), L=4.0, sigma=2.0, x0=1.0),
        ),
        Hidden(
            "x0 = 0 (only the noise)",
            dict(
                lrs=np.stack([np.full(30, 0.05), np.linspace(0.2, 0.01, 30)]),
                L=1.5,
                sigma=1.0,
                x0=0.0,
            ),
        ),
    ],
)


# --- 04.tuned_schedule (experiment) ------------------------------------------------------------


def _greedy_schedule(steps, L, sigma, x0):
    """The best schedule there is here: each rate minimises the next expected squared distance."""
    m, rates = float(x0) ** 2, []
    for _ in range(steps):
        rate = L * m / (L**2 * m + sigma**2)
        rates.append(rate)
        m = (1 - rate * L) ** 2 * m + rate**2 * sigma**2
    return np.array(rates)


def _final_loss(rates, steps, L, sigma, x0):
    """The outcome of a schedule: E[f] after all its updates (the grader computes it)."""
    return float(_final(np.asarray(rates, dtype=float)[None, :], L, sigma, x0)[0])


tuned_schedule = Exercise(
    id="04.tuned_schedule",
    kind="experiment",
    key=(
        "L * m / (L**2 * m + sigma**2)",
        "1 / (L * (k + 1))",
        r"\frac{L m_k}{L^2 m_k + \sigma^2}",
        r"\frac{1}{L (k + 1)}",
    ),
    title="Experiment: a schedule that ends within 1.5x of the best",
    reference=_greedy_schedule,
    outcome=_final_loss,
    rtol=0.5,  # the target: at most 1.5 times the best schedule's final expected loss
    atol=0.0,
    cases=[
        dict(steps=100, L=1.0, sigma=1.0, x0=10.0),
        dict(steps=200, L=4.0, sigma=0.5, x0=3.0),
        dict(steps=50, L=0.5, sigma=2.0, x0=-5.0),
    ],
    hints={
        "shape": "Return one rate per update: an array of shape (steps,).",
        "value": "Try schedules in the experiment cell and compare their final expected losses: "
        "how fast must the rate fall once the noise dominates?",
    },
    hidden_cases=[
        Hidden("a stiff problem over a long run", dict(steps=300, L=10.0, sigma=1.0, x0=1.0)),
        Hidden("a short run", dict(steps=20, L=2.0, sigma=0.3, x0=4.0)),
        Hidden("a start far from the minimum", dict(steps=150, L=1.0, sigma=0.2, x0=100.0)),
    ],
)

EXERCISES = [
    exponential_decay,
    inverse_time_decay,
    polynomial_decay,
    half_life,
    final_expected_loss,
    tuned_schedule,
]
