"""The course's figures: one style, and one function per kind of plot.

Every lecture draws with these functions, so all figures look alike and the drawing code is
written once. Each function takes an optional ``ax`` (draw into an existing panel, as the
explorers in ``lrcourse.widgets`` do) and returns the axes; without one it opens a new figure in
the course style, which the notebook shows with ``plt.show()``.

Runs come as a mapping ``{label: history}`` (or ``{label: schedule}``), so every line in a figure
has a name in the legend. A diverged run is never drawn as garbage: its path or loss curve stops
at the last finite point, is dashed, and its label says "diverged at step k".
"""

import contextlib
import dataclasses
import functools
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from cycler import cycler

from lrcourse import _validate as v

__all__ = [
    "COLORS",
    "STYLE",
    "style",
    "use_style",
    "styled",
    "subplots",
    "plot_schedules",
    "contours",
    "trajectory",
    "plot_trajectories",
    "loss_curve",
    "plot_losses",
    "plot_lr_sweep",
    "plot_train_test",
    "runs",
    "log_axis",
    "log_y",
    "outcome",
    "plot_race",
    "plot_sensitivity_grid",
    "MARKERS",
    "distinguish",
    "describe",
    "set_description",
]

# Okabe and Ito's palette: distinguishable with every common kind of colour blindness.
# tests/test_palette.py measures it: every pair stays at least 10 apart (delta E in CAM02-UCS)
# under simulated protanopia, deuteranopia and tritanopia (docs/accessibility.md).
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
# Beyond FEW series a figure also tells them apart by marker (see distinguish): colour must
# never be the only cue, and telling five or more colours apart is hard for anyone.
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
FEW = 3

# Modest size and dpi: a stored figure is a ~20 kB PNG, so notebooks with outputs stay small.
STYLE = {
    "figure.figsize": (6.0, 3.4),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.prop_cycle": cycler(color=COLORS),
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
}


_active = 0  # how many style() blocks we are inside (entering another would only cost time)


@contextlib.contextmanager
def style():
    """Draw in the course style inside a ``with plots.style():`` block."""
    global _active
    if _active:
        yield
        return
    with mpl.rc_context(STYLE):
        _active += 1
        try:
            yield
        finally:
            _active -= 1


def use_style():
    """Make the course style the default for the rest of the session (a notebook's setup cell)."""
    mpl.rcParams.update(STYLE)


def styled(draw):
    """Decorate a drawing function to run in the course style, whatever the notebook's settings."""

    @functools.wraps(draw)
    def in_style(*args, **kwargs):
        with style():
            return draw(*args, **kwargs)

    return in_style


@styled
def subplots(nrows=1, ncols=1, **kwargs):
    """``plt.subplots`` in the course style; panels are 4.5 x 3.4 inches unless ``figsize`` says."""
    kwargs.setdefault("figsize", (4.5 * ncols, 3.4 * nrows))
    return plt.subplots(nrows, ncols, **kwargs)


def _axes(ax):
    """The given axes, or a new single panel in the course style."""
    if ax is not None:
        return ax
    return subplots(figsize=STYLE["figure.figsize"])[1]


def _as_mapping(runs, kind):
    """``{label: run}`` from a mapping, or from a single run (labelled by its name)."""
    if isinstance(runs, dict):
        return runs
    if isinstance(runs, (list, tuple)):
        raise ValueError(
            f"{kind} must be a dict {{label: {kind[:-1]}}}, got a {type(runs).__name__}"
        )
    return {getattr(runs, "__name__", kind[:-1]): runs}


def _label_once(ax, label):
    """``label`` the first time it appears on ``ax``, hidden from the legend after that."""
    seen = {line.get_label() for line in ax.get_lines()}
    return "_nolegend_" if label in seen else label


