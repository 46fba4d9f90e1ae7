"""Slider explorers: move a control, see the schedule, the path or the loss change at once.

Each explorer is a function that returns an ``Explorer``, a widget (show it as the last line of a
cell) that also has

- ``.controls``: ``{name: widget}``, every slider, checkbox and menu, so a test or a learner can
  drive it from code: ``explorer.controls["lr"].value = 0.5``;
- ``.update()``: recompute and redraw (moving a control calls it);
- ``.image`` (the figure as PNG bytes in ``.image.value``) and ``.status`` (one line of text):
  what the explorer shows, so a test can check that it changed.

Why not ``ipywidgets.interact``? It re-creates the figure on every move, which is slow, flickers,
and leaves outputs that strict notebook tests cannot compare. Here the figure is built once (with
matplotlib's object API, outside pyplot, so nothing is shown by accident), the expensive static
parts such as contour lines are drawn once, and an update only replaces what changed and sends
the new PNG to the ``Image`` widget: well under the 100 ms that feels instant.

Adding an explorer (an optimizer race, say) takes four steps, as ``lr_explorer`` shows:
make the controls (``log_slider``, ``schedule_controls``), make a figure with ``figure()``, draw
the static parts (fixed limits, ``log_y`` axes, contours), and write ``draw(values) -> status``
that draws the parts that depend on the controls. Then return ``Explorer(controls, draw, fig)``,
and list the function in its module's ``EXPLORERS`` dict (see ``lrcourse.explorers``): from then
on ``all_explorers()`` includes it, so the tests, the browser test and the benchmark try it.
"""

import base64
import contextlib
import html
import importlib
import inspect
import io
import math
import numbers
import pkgutil
import re
import time

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.transforms import ScaledTranslation

from lrcourse import optimizers, plots
from lrcourse.plots import log_y
from lrcourse.problems import quadratic
from lrcourse.train import run

__all__ = [
    "Explorer",
    "figure",
    "log_slider",
    "schedule_controls",
    "schedule_explorer",
    "lr_explorer",
    "compare_explorer",
    "all_explorers",
    "log_y",
    "call_text",
    "optimizer_race",
]


# The status line's colour for an error: the palette's vermillion, darkened to a contrast of
# 5.5:1 on white (WCAG AA asks 4.5:1 for text; the palette's own has 3.9:1).
ERROR_COLOR = "#B34700"


# --- the building blocks -----------------------------------------------------------------------


def figure(ncols=1, *, width=4.5, height=3.2):
    """A figure with ``ncols`` panels in the course style, drawn off screen (not via pyplot).

    A pyplot figure would also be shown by the notebook's inline backend at the end of the cell,
    as a second, frozen copy under the explorer. The margins are fixed, in inches, with room for
    tick labels six characters wide: an automatic layout would measure every label again on
    every slider move, which costs more than the drawing itself.
    """
    left, right, bottom, top, gap = 0.8, 0.2, 0.55, 0.35, 0.9  # inches
    # A title at a fixed height, each x label a fixed distance below its panel (room for tick
    # labels with exponents, 10⁻³) and each y label a fixed distance left of it (room for tick
    # labels six characters wide): placed automatically, they would measure every tick label
    # again on each redraw, a third of its time.
    with plots.style(), mpl.rc_context({"axes.titley": 1.0}):
        fig = Figure(figsize=(width * ncols, height), layout="none")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        below = ax.transAxes + ScaledTranslation(0, -0.325, fig.dpi_scale_trans)
        ax.xaxis.set_label_coords(0.5, 0, transform=below)
        beside = ax.transAxes + ScaledTranslation(-0.6, 0, fig.dpi_scale_trans)
        ax.yaxis.set_label_coords(0, 0.5, transform=beside)
    panel = (width * ncols - left - right - gap * (ncols - 1)) / ncols
    fig.subplots_adjust(
        left=left / (width * ncols),
        right=1 - right / (width * ncols),
        bottom=bottom / height,
        top=1 - top / height,
        wspace=gap / panel,
    )
    return fig, list(axes)


def log_slider(value, low, high, *, description="lr"):
    """A slider over [low, high] on a log scale: 1e-4 to 1e-3 is as far as 0.1 to 1.

    Learning rates that matter span several orders of magnitude; on a linear slider everything
    below a tenth of the maximum would be squeezed into the first few pixels.
    """
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(low),
        max=math.log10(high),
        step=0.01,
        description=description,
        readout_format=".3g",
        style={"description_width": "initial"},
    )


