"""Lecture 10, Adam, bias correction, AdamW and AMSGrad: its explorers.

    bias_correction_explorer()   beta sliders: the first steps of Adam with and without correction
    adam_explorer()              lr, beta1, beta2 and eps: the path, the loss, and the limit of a
                                 large eps, SGD with momentum at rate lr / eps
    weight_decay_explorer()      lr and weight decay: L2 inside Adam against AdamW's decay
    adam_race()                  momentum, Adam, AMSGrad and NAdam on one landscape
                                 (``lrcourse.widgets.optimizer_race``)

``EXPLORERS`` lists them. What they draw lives by layer: ``theory.bias_correction_factor``,
``interop.uncorrected_adam`` and ``interop.keras_adam``, ``problems.Scaled`` and
``problems.counterexample_gradients``, ``schedules.inverse_sqrt``, and the experiments
``experiments.online_counterexample`` and ``experiments.decay_example``.
"""

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.experiments import decay_example
from lrcourse.interop import uncorrected_adam
from lrcourse.problems import quadratic, rosenbrock
from lrcourse.theory import bias_correction_factor
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider, optimizer_race

__all__ = [
    "bias_correction_explorer",
    "adam_explorer",
    "weight_decay_explorer",
    "adam_race",
    "EXPLORERS",
]


def _betas(betas):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return v.in_range("betas[0]", betas[0], 0, 1), v.in_range("betas[1]", betas[1], 0, 1)


# --- bias correction ---------------------------------------------------------------------------


# --- AMSGrad and Reddi et al.'s counterexample -------------------------------------------------


# --- weight decay: L2 inside Adam against AdamW ------------------------------------------------


# --- explorers ---------------------------------------------------------------------------------


def _log_axis(ax):
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())


def _beta_slider(name, value, high=0.999):
    return widgets.FloatSlider(
        value=value,
        min=0.0,
        max=high,
        step=0.001,
        description=name,
        readout_format=".3f",
        style={"description_width": "initial"},
    )


def _outcome(history):
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


def _static_legend(ax, labels, styles, **kwargs):
    """A legend of stand-in lines, drawn once with the static parts of an explorer's figure."""
    ax.legend([Line2D([], [], **style) for style in styles], labels, **kwargs)


@plots.styled
def bias_correction_explorer(problem=None, steps=60, *, lr=0.1, beta1=0.9, beta2=0.999):
    """Sliders for lr (log), beta1 and beta2: Adam with and without bias correction.

    Left: both paths over the contours (default: a bowl of condition number 10). Right: the
    length of each step, divided by lr, and their ratio (dotted). The dashed line is
    ``bias_correction_factor``, the ratio for identical gradients: the runs see the same
    gradients only at the first step, then their paths part.

    >>> explorer = bias_correction_explorer()
    >>> explorer.status.value.split("; ")[0]
    'step 1: corrected 1.41 x lr, uncorrected 4.47 x lr (factor 3.16)'
    """
    problem = quadratic(condition=10.0) if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(f"the explorer needs a 2-D problem with plotting bounds, got {problem!r}")
    steps = v.positive_int("steps", steps)
    controls = {
        "lr": log_slider(lr, 1e-3, 1.0),
        "beta1": _beta_slider("beta1", beta1),
        "beta2": _beta_slider("beta2", beta2, high=0.9999),
    }
    fig, (ax_path, ax_step) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"Adam on {problem.name}, first {steps} steps")
    ax_step.set(xlabel="step t", ylabel="|step| / lr", title="step lengths")
    _log_axis(ax_step)
    ax_step.set(xlim=(1, steps), ylim=(1e-2, 1e2))
    _static_legend(
        ax_step,
        ["corrected (Adam)", "uncorrected", "uncorrected / corrected", "factor, same gradients"],
        [
            dict(color=plots.COLORS[0]),
            dict(color=plots.COLORS[1]),
            dict(color="black", ls=":"),
            dict(color="grey", ls="--"),
        ],
        loc="lower left",
    )
    t = np.arange(1, steps + 1)

    def draw(values):
        lr, betas = values["lr"], (values["beta1"], values["beta2"])
        runs = {
            "Adam": run(optimizers.adam(lr=lr, betas=betas), problem, problem.start, steps),
            "no bias correction": run(
                uncorrected_adam(lr=lr, betas=betas), problem, problem.start, steps
            ),
        }
        lengths = []
        for i, (label, history) in enumerate(runs.items()):
            plots.trajectory(ax_path, history, label=label, color=plots.COLORS[i])
            length = np.linalg.norm(np.diff(history.params, axis=0), axis=-1) / lr
            ax_step.plot(t, length, color=plots.COLORS[i])
            lengths.append(length)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = lengths[1] / lengths[0]
        ax_step.plot(t, ratio, ":", color="black")
        factor = bias_correction_factor(t, betas)
        ax_step.plot(t, factor, "--", color="grey")
        ax_path.legend(loc="upper right", frameon=True)
        peak = int(np.argmax(factor))
        return (
            f"step 1: corrected {lengths[0][0]:.3g} x lr, uncorrected {lengths[1][0]:.3g} x lr "
            f"(factor {factor[0]:.3g}); the factor peaks at {factor[peak]:.3g} at step "
            f"{peak + 1}; Adam: {_outcome(runs['Adam'])}; uncorrected: "
            f"{_outcome(runs['no bias correction'])}"
        )

    layout = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    return Explorer(controls, draw, fig, title="bias_correction_explorer", layout=layout)


