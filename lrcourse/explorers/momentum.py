"""Lecture 07, momentum and Nesterov: its explorers and the small pieces of theory they draw.

Theory (on the quadratic f(x) = 1/2 x^T H x, one eigenvalue lambda of H at a time):

    momentum_rate(lr, momentum, curvatures)      how much one step shrinks the error, for large k
    max_stable_lr(L, momentum)                   the largest stable rate, 2 (1 + beta) / L
    optimal_momentum(mu, L)                      Polyak's tuned (lr, momentum) and its rate
    momentum_noise_floor(lr, momentum, ...)      the expected loss SGD with momentum settles at
    keras_sgd(lr, momentum)                      Keras's SGD, which keeps lr inside the buffer

Explorers (each returns a ``lrcourse.widgets.Explorer``; ``EXPLORERS`` lists them):

    momentum_explorer(problem)      lr and momentum sliders: the path over the contours, the loss
    optimizer_race(problem, entries)    several optimizers on one landscape, each with its own
                                        controls; lectures 08 to 11 reuse it
"""

import html
import math
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.problems import Quadratic, quadratic
from lrcourse.schedules import as_schedule
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "momentum_rate",
    "max_stable_lr",
    "optimal_momentum",
    "momentum_noise_floor",
    "keras_sgd",
    "momentum_explorer",
    "optimizer_race",
    "EXPLORERS",
]


# --- theory on a quadratic ---------------------------------------------------------------------


def momentum_rate(lr, momentum, curvatures, nesterov=False):
    """The asymptotic convergence rate of SGD with momentum on a quadratic, per step.

    Along an eigenvector of H with eigenvalue lambda, write a = lr * lambda. PyTorch's update
    (buf = momentum * buf + g; params -= lr * buf, or lr * (g + momentum * buf) for Nesterov)
    is a linear map of (x_k, x_{k-1}); its two eigenvalues z solve

        heavy ball:  z^2 - (1 + beta - a) z + beta             = 0
        Nesterov:    z^2 - (1 + beta)(1 - a) z + beta (1 - a)  = 0

    and the error shrinks like max |z|^k. The rate is the largest |z| over all eigenvalues
    (below 1: converges; above 1: diverges). With momentum = 0 both give |1 - a|, plain gradient
    descent. ``lr`` and ``momentum`` broadcast (a sweep gives an array of rates).

    >>> float(momentum_rate(0.1, 0.0, [1.0, 10.0]))          # gradient descent: max |1 - a|
    0.9
    >>> round(float(momentum_rate(0.1, 0.5, [1.0, 10.0])), 4)   # complex roots: sqrt(beta)
    0.7071
    """
    a = np.asarray(lr, dtype=float)[..., None] * np.asarray(curvatures, dtype=float)
    beta = np.asarray(momentum, dtype=float)[..., None]
    if nesterov:
        trace, det = (1 + beta) * (1 - a), beta * (1 - a)
    else:
        trace, det = 1 + beta - a, beta + 0 * a
    root = np.sqrt((trace**2 - 4 * det).astype(complex))
    z = np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))
    return z.max(axis=-1)[()]


def max_stable_lr(L, momentum=0.0, nesterov=False):
    """The largest learning rate at which SGD with momentum converges on a quadratic.

    heavy ball:  lr < 2 (1 + beta) / L        (beta = 0: the 2 / L of gradient descent)
    Nesterov:    lr < 2 (1 + beta) / ((1 + 2 beta) L)

    Both come from the root z = -1 of the polynomials in ``momentum_rate``: the stiffest
    direction starts to flip sign with growing amplitude. Heavy-ball momentum almost doubles the
    range at beta near 1; Nesterov's damping of the stiff directions narrows it.

    >>> max_stable_lr(10.0, 0.9), round(max_stable_lr(10.0, 0.9, nesterov=True), 4)
    (0.38, 0.1357)
    """
    beta = momentum
    bound = 2 * (1 + beta) / L
    return bound / (1 + 2 * beta) if nesterov else bound