def _settled(new, old, scale):
    """The limits to draw an axis with, given the limits that fit the new data and the old ones.

    The old limits stay while the new data fill at least half of them, so the picture holds
    still and can be blitted. Data that outgrow them get room to grow further on that side (half
    the range; on a log axis a quarter of the decades, at least one), so that a slider dragged
    on does not redraw its panel at every step.
    """
    log = scale == "log" and min(*new, *old) > 0
    forward, back = (np.log10, lambda x: 10.0**x) if log else (float, float)
    (new_lo, new_hi), (old_lo, old_hi) = sorted(map(forward, new)), sorted(map(forward, old))
    slack = 1e-6 * (old_hi - old_lo)  # rounding in the autoscaler is no reason to redraw
    if old_lo - slack <= new_lo and new_hi <= old_hi + slack:
        return tuple(old) if new_hi - new_lo >= (old_hi - old_lo) / 2 else tuple(new)
    room = max(1.0, 0.25 * (new_hi - new_lo)) if log else 0.5 * (new_hi - new_lo)
    lo = new_lo - room if new_lo < old_lo - slack else old_lo
    hi = new_hi + room if new_hi > old_hi + slack else old_hi
    return back(lo), back(hi)


def _png(canvas):
    """The canvas's pixels as PNG bytes, lightly compressed: this runs on every slider move."""
    width, height = canvas.get_width_height()
    pixels = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba()).convert("RGB")
    buffer = io.BytesIO()
    pixels.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


