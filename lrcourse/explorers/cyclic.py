"""Explorers of lecture 05: cosine decay, warmup, restarts, cyclical rates, one-cycle and WSD.

    schedule_chooser()   pick a schedule from a menu; its own parameters become sliders, and a
                         warmup slider puts ``linear_warmup`` in front of whichever you chose
    warmup_explorer()    why warmup helps: gradient descent on a bowl whose walls steepen away
                         from the bottom, with the rate and the local stability limit 2 / sharpness
    schedule_race()      several schedules side by side, each with its own controls, trained on a
                         noisy quadratic (the mean loss over many seeds)

Two small problems the lecture and the explorers share live here too:

    SteepBowl             f(x) = sum_i (c_i x_i^2 / 2 + x_i^4 / 4): its curvature grows away
                          from the minimum
    CommonNoiseQuadratic  a noisy quadratic whose runs share their noise, seed for seed, so that
                          runs with different schedules differ only by their schedules
"""

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import plots, schedules
from lrcourse.optimizers import sgd
from lrcourse.problems import NoisyQuadratic, Problem, noisy_quadratic
from lrcourse.train import run
from lrcourse.widgets import Explorer, _call, _log_y, figure, log_slider, schedule_controls

__all__ = [
    "SteepBowl",
    "steep_bowl",
    "CommonNoiseQuadratic",
    "common_noise_quadratic",
    "table_schedule",
    "schedule_chooser",
    "warmup_explorer",
    "schedule_race",
    "EXPLORERS",
]


# --- the problems ------------------------------------------------------------------------------


class SteepBowl(Problem):
    """A bowl whose walls steepen away from the bottom: f(x) = sum_i (c_i x_i^2 / 2 + x_i^4 / 4).

    grad f = c x + x^3          Hessian = diag(c_i + 3 x_i^2)

    The curvature is c_i at the minimum (0) but grows with the distance from it, like the steep
    early loss landscape of many networks. Gradient descent at rate lr is stable near a point only
    while lr < 2 / sharpness(x), the largest curvature there; that limit is lowest far out, where
    training starts. So a rate that is safe near the minimum can blow up in the first steps, and
    a warmup, which keeps the rate small until the iterate has moved in, lets it through.

    >>> bowl = steep_bowl()
    >>> float(bowl.sharpness(bowl.start)), float(bowl.sharpness(bowl.minimum))
    (28.0, 4.0)
    """

    name = "steep bowl"
    dim = 2

    def __init__(self, curvatures=(1.0, 4.0), start=(3.0, -2.0)):
        self.curvatures = v.positive("curvatures", curvatures)
        if self.curvatures.shape != (2,):
            raise ValueError(f"curvatures must be two numbers, got {self.curvatures.tolist()}")
        self.start = self._params(start).copy()
        self.minimum = np.zeros(2)
        self.min_loss = 0.0
        r = 1.25 * max(np.abs(self.start).max(), 1.0)
        self.bounds = ((-r, r), (-r, r))

    def loss(self, params):
        x = self._params(params)
        return np.sum(self.curvatures * x**2 / 2 + x**4 / 4, axis=-1)

    def grad(self, params):
        x = self._params(params)
        return self.curvatures * x + x**3

    def sharpness(self, params):
        """The largest eigenvalue of the Hessian diag(c_i + 3 x_i^2) at ``params``."""
        x = self._params(params)
        return np.max(self.curvatures + 3 * x**2, axis=-1)


def steep_bowl(curvatures=(1.0, 4.0), start=(3.0, -2.0)):
    """``SteepBowl``: curvature ``curvatures`` at the minimum, far more at ``start``."""
    return SteepBowl(curvatures, start)