def optimal_momentum(mu, L):
    """Polyak's tuned heavy ball for a quadratic with curvatures in [mu, L]: (lr, momentum, rate).

    lr       = 4 / (sqrt(L) + sqrt(mu))^2
    momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2        kappa = L / mu
    rate     = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)     (GD at its best: (kappa - 1) / (kappa + 1))

    At these values both the flattest and the stiffest direction are critically damped: every
    direction shrinks by sqrt(momentum) = rate per step. Polyak (1964).

    >>> lr, beta, rate = optimal_momentum(1.0, 100.0)
    >>> round(lr, 4), round(beta, 4), round(rate, 4)
    (0.0331, 0.6694, 0.8182)
    """
    root = math.sqrt(L / mu)
    rate = (root - 1) / (root + 1)
    return 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate


def momentum_noise_floor(lr, momentum, curvatures, sigma=1.0):
    """The expected loss at which heavy-ball SGD settles on a noisy quadratic (constant lr).

    In one eigen-direction (f = 1/2 lambda x^2, gradient lambda x + sigma xi), the iterates obey
    x_{k+1} = (1 + beta - a) x_k - beta x_{k-1} - lr sigma xi_k, an AR(2) process whose
    stationary variance gives

        E[f] = lr sigma^2 (1 + beta) / (2 (1 - beta) (2 (1 + beta) - a)),     a = lr lambda

    summed over the eigenvalues (inf where unstable). With beta = 0 this is plain SGD's
    lr sigma^2 / (2 (2 - a)); for small lr it is about lr / (1 - beta) * sigma^2 / 4, the floor of
    plain SGD at the rate lr / (1 - beta): momentum does not lower the floor by itself.

    >>> round(float(momentum_noise_floor(0.1, 0.0, [1.0])), 6)     # = noisy_quadratic's floor
    0.026316
    """
    lr = np.asarray(lr, dtype=float)[..., None]
    beta = np.asarray(momentum, dtype=float)[..., None]
    a = lr * np.asarray(curvatures, dtype=float)
    room = 2 * (1 + beta) - a
    stable = (a > 0) & (room > 0)
    per_direction = lr * sigma**2 * (1 + beta) / (2 * (1 - beta) * np.where(stable, room, 1.0))
    return np.where(stable.all(-1), per_direction.sum(-1), np.inf)[()]


class KerasSGDState(NamedTuple):
    step: int
    momentum: np.ndarray  # Keras's name for its buffer, which holds lr * (sum of gradients)


def keras_sgd(lr=0.01, momentum=0.0, nesterov=False):
    """Keras's SGD, for comparison: it folds the learning rate into the momentum buffer.

    m      = momentum * m - lr_t * g            (m starts at 0)
    params = params + m                         (nesterov: params + momentum * m - lr_t * g)

    Unrolled, Keras moves by sum_j momentum^(k-j) lr_j g_j: every gradient keeps the rate it was
    seen with. PyTorch (``optimizers.sgd``) moves by lr_k sum_j momentum^(k-j) g_j: today's rate
    scales the whole history. At a constant rate the two are the same optimizer; under a
    schedule they differ. Keras: ``keras.optimizers.SGD(learning_rate, momentum, nesterov)``.

    >>> opt = keras_sgd(lr=0.1, momentum=0.9)
    >>> opt.step(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))[0]
    array([0.8])
    """
    lr = as_schedule(lr)
    momentum = v.in_range("momentum", momentum, 0, 1)

    def init(params):
        return KerasSGDState(0, np.zeros_like(np.asarray(params, dtype=float)))

    def step(params, grads, state):
        params, grads = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        rate = lr(state.step)
        m = momentum * state.momentum - rate * grads
        update = momentum * m - rate * grads if nesterov else m
        return params + update, KerasSGDState(state.step + 1, m)

    return optimizers.Optimizer(init, step, lr)


# --- controls shared by the explorers ----------------------------------------------------------

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


def _outcome(history):
    if history.diverged:
        return f"diverged at step {history.diverged_at}"
    return f"final loss {history.loss[-1]:.3g}"


def _log_y(ax):
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())


# --- the momentum explorer ---------------------------------------------------------------------