def distinguish(ax):
    """Give each labelled line of ``ax`` its own marker when there are more than ``FEW``.

    Call it before ``ax.legend()``, which copies each line's look. Lines that carry a marker of
    their own (a sweep's "o-") keep it; marker-only artists such as a start point are not series.
    Long lines get about ten markers, not one per point.
    """
    labelled = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    series = [line for line in labelled if line.get_linestyle() != "None"]
    if len({line.get_label() for line in series}) <= FEW:
        return ax
    for k, line in enumerate(series):
        if line.get_marker() == ".":  # a path's dot at every step: keep one at every step
            line.set_marker(MARKERS[k % len(MARKERS)])
            line.set_markersize(3.5)
        elif line.get_marker() in ("None", "", " ", None):
            line.set_marker(MARKERS[k % len(MARKERS)])
            line.set_markersize(5)
            line.set_markevery(max(1, len(line.get_xdata()) // 10))
    return ax


# --- schedules ---------------------------------------------------------------------------------


@styled
def plot_schedules(schedules, steps, *, ax=None, log=False, title="Learning-rate schedules"):
    """Plot each schedule's learning rate over steps 0 .. steps-1, labelled.

    ``schedules`` is ``{label: schedule}`` (or one schedule). A schedule whose hyperparameters
    are arrays (a sweep) gives one line per setting, in the same colour. ``log=True`` puts the
    rate on a log axis, where exponential decay is a straight line.
    """
    ax = _axes(ax)
    t = np.arange(steps)
    for i, (label, schedule) in enumerate(_as_mapping(schedules, "schedules").items()):
        lr = np.asarray(schedule(t), dtype=float).reshape(-1, len(t))
        color = COLORS[i % len(COLORS)]
        for j, row in enumerate(lr):
            ax.plot(t, row, color=color, label=label if j == 0 else "_nolegend_")
    ax.set(xlabel="step", ylabel="learning rate", title=title)
    if not log:
        ax.set_ylim(bottom=0)
    elif ax.get_yscale() != "log":  # setting it again would reset the axis' tick locators
        ax.set_yscale("log")
    distinguish(ax)
    ax.legend()
    return ax


# --- trajectories on a 2-D landscape -----------------------------------------------------------


def _bounds(problem):
    """``((x_lo, x_hi), (y_lo, y_hi))`` of the problem's plotting window, as floats."""
    (x_lo, x_hi), (y_lo, y_hi) = problem.bounds
    return (float(x_lo), float(x_hi)), (float(y_lo), float(y_hi))


@styled
def contours(ax, problem, *, levels=12, resolution=120):
    """Draw the problem's loss as contour lines with log-spaced levels, start and minimum marked.

    Levels are log-spaced above the lowest loss, so the narrow valley near the minimum gets as
    many lines as the steep walls (equally spaced levels would leave the interesting part blank).
    """
    (x_lo, x_hi), (y_lo, y_hi) = _bounds(problem)
    x, y = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    z = np.asarray(problem.loss(np.stack([x, y], axis=-1)), dtype=float)
    minimum = getattr(problem, "minimum", None)
    floor = getattr(problem, "min_loss", None)
    floor = z.min() if floor is None else min(float(floor), z.min())
    excess = z - floor
    top = excess.max()
    bottom = max(np.percentile(excess, 0.5), top * 1e-6, 1e-12)
    ax.contour(
        x,
        y,
        z,
        levels=floor + np.geomspace(bottom, top, levels),
        cmap="viridis",
        linewidths=0.7,
        alpha=0.8,
    )
    start = np.asarray(problem.start, dtype=float)
    ax.plot(*start, "o", color="black", markersize=6, label="start", zorder=3)
    if minimum is not None:
        ax.plot(
            *np.asarray(minimum, float),
            "*",
            color="black",
            markersize=11,
            markerfacecolor="white",
            label="minimum",
            zorder=3,
        )
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel="$x_1$", ylabel="$x_2$")
    ax.grid(False)
    return ax


def runs(history, labels):
    """Split a sweep's history (one leading run axis) into ``{label: history of one run}``.

    ``run`` trains a whole sweep in one call; the plots draw one run per line, so this hands them
    the runs one by one, each with its own ``diverged_at``.
    """
    labels = list(labels)
    if history.loss.ndim != 2 or history.loss.shape[1] != len(labels):
        raise ValueError(
            f"labels must name each run of a sweep whose loss has shape (steps + 1, runs), got "
            f"{len(labels)} labels for loss of shape {history.loss.shape}"
        )
    return {
        label: dataclasses.replace(
            history,
            loss=history.loss[:, i],
            lr=history.lr[:, i],
            diverged_at=None if history.diverged_at[i] < 0 else int(history.diverged_at[i]),
            final_params=history.final_params[i],
            params=None if history.params is None else history.params[:, i],
            metrics={name: values[:, i] for name, values in history.metrics.items()},
        )
        for i, label in enumerate(labels)
    }


def _single_run(values, name):
    """``values`` of one run as a 1-D float array (a clear error for a whole sweep)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(
            f"history.{name} has shape {values.shape}: a sweep; split it with "
            "plots.runs(history, labels) and plot one run per label"
        )
    return values


def _diverged_at(history):
    """The step at which a run diverged, or None (from the history, or from non-finite losses)."""
    k = getattr(history, "diverged_at", None)
    if k is not None and k >= 0:
        return int(k)
    bad = ~np.isfinite(np.asarray(history.loss, dtype=float))
    return int(np.argmax(bad)) if bad.any() else None


def _drawable_path(points, bounds):
    """The finite part of a path, cut where it first leaves a box three times the view's size.

    Points 1e150 away would only draw as a spike (or overflow the renderer); a path cut at the
    box edge still shows which way the run left. Returns (points, left_the_view).
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"history.params must have shape (steps + 1, 2) for a path in the plane, got "
            f"{points.shape} (a sweep? split it with plots.runs(history, labels))"
        )
    finite = np.isfinite(points).all(axis=1)
    points = points[: len(points) if finite.all() else int(np.argmin(finite))]
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    span = hi - lo
    outside = ((points < lo - span) | (points > hi + span)).any(axis=1)
    if not outside.any():
        return points, False
    k = int(np.argmax(outside))
    points = points[: k + 1].copy()
    points[k] = np.clip(points[k], lo - span, hi + span)
    return points, True