class CommonNoiseQuadratic(NoisyQuadratic):
    """A noisy quadratic whose runs share their gradient noise: common random numbers.

    ``params`` of shape (..., seeds, dim) are runs; at every step one noise array of shape
    (seeds, dim) is drawn and added to the gradient of every run, so run (i, s) and run (j, s)
    see exactly the same noise. Compare two schedules on the same seeds and the difference in
    their losses comes from the schedules, not from luck: a fair race needs far fewer seeds.
    Each seed on its own is the ordinary ``noisy_quadratic``.

    >>> q = common_noise_quadratic(curvatures=[1.0, 1.0], sigma=1.0)
    >>> g = q.grad(np.zeros((3, 4, 2)), rng=np.random.default_rng(0))
    >>> bool(np.all(g[0] == g[2])), bool(np.all(g[:, 0] == g[:, 1]))
    (True, False)
    """

    def grad(self, params, rng=None):
        exact = super().grad(params)  # without an rng: the exact gradient H (x - x*)
        if rng is None or exact.ndim < 2:
            return super().grad(params, rng)  # a single run: ordinary noise
        return exact + self.sigma * rng.standard_normal(exact.shape[-2:])


def common_noise_quadratic(curvatures=None, condition=None, sigma=1.0, start=None):
    """``noisy_quadratic`` with noise shared across runs (see ``CommonNoiseQuadratic``)."""
    q = noisy_quadratic(curvatures=curvatures, condition=condition, sigma=sigma, start=start)
    return CommonNoiseQuadratic(q.hessian, q.sigma, start=q.start, eigenvalues=q.eigenvalues)


def table_schedule(table):
    """A schedule that looks its rates up: ``table[..., step]``, with a trailing axis added.

    A sweep of schedules, each evaluated once on every step (``table`` of shape (..., steps)),
    becomes one rate per run, of shape (..., 1), which broadcasts against params of shape
    (..., dim): one batched training run for all of them. Steps past the end keep the last rate.

    >>> table_schedule(np.array([[0.1, 0.2], [0.3, 0.4]]))(1)
    array([[0.2],
           [0.4]])
    """
    table = np.asarray(table, dtype=float)

    def schedule(step):
        return table[..., np.minimum(step, table.shape[-1] - 1)][..., None]

    return schedule