@plots.styled
def momentum_explorer(
    problem=None, steps=80, *, lr=0.02, momentum=0.0, nesterov=False, lr_range=(1e-4, 1.0)
):
    """Distill-style sliders for lr (log) and momentum: the path over the contours and the loss.

    On a quadratic (the default is a 2-D bowl with condition number 20) the loss panel also
    shows the theory, the line loss_0 * rate^(2k) with the rate of ``momentum_rate``, and the
    button sets Polyak's optimal (lr, momentum). The status line gives the rate and the
    stability limit 2 (1 + beta) / L.

    >>> explorer = momentum_explorer()
    >>> explorer.controls["momentum"].value = 0.9
    >>> explorer.status.value.split("; ")[1]
    'rate 0.949 per step (theory), stable for lr below 0.19'
    """
    problem = quadratic(condition=20.0) if problem is None else problem
    if problem.dim != 2 or problem.bounds is None:
        raise ValueError(
            f"momentum_explorer needs a 2-D problem with plotting bounds, got {problem!r}"
        )
    is_quadratic = isinstance(problem, Quadratic)
    min_loss = problem.min_loss
    controls = {
        "lr": log_slider(lr, *lr_range),
        "momentum": _control("momentum", momentum, lr_range),
        "nesterov": widgets.Checkbox(value=nesterov, description="nesterov", indent=False),
    }
    controls["momentum"].max = 0.99  # at 1 nothing ever settles

    fig, (ax_path, ax_loss) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"SGD with momentum on {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_loss.set(xlabel="step", ylabel="loss" if min_loss is None else "loss - min loss")
    ax_loss.set_title(f"loss over {steps} steps")
    _log_y(ax_loss)
    loss0 = float(problem.loss(problem.start)) - (min_loss or 0.0)
    ax_loss.set(xlim=(0, steps), ylim=(loss0 * 1e-14, loss0 * 1e4))

    buttons = []
    if is_quadratic:
        best_lr, best_beta, _ = optimal_momentum(problem.mu, problem.L)
        button = widgets.Button(description="set optimal (lr, momentum)")

        def set_optimal(_):
            controls["nesterov"].value = False
            controls["momentum"].value = best_beta
            controls["lr"].value = best_lr

        button.on_click(set_optimal)
        buttons = [button]

    def draw(values):
        lr, beta, nag = values["lr"], values["momentum"], values["nesterov"]
        if nag and beta == 0:
            nag = False  # Nesterov needs momentum > 0; with none it is plain SGD anyway
        opt = optimizers.sgd(lr=lr, momentum=beta, nesterov=nag)
        history = run(opt, problem, problem.start, steps)
        label = f"lr = {lr:.3g}, momentum = {beta:.3g}" + (", Nesterov" if nag else "")
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        plots.loss_curve(ax_loss, history, label="run", color=plots.COLORS[0], min_loss=min_loss)
        status = f"{label}: {_outcome(history)}"
        if is_quadratic:
            rate = float(momentum_rate(lr, beta, problem.eigenvalues, nesterov=nag))
            k = np.arange(steps + 1)
            with np.errstate(over="ignore", under="ignore"):
                theory = loss0 * rate ** (2.0 * k)
            ax_loss.plot(k, theory, ":", color="black", label=f"theory: rate {rate:.3f}")
            limit = max_stable_lr(problem.L, beta, nesterov=nag)
            status += f"; rate {rate:.3g} per step (theory), stable for lr below {limit:.3g}"
        ax_loss.legend(loc="upper right")
        return status

    layout = widgets.HBox(
        [*controls.values(), *buttons], layout=widgets.Layout(flex_flow="row wrap")
    )
    return Explorer(controls, draw, fig, title="momentum_explorer", layout=layout)


# --- the optimizer race ------------------------------------------------------------------------


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
        ax_path.legend(loc="upper right", frameon=True)
        return "; ".join(f"{label}: {_outcome(h)}" for label, h in histories.items())

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    names = ", ".join(map(str, racers))
    return Explorer(controls, draw, fig, title=f"optimizer_race({names})", layout=layout)


def _rosenbrock_race():
    from lrcourse.problems import rosenbrock

    return optimizer_race(
        rosenbrock(),
        {
            "SGD": (optimizers.sgd, {"lr": 2e-3}),
            "momentum": (optimizers.sgd, {"lr": 2e-3, "momentum": 0.9}),
            "Nesterov": (optimizers.sgd, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
        },
        steps=300,
    )


EXPLORERS = {
    "momentum_explorer": momentum_explorer,
    "optimizer_race": optimizer_race,
    "optimizer_race(rosenbrock)": _rosenbrock_race,
}