@styled
def trajectory(ax, history, *, label, color=None, bounds=None):
    """Draw one run's path through parameter space; returns the artists drawn.

    A diverged run is dashed, ends with an x and is labelled "diverged at step k"; a run that
    leaves the plot far behind is cut at the edge and says so.
    """
    bounds = bounds or (ax.get_xlim(), ax.get_ylim())
    points, escaped = _drawable_path(history.params, bounds)
    k = _diverged_at(history)
    if k is not None:
        label = f"{label} (diverged at step {k})"
    elif escaped:
        label = f"{label} (left the plot)"
    broken = k is not None or escaped
    (line,) = ax.plot(
        points[:, 0],
        points[:, 1],
        "--" if broken else "-",
        color=color,
        marker=".",
        markersize=4,
        linewidth=1.2,
        label=label,
    )
    artists = [line]
    if broken and len(points):
        artists += ax.plot(
            *points[-1], "x", color=line.get_color(), markersize=9, markeredgewidth=2
        )
    return artists


@styled
def plot_trajectories(problem, histories, *, ax=None, title=None):
    """Paths of several runs over the contours of a 2-D problem (``{label: history}``)."""
    ax = _axes(ax)
    contours(ax, problem)
    bounds = _bounds(problem)
    for i, (label, history) in enumerate(_as_mapping(histories, "histories").items()):
        trajectory(ax, history, label=label, color=COLORS[i % len(COLORS)], bounds=bounds)
    ax.set_title(title or f"Paths on {getattr(problem, 'name', 'the loss landscape')}")
    distinguish(ax)
    ax.legend(loc="best", frameon=True)  # a frame keeps the labels readable over the contours
    return ax


# --- loss curves -------------------------------------------------------------------------------


