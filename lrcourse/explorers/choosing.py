"""Lecture 12, choosing a schedule: the range-test explorer.

    range_test_explorer()   sliders for the range test: the curve and its suggestions

The sensitivity sweeps the lecture draws are in ``lrcourse.experiments`` (``sensitivity``,
``good_width``, ``good_band``), the double well in ``problems.TiltedDoubleWell``.
"""

import functools

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lrcourse import optimizers, plots
from lrcourse.problems import digits_mlp
from lrcourse.range_test import RULE_COLORS, range_test
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "range_test_explorer",
    "EXPLORERS",
]


# --- the range-test explorer -------------------------------------------------------------------

_RANGE_OPTIMIZERS = {
    "SGD": (optimizers.sgd, {}),
    "momentum 0.9": (optimizers.sgd, {"momentum": 0.9}),
    "Adam": (optimizers.adam, {}),
}


@plots.styled
def range_test_explorer(
    problem=None,
    *,
    optimizer="momentum 0.9",
    start_lr=1e-5,
    end_lr=10.0,
    num_steps=100,
    beta=0.98,
    diverge_factor=4.0,
    seed=0,
    bands=None,
):
    """Sliders for the range test on the digits MLP: the loss against the rate, and the rules.

    Controls: the optimizer, the ramp (start_lr, end_lr, num_steps), the smoothing beta, the
    blow-up factor and the seed of the mini-batch order. A run is made (and kept) once per
    (optimizer, ramp, seed) over the whole ramp; smoothing and cut-off are applied afterwards
    (``RangeTest.resmooth``), so those two sliders answer without training. ``bands`` maps an
    optimizer's name to the (low, high) rates that a real sweep found good: drawn as a grey
    band, so each suggestion can be checked against the truth.
    """
    problem = digits_mlp() if problem is None else problem
    bands = dict(bands or {})
    controls = {
        "optimizer": widgets.Dropdown(
            options=list(_RANGE_OPTIMIZERS), value=optimizer, description="optimizer"
        ),
        "start_lr": log_slider(start_lr, 1e-7, 1e-2, description="start_lr"),
        "end_lr": log_slider(end_lr, 1e-2, 100.0, description="end_lr"),
        "num_steps": widgets.IntSlider(
            value=num_steps, min=20, max=300, step=10, description="num_steps",
            style={"description_width": "initial"},
        ),
        "beta": widgets.FloatSlider(
            value=beta, min=0.0, max=0.995, step=0.005, readout_format=".3f",
            description="beta (smoothing)", style={"description_width": "initial"},
        ),
        "diverge_factor": widgets.FloatSlider(
            value=diverge_factor, min=1.5, max=10.0, step=0.5, description="diverge_factor",
            style={"description_width": "initial"},
        ),
        "seed": widgets.IntSlider(
            value=seed, min=0, max=9, description="seed (batch order)",
            style={"description_width": "initial"},
        ),
    }  # fmt: skip

    @functools.lru_cache(maxsize=64)
    def full_run(name, start, end, steps, seed):
        factory, hyperparameters = _RANGE_OPTIMIZERS[name]
        return range_test(
            problem, factory, start_lr=start, end_lr=end, num_steps=steps, seed=seed,
            diverge_factor=np.inf, **hyperparameters,
        )  # fmt: skip

    fig, (ax,) = figure(width=7.0, height=3.6)
    loss0 = float(np.mean(problem.loss(problem.start)))
    ax.set(xscale="log", xlim=(1e-7, 100.0), ylim=(0.0, 1.6 * loss0))
    ax.set(xlabel="learning rate", ylabel="loss", title=f"Range test on {problem.name}")
    rule_colors = RULE_COLORS
    # A legend drawn once, with stand-in lines: the numbers go to the status line. (A legend
    # rebuilt on every move would cost more than everything else in the picture.)
    handles = [
        Line2D([], [], color="grey", linewidth=0.7, label="loss"),
        Line2D([], [], color="black", label="smoothed loss"),
        Line2D([], [], color="black", marker="x", linestyle="none", label="blow-up"),
        *(Line2D([], [], color=c, linestyle=":", label=rule) for rule, c in rule_colors.items()),
    ]
    if bands:
        handles.append(Patch(color="grey", alpha=0.15, label="good in a real sweep"))
    ax.legend(handles=handles, loc="upper left", fontsize=7)

    def draw(values):
        if values["end_lr"] <= values["start_lr"]:
            raise ValueError(
                f"end_lr must be > start_lr ({values['start_lr']:.3g}), got {values['end_lr']:.3g}"
            )
        full = full_run(
            values["optimizer"], values["start_lr"], values["end_lr"], values["num_steps"],
            values["seed"],
        )  # fmt: skip
        result = full.resmooth(beta=values["beta"], diverge_factor=values["diverge_factor"])
        if values["optimizer"] in bands:
            ax.axvspan(*bands[values["optimizer"]], color="grey", alpha=0.15)
        end = result.kept + 1 if result.stopped else len(result.lrs)
        lrs = result.lrs[:end]
        ax.plot(lrs, np.minimum(result.loss[:end], 2 * loss0), color="grey", linewidth=0.7)
        ax.plot(lrs, result.smoothed[:end], color="black")
        if result.stopped:
            k = result.stopped_at
            ax.plot(
                [result.lrs[k]], [min(result.smoothed[k], 1.55 * loss0)], "x", color="black",
                markersize=9, markeredgewidth=2,
            )  # fmt: skip
        found = result.suggestions()
        for rule, lr in found.items():
            if np.isfinite(lr):
                ax.axvline(lr, color=rule_colors[rule], linestyle=":", linewidth=1.8)
        if result.stopped:
            where = f"blew up at step {result.stopped_at} (lr {result.lrs[result.stopped_at]:.3g})"
        else:
            where = "never blew up (raise end_lr)"
        shown = ", ".join(
            f"{rule} {lr:.3g}" if np.isfinite(lr) else f"{rule}: too few points"
            for rule, lr in found.items()
        )
        return f"{values['optimizer']}, seed {values['seed']}: {where}; suggestions: {shown}"

    return Explorer(controls, draw, fig, title="range_test_explorer")


EXPLORERS = {"range_test_explorer": range_test_explorer}