@plots.styled
def adam_explorer(
    problem=None,
    steps=150,
    *,
    lr=0.05,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    amsgrad=False,
):
    """Sliders for Adam's lr and eps (log scales), beta1 and beta2, and an AMSGrad switch.

    Left: the path over the contours (default: an axis-aligned bowl with curvatures 1 and 50),
    with, dashed, SGD with momentum beta1 in its averaging form (dampening beta1) at the rate
    lr / eps: the optimizer Adam turns into once eps dwarfs sqrt(v_hat). Right: the losses.

    >>> explorer = adam_explorer()
    >>> explorer.controls["eps"].value = 100.0
    >>> explorer.status.value.split(": ", 1)[1]
    'Adam final loss 1.84; SGD + momentum at lr / eps = 0.0005: final loss 1.72'
    """
    problem = quadratic(curvatures=[1.0, 50.0]) if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(f"adam_explorer needs a 2-D problem with plotting bounds, got {problem!r}")
    steps = v.positive_int("steps", steps)
    controls = {
        "lr": log_slider(lr, 1e-4, 10.0),
        "eps": log_slider(eps, 1e-10, 1e3, description="eps"),
        "beta1": _beta_slider("beta1", beta1),
        "beta2": _beta_slider("beta2", beta2, high=0.9999),
        "amsgrad": widgets.Checkbox(value=amsgrad, description="amsgrad", indent=False),
    }
    min_loss = problem.min_loss
    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"Adam on {problem.name}")
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    _log_axis(ax_loss)
    loss0 = float(problem.loss(problem.start)) - (min_loss or 0.0)
    ax_loss.set(xlim=(0, steps), ylim=(loss0 * 1e-14, loss0 * 1e3))
    _static_legend(
        ax_loss,
        ["Adam", "SGD + momentum at lr / eps"],
        [dict(color=plots.COLORS[0]), dict(color="grey", ls="--")],
        loc="upper right",
    )

    def draw(values):
        lr, eps, betas = values["lr"], values["eps"], (values["beta1"], values["beta2"])
        opt = optimizers.adam(lr=lr, betas=betas, eps=eps, amsgrad=values["amsgrad"])
        history = run(opt, problem, problem.start, steps)
        # Adam's update is lr * m_hat / (sqrt(v_hat) + eps) -> (lr / eps) * m_hat for large eps.
        beta1 = values["beta1"]
        limit = optimizers.sgd(lr=lr / eps, momentum=beta1, dampening=beta1)
        ghost = run(limit, problem, problem.start, steps)
        label = f"lr = {lr:.3g}, eps = {eps:.3g}"
        plots.trajectory(ax_path, ghost, label="SGD + momentum", color="grey")
        ax_path.lines[-1].set_linestyle("--")
        plots.trajectory(ax_path, history, label="Adam", color=plots.COLORS[0])
        plots.loss_curve(ax_loss, ghost, label="limit", color="grey", min_loss=min_loss)
        plots.loss_curve(ax_loss, history, label="Adam", color=plots.COLORS[0], min_loss=min_loss)
        return (
            f"{label}: Adam {_outcome(history)}; SGD + momentum at lr / eps = {lr / eps:.3g}: "
            f"{_outcome(ghost)}"
        )

    layout = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    return Explorer(controls, draw, fig, title="adam_explorer", layout=layout)


