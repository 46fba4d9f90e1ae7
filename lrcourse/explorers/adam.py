"""Lecture 10, Adam, bias correction, AdamW and AMSGrad: helpers, counterexamples, explorers.

    bias_correction_factor(t, betas)       the uncorrected step over the corrected one, at step t
    uncorrected_adam(lr, betas, eps)       Adam with both bias corrections dropped
    keras_adam(lr, betas, epsilon)         Keras's Adam: its epsilon is added before the correction
    scaled(problem, factors)               a problem whose loss (so every gradient) is multiplied
                                           by a factor, one per run of a batched sweep
    inverse_sqrt(lr)                       the schedule lr / sqrt(step + 1) of the online proofs
    counterexample_gradients(steps, C)     the gradients of Reddi et al.'s online problem
    online_counterexample(...)             that problem on [-1, 1], run with Adam or AMSGrad
    decay_example(opt, scales, steps)      weights whose data gradients alternate in sign, with a
                                           size of their own, under an optimizer's weight decay

Explorers (each returns a ``lrcourse.widgets.Explorer``; ``EXPLORERS`` lists them):

    bias_correction_explorer()   beta sliders: the first steps of Adam with and without correction
    adam_explorer()              lr, beta1, beta2 and eps: the path, the loss, and the limit of a
                                 large eps, SGD with momentum at rate lr / eps
    weight_decay_explorer()      lr and weight decay: L2 inside Adam against AdamW's decay
    adam_race()                  momentum, Adam, AMSGrad and NAdam on one landscape
                                 (``optimizer_race`` from lecture 07)
"""

import ipywidgets as widgets
import matplotlib.ticker
import numpy as np
from matplotlib.lines import Line2D

from lrcourse import _validate as v
from lrcourse import optimizers, plots
from lrcourse.explorers.momentum import optimizer_race
from lrcourse.problems import Problem, quadratic, rosenbrock
from lrcourse.train import run
from lrcourse.widgets import Explorer, figure, log_slider

__all__ = [
    "bias_correction_factor",
    "uncorrected_adam",
    "keras_adam",
    "Scaled",
    "scaled",
    "inverse_sqrt",
    "counterexample_gradients",
    "online_counterexample",
    "decay_example",
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


def bias_correction_factor(t, betas=(0.9, 0.999)):
    """How many times larger Adam's step is with both bias corrections dropped, at step t.

    For the same gradients, the corrected step is lr * m_hat / sqrt(v_hat) with
    m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t); the uncorrected step is
    lr * m / sqrt(v). Their ratio (eps neglected) is

        uncorrected / corrected = (1 - beta1**t) / sqrt(1 - beta2**t)          (t = 1, 2, ...)

    Dropping the first correction alone makes the step (1 - beta1**t) times too small, dropping
    the second alone 1 / sqrt(1 - beta2**t) times too large; together the second wins whenever
    beta2 > beta1, early on.

    >>> round(float(bias_correction_factor(1)), 4)                # 0.1 / sqrt(0.001)
    3.1623
    >>> bias_correction_factor(np.array([12, 100, 1000])).round(2)
    array([6.57, 3.24, 1.26])
    """
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer) or np.any(t < 1):
        raise ValueError(f"t must be an integer >= 1 (the first update is t = 1), got {t!r}")
    beta1, beta2 = _betas(betas)
    return (1 - beta1**t) / np.sqrt(1 - beta2**t)


