"""Exercises of lecture 04: exponential, inverse-time and polynomial decay.

The three smooth decay families as vectorised functions of the step, the half-life of an
exponential decay, and the exact expected loss of SGD on a noisy 1-D quadratic after a whole
schedule (which decides which of several schedules ends lowest). References come from
``lrcourse.schedules`` and ``lrcourse.explorers.decay.expected_loss``.
"""

import numpy as np

from lrcourse import schedules
from lrcourse.problems import noisy_quadratic

from .spec import Exercise, Hidden, Mutant

TITLE = "Exponential, inverse-time and polynomial decay"
NOTEBOOK = "04_exponential_decay"

A = np.array


def _per_step(rate):
    """Apply a function of one step to every entry of ``step`` (the loop alternates)."""

    def answer(*args):
        *hyper, step = args
        flat = [rate(*hyper, int(s)) for s in np.ravel(step)]
        return np.reshape(flat, np.shape(step))

    return answer


# --- 04.exponential_decay ----------------------------------------------------------------------


def _exponential(lr, gamma, decay_steps, staircase, step):
    return schedules.exponential_decay(lr, gamma, decay_steps, staircase)(step)


def _exponent_with(exponent):
    def answer(lr, gamma, decay_steps, staircase, step):
        return lr * gamma ** exponent(np.asarray(step) / decay_steps, staircase)

    return answer


