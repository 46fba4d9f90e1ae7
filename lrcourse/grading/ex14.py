"""Exercises of lecture 14: the edge of stability.

Power iteration, the way the lecture measures the sharpness of a network (here on a matrix, so
that the answer can be checked against its eigenvalues), and the edge itself: where the
(preconditioned) sharpness of gradient descent, with or without averaged momentum, settles for a
given rate. The closed form comes from ``lrcourse.theory.adam_edge``.

The mistakes the cases are built to catch, each with its hint, and other correct answers are
test data: ``tests/exercise_data/ex14.py``.
"""

import numpy as np

from lrcourse.theory import adam_edge

from .spec import Exercise, Hidden

TITLE = "The edge of stability"
NOTEBOOK = "14_edge_of_stability"

# The learner writes these; lrcourse's own versions in an answer deserve a look.
REVIEW = {
    "lrcourse.theory": "uses lrcourse.theory",
    " sharpness(": "uses lrcourse.problems.sharpness",
    "eigvalsh": "uses np.linalg.eigvalsh instead of power iteration",
    "eigh(": "uses np.linalg.eigh instead of power iteration",
    "eigvals(": "uses np.linalg.eigvals instead of power iteration",
}

# The notebook applies the learner's power iteration to the Hessian of a small digits network.
ALLOW = ("_validate", "problems", "data")

A = np.array


# --- 14.power_iteration ------------------------------------------------------------------------


def _reference_power_iteration(hessian, vector, iters):
    v = vector / np.linalg.norm(vector)
    for _ in range(iters):
        hv = hessian @ v
        v = hv / np.linalg.norm(hv)
    return v @ hessian @ v


def _symmetric(eigenvalues, seed):
    """A symmetric matrix with these eigenvalues, in a random orthonormal basis."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(eigenvalues),) * 2))
    return (q * np.asarray(eigenvalues, dtype=float)) @ q.T


power_iteration = Exercise(
    id="14.power_iteration",
    title="Power iteration: the sharpness from matrix-vector products",
    reference=_reference_power_iteration,
    cases=[
        # no iteration at all: the Rayleigh quotient of the (normalised) start
        dict(hessian=A([[2.0, 0.0], [0.0, 1.0]]), vector=A([1.0, 1.0]), iters=0),
        dict(hessian=A([[2.0, 1.0], [1.0, 3.0]]), vector=A([1.0, 0.0]), iters=1),
        dict(hessian=_symmetric([10.0, 3.0, 1.0, 0.5], seed=0), vector=np.ones(4), iters=60),
        # the largest eigenvalue in size is negative: power iteration finds -6, with its sign
        dict(hessian=np.diag([-6.0, 2.0, 1.0]), vector=A([1.0, 1.0, 1.0]), iters=80),
        # a start of length 1000: only its direction may matter
        dict(hessian=_symmetric([4.0, 1.0, -1.0], seed=1), vector=A([1e3, 2e3, -1e3]), iters=2),
        # a large eigenvalue and many iterations: without normalising, H^k v overflows
        dict(hessian=_symmetric([1e3, 10.0, 1.0, 0.1, 0.01], seed=2), vector=np.ones(5), iters=150),
    ],
    key=("v @ hessian @ v", "hv / np.linalg.norm(hv)", r"v^\top H v", r"v^T H v"),
    hints={
        "shape": "Return one number, the estimate of the eigenvalue (not the vector).",
        "inf": (
            "The vector grows like (largest eigenvalue)^k: divide it by its length after every "
            "product, so that only its direction is kept."
        ),
        "nan": (
            "inf / inf gives NaN: the vector overflowed. Divide it by its length after every "
            "product."
        ),
    },
    hidden_cases=[
        Hidden(
            "a 20 x 20 Hessian with a clear top eigenvalue",
            dict(
                hessian=_symmetric(np.r_[50.0, np.linspace(10.0, -5.0, 19)], seed=3),
                vector=np.ones(20),
                iters=100,
            ),
        ),
        Hidden(
            "a start that is not of unit length, three iterations",
            dict(hessian=_symmetric([3.0, 2.0, 1.0], seed=4), vector=A([0.3, -2.0, 5.0]), iters=3),
        ),
        Hidden(
            "a dominant negative eigenvalue",
            dict(hessian=_symmetric([-9.0, 4.0, 1.0, 0.0], seed=5), vector=np.ones(4), iters=120),
        ),
    ],
)


# --- 14.edge_sharpness -------------------------------------------------------------------------


def _reference_edge(lr, beta1):
    return adam_edge(lr, beta1)


edge_sharpness = Exercise(
    id="14.edge_sharpness",
    title="Where the sharpness settles: the edge for a rate and a momentum",
    reference=_reference_edge,
    cases=[
        dict(lr=0.1, beta1=0.0),
        dict(lr=1e-3, beta1=0.9),
        dict(lr=0.02, beta1=0.5),
        dict(lr=A([0.05, 0.1, 0.2, 0.4]), beta1=0.0),
        dict(lr=A([1e-3, 2e-3, 4e-3]), beta1=0.9),
    ],
    kind="derive",
    key=(
        "(2 + 2 * beta1) / ((1 - beta1)",
        r"\frac{2 + 2\beta_1}{(1-\beta_1)\,\eta}",
        r"(2 + 2\beta_1)/((1-\beta_1)\eta)",
        r"\frac{2(1+\beta_1)}{(1-\beta_1)\eta}",
        r"38/\eta",
        r"\frac{38}{\eta}",
    ),
    hints={"shape": "Return one edge per rate: lr may be an array, and so is your answer then."},
    hidden_cases=[
        Hidden("beta1 close to 1 (0.99)", dict(lr=3e-4, beta1=0.99)),
        Hidden("a large rate without momentum", dict(lr=A([2.0, 8.0]), beta1=0.0)),
        Hidden("a small momentum", dict(lr=0.5, beta1=0.1)),
    ],
)

EXERCISES = [power_iteration, edge_sharpness]