def uncorrected_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Adam with both bias corrections dropped, for comparison with ``optimizers.adam``.

    m      = beta1 * m + (1 - beta1) * g
    v      = beta2 * v + (1 - beta2) * g**2
    params = params - lr * m / (sqrt(v) + eps)

    Its first step is lr * (1 - beta1) / sqrt(1 - beta2), 3.16 lr at the default betas, where
    Adam's is lr. Kingma and Ba (2015) name the missing correction as one difference from
    RMSProp with momentum; the other is where the momentum sits (here on the raw gradients,
    there on the rescaled ones). State: ``optimizers.AdamState``.

    >>> opt = uncorrected_adam(lr=0.1)
    >>> opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.zeros(1)))[0].round(4)
    array([0.6838])
    """
    lr = optimizers._lr(lr)
    beta1, beta2 = _betas(betas)
    eps = v.non_negative("eps", eps)

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return optimizers.AdamState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params, g = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        params = params - lr(state.step) * exp_avg / (np.sqrt(exp_avg_sq) + eps)
        return params, optimizers.AdamState(
            state.step + 1, exp_avg, exp_avg_sq, state.max_exp_avg_sq
        )

    return optimizers.Optimizer(init, step, lr)


def keras_adam(lr=1e-3, betas=(0.9, 0.999), epsilon=1e-7):
    """Keras's Adam, whose epsilon is added to sqrt(v) before the bias correction.

    lr_t   = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
    params = params - lr_t * m / (sqrt(v) + epsilon)          (m, v as in Adam; t = 1, 2, ...)

    Rearranged, this is PyTorch's Adam with eps = epsilon / sqrt(1 - beta2**t), an eps that is
    31.6 times larger at the first step (beta2 = 0.999) and shrinks to epsilon: the "epsilon
    hat" of Kingma and Ba's paper. Keras: ``keras.optimizers.Adam(epsilon=1e-7)``.

    >>> opt = keras_adam(lr=1e-3)
    >>> g = np.array([1e-6, 1e-3, 1.0])
    >>> (opt.step(np.zeros(3), g, opt.init(np.zeros(3)))[0] * -1e4).round(4)   # in 1e-4 units
    array([ 2.4025,  9.9685, 10.    ])
    """
    lr = optimizers._lr(lr)
    beta1, beta2 = _betas(betas)
    epsilon = v.non_negative("epsilon", epsilon)

    def init(params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return optimizers.AdamState(0, zeros, zeros, zeros)

    def step(params, grads, state):
        params, g = np.asarray(params, dtype=float), np.asarray(grads, dtype=float)
        t = state.step + 1
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        lr_t = lr(state.step) * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        params = params - lr_t * exp_avg / (np.sqrt(exp_avg_sq) + epsilon)
        return params, optimizers.AdamState(t, exp_avg, exp_avg_sq, state.max_exp_avg_sq)

    return optimizers.Optimizer(init, step, lr)


class Scaled(Problem):
    """``problem`` with its loss, so its gradient at every point, multiplied by ``factors``.

    ``factors`` has one number per run of a batched sweep (shape (runs,), against params of
    shape (runs, dim)), so one call to ``run`` trains on the problem at many scales at once: an
    optimizer whose path does not change is invariant to the scale of the gradients.

    >>> from lrcourse.problems import quadratic
    >>> s = scaled(quadratic(curvatures=[1.0, 2.0]), [1.0, 1000.0])
    >>> s.grad(np.ones((2, 2))).tolist()
    [[1.0, 2.0], [1000.0, 2000.0]]
    """

    def __init__(self, problem, factors):
        self.problem = problem
        self.factors = v.positive("factors", factors)
        self.name = f"{problem.name}, scaled"
        self.dim, self.start, self.bounds = problem.dim, problem.start, problem.bounds
        self.minimum = problem.minimum
        self.min_loss = None if problem.min_loss is None else 0.0 * problem.min_loss

    def loss(self, params):
        return self.factors * self.problem.loss(params)

    def grad(self, params):
        return self.factors[..., None] * self.problem.grad(params)


scaled = Scaled


# --- AMSGrad and Reddi et al.'s counterexample -------------------------------------------------


def inverse_sqrt(lr):
    """The schedule lr / sqrt(t), t = step + 1: the step size of online convex optimization.

    >>> inverse_sqrt(0.5)(np.arange(4)).round(4)
    array([0.5   , 0.3536, 0.2887, 0.25  ])
    """
    lr = v.positive("lr", lr)

    def schedule(step):
        return lr / np.sqrt(v.steps(step) + 1.0)

    return schedule


def counterexample_gradients(steps, C=3.0):
    """The gradients of f_t(x) = C x (t mod 3 == 1) or -x (otherwise), t = 1, ..., steps.

    >>> counterexample_gradients(6)
    array([ 3., -1., -1.,  3., -1., -1.])
    """
    t = np.arange(1, v.positive_int("steps", steps) + 1)
    return np.where(t % 3 == 1, float(v.positive("C", C)), -1.0)


def online_counterexample(
    amsgrad=False, C=3.0, steps=1500, alpha=0.5, beta2=None, starts=(-1.0, 0.0, 1.0)
):
    """Reddi, Kale and Kumar's (2018) online problem, run with ``optimizers.adam``.

    At step t = 1, 2, ... the loss is f_t(x) = C x if t mod 3 == 1, else -x, on x in [-1, 1].
    Over each cycle of three steps the losses add up to (C - 2) x, so for C > 2 the best point
    is x = -1. The optimizer sees the gradient C or -1, takes one step with the step size
    alpha / sqrt(t), and x is projected back onto [-1, 1] (clipped). beta1 = 0, and beta2
    defaults to 1 / (1 + C**2), the paper's choice: then v forgets the rare large gradient so
    quickly that the two small ones, each normalised to a full step, win, and Adam drifts to
    the worst point, +1. AMSGrad divides by the largest v seen so far and goes to -1.

    Returns the positions, shape (steps + 1, len(starts)): one column per starting point, all
    run at once.

    >>> x = online_counterexample(steps=300)
    >>> x[-3:].mean(axis=0).round(2), online_counterexample(True, steps=300)[-3:].mean(0).round(2)
    (array([0.99, 0.99, 0.99]), array([-0.99, -0.99, -0.99]))
    """
    C = float(v.positive("C", C))
    steps = v.positive_int("steps", steps)
    beta2 = 1 / (1 + C**2) if beta2 is None else beta2
    opt = optimizers.adam(lr=inverse_sqrt(alpha), betas=(0.0, beta2), amsgrad=v.flag("a", amsgrad))
    x = v.as_float_array("starts", starts).reshape(-1)
    if np.any(np.abs(x) > 1):
        raise ValueError(f"starts must lie in [-1, 1], got {starts!r}")
    state, path = opt.init(x), [x]
    for g in counterexample_gradients(steps, C):
        x, state = opt.step(x, np.full_like(x, g), state)
        x = np.clip(x, -1.0, 1.0)  # the projection onto the feasible set
        path.append(x)
    return np.array(path)


# --- weight decay: L2 inside Adam against AdamW ------------------------------------------------


def decay_example(opt, scales=(10.0, 1.0, 0.1, 0.0), steps=1000, w0=1.0):
    """Weights that only weight decay should shrink, under ``opt``: returns (steps + 1, ..., n).

    Weight i gets the data gradient scales[i] * (-1)**k at step k: a gradient of a fixed size
    that points back and forth, as a mini-batch gradient does around a minimum, with no pull
    in either direction on average. Whatever shrinks the weights is the optimizer's weight
    decay. With L2 inside Adam the decay term wd * w is divided by about sqrt(v) ~ scales[i], so
    a weight with large gradients is barely decayed and one with none is pulled to 0 at a full
    step per update; AdamW multiplies every weight by (1 - lr * wd) per step.

    >>> w = decay_example(optimizers.adamw(lr=0.01, weight_decay=0.1), steps=100)
    >>> float(w[-1, -1].round(6)) == round(0.999**100, 6)       # no gradient: pure decay
    True
    """
    scales = v.as_float_array("scales", scales)
    steps = v.positive_int("steps", steps)
    w = np.full(np.shape(scales), float(w0))
    state, path = opt.init(w), [w]
    for k in range(steps):
        w, state = opt.step(w, scales * (-1.0) ** k, state)
        path.append(w)
    return np.array(path)


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
    styles = [dict(color=plots.COLORS[i]) for i in range(len(_SCALES))]
    _static_legend(axes[1], labels, [*styles, dict(color="black", ls=":")], loc="lower left")
    k = np.arange(steps + 1)
    scales = np.array(_SCALES)

    def draw(values):
        lr, wd = values["lr"], values["weight_decay"]
        finals = []
        for ax, make in zip(axes, (optimizers.adam, optimizers.adamw)):
            w = decay_example(make(lr=lr, weight_decay=wd), scales, steps)
            for i in range(len(_SCALES)):
                ax.plot(k, w[:, i], color=plots.COLORS[i])
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