@styled
def loss_curve(ax, history, *, label, color=None, min_loss=None):
    """Draw one run's loss per step; a diverged run stops, with a dotted line at the step.

    With ``min_loss`` the curve is the excess loss, loss - min_loss, which a log axis shows all
    the way down to the minimum (the loss itself would flatten out at min_loss).
    """
    loss = _single_run(history.loss, "loss") - (min_loss or 0.0)
    k = _diverged_at(history)
    if k is None:
        return ax.plot(np.arange(len(loss)), loss, color=color, label=label)
    finite = loss[:k]
    (line,) = ax.plot(
        np.arange(len(finite)), finite, "--", color=color, label=f"{label} (diverged at step {k})"
    )
    # The loss at step k is inf or NaN, so mark the step itself, at the top of the panel.
    top = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    return [
        line,
        ax.axvline(k, color=line.get_color(), linestyle=":", linewidth=1),
        *ax.plot(
            [k],
            [0.97],
            "x",
            color=line.get_color(),
            markersize=9,
            markeredgewidth=2,
            transform=top,
            clip_on=False,
        ),
    ]


@styled
def plot_losses(histories, *, ax=None, log=True, min_loss=None, title="Loss per step"):
    """Loss curves of several runs (``{label: history}``), on a log axis by default.

    With ``min_loss`` (a problem's ``min_loss``) the curves show the excess loss, loss - min_loss.
    """
    ax = _axes(ax)
    for i, (label, history) in enumerate(_as_mapping(histories, "histories").items()):
        loss_curve(ax, history, label=label, color=COLORS[i % len(COLORS)], min_loss=min_loss)
    ylabel = "loss" if min_loss is None else "loss - min loss"
    ax.set(xlabel="step", ylabel=ylabel, title=title)
    if log and ax.get_yscale() != "log":  # setting it again would reset the tick locators
        ax.set_yscale("log")
    distinguish(ax)
    ax.legend()
    return ax


@styled
def plot_lr_sweep(
    lrs,
    losses,
    *,
    diverged=None,
    ax=None,
    label="final loss",
    title="Final loss against learning rate",
):
    """The U-shaped curve: final loss against learning rate, log-log, diverged rates marked.

    Too small a rate has not got anywhere yet, too large a one diverges, and the best rate sits
    near the edge of divergence. ``diverged`` defaults to "the loss is not finite"; those rates
    get an x at the top of the panel, since their loss cannot be drawn. The best rate gets a star.
    """
    ax = _axes(ax)
    lrs = np.asarray(lrs, dtype=float).reshape(-1)
    losses = np.asarray(losses, dtype=float).reshape(-1)
    if lrs.shape != losses.shape:
        raise ValueError(
            f"lrs and losses must have the same length, got {len(lrs)} and {len(losses)}"
        )
    diverged = ~np.isfinite(losses) if diverged is None else np.asarray(diverged, bool).reshape(-1)
    diverged = diverged | ~np.isfinite(losses)
    ok = ~diverged
    (line,) = ax.plot(lrs[ok], losses[ok], "o-", markersize=4, label=label)
    if ok.any():
        best = np.flatnonzero(ok)[np.argmin(losses[ok])]
        ax.plot(
            lrs[best],
            losses[best],
            "*",
            color=line.get_color(),
            markersize=14,
            label=f"best lr = {lrs[best]:.3g}",
        )
    if diverged.any():
        top = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            lrs[diverged],
            np.full(diverged.sum(), 0.97),
            "x",
            color="black",
            markersize=8,
            markeredgewidth=2,
            transform=top,
            clip_on=False,
            label=_label_once(ax, "diverged"),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="learning rate", ylabel="final loss", title=title)
    ax.legend()
    return ax


