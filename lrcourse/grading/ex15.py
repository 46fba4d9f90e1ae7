"""Exercises of lecture 15: batch size and the learning rate.

The gradient noise scale from per-example gradients (McCandlish et al. 2018), and the critical
batch size read off a steps-to-target curve by fitting their model S = S_min (1 + B_crit / B).
References come from ``lrcourse.problems.noise_scale_of`` and a least-squares fit.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex15.py``.
"""

import numpy as np

from lrcourse.problems import noise_scale_of

from .spec import Exercise, Hidden

TITLE = "Batch size and the learning rate"
NOTEBOOK = "15_batch_size"

# The learner writes these; lrcourse's own versions in an answer deserve a look.
REVIEW = {"noise_scale_of": "uses lrcourse.problems.noise_scale_of"}

# The notebook computes per-example gradients of the digits MLP.
ALLOW = ("_validate", "problems", "data")

A = np.array


# --- 15.noise_scale ----------------------------------------------------------------------------


def _reference_noise_scale(grads):
    return noise_scale_of(grads)


def _grads(n, dim, seed, mean_size=1.0):
    rng = np.random.default_rng(seed)
    return mean_size * rng.standard_normal(dim) + rng.standard_normal((n, dim))


noise_scale = Exercise(
    id="15.noise_scale",
    title="The gradient noise scale from per-example gradients",
    reference=_reference_noise_scale,
    cases=[
        dict(grads=A([[1.0, 0.0], [3.0, 0.0]])),
        dict(grads=A([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])),  # no noise at all: 0
        dict(grads=A([[2.0, -1.0, 0.5], [0.0, 1.0, 1.5], [1.0, 3.0, -0.5], [1.0, 1.0, 2.5]])),
        dict(grads=_grads(50, 8, seed=0)),
        dict(grads=_grads(20, 30, seed=1, mean_size=0.1)),  # small mean: a large noise scale
    ],
    key=(
        "np.sum((grads - mean) ** 2, axis=-1).mean()",
        "tr(Sigma) / |G|^2",
        r"\operatorname{tr}(\Sigma)/|G|^2",
        r"\frac{\operatorname{tr}(\Sigma)}{|G|^2}",
    ),
    hints={"shape": "Return one number: the noise scale of the whole set of examples."},
    hidden_cases=[
        Hidden("many examples of a few parameters", dict(grads=_grads(150, 3, seed=2))),
        Hidden("two examples", dict(grads=A([[0.5, 1.0, -2.0], [1.5, -1.0, 0.0]]))),
        Hidden("gradients of a large size", dict(grads=1e3 * _grads(30, 6, seed=3))),
    ],
)


# --- 15.critical_batch -------------------------------------------------------------------------


def _reference_critical_batch(batch_sizes, steps):
    slope, intercept = np.polyfit(1 / np.asarray(batch_sizes, float), np.asarray(steps, float), 1)
    return slope / intercept


def _model(batch_sizes, s_min, b_crit, wiggle=()):
    b = np.asarray(batch_sizes, dtype=float)
    return s_min * (1 + b_crit / b) * (1 + np.asarray(wiggle or 0.0))


critical_batch = Exercise(
    id="15.critical_batch",
    title="The critical batch size from steps to a target",
    reference=_reference_critical_batch,
    cases=[
        dict(batch_sizes=A([1.0, 2.0]), steps=A([30.0, 20.0])),  # exact: S_min 10, B_crit 2
        dict(batch_sizes=A([4.0, 16.0, 64.0, 256.0]), steps=_model([4, 16, 64, 256], 100, 32)),
        dict(
            batch_sizes=A([2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
            steps=_model(
                [2, 4, 8, 16, 32, 64], 50, 10, wiggle=[0.05, -0.03, 0.02, 0.0, -0.04, 0.03]
            ),
        ),
        dict(batch_sizes=A([8.0, 32.0, 128.0]), steps=A([400.0, 140.0, 75.0])),
    ],
    # the model written as a line in 1 / B: its slope over its intercept is B_crit
    key=(
        "np.polyfit(1 / ",
        r"S_{\min} + S_{\min}B_{\text{crit}}/B",
        r"S_{\min} + \frac{S_{\min}B_{\text{crit}}}{B}",
    ),
    hints={"shape": "Return one number, the fitted critical batch size."},
    rtol=1e-6,
    hidden_cases=[
        Hidden(
            "a wide range of batch sizes",
            dict(
                batch_sizes=np.geomspace(1, 4096, 13),
                steps=_model(np.geomspace(1, 4096, 13), 20, 300),
            ),
        ),
        Hidden(
            "measured steps that scatter",
            dict(
                batch_sizes=A([2.0, 8.0, 32.0, 128.0, 512.0]),
                steps=A([1300.0, 340.0, 130.0, 60.0, 52.0]),
            ),
        ),  # fmt: skip
    ],
)

EXERCISES = [noise_scale, critical_batch]