def expected_loss(problem, lr, divergence_factor=1e12):
    """The expected loss E[f(x_t)] of SGD on a noisy quadratic, exactly: no sampling.

    In the eigenbasis of H every coordinate z_i of x - x* moves on its own, and the noise keeps
    variance sigma^2 in every direction, so its second moment s_i = E[z_i^2] obeys

        s_i <- (1 - lr_t lambda_i)^2 s_i + lr_t^2 sigma^2,      E[f(x_t)] = sum_i lambda_i s_i / 2

    (the mean shrinks by the same factor as in gradient descent; the noise adds lr_t^2 sigma^2).
    ``lr`` holds the rate of every step, shape (..., steps): a sweep of schedules at once. Returns
    shape (steps + 1, ...), like ``History.loss``, with NaN from the step a run passes
    ``divergence_factor`` times its first loss (as ``lrcourse.train.run`` stops it). With a
    constant rate s_i settles where (1 - (1 - lr lambda_i)^2) s_i = lr^2 sigma^2: the noise floor
    of ``NoisyQuadratic.noise_floor``.

    >>> q = noisy_quadratic(curvatures=[1.0], sigma=1.0, start=[0.0])
    >>> settled = expected_loss(q, np.full(2000, 0.1))[-1]
    >>> round(float(settled), 6), round(float(q.noise_floor(0.1)), 6)
    (0.026316, 0.026316)
    """
    lr = np.asarray(lr, dtype=float)
    lam, vecs = np.linalg.eigh(problem.hessian)
    z = (problem.start - problem.minimum) @ vecs  # the start in the eigenbasis
    second = np.broadcast_to(z**2, (*lr.shape[:-1], len(lam))).copy()
    out = np.empty((lr.shape[-1] + 1, *lr.shape[:-1]))
    out[0] = second @ lam / 2
    limit = divergence_factor * max(float(np.max(out[0])), 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(lr.shape[-1]):
            rate = lr[..., t, None]
            second = (1 - rate * lam) ** 2 * second + (rate * problem.sigma) ** 2
            out[t + 1] = second @ lam / 2
    lost = np.maximum.accumulate(~(out <= limit), axis=0)  # NaN from the first bad step on
    return np.where(lost, np.nan, out)


def race_problem():
    """The noisy quadratic of the lecture's race: curvatures 0.02 and 1, noise 1, far start.

    Far from its minimum along a flat direction (curvature 0.02), so a schedule has to keep the
    rate high long enough to get there, then bring it down to average the noise out.
    """
    return common_noise_quadratic(curvatures=[0.02, 1.0], sigma=1.0, start=[10.0, 10.0])


# --- schedule_chooser --------------------------------------------------------------------------


def _chooser_menu(horizon):
    """{name: (factory, starting values)}: the schedules of the lecture, on a horizon."""
    return {
        "cosine_decay": (schedules.cosine_decay, {}),
        "cosine_restarts": (
            schedules.cosine_restarts,
            {"period": max(horizon // 10, 1), "period_mult": 2},
        ),
        "cyclic": (schedules.cyclic, {"step_size_up": max(horizon // 10, 1)}),
        "one_cycle": (schedules.one_cycle, {}),
        "warmup_stable_decay": (schedules.warmup_stable_decay, {"shape": "sqrt"}),
        "polynomial_decay": (schedules.polynomial_decay, {}),
        "exponential_decay": (schedules.exponential_decay, {}),
        "step_decay": (schedules.step_decay, {}),
    }


def schedule_chooser(horizon=1000, *, schedule="cosine_decay", warmup_steps=0, log=False):
    """Choose a schedule from a menu; its own parameters become the sliders.

    The sliders come from each factory's signature (``lrcourse.widgets.schedule_controls``), so
    every schedule keeps its own controls, and its settings, while you look at another. The
    ``warmup_steps`` slider puts ``linear_warmup`` in front of whichever schedule is chosen; the
    grey dotted line is then the schedule without it, which the warmup pushes W steps later.
    ``log=True`` draws the rate on a log axis. Controls are named ``"schedule"``,
    ``"warmup_steps"`` and ``"name.parameter"``.

    >>> explorer = schedule_chooser(horizon=200)
    >>> explorer.controls["schedule"].value = "one_cycle"
    >>> explorer.status.value.startswith("one_cycle(max_lr=0.1, total_steps=200, pct_start=0.3")
    True
    """
    menu_items = _chooser_menu(horizon)
    menu = widgets.Dropdown(options=list(menu_items), value=schedule, description="schedule")
    controls = {
        "schedule": menu,
        "warmup_steps": widgets.IntSlider(
            value=warmup_steps,
            min=0,
            max=horizon // 2,
            description="warmup_steps",
            style={"description_width": "initial"},
        ),
    }
    chosen, boxes = {}, {}
    for name, (factory, start) in menu_items.items():
        own, fixed = schedule_controls(factory, horizon, **start)
        chosen[name] = (factory, list(own), fixed)
        controls.update({f"{name}.{param}": control for param, control in own.items()})
        boxes[name] = widgets.HBox(list(own.values()), layout=widgets.Layout(flex_flow="row wrap"))

    def show_chosen(change=None):
        for name, box in boxes.items():
            box.layout.display = "flex" if name == menu.value else "none"

    menu.observe(show_chosen, names="value")
    show_chosen()
    layout = widgets.VBox([widgets.HBox([menu, controls["warmup_steps"]]), *boxes.values()])

    steps = np.arange(horizon)
    fig, (ax,) = figure(width=6.0)
    ax.set(xlabel="step", ylabel="learning rate")
    if log:
        _log_y(ax)
    # A legend drawn once, into the static picture: re-making it on every move costs more than
    # the rest of the update. It names the grey line that appears when there is a warmup.
    ax.legend(
        handles=[
            Line2D([], [], color=plots.COLORS[0], label="the schedule"),
            Line2D([], [], linestyle=":", color="grey", label="without the warmup"),
        ],
        loc="upper right",
    )

    def draw(values):
        name, warmup = values["schedule"], values["warmup_steps"]
        factory, params, fixed = chosen[name]
        kwargs = {param: values[f"{name}.{param}"] for param in params}
        schedule = factory(**kwargs, **fixed)
        call = _call(factory, {**kwargs, **fixed})
        ax.set_title(name)
        if warmup:
            ax.plot(steps, schedule(steps), ":", color="grey")
            schedule = schedules.linear_warmup(schedule, warmup)
            call = f"linear_warmup({call}, warmup_steps={warmup})"
        lr = schedule(steps)
        ax.plot(steps, lr, color=plots.COLORS[0])
        if not log:
            ax.set_ylim(bottom=0)
        top = int(np.argmax(lr))
        return (
            f"{call}: lr {lr[0]:.4g} at step 0, peak {lr[top]:.4g} at step {top}, "
            f"{lr[-1]:.4g} at step {horizon - 1}"
        )

    return Explorer(controls, draw, fig, title="schedule_chooser", layout=layout)


# --- warmup_explorer ---------------------------------------------------------------------------


def warmup_explorer(lr=0.4, warmup_steps=10, steps=60, *, problem=None):
    """Warmup on the steep bowl: the path, and the rate against the local limit 2 / sharpness.

    Gradient descent at rate lr is locally stable only while lr < 2 / sharpness(x). On the steep
    bowl that limit is lowest at the start and rises as the iterate moves in. A constant peak
    rate starts far above it and blows up; a linear warmup keeps the rate under the limit until
    the limit has risen above the peak.

    >>> explorer = warmup_explorer(steps=40)
    >>> explorer.controls["warmup_steps"].value = 0
    >>> explorer.status.value
    'peak lr 0.4, no warmup: diverged at step 3'
    """
    problem = steep_bowl() if problem is None else problem
    steps = v.positive_int("steps", steps)
    fig, (ax_path, ax_lr) = figure(2)
    plots.contours(ax_path, problem)
    ax_path.set_title(f"gradient descent on the {problem.name}")
    ax_path.legend(loc="upper right", frameon=True)
    ax_lr.set(xlabel="step", ylabel="rate", title="the rate and the limit 2 / sharpness")
    _log_y(ax_lr)
    ax_lr.set(xlim=(0, steps), ylim=(1e-3, 20.0))  # fixed: every setting fits, nothing jumps
    ax_lr.legend(
        handles=[
            Line2D([], [], color=plots.COLORS[0], label="learning rate"),
            Line2D([], [], linestyle="--", color=plots.COLORS[1], label="2 / sharpness"),
        ],
        loc="lower right",
    )
    style = {"description_width": "initial"}
    controls = {
        "lr": log_slider(lr, 1e-2, 2.0, description="peak lr"),
        "warmup_steps": widgets.IntSlider(
            value=warmup_steps, min=0, max=steps, description="warmup_steps", style=style
        ),
    }
    t = np.arange(steps)

    def draw(values):
        peak, warmup = values["lr"], values["warmup_steps"]
        if warmup:
            schedule, label = schedules.linear_warmup(peak, warmup), f"warmup {warmup} steps"
        else:
            schedule, label = schedules.constant(peak), "no warmup"
        history = run(sgd(lr=schedule), problem, problem.start, steps)
        plots.trajectory(ax_path, history, label=label, color=plots.COLORS[0])
        limit = 2 / problem.sharpness(history.params[:-1])  # NaN once the run has diverged
        ax_lr.plot(t, history.lr, color=plots.COLORS[0])
        ax_lr.plot(t, limit, "--", color=plots.COLORS[1])
        if history.diverged:
            outcome = f"diverged at step {history.diverged_at}"
        else:
            outcome = f"loss {history.loss[-1]:.3g} after {steps} steps"
        return f"peak lr {peak:.3g}, {label}: {outcome}"

    return Explorer(controls, draw, fig, title="warmup_explorer")


# --- schedule_race -----------------------------------------------------------------------------

RACE = (
    (schedules.cosine_decay, {}),
    (schedules.warmup_stable_decay, {"warmup_steps": 0, "shape": "sqrt"}),
    (schedules.one_cycle, {}),
)


def schedule_race(*entries, horizon=700, problem=None):
    """Schedules side by side, each with its own controls, racing on a noisy quadratic.

    ``entries`` are schedule factories or ``(factory, {name: starting value})`` pairs (default:
    cosine decay, WSD with a 1 - sqrt cooldown, one-cycle). Every schedule trains SGD from the
    same start on ``race_problem()``; the right panel shows each one's expected loss, computed
    exactly (``expected_loss``), so a slider move shows the schedule's effect, not the luck of a
    few seeds. Controls are named ``"label.parameter"``, as in
    ``lrcourse.widgets.compare_explorer``.

    >>> explorer = schedule_race(horizon=100)
    >>> sorted(explorer.controls)[:2]
    ['cosine_decay.lr', 'cosine_decay.min_lr']
    """
    entries = entries or RACE
    problem = race_problem() if problem is None else problem
    horizon = v.positive_int("horizon", horizon)
    racers, columns, controls = {}, [], {}
    for entry in entries:
        factory, start = entry if isinstance(entry, tuple) else (entry, {})
        label, n = factory.__name__, 2
        while label in racers:
            label, n = f"{factory.__name__} {n}", n + 1
        own, fixed = schedule_controls(factory, horizon, **start)
        racers[label] = (factory, list(own), fixed)
        controls.update({f"{label}.{name}": control for name, control in own.items()})
        header = widgets.HTML(f"<b>{html.escape(label)}</b>")
        columns.append(widgets.VBox([header, *own.values()]))

    fig, (ax_lr, ax_loss) = figure(2)
    # Fixed limits and legends, drawn once: a slider move then repaints only the curves.
    ax_lr.set(xlabel="step", ylabel="learning rate", title="the schedules", xlim=(0, horizon))
    _log_y(ax_lr)
    ax_lr.set_ylim(1e-6, 10.0)
    ax_loss.set(xlabel="step", ylabel="expected loss", xlim=(0, horizon))
    ax_loss.set_title(f"SGD on the {problem.name}")
    _log_y(ax_loss)
    start_loss = float(problem.loss(problem.start))
    ax_loss.set_ylim(start_loss * 1e-5, start_loss * 10)
    handles = [
        Line2D([], [], color=plots.COLORS[i % len(plots.COLORS)], label=label)
        for i, label in enumerate(racers)
    ]
    ax_lr.legend(handles=handles, loc="lower left")
    steps = np.arange(horizon)

    def draw(values):
        built = {
            label: factory(**{name: values[f"{label}.{name}"] for name in names}, **fixed)
            for label, (factory, names, fixed) in racers.items()
        }
        table = np.stack([np.broadcast_to(s(steps), steps.shape) for s in built.values()])
        losses = expected_loss(problem, table)  # (horizon + 1, schedules)
        outcomes = []
        for i, label in enumerate(built):
            curve, color = losses[:, i], plots.COLORS[i % len(plots.COLORS)]
            diverged = np.isnan(curve[-1])
            ax_lr.plot(steps, table[i], color=color)
            ax_loss.plot(np.arange(horizon + 1), curve, "--" if diverged else "-", color=color)
            outcomes.append(f"{label}: " + ("diverged" if diverged else f"{curve[-1]:.3g}"))
        return "final expected loss: " + "; ".join(outcomes)

    layout = widgets.HBox(columns, layout=widgets.Layout(justify_content="space-around"))
    return Explorer(controls, draw, fig, title="schedule_race", layout=layout)


EXPLORERS = {
    "schedule_chooser": schedule_chooser,
    "warmup_explorer": warmup_explorer,
    "schedule_race": schedule_race,
}