@styled
def plot_train_test(train, test, *, steps=None, ax=None, log=True, title="Training and test loss"):
    """Training and test loss on one axes, with the step of the lowest test loss marked.

    The gap between the curves is what the model has memorised rather than learnt; where the
    test curve turns up while training still goes down, longer training only overfits.
    """
    ax = _axes(ax)
    train = np.asarray(train, dtype=float).reshape(-1)
    test = np.asarray(test, dtype=float).reshape(-1)
    steps = np.arange(len(train)) if steps is None else np.asarray(steps).reshape(-1)
    if not len(steps) == len(train) == len(test):
        raise ValueError(
            f"train, test and steps must have the same length, got {len(train)}, "
            f"{len(test)} and {len(steps)}"
        )
    ax.plot(steps, train, label="train")
    ax.plot(steps, test, label="test")
    finite = np.isfinite(test)
    if finite.any():
        best = np.flatnonzero(finite)[np.argmin(test[finite])]
        ax.plot(
            steps[best],
            test[best],
            "o",
            color=COLORS[1],
            markersize=7,
            markerfacecolor="white",
            label=f"lowest test loss (step {steps[best]})",
        )
    ax.set(xlabel="step", ylabel="loss", title=title)
    if log and ax.get_yscale() != "log":  # setting it again would reset the tick locators
        ax.set_yscale("log")
    ax.legend()
    return ax


def log_axis(ax, which="y"):
    """Put ``which`` axis ("x", "y" or "both") of ``ax`` on a log scale labelled in plain numbers.

    Ticks at 1, 2, 5 times the powers of ten when the data span two decades or less (a loss
    between 0.15 and 0.7 gets the labels 0.2 and 0.5), at the powers of ten otherwise; no minor
    ticks. Matplotlib's default labels every tick as typeset math, which costs more time to draw
    than the rest of the figure. Call it after the data are drawn: it reads the axis limits.

    >>> fig, ax = subplots()
    >>> _ = ax.plot([1, 10], [0.15, 0.7])
    >>> log_axis(ax)
    >>> [label.get_text() for label in ax.get_yticklabels()][1:3]
    ['0.2', '0.5']
    """
    names = {"x": ("x",), "y": ("y",), "both": ("x", "y")}[
        v.one_of("which", which, ("x", "y", "both"))
    ]
    for name in names:
        getattr(ax, f"set_{name}scale")("log")
        low, high = getattr(ax, f"get_{name}lim")()
        subs = (1.0, 2.0, 5.0) if np.log10(high / low) <= 2 else (1.0,)
        axis = getattr(ax, f"{name}axis")
        axis.set_major_locator(matplotlib.ticker.LogLocator(10, subs=subs, numticks=12))
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        axis.set_minor_locator(matplotlib.ticker.NullLocator())


def log_y(ax):
    """A log y-axis without minor ticks: drawing them (dozens of tick objects) costs more time
    than everything else on the panel."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())


def outcome(history):
    """One line on how a single run ended: where it diverged, or the loss it reached.

    >>> from lrcourse.optimizers import sgd
    >>> from lrcourse.problems import quadratic
    >>> from lrcourse.train import run
    >>> q = quadratic(curvatures=[1.0], start=[1.0])
    >>> outcome(run(sgd(lr=0.5), q, q.start, steps=10)), outcome(run(sgd(lr=3.0), q, q.start, 200))
    ('final loss 4.77e-07', 'diverged at step 21')
    """
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


# --- text alternatives -------------------------------------------------------------------------
#
# A reader who cannot see a figure gets its description instead: the website shows it as the
# image's alt text, which screen readers read out (WCAG 2.1, criterion 1.1.1). describe() builds
# one from what the figure already says in words (titles, axis labels, legend entries); a lecture
# whose point needs more words sets its own with set_description(). In a notebook, every figure
# shown carries its description in the output's metadata, {"image/png": {"alt": ...}}, and the
# book's build (book/lrcourse_book.py) turns that into the alt attribute.


def set_description(fig_or_ax, text):
    """Describe a figure in words, for readers who cannot see it; returns the figure.

    >>> fig, ax = subplots()
    >>> _ = set_description(ax, "The loss falls ten-fold in the first 20 steps, then levels off.")
    >>> describe(fig)
    'The loss falls ten-fold in the first 20 steps, then levels off.'
    """
    fig = fig_or_ax if isinstance(fig_or_ax, mpl.figure.Figure) else fig_or_ax.figure
    fig.lrcourse_description = str(text)
    return fig


# TeX commands said as words; any other command is said by its name (\\alpha: "alpha").
_SPOKEN = {
    **{"cdot": "times", "approx": "approximately", "infty": "infinity", "sqrt": "square root of"},
    **{"le": "at most", "leq": "at most", "ge": "at least", "geq": "at least"},
}


def _plain(text):
    """Mathtext in words: "$\\eta_t \\approx 2/L$" -> "eta_t approximately 2/L"."""
    text = re.sub(r"\\(?:mathrm|text|mathbf|operatorname)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\[,;:! ]", " ", text)  # TeX's spaces
    spoken = lambda m: f" {_SPOKEN.get(m[1], m[1].removeprefix('var'))} "  # noqa: E731
    text = re.sub(r"\s+", " ", re.sub(r"[${}]", "", re.sub(r"\\([A-Za-z]+)", spoken, text)))
    return re.sub(r"\s+(?=[_^)])|(?<=[(/])\s+", "", text).strip()


def _series(ax):
    """The names of what is drawn on ``ax``: its legend's entries, or its labelled artists."""
    legend = ax.get_legend()
    names = (
        [t.get_text() for t in legend.get_texts()] if legend else ax.get_legend_handles_labels()[1]
    )
    names = [_plain(name) for name in names if name]
    if len(names) > 8:
        names = names[:8] + [f"{len(names) - 8} more"]
    return names