exponential_decay = Exercise(
    id="04.exponential_decay",
    title="Exponential decay, smooth and staircase",
    reference=_exponential,
    cases=[
        dict(lr=0.2, gamma=0.5, decay_steps=100, staircase=False, step=A([0, 50, 100, 150, 200])),
        dict(lr=0.2, gamma=0.5, decay_steps=100, staircase=True, step=A([0, 50, 100, 150, 200])),
        dict(lr=1.0, gamma=0.9, decay_steps=1, staircase=False, step=np.arange(6)),
        dict(lr=0.1, gamma=0.96, decay_steps=10, staircase=True, step=np.arange(0, 40, 3)),
        dict(lr=0.3, gamma=0.99, decay_steps=5, staircase=False, step=12),
    ],
    mutants=[
        Mutant(
            "staircase ignored",
            _exponent_with(lambda x, staircase: x),
            "With staircase=True the exponent is rounded down, gamma ** (step // decay_steps): "
            "the rate holds for decay_steps steps, then drops by gamma.",
        ),
        Mutant(
            "always staircase",
            _exponent_with(lambda x, staircase: np.floor(x)),
            "Without the staircase the exponent is the fraction step / decay_steps: the rate "
            "falls a little at every step.",
        ),
        Mutant(
            "staircase rounds up",
            _exponent_with(lambda x, staircase: np.ceil(x) if staircase else x),
            "Round the staircase's exponent down (floor), not up: the first decay_steps steps use "
            "lr itself.",
        ),
        Mutant(
            "decay_steps ignored",
            lambda lr, gamma, decay_steps, staircase, step: lr * gamma ** np.asarray(step),
            "gamma is the factor per decay_steps steps: the exponent is step / decay_steps.",
        ),
        Mutant(
            "exp of gamma",
            lambda lr, gamma, decay_steps, staircase, step: (
                lr * np.exp(-gamma * np.asarray(step) / decay_steps)
            ),
            "gamma is the factor itself, not a rate inside an exponential: lr * gamma ** "
            "(step / decay_steps).",
        ),
    ],
    alternates=[
        _per_step(
            lambda lr, gamma, decay_steps, staircase, s: (
                lr * gamma ** ((s // decay_steps) if staircase else (s / decay_steps))
            )
        ),
        lambda lr, gamma, decay_steps, staircase, step: (
            lr
            * np.exp(
                np.log(gamma)
                * (
                    np.floor_divide(step, decay_steps)
                    if staircase
                    else np.divide(step, decay_steps)
                )
            )
        ),
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
    title="Inverse-time decay",
    reference=_inverse,
    cases=[
        dict(lr=1.0, decay_rate=1.0, decay_steps=1, step=np.arange(5)),
        dict(lr=0.2, decay_rate=0.01, decay_steps=1, step=A([0, 100, 1000, 10000])),
        dict(lr=0.5, decay_rate=0.5, decay_steps=10, step=np.arange(0, 50, 5)),
        dict(lr=0.1, decay_rate=2.0, decay_steps=100, step=250),
    ],
    mutants=[
        Mutant(
            "decay_steps multiplies",
            lambda lr, decay_rate, decay_steps, step: (
                lr / (1 + decay_rate * np.asarray(step) * decay_steps)
            ),
            "decay_steps is the unit of time: it divides the step, 1 + decay_rate * step / "
            "decay_steps.",
        ),
        Mutant(
            "square root",
            lambda lr, decay_rate, decay_steps, step: (
                lr / np.sqrt(1 + decay_rate * np.asarray(step) / decay_steps)
            ),
            "Inverse time is 1 / t, not 1 / sqrt(t): no square root.",
        ),
        Mutant(
            "linear",
            lambda lr, decay_rate, decay_steps, step: (
                lr * (1 - decay_rate * np.asarray(step) / decay_steps)
            ),
            "Divide by (1 + decay_rate * step / decay_steps); multiplying by (1 - ...) is "
            "linear decay, which turns negative.",
        ),
        Mutant(
            "exponential",
            lambda lr, decay_rate, decay_steps, step: (
                lr / (1 + decay_rate) ** (np.asarray(step) / decay_steps)
            ),
            "That falls exponentially. Inverse-time decay divides by 1 + decay_rate * step / "
            "decay_steps, which grows linearly.",
        ),
    ],
    alternates=[
        _per_step(lambda lr, decay_rate, decay_steps, s: lr / (1 + decay_rate * s / decay_steps)),
        lambda lr, decay_rate, decay_steps, step: (
            lr * decay_steps / (decay_steps + decay_rate * np.asarray(step))
        ),
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


def _polynomial_with(fraction=lambda t, T: np.minimum(t, T) / T, form="right"):
    def answer(lr, total_steps, power, end_lr, step):
        x = fraction(np.asarray(step), total_steps)
        with np.errstate(invalid="ignore"):
            if form == "no end":
                return lr * (1 - x) ** power
            if form == "end added":
                return end_lr + lr * (1 - x) ** power
            if form == "power inside":
                return end_lr + (lr - end_lr) * (1 - x**power)
            return end_lr + (lr - end_lr) * (1 - x) ** power

    return answer


polynomial_decay = Exercise(
    id="04.polynomial_decay",
    title="Polynomial decay to an end rate",
    reference=_polynomial,
    cases=[
        dict(lr=1.0, total_steps=4, power=1.0, end_lr=0.0, step=np.arange(7)),
        dict(lr=0.2, total_steps=1000, power=2.0, end_lr=0.0, step=A([0, 250, 500, 999, 1000])),
        dict(lr=0.2, total_steps=100, power=1.0, end_lr=0.02, step=np.arange(0, 150, 10)),
        dict(lr=0.5, total_steps=10, power=0.5, end_lr=0.05, step=np.arange(13)),
        dict(lr=0.1, total_steps=50, power=3.0, end_lr=0.001, step=60),
    ],
    mutants=[
        Mutant(
            "no clamp",
            _polynomial_with(fraction=lambda t, T: t / T),
            "After total_steps the rate stays at end_lr: clamp the step first, np.minimum(step, "
            "total_steps).",
        ),
        Mutant(
            "end ignored",
            _polynomial_with(form="no end"),
            "The decay goes from lr down to end_lr: end_lr + (lr - end_lr) * (1 - t / T) ** power.",
        ),
        Mutant(
            "end added",
            _polynomial_with(form="end added"),
            "At step 0 the rate must be lr: scale (lr - end_lr), not lr, and add end_lr.",
        ),
        Mutant(
            "power inside",
            _polynomial_with(form="power inside"),
            "The power applies to (1 - t / T) as a whole: (1 - t / T) ** power.",
        ),
        Mutant(
            "integer division",
            _polynomial_with(fraction=lambda t, T: np.minimum(t, T) // T),
            "t / T is a fraction between 0 and 1: use true division (/), not //.",
        ),
    ],
    alternates=[
        _per_step(
            lambda lr, total_steps, power, end_lr, s: (
                end_lr + (lr - end_lr) * (1 - min(s, total_steps) / total_steps) ** power
            )
        ),
        lambda lr, total_steps, power, end_lr, step: (
            end_lr + (lr - end_lr) * np.clip(1 - np.asarray(step) / total_steps, 0, 1) ** power
        ),
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
    mutants=[
        Mutant(
            "sign",
            lambda gamma, decay_steps: decay_steps * np.log(2) / np.log(gamma),
            "ln(gamma) is negative: the half-life is decay_steps * ln(1/2) / ln(gamma), or "
            "decay_steps * ln(2) / -ln(gamma), a positive number.",
        ),
        Mutant(
            "decay_steps ignored",
            lambda gamma, decay_steps: np.log(0.5) / np.log(gamma),
            "gamma is the factor per decay_steps steps: the half-life in steps is decay_steps "
            "times the number of periods.",
        ),
        Mutant(
            "time constant",
            lambda gamma, decay_steps: decay_steps / (1 - gamma),
            "1 / (1 - gamma) is about the time constant (and the sum of the rates), not the "
            "half-life: solve gamma ** (t / decay_steps) = 1/2 for t.",
        ),
        Mutant(
            "mixed logarithms",
            lambda gamma, decay_steps: decay_steps * np.log10(0.5) / np.log(gamma),
            "Use the same logarithm above and below the fraction.",
        ),
    ],
    alternates=[
        lambda gamma, decay_steps: -decay_steps / np.log2(gamma),
        lambda gamma, decay_steps: decay_steps * np.log(2) / -np.log(gamma),
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
    from lrcourse.explorers.decay import expected_loss

    problem = noisy_quadratic(curvatures=[L], sigma=sigma, start=[x0])
    return expected_loss(problem, lrs)[..., -1]


def _final_with(shrink=lambda lr, L: (1 - lr * L) ** 2, noise=lambda lr, s: lr**2 * s**2, **kw):
    """The recursion m <- shrink * m + noise, with one piece changed (the mutants)."""

    def answer(lrs, L, sigma, x0):
        lrs = np.asarray(lrs, dtype=float)
        m = np.full(lrs.shape[0], float(x0) ** 2)
        for k in range(lrs.shape[1] - kw.get("skip", 0)):
            m = shrink(lrs[:, k], L) * m + noise(lrs[:, k], sigma)
        return kw.get("scale", lambda L: 0.5 * L)(L) * m

    return answer


def _final_suffix_products(lrs, L, sigma, x0):
    # m_T = x0^2 prod_k a_k + sigma^2 sum_k lr_k^2 prod_{j > k} a_j, with a_k = (1 - lr_k L)^2.
    lrs = np.asarray(lrs, dtype=float)
    a = (1 - lrs * L) ** 2
    after = np.cumprod(a[:, ::-1], axis=1)[:, ::-1]  # after[:, k] = prod_{j >= k} a_j
    later = np.concatenate([after[:, 1:], np.ones((len(lrs), 1))], axis=1)  # prod_{j > k}
    start = after[:, 0] if lrs.shape[1] else np.ones(len(lrs))
    m = x0**2 * start + sigma**2 * np.sum(lrs**2 * later, axis=1)
    return 0.5 * L * m


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
    mutants=[
        Mutant(
            "no noise",
            _final_with(noise=lambda lr, s: 0 * lr),
            "Every update also kicks x by lr_k * sigma * xi_k: add its variance, lr_k^2 sigma^2, "
            "to E[x^2].",
        ),
        Mutant(
            "noise variance not squared",
            _final_with(noise=lambda lr, s: lr**2 * s),
            "The noise has standard deviation sigma, so its variance is sigma ** 2.",
        ),
        Mutant(
            "noise with lr, not lr squared",
            _final_with(noise=lambda lr, s: lr * s**2),
            "The kick is lr_k * sigma * xi_k: its variance is lr_k ** 2 * sigma ** 2.",
        ),
        Mutant(
            "factor not squared",
            _final_with(shrink=lambda lr, L: 1 - lr * L),
            "x is multiplied by (1 - lr_k L), so E[x^2] is multiplied by (1 - lr_k L) ** 2.",
        ),
        Mutant(
            "no half",
            _final_with(scale=lambda L: L),
            "The loss is f = L x^2 / 2: return L * E[x^2] / 2.",
        ),
        Mutant(
            "E[x^2]",
            _final_with(scale=lambda L: 1.0),
            "Return the expected loss, L * E[x^2] / 2, not E[x^2] itself.",
        ),
        Mutant(
            "last rate skipped",
            _final_with(skip=1),
            "Apply every rate of the row, the last one included: the loss after the last update.",
        ),
    ],
    alternates=[_final_suffix_products],
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

EXERCISES = [
    exponential_decay,
    inverse_time_decay,
    polynomial_decay,
    half_life,
    final_expected_loss,
]
