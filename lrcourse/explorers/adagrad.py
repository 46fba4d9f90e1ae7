"""Lecture 08, AdaGrad: its explorers, the effective learning rate, and a sparse data set.

    effective_lr(grads, lr, eps, ...)      the rate AdaGrad gives each parameter at each step
    gradient_streams(steps)                gradients of three kinds of parameter, for the plots
    sparse_regression(...)                 linear regression with rare but informative features

Explorers (each returns a ``lrcourse.widgets.Explorer``; ``EXPLORERS`` lists them):

    effective_lr_explorer()    sliders for lr, eps and the initial accumulator: each parameter's
                               effective rate over time, and how far it has moved
    adagrad_race()             SGD, momentum and AdaGrad on a bowl whose axes are the coordinate
                               axes (``optimizer_race`` from lecture 07)
"""

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.explorers.momentum import optimizer_race
from lrcourse.problems import LinearRegression, quadratic
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "effective_lr",
    "gradient_streams",
    "SparseRegression",
    "sparse_regression",
    "effective_lr_explorer",
    "adagrad_race",
    "EXPLORERS",
]


def effective_lr(
    grads, lr=1e-2, eps=1e-10, initial_accumulator_value=0.0, lr_decay=0.0, eps_inside=False
):
    """The learning rate AdaGrad applies to each parameter at each step: |step| / |gradient|.

    grads has shape (steps, ...): the gradients in the order they arrive. With
    s_t = initial_accumulator_value + g_0^2 + ... + g_t^2 (the current gradient included):

        PyTorch (eps outside the root):     lr_t / (sqrt(s_t) + eps)
        Keras, Optax (eps_inside=True):     lr_t / sqrt(s_t + eps)
        lr_t = lr / (1 + t * lr_decay)      (t = 0 for the first step; PyTorch's lr_decay)

    The first step with g = 1 and lr = 1: PyTorch's defaults (eps 1e-10, accumulator 0) move by
    0.9999999999, Keras's and Optax's (eps 1e-7, accumulator 0.1) by 0.95346.

    >>> effective_lr(np.ones((3, 1)), lr=1.0)[:, 0].round(4)        # 1 / sqrt(t + 1)
    array([1.    , 0.7071, 0.5774])
    >>> float(effective_lr(np.ones((1, 1)), 1.0, 1e-7, 0.1, eps_inside=True)[0, 0].round(5))
    0.95346
    """
    grads = v.as_float_array("grads", grads)
    if grads.ndim == 0:
        raise ValueError("grads must have a leading axis of steps, got a single number")
    lr = v.non_negative("lr", lr)
    eps = v.non_negative("eps", eps)
    initial = v.non_negative("initial_accumulator_value", initial_accumulator_value)
    lr_decay = v.non_negative("lr_decay", lr_decay)
    total = initial + np.cumsum(grads**2, axis=0)
    t = np.arange(len(grads)).reshape(-1, *[1] * (grads.ndim - 1))
    rate = lr / (1 + t * lr_decay)
    with np.errstate(divide="ignore"):  # no gradient yet and eps = 0: an infinite rate
        return rate / (np.sqrt(total + eps) if eps_inside else np.sqrt(total) + eps)


def gradient_streams(steps=2000, p_rare=0.02, small=0.01, seed=0):
    """Gradients for three parameters, shape (steps, 3), to watch AdaGrad adapt.

    column 0, "frequent, large":  N(0, 1) at every step
    column 1, "frequent, small":  N(0, small^2) at every step
    column 2, "rare":             N(0, 1) with probability p_rare, else exactly 0 (a sparse
                                  feature: most examples do not have it)

    >>> g = gradient_streams(1000)
    >>> g.shape, int(np.count_nonzero(g[:, 2]))
    ((1000, 3), 17)
    """
    rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
    steps = v.positive_int("steps", steps)
    p_rare = float(v.in_range("p_rare", p_rare, 0, 1, low_open=True, high_open=False))
    noise = rng.standard_normal((steps, 3))
    present = rng.uniform(size=steps) < p_rare
    return noise * np.stack([np.ones(steps), np.full(steps, small), present], axis=1)