def _describe_axes(ax):
    parts = []
    ylabel, xlabel = _plain(ax.get_ylabel()), _plain(ax.get_xlabel())
    if ylabel or xlabel:
        scale = {a: " (log scale)" if s == "log" else "" for a, s in
                 (("x", ax.get_xscale()), ("y", ax.get_yscale()))}  # fmt: skip
        parts.append(f"{ylabel or 'values'}{scale['y']} against {xlabel or 'x'}{scale['x']}")
    if any(isinstance(c, mpl.contour.ContourSet) for c in ax.collections):
        parts.append("contour lines of the loss")
    if ax.images:
        parts.append("an image")
    series = _series(ax)
    if series:
        parts.append(f"{len(series)} series: " + ", ".join(series))
    elif ax.get_lines():
        n = len(ax.get_lines())
        parts.append(f"{n} line{'s' if n > 1 else ''} without labels")
    title = _plain(ax.get_title())
    return (f'"{title}": ' if title else "") + "; ".join(parts)


def describe(fig=None):
    """A figure's text alternative: the one set by ``set_description``, or one built from its
    titles, axis labels and legend. ``fig`` defaults to pyplot's current figure.

    >>> ax = plot_schedules({"cosine": lambda t: 0.1 + 0 * t, "step": lambda t: 0.2 + 0 * t}, 10)
    >>> describe(ax.figure)
    'A plot. "Learning-rate schedules": learning rate against step; 2 series: cosine, step.'
    """
    fig = plt.gcf() if fig is None else fig
    if getattr(fig, "lrcourse_description", None):
        return fig.lrcourse_description
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    described = [_describe_axes(ax) for ax in panels]
    title = _plain(fig.get_suptitle())
    head = f'A figure, "{title}",' if title else "A figure"
    if len(panels) == 1:
        head = f'A plot, "{title}".' if title else "A plot."
        return f"{head} {described[0]}."
    body = " ".join(f"Panel {i}, {text}." for i, text in enumerate(described, start=1))
    return f"{head} with {len(panels)} panels. {body}"