@contextlib.contextmanager
def _hidden(artists):
    """Hide the shown ``artists`` for the duration of a ``with`` block, then show them again."""
    shown = [artist for artist in artists if artist.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


def _lay(pixels, layer):
    """Lay a layer from ``Explorer._drawn_alone`` over the opaque RGBA ``pixels``, in place."""
    box, color, clear = layer
    under = pixels[box][..., :3]
    under[...] = under * clear + color + 0.5  # rounded, as the drawing would round


class Explorer(widgets.VBox):
    """Controls above a figure and a status line; moving a control redraws the figure.

    ``draw(values)`` gets ``{name: value}`` for every control, draws onto the figure's axes and
    returns the status line (plain text). Whatever is on the axes when the explorer is built is
    kept; everything ``draw`` adds is removed before the next call, so ``draw`` never has to
    clean up after itself. If ``draw`` raises (a slider combination the factory rejects, say),
    the error is shown in the status line instead of disappearing into a log.

    Speed. Most of a matplotlib draw goes into tick labels, which rarely change. So the axes keep
    their limits while the new data fit them comfortably (which also keeps the picture still
    while you slide); then the explorer pastes back the picture of the static parts and paints
    only the artists ``draw`` added ("blitting"). Only a panel whose limits, scales or titles
    change is drawn again; the others keep their pictures. Axes whose limits were set by hand
    never rescale.
    """

    def __init__(self, controls, draw, fig, *, title="explorer", layout=None):
        super().__init__()
        self.controls = dict(controls)
        self.figure = fig
        self.title = title
        self.error = None  # the exception of the last update, if it failed
        self.seconds = None  # how long the last update took (recompute + redraw + PNG)
        self._draw = draw
        self._static = {ax: set(ax.get_children()) for ax in fig.axes}
        self._autoscale = {ax: (ax.get_autoscalex_on(), ax.get_autoscaley_on()) for ax in fig.axes}
        self._background = None  # pixels of the static parts, for blitting
        self._painted = None  # the axes' limits, scales and titles in that picture
        self._bare = None  # pixels of the figure without its axes (its face)
        self._panels = {}  # {axes: the layer of its static parts (see ``_drawn_alone``)}
        self._legends = {}  # {a legend's look: its layer}
        self._layer = None  # a transparent canvas to draw one panel or legend on

        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        panel = layout or widgets.HBox(
            list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
        )
        self.children = [panel, self.image, self.status]
        self.add_class("lrcourse-explorer")  # the browser test finds explorers by this class
        self.layout.align_items = "flex-start"  # the picture at its own size, not stretched
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def values(self):
        """The current value of every control, ``{name: value}``."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, change=None):
        """Recompute and redraw for the current control values (called when a control moves)."""
        start = time.perf_counter()
        self._clear()
        try:
            with plots.style():
                status = html.escape(self._draw(self.values()) or "", quote=False)
            self.error = None
        except Exception as error:  # shown to the learner, never silently swallowed
            self.error = error
            status = (
                f'<span style="color:{ERROR_COLOR}">{html.escape(type(error).__name__)}: '
                f"{html.escape(str(error), quote=False)}</span>"
            )
        self._keep_limits()
        self.image.value = self._render()
        self.status.value = status  # after the picture, so the text never runs ahead of it
        self.seconds = time.perf_counter() - start

    def _added(self):
        """The artists the last ``draw`` added, in the order they are painted."""
        added = [a for ax, static in self._static.items() for a in ax.get_children()
                 if a not in static]  # fmt: skip
        return sorted(added, key=lambda artist: artist.get_zorder())

    def _clear(self):
        """Remove what the previous ``draw`` added, and let the axes fit the data to come."""
        for artist in self._added():
            artist.remove()
        for ax, (x_on, y_on) in self._autoscale.items():
            ax.set_autoscalex_on(x_on)
            ax.set_autoscaley_on(y_on)
            ax.relim()

    def _keep_limits(self):
        """Settle each axis' limits against those of the picture on screen (see ``_settled``)."""
        if self._painted is None:
            return
        for ax, (xlim, ylim, *_) in self._painted.items():
            x_auto, y_auto = self._autoscale[ax]  # limits set by hand stay as they are
            if x_auto:
                ax.set_xlim(_settled(ax.get_xlim(), xlim, ax.get_xscale()))
            if y_auto:
                ax.set_ylim(_settled(ax.get_ylim(), ylim, ax.get_yscale()))

    def _look(self):
        """What the static picture depends on: each axes' limits, scales and titles."""
        return {
            ax: (
                ax.get_xlim(),
                ax.get_ylim(),
                ax.get_xscale(),
                ax.get_yscale(),
                ax.get_title("left"),
                ax.get_title(),
                ax.get_title("right"),
            )  # fmt: skip
            for ax in self.figure.axes
        }

    def _render(self):
        """The figure as PNG: what ``draw`` added, painted over the picture of the static parts."""
        canvas, added, look = self.figure.canvas, self._added(), self._look()
        if look != self._painted:
            with _hidden(added):
                self._paint_static(look)
        pixels = np.asarray(canvas.buffer_rgba())
        pixels[...] = self._background
        renderer = canvas.get_renderer()
        for artist in added:
            if self._apart(artist):
                _lay(pixels, self._legend_layer(artist))
            else:
                artist.draw(renderer)
        return _png(canvas)

    # A full redraw is mostly tick labels, and a move that rescales one panel leaves the others
    # as they were. So each panel's static parts are drawn onto a transparent layer of their own,
    # kept, and laid over the bare figure in the order the figure draws its axes: a move redraws
    # only the panels whose limits changed. Laying a layer equals drawing it, to rounding.

    def _paint_static(self, look):
        """Make the picture of the static parts, redrawing the panels whose ``look`` changed."""
        fig = self.figure
        for ax in fig.axes:
            _plain_powers(ax)
        if any(a.get_visible() for a in fig.get_children() if a not in (fig.patch, *fig.axes)):
            fig.canvas.draw()  # figure-level text or legends may overlap panels: draw it all
            self._background, self._painted = np.array(fig.canvas.buffer_rgba()), look
            return
        if self._bare is None:
            with _hidden(fig.axes):
                fig.canvas.draw()
            self._bare = np.array(fig.canvas.buffer_rgba())
        background = self._bare.copy()
        for ax in sorted(fig.axes, key=lambda ax: ax.get_zorder()):  # as Figure.draw orders them
            legends = [artist for artist in ax.get_children() if self._apart(artist)]
            if self._painted is None or look[ax] != self._painted[ax] or ax not in self._panels:
                with _hidden(legends):
                    self._panels[ax] = self._drawn_alone(ax)
            _lay(background, self._panels[ax])
            for legend in legends:  # the axes draw their legend last
                _lay(background, self._legend_layer(legend))
        self._background, self._painted = background, look

    def _drawn_alone(self, artist):
        """``artist`` drawn onto a transparent layer: its box on the canvas, and its pixels."""
        width, height = self.figure.canvas.get_width_height()
        if self._layer is None or self._layer.get_canvas_width_height() != (width, height):
            self._layer = RendererAgg(width, height, self.figure.dpi)
        self._layer.clear()
        artist.draw(self._layer)
        rgba = np.asarray(self._layer.buffer_rgba())
        rows, cols = (np.flatnonzero(rgba[..., 3].any(axis=axis)) for axis in (1, 0))
        if not rows.size:  # nothing to see: an empty box
            rows = cols = np.array([0, -1])
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        # Kept ready to lay: the colour weighted by its opacity, and how much shows through.
        opacity = rgba[box][..., 3:] / np.float32(255)
        return box, rgba[box][..., :3] * opacity, 1 - opacity

    # A legend costs as much to draw as all the curves (its text), and while a slider moves its
    # entries rarely change. One at a fixed place (not loc="best", which moves with the data) is
    # drawn once onto a transparent layer, kept under what it shows, and laid over the picture.

    def _apart(self, artist):
        """Whether ``artist`` is laid from a layer of its own: a shown legend at a fixed place
        that its axes draw last (nothing of theirs lies above it)."""
        if not (isinstance(artist, Legend) and artist.get_visible() and artist._loc):
            return False
        others = (a for a in artist.axes.get_children() if a is not artist and a.get_visible())
        return all(a.get_zorder() <= artist.get_zorder() for a in others)

    def _legend_layer(self, legend):
        """The layer kept for the look of ``legend`` (drawn if new)."""
        key = _legend_key(legend)
        if key not in self._legends:
            if len(self._legends) >= 64:  # labels that carry a number: keep the recent ones
                self._legends.clear()
            self._legends[key] = self._drawn_alone(legend)
        return self._legends[key]

    def _repr_mimebundle_(self, **kwargs):
        # Besides the live widget, store a still of the figure: a notebook viewed on a code host
        # (no kernel, no widget state) shows the picture instead of a blank cell.
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{self.title} (run the notebook to move its controls)"
        # The still's text alternative, which the website shows as its alt text: what the
        # figure shows, and the status line, which says the outcome in words.
        status = html.unescape(re.sub(r"<[^>]*>", "", self.status.value)).rstrip(".")
        alt = f"{self.title}: {plots.describe(self.figure)} Status: {status}. " + (
            "(A still image: run the notebook to move its controls.)"
        )
        return bundle, {"image/png": {"alt": alt}}


class _PlainPowers(ticker.LogFormatterSciNotation):
    """Log-axis labels such as 10⁻²⁰ in plain text, with Unicode superscripts.

    Matplotlib writes them as mathtext ("$\\mathdefault{10^{-20}}$"), and parsing a label it has
    not seen yet takes longer than drawing it: a slider that moves an axis' limits would spend
    most of its redraw there. The font's superscript digits look the same."""

    def __call__(self, x, pos=None):
        label = super().__call__(x, pos)
        math = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", label)
        if not math:
            return label
        text = math.group(1).replace("\\times", "×")
        text = re.sub(r"\^\{([-0-9]+)\}", lambda power: power.group(1).translate(_SUPER), text)
        return label if set(text) & set("\\{}^$") else text


_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _plain_powers(ax):
    """Give ``ax``'s log axes plain-text labels (``_PlainPowers``), keeping their settings."""
    for axis in (ax.xaxis, ax.yaxis):
        for minor in (False, True):
            old = axis.get_minor_formatter() if minor else axis.get_major_formatter()
            if type(old) is ticker.LogFormatterSciNotation:
                new = _PlainPowers(old._base, old.labelOnlyBase, old.minor_thresholds)
                new._linthresh = old._linthresh
                (axis.set_minor_formatter if minor else axis.set_major_formatter)(new)


_LEGEND_LOOK = (
    "color",
    "linestyle",
    "linewidth",
    "marker",
    "markersize",
    "markerfacecolor",
    "markeredgecolor",
    "markeredgewidth",
    "alpha",
    "facecolor",
    "edgecolor",
    "hatch",
)


def _legend_key(legend):
    """Everything a legend's pixels depend on, once its axes are placed: entries and their look."""

    def look(artist):  # the getters themselves: Artist.properties() reads every docstring
        getters = [getattr(artist, f"get_{name}", None) for name in _LEGEND_LOOK]
        return type(artist).__name__, tuple(repr(get()) if get else None for get in getters)

    texts = tuple(t.get_text() for t in legend.texts) + (legend.get_title().get_text(),)
    place = (id(legend.axes), legend.axes.bbox.bounds, legend._loc)
    place += (legend.get_bbox_to_anchor().bounds, legend._ncols, legend.prop.get_size())
    frame = legend.get_frame_on() and look(legend.get_frame())
    return place, texts, tuple(map(look, legend.legend_handles)), frame


# --- controls generated from a schedule factory's signature ------------------------------------

# Starting values for parameters that have no default, as functions of the plotted horizon.
_GUESSES = {
    "lr": lambda horizon: 0.1,
    "max_lr": lambda horizon: 0.1,
    "base_lr": lambda horizon: 0.01,
    "total_steps": lambda horizon: horizon,
    "warmup_steps": lambda horizon: horizon // 10,
    "decay_steps": lambda horizon: horizon // 5,
    "step_size": lambda horizon: horizon // 4,
    "step_size_up": lambda horizon: horizon // 8,
    "period": lambda horizon: horizon // 4,
    "milestones": lambda horizon: widgets.fixed([horizon // 2, 3 * horizon // 4]),
    # Per-step factors that bring the rate down about 100-fold over the horizon.
    "gamma": lambda horizon: round(0.01 ** (1 / horizon), 4),
    "decay_rate": lambda horizon: 100 / horizon,
}

# Menus for the string parameters whose allowed values we know.
_CHOICES = {
    "mode": ("triangular", "triangular2", "exp_range"),
    "anneal": ("cos", "linear"),
    "shape": ("linear", "cosine", "sqrt"),
}

_STEP_NAMES = {"step_size", "step_size_up", "step_size_down", "period"}


def _slider_for(name, value, horizon):
    """A control for a numeric parameter, chosen by its name (and its value's type)."""
    common = {"description": name, "style": {"description_width": "initial"}}
    if isinstance(value, bool):
        return widgets.Checkbox(value=value, indent=False, **common)
    if name == "lr" or name.endswith("_lr"):
        if value == 0:
            # A floor such as min_lr defaults to 0, which has no place on a log scale.
            return widgets.FloatSlider(
                value=0.0, min=0.0, max=0.1, step=0.001, readout_format=".3g", **common
            )
        return log_slider(value, 1e-4, 10.0, description=name)
    if name.endswith("_steps") or name in _STEP_NAMES:
        low = 0 if name == "warmup_steps" else 1
        return widgets.IntSlider(value=value, min=low, max=max(horizon, value), **common)
    if name in ("gamma", "start_factor"):
        return widgets.FloatSlider(
            value=value, min=0.0, max=1.0, step=0.0001, readout_format=".4f", **common
        )
    if name == "pct_start":
        return widgets.FloatSlider(value=value, min=0.05, max=0.95, step=0.01, **common)
    if name in ("decay_rate", "div_factor", "final_div_factor"):
        return log_slider(value, min(value, 1e-4), max(value, 1e5), description=name)
    if isinstance(value, numbers.Integral):
        return widgets.IntSlider(value=value, min=min(value, 1), max=max(10, 4 * value), **common)
    return widgets.FloatSlider(
        value=value, min=0.0, max=max(1.0, 4 * value), step=0.01, readout_format=".3g", **common
    )


def schedule_controls(factory, horizon=1000, **values):
    """Controls for every parameter of a schedule factory: ``(controls, fixed)``.

    The parameters and their defaults come from the factory's own signature, so a new schedule
    gets sliders without writing any widget code. ``values`` overrides a starting value (a
    number, a bool, or a string from a menu), gives a widget of your own, or holds a parameter
    fixed with ``ipywidgets.fixed(value)``; lists, schedules and None are held fixed too.
    Learning rates get log sliders, step counts integer sliders up to ``horizon``.
    """
    controls, fixed = {}, {}
    for name, parameter in inspect.signature(factory).parameters.items():
        if name in values:
            value = values.pop(name)
        elif parameter.default is not inspect.Parameter.empty:
            value = parameter.default
        elif name in _GUESSES:
            value = _GUESSES[name](horizon)
        else:
            raise ValueError(
                f"{factory.__name__} needs a value for {name!r}, which has no default: pass "
                f"{name}=... (a number for a slider, or ipywidgets.fixed(value))"
            )
        if isinstance(value, widgets.Widget):
            controls[name] = value
        elif isinstance(value, widgets.fixed):
            fixed[name] = value.value
        elif isinstance(value, str) and value in _CHOICES.get(name, ()):
            controls[name] = widgets.Dropdown(options=_CHOICES[name], value=value, description=name)
        elif isinstance(value, (bool, numbers.Real)) and not isinstance(value, str):
            controls[name] = _slider_for(name, value, horizon)
        else:
            fixed[name] = value
    if values:
        raise ValueError(
            f"{factory.__name__} has no parameter {', '.join(map(repr, values))}; its parameters "
            f"are {', '.join(inspect.signature(factory).parameters)}"
        )
    return controls, fixed


def call_text(factory, kwargs):
    """``"cosine_decay(lr=0.1, total_steps=1000)"``: the call a learner can copy into a cell."""

    def show(value):
        return f"{value:.4g}" if isinstance(value, float) else repr(value)

    names = [name for name in inspect.signature(factory).parameters if name in kwargs]
    return f"{factory.__name__}({', '.join(f'{name}={show(kwargs[name])}' for name in names)})"


def _min_loss(problem):
    """The loss to subtract before a log plot; None for mini-batch problems, whose per-step
    losses can dip below the full-data minimum."""
    return problem.min_loss if problem.n_train is None else None


def _loss_range(sweep, min_loss):
    """y-limits for a loss panel: from the lowest loss any run of ``sweep`` reaches to the
    highest loss of a run that does not diverge (diverging curves leave through the top)."""
    excess = sweep.loss - (min_loss or 0.0)
    reached = excess[np.isfinite(excess) & (excess > 0)]
    start = float(np.max(excess[0]))
    low = max(reached.min(), start * 1e-12) if reached.size else start * 1e-6
    stable = excess[:, ~sweep.diverged]
    high = float(np.nanmax(stable)) if stable.size else start
    return low / 3, high * 3


def _outcome(history):
    """One run's outcome: "diverged at step 21" or "final loss 1.4e-09"."""
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


def _stacked(schedules, steps):
    """One schedule for a sweep over schedules: at each step a column of rates, row i from
    schedule i, which broadcasts against params of shape (len(schedules), dim).

    Schedules are pure functions, so their rates over the whole run can be computed once, in one
    vectorised call each, and looked up at every step.
    """
    table = np.stack([schedule(np.arange(steps)) for schedule in schedules])

    def lr(step):
        return table[:, min(int(step), steps - 1), None]

    return lr


# --- the explorers -----------------------------------------------------------------------------


@plots.styled
def schedule_explorer(factory, horizon=1000, *, log=False, **values):
    """Sliders for every parameter of a schedule factory, and the schedule they give.

    The grey dotted line is the schedule with the starting values, for comparison.

    >>> from lrcourse.schedules import cosine_decay
    >>> explorer = schedule_explorer(cosine_decay, horizon=200)
    >>> explorer.controls["lr"].value = 0.5   # what a slider move does
    >>> explorer.status.value
    'cosine_decay(lr=0.5, total_steps=200, min_lr=0): lr 0.5 at step 0, 3.084e-05 at step 199'
    """
    controls, fixed = schedule_controls(factory, horizon, **values)
    steps = np.arange(horizon)
    fig, (ax,) = figure(width=6.0)
    initial = factory(**{name: c.value for name, c in controls.items()}, **fixed)
    ax.plot(steps, initial(steps), ":", color="grey", label="starting values")
    ax.set(xlabel="step", ylabel="learning rate", title=factory.__name__)
    if log:
        log_y(ax)

    def draw(values):
        schedule = factory(**values, **fixed)
        call = call_text(factory, {**values, **fixed})
        plots.plot_schedules({"now": schedule}, horizon, ax=ax, log=log, title=factory.__name__)
        lr = schedule(steps)
        return f"{call}: lr {lr[0]:.4g} at step 0, {lr[-1]:.4g} at step {horizon - 1}"

    return Explorer(controls, draw, fig, title=f"schedule_explorer({factory.__name__})")


@plots.styled
def lr_explorer(
    problem,
    optimizer=optimizers.sgd,
    steps=50,
    *,
    lr=0.1,
    lr_range=(1e-4, 10.0),
    **hyperparameters,
):
    """A log slider for the learning rate: the path over the contours, and the loss per step.

    ``optimizer`` is a factory such as ``optimizers.sgd``; ``hyperparameters`` (momentum=0.9, ...)
    are passed to it unchanged. The status line says whether the run converged or diverged, and
    for a quadratic where the stability limit 2/L lies.

    >>> from lrcourse.problems import quadratic
    >>> explorer = lr_explorer(quadratic(condition=10), steps=30)
    >>> explorer.controls["lr"].value = 0.3
    >>> explorer.status.value
    'lr = 0.3: diverged at step 21 (stable only below 2/L = 0.2)'
    """
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(f"lr_explorer needs a 2-D problem with plotting bounds, got {problem!r}")
    min_loss = _min_loss(problem)
    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"{optimizer.__name__} on {problem.name}")
    # A static legend for start and minimum (framed, to stay readable over the contours); the
    # run itself is labelled in the loss panel.
    ax_path.legend(loc="upper right", frameon=True)
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    log_y(ax_loss)
    # Fixed limits that fit every rate on the slider, so the eye can compare one position with
    # the next (autoscaled axes would jump), and the explorer never has to redraw the axes.
    sweep = np.geomspace(*lr_range, 33)[:, None]
    runs = run(
        optimizer(lr=sweep, **hyperparameters), problem, np.tile(problem.start, (33, 1)), steps
    )
    ax_loss.set(xlim=(0, steps), ylim=_loss_range(runs, min_loss))
    controls = {"lr": log_slider(lr, *lr_range)}
    limit = f" (stable only below 2/L = {2 / problem.L:.3g})" if hasattr(problem, "L") else ""

    def draw(values):
        lr = values["lr"]
        history = run(optimizer(lr=lr, **hyperparameters), problem, problem.start, steps)
        label = f"lr = {lr:.3g}"
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        plots.loss_curve(ax_loss, history, label=label, color=plots.COLORS[0], min_loss=min_loss)
        ax_loss.legend(loc="upper right")
        return f"{label}: {_outcome(history)}" + (limit if history.diverged else "")

    return Explorer(controls, draw, fig, title=f"lr_explorer({problem.name})")


@plots.styled
def compare_explorer(*entries, horizon=200, problem=None, optimizer=optimizers.sgd, log=False):
    """Schedules side by side, each with its own controls, drawn on one plot.

    ``entries`` are schedule factories, or ``(factory, {name: starting value})`` pairs. Given a
    ``problem``, a second panel trains ``optimizer(lr=schedule)`` from ``problem.start`` for
    ``horizon`` steps with every schedule, all in one batched run, and shows their losses.
    Controls are named ``"label.parameter"``: ``explorer.controls["cosine_decay.lr"]``.

    >>> from lrcourse.schedules import cosine_decay, step_decay
    >>> explorer = compare_explorer(cosine_decay, (step_decay, {"gamma": 0.5}), horizon=100)
    >>> sorted(explorer.controls)[:3]
    ['cosine_decay.lr', 'cosine_decay.min_lr', 'cosine_decay.total_steps']
    """
    if not entries:
        raise ValueError("compare_explorer needs at least one schedule factory")
    factories, columns, controls = {}, [], {}
    for entry in entries:
        factory, start = entry if isinstance(entry, tuple) else (entry, {})
        label, n = factory.__name__, 2
        while label in factories:  # two cosines: "cosine_decay" and "cosine_decay 2"
            label, n = f"{factory.__name__} {n}", n + 1
        own, fixed = schedule_controls(factory, horizon, **start)
        factories[label] = (factory, list(own), fixed)
        controls.update({f"{label}.{name}": control for name, control in own.items()})
        header = widgets.HTML(f"<b>{html.escape(label)}</b>")
        columns.append(widgets.VBox([header, *own.values()]))

    fig, axes = figure(2 if problem is not None else 1)
    axes[0].set(xlabel="step", ylabel="learning rate")
    if problem is not None:
        min_loss = _min_loss(problem)
        axes[1].set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
        log_y(axes[1])
        axes[1].set_title(f"{optimizer.__name__} on {problem.name}")

    def draw(values):
        schedules = {
            label: factory(**{name: values[f"{label}.{name}"] for name in names}, **fixed)
            for label, (factory, names, fixed) in factories.items()
        }
        plots.plot_schedules(schedules, horizon, ax=axes[0], log=log, title="the schedules")
        # Legends at fixed places, where decaying rates and falling losses leave room: one
        # placed by the data ("best") would move, and be drawn afresh, at every step.
        axes[0].get_legend().set_loc("upper right")
        if problem is None:
            return "; ".join(
                f"{label}: lr {float(s(horizon - 1)):.3g} at the last step"
                for label, s in schedules.items()
            )
        # One batched run for all schedules: row i of the params follows schedule i.
        starts = np.tile(problem.start, (len(schedules), 1))
        history = run(optimizer(lr=_stacked(schedules.values(), horizon)), problem, starts, horizon)
        histories = plots.runs(history, schedules)
        plots.plot_losses(histories, ax=axes[1], min_loss=min_loss, title=axes[1].get_title())
        axes[1].get_legend().set_loc("upper right")
        return "; ".join(f"{label}: {_outcome(h)}" for label, h in histories.items())

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    names = ", ".join(factories)
    return Explorer(controls, draw, fig, title=f"compare_explorer({names})", layout=layout)


# --- every explorer of the course --------------------------------------------------------------


def all_explorers():
    """Every explorer of the course with its default settings: ``{name: function that builds it}``.

    First the three explorers of this module, then those that the modules of
    ``lrcourse.explorers`` list in their ``EXPLORERS`` dicts (named "module.name"). The widget
    tests, the browser test and the slider benchmark walk through this, so an explorer is tested
    and timed as soon as it is listed.
    """
    from lrcourse import explorers, schedules
    from lrcourse.problems import quadratic

    found = {
        "schedule_explorer": lambda: schedule_explorer(schedules.cosine_decay),
        "lr_explorer": lambda: lr_explorer(quadratic(condition=10)),
        "compare_explorer": lambda: compare_explorer(
            schedules.cosine_decay, schedules.step_decay, problem=quadratic(condition=10)
        ),
    }
    for module in pkgutil.iter_modules(explorers.__path__):
        listed = importlib.import_module(f"lrcourse.explorers.{module.name}").EXPLORERS
        found.update({f"{module.name}.{name}": make for name, make in listed.items()})
    return found


# The names lrcourse.explorers first imported these helpers under.
_log_y, _call = log_y, call_text


_DECAY_RATES = ("momentum", "dampening", "alpha", "rho", "beta", "beta1", "beta2")


def _control(name, value, lr_range):
    """A control for hyperparameter ``name`` starting at ``value``, chosen by name and type."""
    style = {"description_width": "initial"}
    if isinstance(value, widgets.Widget):
        return value
    if isinstance(value, bool):
        return widgets.Checkbox(value=value, description=name, indent=False)
    if name == "lr" or name.endswith("_lr"):
        low, high = lr_range
        return log_slider(value, min(low, value), max(high, value), description=name)
    if name == "eps":
        return log_slider(value, min(1e-12, value), max(1.0, value), description=name)
    if name in _DECAY_RATES:
        return widgets.FloatSlider(
            value=value,
            min=0.0,
            max=0.999,
            step=0.001,
            description=name,
            readout_format=".3f",
            style=style,
        )
    if isinstance(value, int):
        return widgets.IntSlider(
            value=value, min=0, max=max(10, 4 * value), description=name, style=style
        )
    return widgets.FloatSlider(
        value=value,
        min=0.0,
        max=max(1.0, 4 * value),
        step=0.01,
        description=name,
        readout_format=".3g",
        style=style,
    )


def _loss_limits(histories, min_loss):
    """Fixed y-limits for a loss panel: from 1e-12 of the start (or the lowest loss reached) to
    a little above the highest loss of the runs that did not diverge."""
    start = max(float(np.max(h.loss[0])) - (min_loss or 0.0) for h in histories)
    low, high = start * 1e-12, start
    for h in histories:
        excess = h.loss - (min_loss or 0.0)
        finite = excess[np.isfinite(excess) & (excess > 0)]
        if finite.size:
            low = max(min(low, finite.min()), start * 1e-14)
            if not h.diverged:
                high = max(high, finite.max())
    return low / 3, high * 3


@plots.styled
def optimizer_race(problem=None, entries=None, steps=100, *, lr_range=(1e-4, 10.0), title=None):
    """Several optimizers on one 2-D landscape, each with its own controls: paths and losses.

    ``entries`` is ``{label: (factory, {name: start value})}``. ``factory(**values)`` must return
    an optimizer; it may be ``optimizers.sgd`` or a function of your own, such as
    ``lambda lr, beta1, beta2: adam(lr=lr, betas=(beta1, beta2))``. Each value becomes a control
    named ``"label.name"``: ``lr`` and ``*_lr`` a log slider over ``lr_range``, ``eps`` a log
    slider, momentum-like rates (momentum, dampening, alpha, rho, beta...) a slider on [0, 1),
    a bool a checkbox; a widget is used as it is, and ``ipywidgets.fixed(value)`` holds a value
    fixed. Moving a control re-runs only its own optimizer.

    >>> from lrcourse.optimizers import sgd
    >>> race = optimizer_race(quadratic(condition=20.0), {
    ...     "SGD": (sgd, {"lr": 0.09}),
    ...     "momentum": (sgd, {"lr": 0.09, "momentum": 0.5})}, steps=50)
    >>> race.controls["momentum.momentum"].value = 0.95
    >>> race.status.value
    'SGD: final loss 0.00016; momentum: final loss 3.26'
    """
    problem = quadratic(condition=20.0) if problem is None else problem
    if entries is None:
        entries = {
            "SGD": (optimizers.sgd, {"lr": 0.05}),
            "momentum": (optimizers.sgd, {"lr": 0.05, "momentum": 0.9}),
            "Nesterov": (optimizers.sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        }
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(
            f"optimizer_race needs a 2-D problem with plotting bounds, got {problem!r}"
        )
    if not isinstance(entries, dict) or not entries:
        raise ValueError(
            "entries must be a non-empty dict {label: (factory, {name: start value})}, "
            f"got {entries!r}"
        )
    racers, controls, columns = {}, {}, []
    for label, entry in entries.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and callable(entry[0])):
            raise ValueError(
                f"entries[{label!r}] must be a pair (factory, {{name: start value}}), got {entry!r}"
            )
        factory, starts = entry
        own, fixed = [], {}
        for name, value in dict(starts).items():
            if isinstance(value, widgets.fixed):
                fixed[name] = value.value
                continue
            controls[f"{label}.{name}"] = _control(name, value, lr_range)
            own.append(name)
        racers[label] = (factory, own, fixed)
        header = widgets.HTML(f"<b>{html.escape(str(label))}</b>")
        columns.append(widgets.VBox([header, *(controls[f"{label}.{n}"] for n in own)]))

    min_loss = problem.min_loss
    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(title or f"a race on {problem.name}")
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    _log_y(ax_loss)
    cache = {}

    def history_of(label, values):
        factory, own, fixed = racers[label]
        kwargs = {name: values[f"{label}.{name}"] for name in own}
        key = (label, tuple(kwargs.items()))
        if key not in cache:
            if len(cache) > 64:  # a long drag should not keep every run ever made
                cache.clear()
            cache[key] = run(factory(**kwargs, **fixed), problem, problem.start, steps)
        return cache[key]

    # Limits that fit the starting runs, set before the explorer takes over: fixed limits never
    # rescale, so a slider move repaints only the curves (see ``Explorer``).
    starting = {name: control.value for name, control in controls.items()}
    first_runs = [history_of(label, starting) for label in racers]
    ax_loss.set(xlim=(0, steps), ylim=_loss_limits(first_runs, min_loss))

    def draw(values):
        histories = {label: history_of(label, values) for label in racers}
        bounds = (ax_path.get_xlim(), ax_path.get_ylim())
        for i, (label, history) in enumerate(histories.items()):
            color = plots.COLORS[i % len(plots.COLORS)]
            plots.trajectory(ax_path, history, label=label, color=color, bounds=bounds)
            plots.loss_curve(ax_loss, history, label=label, color=color, min_loss=min_loss)
        plots.distinguish(ax_path)  # beyond three racers, markers as well as colours
        plots.distinguish(ax_loss)
        ax_path.legend(loc="upper right", frameon=True)
        return "; ".join(f"{label}: {_outcome(h)}" for label, h in histories.items())

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    names = ", ".join(map(str, racers))
    return Explorer(controls, draw, fig, title=f"optimizer_race({names})", layout=layout)