_SCALES = (10.0, 1.0, 0.1, 0.0)


@plots.styled
def weight_decay_explorer(steps=300, *, lr=0.02, weight_decay=0.1):
    """Sliders for lr and weight decay (log scales): L2 inside Adam against AdamW.

    Four weights start at 1; their data gradients point back and forth with sizes 10, 1, 0.1
    and 0 (``decay_example``), so only the weight decay can shrink them. Left: Adam with L2
    (``adam(weight_decay=...)``); right: AdamW. The dotted line is (1 - lr * wd)**k.

    >>> explorer = weight_decay_explorer()
    >>> explorer.status.value.split("; ")[1]     # the last has no gradient: 0.998 ** 300 exactly
    'AdamW: 0.529, 0.529, 0.529, 0.548'
    """
    steps = v.positive_int("steps", steps)
    controls = {
        "lr": log_slider(lr, 1e-4, 0.1),
        "weight_decay": log_slider(weight_decay, 1e-3, 10.0, description="weight_decay"),
    }
    fig, axes = figure(2)
    titles = ("Adam with L2: adam(weight_decay=wd)", "AdamW: adamw(weight_decay=wd)")
    for ax, title in zip(axes, titles):
        ax.set(xlabel="step", ylabel="weight", title=title, xlim=(0, steps), ylim=(-0.05, 1.05))
    labels = [f"|g| = {s:g}" for s in _SCALES] + ["(1 - lr wd)^k"]
    # Colour and a marker (about ten a line), so the four weights differ for every reader.
    styles = [
        dict(color=plots.COLORS[i], marker=plots.MARKERS[i], markersize=4, markevery=steps // 10)
        for i in range(len(_SCALES))
    ]
    _static_legend(axes[1], labels, [*styles, dict(color="black", ls=":")], loc="lower left")
    k = np.arange(steps + 1)
    scales = np.array(_SCALES)

    def draw(values):
        lr, wd = values["lr"], values["weight_decay"]
        finals = []
        for ax, make in zip(axes, (optimizers.adam, optimizers.adamw)):
            w = decay_example(make(lr=lr, weight_decay=wd), scales, steps)
            for i in range(len(_SCALES)):
                ax.plot(k, w[:, i], **styles[i])
            ax.plot(k, (1 - lr * wd) ** k, ":", color="black")
            finals.append(", ".join(f"{x:.3g}" for x in w[-1]))
        return f"weights after {steps} steps: Adam with L2: {finals[0]}; AdamW: {finals[1]}"

    return Explorer(controls, draw, fig, title="weight_decay_explorer")


def _adam_with(**fixed):
    """A factory taking (lr, beta1, beta2), as the race's sliders give them."""

    def make(lr, beta1, beta2):
        return optimizers.adam(lr=lr, betas=(beta1, beta2), **fixed)

    return make


def adam_race(problem=None, steps=200):
    """Momentum, Adam, AMSGrad and NAdam on Rosenbrock's valley (or ``problem``), each with its own
    controls (betas included) and starting from rates that suit the valley."""
    problem = rosenbrock() if problem is None else problem
    betas = {"beta1": 0.9, "beta2": 0.999}
    return optimizer_race(
        problem,
        {
            "momentum": (optimizers.sgd, {"lr": 2e-3, "momentum": 0.9}),
            "Adam": (_adam_with(), {"lr": 0.3, **betas}),
            "AMSGrad": (_adam_with(amsgrad=True), {"lr": 0.3, **betas}),
            "NAdam": (
                lambda lr, beta1, beta2: optimizers.nadam(lr=lr, betas=(beta1, beta2)),
                {"lr": 0.1, **betas},
            ),
        },
        steps=steps,
        lr_range=(1e-4, 3.0),
    )


EXPLORERS = {
    "bias_correction_explorer": bias_correction_explorer,
    "adam_explorer": adam_explorer,
    "weight_decay_explorer": weight_decay_explorer,
    "adam_race": adam_race,
}