def _add_descriptions():
    """In IPython, make every figure shown carry describe(figure) as its PNG's alt text.

    The PNG itself comes from matplotlib's inline backend, which registers its own function with
    IPython's display formatter when it starts (lazily, at the first figure, and anew on
    ``%matplotlib inline``). So this registers no PNG, only metadata: IPython asks the mime-bundle
    formatter first and keeps its metadata beside the PNG the backend then adds.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter

    def alt_text(fig):
        try:  # a backend that shows figures as PNG: only then is there an image to describe
            formatters.formatters["image/png"].lookup(fig)
        except KeyError:
            return {}, {}
        return {}, {"image/png": {"alt": describe(fig)}}

    formatters.mimebundle_formatter.for_type(mpl.figure.Figure, alt_text)


_add_descriptions()


@styled
def plot_race(curves, final, simulated, *, zoom=None, title="The race"):
    """Two panels for a race of schedules: their loss curves, and their final losses ranked.

    ``curves`` maps the schedules to draw on the left to their histories; ``final`` maps every
    schedule to its exact final loss, and ``simulated`` to the final losses of its simulated runs
    (one array each), drawn as mean +- 2 standard errors beside the exact value, best first.
    ``zoom`` sets the left panel's y-limits, to show where the race is decided.

    >>> from lrcourse.train import History
    >>> h = {"a": History(np.array([1.0, 0.5]), np.ones(1), None, np.zeros(1))}
    >>> left, right = plot_race(h, {"a": 0.5, "b": 0.7}, {"a": [0.4, 0.6], "b": [0.7, 0.7]})
    >>> [t.get_text() for t in right.get_yticklabels()]
    ['a', 'b']
    """
    fig, (left, right) = subplots(1, 2, figsize=(11, 4.0))
    plot_losses(curves, ax=left, title=title)
    if zoom is not None:
        left.set_ylim(*zoom)
    left.set_ylabel("expected loss")
    order = sorted(final, key=final.get)
    y = np.arange(len(order))
    right.plot([final[name] for name in order], y, "o", label="exact")
    runs = [np.asarray(simulated[name], dtype=float) for name in order]
    # Two standard errors of the mean of n runs: the simulation should cover the exact value.
    error = np.array([2 * r.std() / np.sqrt(len(r)) for r in runs])
    right.errorbar(
        [r.mean() for r in runs], y + 0.25, xerr=error, fmt="x", color=COLORS[1],
        label=f"{len(runs[0])} runs, mean +- 2 SE",
    )  # fmt: skip
    right.set_yticks(y, order)
    right.invert_yaxis()
    right.set(xlabel="final loss", title="Final loss, best first")
    right.legend(loc="upper right")
    return left, right


@styled
def plot_sensitivity_grid(peaks, losses, names, colors, *, baseline=0, ylim=(0.12, 4), line=None):
    """One small panel per schedule: its final loss against the peak rate, on shared axes.

    ``losses`` has one row per name (inf or NaN where a run failed). Every panel also draws the
    row ``baseline`` (grey, dashed) for comparison, and ``line`` (a level such as the loss of
    guessing, dotted) when given. Returns the 2-D array of axes.

    >>> axes = plot_sensitivity_grid([0.1, 0.2, 0.4], [[1, 0.5, 2], [1, 0.4, 0.3]], ["a", "b"],
    ...                              {"a": "#0072B2", "b": "#D55E00"})
    >>> axes.shape
    (1, 2)
    """
    peaks, losses = np.asarray(peaks, dtype=float), np.asarray(losses, dtype=float)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = subplots(
        rows, cols, figsize=(11, 2.6 * rows), sharex=True, sharey=True, squeeze=False
    )
    for i, (ax, name) in enumerate(zip(axes.ravel(), names)):
        ax.set_prop_cycle(color=[colors[name]])
        if i != baseline:
            ax.plot(peaks, losses[baseline], "--", color="grey", linewidth=1)
        plot_lr_sweep(peaks, losses[i], ax=ax, label=name, title=name)
        if line is not None:
            ax.axhline(line, color="black", linestyle=":", linewidth=1)
        ax.set(xlabel="", ylabel="", ylim=ylim)
        ax.legend(fontsize=7, loc="center left")
    ticks = [t for t in (0.15, 0.2, 0.3, 0.5, 1, 2) if ylim[0] < t < ylim[1]]
    axes[0, 0].minorticks_off()
    axes[0, 0].set_yticks(ticks, [str(t) for t in ticks])
    axes[0, 0].set_xticks(peaks[::2], [f"{p:.3g}" for p in peaks[::2]])
    for ax in axes[:, 0]:
        ax.set_ylabel("final validation loss")
    for ax in axes[-1]:
        ax.set_xlabel("peak learning rate")
    return axes