class SparseRegression(LinearRegression):
    """Least squares with ``dense`` everyday features and ``rare`` sparse ones.

    Each example has dense features x ~ N(0, 1) and rare features that are 1 with probability
    ``p_rare`` and 0 otherwise; y = x . w_true + N(0, noise^2), w_true all ones: a rare feature
    matters as much as any other when it is present. The Hessian's diagonal (the curvature
    along each weight) is about 1 for a dense weight and p_rare for a rare one, so one learning
    rate cannot suit both. Loss, gradient and mini-batches are those of ``LinearRegression``;
    the first ``dense`` weights are the dense ones.

    >>> p = sparse_regression()
    >>> p.dim, p.n_train, np.diag(p.hessian)[[0, 5]].round(3).tolist()
    (10, 1000, [1.018, 0.016])
    """

    name = "sparse regression"

    def __init__(
        self, n_train=1000, dense=5, rare=5, p_rare=0.02, batch_size=10, noise=0.1, seed=0
    ):
        rng = np.random.default_rng(v.positive_int("seed", seed, minimum=0))
        self.n_train = v.positive_int("n_train", n_train)
        self.dense, self.rare = v.positive_int("dense", dense), v.positive_int("rare", rare)
        self.dim = self.dense + self.rare
        self.batch_size = min(v.positive_int("batch_size", batch_size), self.n_train)
        p_rare = float(v.in_range("p_rare", p_rare, 0, 1, low_open=True, high_open=False))
        everyday = rng.standard_normal((self.n_train, self.dense))
        sparse = (rng.uniform(size=(self.n_train, self.rare)) < p_rare).astype(float)
        self.x = np.concatenate([everyday, sparse], axis=1)
        self.w_true = np.ones(self.dim)
        noise = float(v.non_negative("noise", noise))
        self.y = self.x @ self.w_true + noise * rng.standard_normal(self.n_train)
        self.hessian = self.x.T @ self.x / self.n_train
        eigenvalues = np.linalg.eigvalsh(self.hessian)
        self.L, self.mu = float(eigenvalues[-1]), float(eigenvalues[0])
        self.condition = self.L / self.mu
        self.minimum = np.linalg.lstsq(self.x, self.y, rcond=None)[0]
        self.min_loss = float(self.loss(self.minimum))
        self.start = np.zeros(self.dim)


sparse_regression = SparseRegression

# --- the effective-rate explorer ---------------------------------------------------------------

_STREAMS = ("frequent, large (|g| ~ 1)", "frequent, small (|g| ~ 0.01)", "rare (2% of steps)")


@plots.styled
def effective_lr_explorer(steps=2000, *, lr=0.1, eps=1e-10, initial_accumulator_value=0.0):
    """Sliders for AdaGrad's lr, eps and initial accumulator; a switch for where eps goes.

    Left: the effective rate of three parameters (large, small and rare gradients, from
    ``gradient_streams``) over the steps, log-log. Right: how far each has moved, the sum of
    its step sizes. Before a rare parameter sees its first gradient its rate is lr / eps, not
    drawn (it takes no step).

    >>> explorer = effective_lr_explorer()
    >>> explorer.controls["eps_inside"].value = True
    >>> explorer.status.value.split(";")[0]
    'first step |dp| / lr: 1 (large), 1 (small)'
    """
    grads = gradient_streams(steps)
    t = np.arange(1, steps + 1)
    controls = {
        "lr": log_slider(lr, 1e-4, 10.0),
        "eps": log_slider(eps, 1e-12, 1.0, description="eps"),
        "initial_accumulator_value": widgets.FloatSlider(
            value=initial_accumulator_value,
            min=0.0,
            max=1.0,
            step=0.01,
            description="initial_accumulator_value",
            style={"description_width": "initial"},
        ),
        "eps_inside": widgets.Checkbox(
            value=False, description="eps inside the root (Keras, Optax)", indent=False
        ),
    }
    fig, (ax_rate, ax_moved) = figure(2)
    for ax in (ax_rate, ax_moved):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlim(1, steps)
    ax_rate.set(xlabel="step", ylabel="effective rate", title="lr / (sqrt(sum g^2) + eps)")
    ax_rate.set_ylim(1e-5, 1e3)
    ax_moved.set(xlabel="step", ylabel="sum of |step|", title="how far each parameter moved")
    ax_moved.set_ylim(1e-4, 1e3)
    # Reference slope: a rate that falls like 1/sqrt(t).
    ax_rate.plot(t, 0.3 * t**-0.5, ":", color="grey", label="slope -1/2")

    def draw(values):
        rates = effective_lr(
            grads,
            values["lr"],
            values["eps"],
            values["initial_accumulator_value"],
            eps_inside=values["eps_inside"],
        )
        moved = np.cumsum(rates * np.abs(grads), axis=0)
        seen = np.cumsum(grads != 0, axis=0) > 0  # no gradient yet: no rate to speak of
        for i, label in enumerate(_STREAMS):
            color = plots.COLORS[i]
            ax_rate.plot(t, np.where(seen[:, i], rates[:, i], np.nan), color=color, label=label)
            shown = np.where(moved[:, i] > 0, moved[:, i], np.nan)
            ax_moved.plot(t, shown, color=color, label=label)
        ax_rate.legend(loc="lower left", fontsize=7)
        first = rates[0, :2] * np.abs(grads[0, :2]) / values["lr"]
        return (
            f"first step |dp| / lr: {first[0]:.4g} (large), {first[1]:.4g} (small); "
            f"rates at step {steps}: " + ", ".join(f"{r:.3g}" for r in rates[-1])
        )

    return Explorer(controls, draw, fig, title="effective_lr_explorer")


def adagrad_race(angle=0.0, steps=100):
    """SGD, momentum and AdaGrad on a bowl of condition number 50 (axes turned by ``angle``)."""
    return optimizer_race(
        quadratic(condition=50.0, angle=angle),
        {
            "SGD": (optimizers.sgd, {"lr": 0.03}),
            "momentum": (optimizers.sgd, {"lr": 0.01, "momentum": 0.9}),
            "AdaGrad": (optimizers.adagrad, {"lr": 1.0}),
        },
        steps=steps,
        title=f"condition 50, axes turned by {np.degrees(angle):.0f} degrees",
    )


EXPLORERS = {"effective_lr_explorer": effective_lr_explorer, "adagrad_race": adagrad_race}
