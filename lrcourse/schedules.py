"""Learning-rate schedules as pure functions of the step.

A schedule is a function ``schedule(step) -> lr``. ``step`` counts updates from 0 (step 0 is the
first update) and may be an int or an integer array; the result is float64 with the same shape
(a NumPy float for an int). Factories such as ``cosine_decay(lr=0.1, total_steps=1000)`` build them.

Why pure functions? A schedule with no hidden state gives the same answer however often you call
it, so plotting a schedule cannot change the one used for training (PyTorch's schedulers are
objects that advance when ``.step()`` is called: plot one and you have consumed it). Branches are
written with ``np.minimum``, ``np.maximum`` and ``np.where`` so that a whole horizon, or a whole
sweep, evaluates in one call: hyperparameters broadcast, so ``cosine_decay(lr=np.c_[[0.1, 0.3]],
total_steps=100)(np.arange(100))`` has shape (2, 100).

The one exception is ``ReduceOnPlateau``: it reacts to a measured metric, which is not a function
of the step, so it has to remember what it has seen.
"""

import numpy as np

from lrcourse import _validate as v

__all__ = [
    "constant",
    "step_decay",
    "multistep_decay",
    "exponential_decay",
    "inverse_time_decay",
    "polynomial_decay",
    "cosine_decay",
    "linear_warmup",
    "cosine_restarts",
    "restart_position",
    "cyclic",
    "one_cycle",
    "one_cycle_ends",
    "phases",
    "one_cycle_momentum",
    "cyclic_momentum",
    "warmup_stable_decay",
    "join",
    "as_schedule",
    "ReduceOnPlateau",
    "warmup_decay",
    "inverse_sqrt",
    "stack",
]


def constant(lr):
    """The same learning rate at every step.

    lr_t = lr

    PyTorch: no scheduler (or ``ConstantLR(factor=1)``); Optax: ``constant_schedule(value)``;
    Keras: pass a float as ``learning_rate``.

    >>> constant(0.1)(np.arange(3))
    array([0.1, 0.1, 0.1])
    """
    lr = v.positive("lr", lr)

    def schedule(step):
        return lr * np.ones_like(v.steps(step), dtype=float)

    return schedule


def step_decay(lr, step_size, gamma=0.1):
    """Multiply the rate by ``gamma`` every ``step_size`` steps.

    lr_t = lr * gamma ** floor(t / step_size)

    PyTorch: ``StepLR(step_size, gamma)``; Optax: ``exponential_decay(lr,
    transition_steps=step_size, decay_rate=gamma, staircase=True)``; Keras:
    ``ExponentialDecay(lr, step_size, gamma, staircase=True)``.

    >>> step_decay(1.0, step_size=2, gamma=0.5)(np.arange(6))
    array([1.  , 1.  , 0.5 , 0.5 , 0.25, 0.25])
    """
    lr = v.positive("lr", lr)
    step_size = v.positive_int("step_size", step_size)
    gamma = v.in_range("gamma", gamma, 0, 1, low_open=True, high_open=False)

    def schedule(step):
        return lr * gamma ** (v.steps(step) // step_size)

    return schedule


def multistep_decay(lr, milestones, gamma=0.1):
    """Multiply the rate by ``gamma`` at each milestone step.

    lr_t = lr * gamma ** (number of milestones <= t)

    The change happens *at* the milestone: with milestones=[3], steps 0, 1, 2 use lr and step 3
    uses lr * gamma.

    PyTorch: ``MultiStepLR(milestones, gamma)``; Optax: ``piecewise_constant_schedule(lr,
    {m: gamma for m in milestones})``; Keras: ``PiecewiseConstantDecay(boundaries, values)``, which
    changes one step *after* each boundary.

    >>> multistep_decay(1.0, milestones=[2, 4], gamma=0.1)(np.arange(6))
    array([1.  , 1.  , 0.1 , 0.1 , 0.01, 0.01])
    """
    lr = v.positive("lr", lr)
    gamma = v.in_range("gamma", gamma, 0, 1, low_open=True, high_open=False)
    milestones = v.increasing_ints("milestones", milestones)
    if not milestones:
        raise ValueError("milestones must be a non-empty list of increasing integers, got []")
    edges = np.array(milestones)

    def schedule(step):
        passed = np.searchsorted(edges, v.steps(step), side="right")
        return lr * gamma**passed

    return schedule


def exponential_decay(lr, gamma, decay_steps=1, staircase=False):
    """Multiply the rate by ``gamma`` every ``decay_steps`` steps, smoothly.

    lr_t = lr * gamma ** (t / decay_steps)          (t / decay_steps floored if staircase)

    PyTorch: ``ExponentialLR(gamma)`` is decay_steps=1; Optax: ``exponential_decay(lr,
    transition_steps=decay_steps, decay_rate=gamma, staircase)``; Keras: ``ExponentialDecay(lr,
    decay_steps, decay_rate=gamma, staircase)``.

    >>> exponential_decay(1.0, gamma=0.5, decay_steps=2)(np.arange(5)).round(4)
    array([1.    , 0.7071, 0.5   , 0.3536, 0.25  ])
    """
    lr = v.positive("lr", lr)
    gamma = v.in_range("gamma", gamma, 0, 1, low_open=True, high_open=False)
    decay_steps = v.positive_int("decay_steps", decay_steps)
    staircase = v.flag("staircase", staircase)

    def schedule(step):
        t = v.steps(step) / decay_steps
        return lr * gamma ** (np.floor(t) if staircase else t)

    return schedule


def inverse_time_decay(lr, decay_rate, decay_steps=1, staircase=False):
    """Decay like 1/t: fast at first, then ever more slowly.

    lr_t = lr / (1 + decay_rate * t / decay_steps)   (t / decay_steps floored if staircase)

    This is the decay the convergence theory of SGD asks for (Robbins and Monro 1951).
    PyTorch: ``LambdaLR(lambda t: 1 / (1 + decay_rate * t))``; Optax: no built-in (use
    ``lambda t: lr / (1 + decay_rate * t)``); Keras: ``InverseTimeDecay(lr, decay_steps,
    decay_rate, staircase)``.

    >>> inverse_time_decay(1.0, decay_rate=1.0)(np.arange(4)).round(4)
    array([1.    , 0.5   , 0.3333, 0.25  ])
    """
    lr = v.positive("lr", lr)
    decay_rate = v.positive("decay_rate", decay_rate)
    decay_steps = v.positive_int("decay_steps", decay_steps)
    staircase = v.flag("staircase", staircase)

    def schedule(step):
        t = v.steps(step) / decay_steps
        return lr / (1 + decay_rate * (np.floor(t) if staircase else t))

    return schedule


def polynomial_decay(lr, total_steps, power=1.0, end_lr=0.0):
    """Decay along (1 - t/T) ** power to ``end_lr`` at step T, then hold.

    lr_t = end_lr + (lr - end_lr) * (1 - min(t, T) / T) ** power

    power=1 is linear decay to zero, which Bergsma et al. (2025) find beats cosine for training
    large language models.
    PyTorch: ``PolynomialLR(total_iters=T, power)`` (end_lr 0 only); Optax:
    ``polynomial_schedule(lr, end_lr, power, transition_steps=T)``; Keras: ``PolynomialDecay(lr,
    decay_steps=T, end_learning_rate=end_lr, power)`` (whose default end_learning_rate is 1e-4).

    >>> polynomial_decay(1.0, total_steps=4)(np.arange(6))
    array([1.  , 0.75, 0.5 , 0.25, 0.  , 0.  ])
    """
    lr = v.positive("lr", lr)
    total_steps = v.positive_int("total_steps", total_steps)
    power = v.positive("power", power)
    end_lr = v.non_negative("end_lr", end_lr)

    def schedule(step):
        t = np.minimum(v.steps(step), total_steps)
        return end_lr + (lr - end_lr) * (1 - t / total_steps) ** power

    return schedule


def _cosine(start, end, fraction):
    """Half a cosine from ``start`` (fraction 0) down to ``end`` (fraction 1)."""
    return end + (start - end) * (1 + np.cos(np.pi * fraction)) / 2


def cosine_decay(lr, total_steps, min_lr=0.0):
    """Follow half a cosine from ``lr`` down to ``min_lr`` at step T, then hold.

    lr_t = min_lr + (lr - min_lr) * (1 + cos(pi * min(t, T) / T)) / 2

    Deliberate difference from PyTorch: ``CosineAnnealingLR(T_max=T, eta_min=min_lr)`` is not
    clamped; it is periodic with period 2T and climbs back to ``lr`` at step 2T, which is almost
    never what a training run that outlives its horizon wants. Up to step T the two agree.
    Optax: ``cosine_decay_schedule(lr, decay_steps=T, alpha=min_lr / lr)``; Keras:
    ``CosineDecay(lr, decay_steps=T, alpha=min_lr / lr)``; both clamp, like this one.

    >>> cosine_decay(1.0, total_steps=4)(np.arange(6)).round(4)
    array([1.    , 0.8536, 0.5   , 0.1464, 0.    , 0.    ])
    """
    lr = v.positive("lr", lr)
    total_steps = v.positive_int("total_steps", total_steps)
    min_lr = v.non_negative("min_lr", min_lr)

    def schedule(step):
        return _cosine(lr, min_lr, np.minimum(v.steps(step), total_steps) / total_steps)

    return schedule


def as_schedule(lr, name="lr"):
    """A schedule from a schedule (unchanged) or a number (held constant).

    ``name`` is the argument's name in error messages.

    >>> float(as_schedule(0.1)(2))
    0.1
    """
    if callable(lr):
        return lr
    v.positive(name, lr)  # a bad value is reported under the caller's argument name
    return constant(lr)


def linear_warmup(schedule, warmup_steps, start_factor=0.0):
    """Ramp linearly up to ``schedule`` over ``warmup_steps`` steps, then follow it.

    lr_t = schedule(0) * (start_factor + (1 - start_factor) * t / W)     for t < W
    lr_t = schedule(t - W)                                              for t >= W

    The schedule behind the warmup starts counting at step W, so ``linear_warmup(cosine_decay(lr,
    T), W)`` runs W + T steps in all. With start_factor=0 the first update has lr 0 (like Optax's
    warmup schedules with init_value=0); PyTorch's ``LinearLR`` requires start_factor > 0.
    PyTorch: ``SequentialLR([LinearLR(start_factor, 1.0, total_iters=W), after], milestones=[W])``;
    Optax: ``join_schedules([linear_schedule(0, lr, W), after], [W])``, or
    ``warmup_cosine_decay_schedule``, whose decay_steps *include* the warmup; Keras:
    ``CosineDecay(warmup_target=lr, warmup_steps=W)``, whose decay_steps *exclude* it.

    >>> linear_warmup(constant(1.0), warmup_steps=4)(np.arange(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    """
    schedule = as_schedule(schedule, "schedule")
    warmup_steps = v.positive_int("warmup_steps", warmup_steps)
    start_factor = v.in_range("start_factor", start_factor, 0, 1, high_open=False)
    peak = schedule(0)

    def warmed(step):
        t = v.steps(step)
        fraction = np.minimum(t, warmup_steps) / warmup_steps
        ramp = peak * (start_factor + (1 - start_factor) * fraction)
        # [()] turns np.where's 0-d array into a NumPy float, as the other schedules return.
        return np.where(t < warmup_steps, ramp, schedule(np.maximum(t - warmup_steps, 0)))[()]

    return warmed


def restart_position(t, period, period_mult):
    """Where step t sits in SGDR's cycles: (steps into the current cycle, its length).

    Cycle i lasts period * period_mult**i steps, so it starts at period * (m**i - 1) / (m - 1).
    The starts are listed in exact integer arithmetic up to the last step asked for, and a binary
    search finds each step's cycle: no logarithm, so no rounding can put a step on the wrong side
    of a restart, however far out.

    >>> t_cur, t_i = restart_position(np.arange(7), period=1, period_mult=2)  # cycles 1, 2, 4
    >>> t_cur.tolist(), t_i.tolist()
    ([0, 0, 1, 0, 1, 2, 3], [1, 2, 2, 4, 4, 4, 4])
    """
    if period_mult == 1:
        return t % period, np.full(t.shape, period)
    starts, lengths = [0], [period]
    while starts[-1] + lengths[-1] <= t.max(initial=0):
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * period_mult)
    cycle = np.searchsorted(starts, t, side="right") - 1
    return t - np.array(starts)[cycle], np.array(lengths)[cycle]


def cosine_restarts(lr, period, period_mult=1, min_lr=0.0):
    """Cosine decay that restarts from ``lr``, each cycle ``period_mult`` times longer (SGDR).

    lr_t = min_lr + (lr - min_lr) * (1 + cos(pi * t_cur / T_i)) / 2

    where T_i = period * period_mult**i is the length of the current cycle and t_cur counts steps
    since it began. Loshchilov and Hutter (2017), "SGDR: stochastic gradient descent with warm
    restarts".
    PyTorch: ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult, eta_min=min_lr)``;
    Optax: ``sgdr_schedule`` (a list of cycles); Keras: ``CosineDecayRestarts(lr,
    first_decay_steps=period, t_mul=period_mult, alpha=min_lr / lr)``.

    >>> cosine_restarts(1.0, period=2, period_mult=2)(np.arange(8)).round(4)
    array([1.    , 0.5   , 1.    , 0.8536, 0.5   , 0.1464, 1.    , 0.9619])
    """
    lr = v.positive("lr", lr)
    period = v.positive_int("period", period)
    period_mult = v.positive_int("period_mult", period_mult)
    min_lr = v.non_negative("min_lr", min_lr)

    def schedule(step):
        t_cur, t_i = restart_position(v.steps(step).astype(np.int64), period, period_mult)
        return _cosine(lr, min_lr, t_cur / t_i)

    return schedule


def cyclic(base_lr, max_lr, step_size_up, step_size_down=None, mode="triangular", gamma=1.0):
    """Cycle linearly between ``base_lr`` and ``max_lr`` (Smith 2017, cyclical learning rates).

    Each cycle climbs for ``step_size_up`` steps and falls for ``step_size_down``. The height of
    the triangle is scaled: by 1 ("triangular"), halved every cycle ("triangular2"), or by
    gamma**t ("exp_range", t the total step count).

    x = position within the cycle in [0, 1); r = up / (up + down)
    lr_t = base_lr + (max_lr - base_lr) * scale * (x / r if x <= r else (1 - x) / (1 - r))

    PyTorch: ``CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``, which by
    default also cycles the momentum (``cyclic_momentum``); Optax and Keras: none.

    >>> cyclic(0.1, 0.5, step_size_up=2)(np.arange(6)).round(4)
    array([0.1, 0.3, 0.5, 0.3, 0.1, 0.3])
    """
    base_lr = v.positive("base_lr", base_lr)
    max_lr = v.positive("max_lr", max_lr)
    if np.any(max_lr < base_lr):
        raise ValueError(f"max_lr must be >= base_lr ({v._show(base_lr)}), got {v._show(max_lr)}")
    step_size_up = v.positive_int("step_size_up", step_size_up)
    step_size_down = step_size_up if step_size_down is None else step_size_down
    step_size_down = v.positive_int("step_size_down", step_size_down)
    mode = v.one_of("mode", mode, ("triangular", "triangular2", "exp_range"))
    gamma = v.in_range("gamma", gamma, 0, 1, low_open=True, high_open=False)
    total = step_size_up + step_size_down
    ratio = step_size_up / total

    def schedule(step):
        t = v.steps(step)
        # The same float arithmetic as PyTorch, so the two agree to the last bits.
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / 2.0 ** (cycle - 1)
        else:
            scale = gamma**t
        return base_lr + (max_lr - base_lr) * height * scale

    return schedule


def one_cycle(
    max_lr,
    total_steps,
    pct_start=0.3,
    anneal="cos",
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
):
    """One cycle: warm up to ``max_lr``, then anneal far below the start (Smith and Topin 2019).

    initial = max_lr / div_factor,  final = initial / final_div_factor
    two phases:   initial -> max_lr over steps [0, p], then max_lr -> final over [p, T - 1]
    three phases: initial -> max_lr over [0, p], max_lr -> initial over [p, 2p - 1],
                  then initial -> final over [2p - 1, T - 1]
    with p = pct_start * T - 1, and each phase following half a cosine (anneal="cos") or a line.

    The last update is step T - 1, which uses exactly ``final``. Deliberate difference from
    PyTorch: ``OneCycleLR`` extrapolates past its last phase at step T (with linear annealing the
    rate turns negative) and raises beyond it; here the rate holds at ``final`` from T - 1 on.
    PyTorch: ``OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
    final_div_factor, three_phase)`` (its momentum: ``one_cycle_momentum``); Optax:
    ``cosine_onecycle_schedule``
    (which peaks one step later); Keras: none.

    >>> schedule = one_cycle(1.0, total_steps=5, pct_start=0.4, anneal="linear")
    >>> [round(float(lr), 6) for lr in schedule(np.arange(6))]
    [0.04, 1.0, 0.666668, 0.333336, 4e-06, 4e-06]
    """
    max_lr = v.positive("max_lr", max_lr)
    total_steps = v.positive_int("total_steps", total_steps, minimum=2)
    pct_start = v.in_range("pct_start", pct_start, 0, 1, low_open=True, high_open=True)
    anneal = v.one_of("anneal", anneal, ("cos", "linear"))
    div_factor = v.positive("div_factor", div_factor)
    final_div_factor = v.positive("final_div_factor", final_div_factor)
    three_phase = v.flag("three_phase", three_phase)
    initial = max_lr / div_factor
    final = initial / final_div_factor
    levels = [initial, max_lr, initial, final] if three_phase else [initial, max_lr, final]
    return phases(levels, one_cycle_ends(total_steps, pct_start, three_phase), anneal)


def one_cycle_ends(total_steps, pct_start, three_phase):
    """The steps at which one-cycle's phases end: [p, T - 1], or [p, 2p - 1, T - 1] with three.

    p = pct_start * T - 1 (PyTorch's ``OneCycleLR``; p need not be a whole step).

    >>> one_cycle_ends(10, 0.3, three_phase=True)
    [2.0, 4.0, 9]
    """
    peak = float(pct_start) * total_steps - 1
    if three_phase:
        ends = [peak, 2 * float(pct_start) * total_steps - 2, total_steps - 1]
    else:
        ends = [peak, total_steps - 1]
    if not all(b > a for a, b in zip([0.0, *ends], ends)):
        raise ValueError(
            f"pct_start={float(pct_start)} leaves a phase of no steps with total_steps="
            f"{total_steps}; allowed: pct_start * total_steps > 1"
            + (" and < total_steps / 2 + 0.5 with three_phase" if three_phase else "")
        )
    return ends


def phases(levels, ends, anneal="cos"):
    """Move from ``levels[i]`` to ``levels[i + 1]`` during phase i, which ends at ``ends[i]``.

    phase 0 runs from step 0 to ends[0], phase i from ends[i - 1] to ends[i]; within a phase
    the value follows half a cosine (anneal="cos") or a line, and after ``ends[-1]`` it holds
    the last level. The building block of ``one_cycle`` and ``one_cycle_momentum``.

    >>> phases([0.0, 1.0, 0.0], [2, 4], anneal="linear")(np.arange(6))
    array([0. , 0.5, 1. , 0.5, 0. , 0. ])
    """
    anneal = v.one_of("anneal", anneal, ("cos", "linear"))
    if len(levels) != len(ends) + 1:
        raise ValueError(f"levels must have one more entry than ends, got {levels} and {ends}")

    def interpolate(start, end, fraction):
        if anneal == "cos":
            return _cosine(start, end, fraction)
        return start + (end - start) * fraction

    def schedule(step):
        t = np.minimum(v.steps(step), ends[-1])
        value = interpolate(levels[0], levels[1], t / ends[0])
        for i in range(1, len(ends)):
            fraction = (t - ends[i - 1]) / (ends[i] - ends[i - 1])
            value = np.where(
                t > ends[i - 1], interpolate(levels[i], levels[i + 1], fraction), value
            )
        return value[()]  # a NumPy float, not a 0-d array, for an int step

    return schedule


def one_cycle_momentum(
    total_steps,
    pct_start=0.3,
    anneal="cos",
    base_momentum=0.85,
    max_momentum=0.95,
    three_phase=False,
):
    """Cyclical momentum for ``one_cycle``: down while the rate goes up, and back (Smith 2018).

    two phases:   max_momentum -> base_momentum -> max_momentum
    three phases: max_momentum -> base_momentum -> max_momentum, then held
    over the same phases as ``one_cycle(max_lr, total_steps, pct_start, anneal, three_phase)``.

    A large rate with a large momentum adds up to too large a step; lowering the momentum while
    the rate is high keeps their effective rate lr / (1 - momentum) in check. Pass it as
    ``sgd(momentum=...)``, or as Adam's beta1, ``adam(betas=(schedule, 0.999))``.
    PyTorch: ``OneCycleLR(..., cycle_momentum=True, base_momentum, max_momentum)``, which sets
    the optimizer's momentum (or betas[0]) at every step.

    >>> one_cycle_momentum(5, pct_start=0.4, anneal="linear")(np.arange(5)).round(3)
    array([0.95 , 0.85 , 0.883, 0.917, 0.95 ])
    """
    total_steps = v.positive_int("total_steps", total_steps, minimum=2)
    pct_start = v.in_range("pct_start", pct_start, 0, 1, low_open=True, high_open=True)
    base_momentum = float(v.in_range("base_momentum", base_momentum, 0, 1))
    max_momentum = float(v.in_range("max_momentum", max_momentum, 0, 1))
    if max_momentum < base_momentum:
        raise ValueError(
            f"max_momentum must be >= base_momentum ({base_momentum}), got {max_momentum}"
        )
    three_phase = v.flag("three_phase", three_phase)
    levels = [max_momentum, base_momentum, max_momentum] + [max_momentum] * three_phase
    return phases(levels, one_cycle_ends(total_steps, pct_start, three_phase), anneal)


def cyclic_momentum(
    step_size_up,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    base_momentum=0.8,
    max_momentum=0.9,
):
    """Cyclical momentum for ``cyclic``: the same triangles, upside down (Smith 2018).

    momentum_t = max_momentum - (max_momentum - base_momentum) * height_t * scale_t

    with the height and scale of ``cyclic(base_lr, max_lr, step_size_up, step_size_down, mode,
    gamma)``: the momentum is lowest where the rate is highest. PyTorch: ``CyclicLR(...,
    cycle_momentum=True, base_momentum, max_momentum)`` (its default).

    >>> cyclic_momentum(step_size_up=2)(np.arange(5)).round(3)
    array([0.9 , 0.85, 0.8 , 0.85, 0.9 ])
    """
    base_momentum = float(v.in_range("base_momentum", base_momentum, 0, 1))
    max_momentum = float(v.in_range("max_momentum", max_momentum, 0, 1))
    if max_momentum < base_momentum:
        raise ValueError(
            f"max_momentum must be >= base_momentum ({base_momentum}), got {max_momentum}"
        )
    rising = cyclic(base_momentum, max_momentum, step_size_up, step_size_down, mode, gamma)

    def schedule(step):
        return base_momentum + max_momentum - rising(step)  # the same triangle, mirrored

    return schedule


def warmup_stable_decay(lr, total_steps, warmup_steps, decay_steps, shape="linear", min_lr=0.0):
    """Warm up, hold ``lr`` constant, then cool down over the last ``decay_steps`` steps (WSD).

    lr_t = lr * t / W                              for t < W (warmup from 0)
    lr_t = lr                                      until the cooldown starts at C = T - D
    lr_t = min_lr + (lr - min_lr) * f((t - C) / D) during the cooldown, then min_lr

    with f(x) = 1 - x ("linear"), (1 + cos(pi x)) / 2 ("cosine") or 1 - sqrt(x) ("sqrt").
    Because the long stable phase does not depend on T, one run can branch into cooldowns of
    several lengths. Hägele et al. (2024) find WSD with a (1 - sqrt) cooldown matches cosine.
    PyTorch: ``SequentialLR`` of ``LinearLR``, ``ConstantLR`` and ``LinearLR``/``LambdaLR``;
    Optax: ``join_schedules``; Keras: none.

    >>> warmup_stable_decay(1.0, total_steps=8, warmup_steps=2, decay_steps=4)(np.arange(9))
    array([0.  , 0.5 , 1.  , 1.  , 1.  , 0.75, 0.5 , 0.25, 0.  ])
    """
    lr = v.positive("lr", lr)
    total_steps = v.positive_int("total_steps", total_steps)
    warmup_steps = v.positive_int("warmup_steps", warmup_steps, minimum=0)
    decay_steps = v.positive_int("decay_steps", decay_steps)
    shape = v.one_of("shape", shape, ("linear", "cosine", "sqrt"))
    min_lr = v.non_negative("min_lr", min_lr)
    if warmup_steps + decay_steps > total_steps:
        raise ValueError(
            f"warmup_steps + decay_steps must be <= total_steps ({total_steps}), got "
            f"{warmup_steps} + {decay_steps}"
        )
    cooldown = {
        "linear": lambda x: 1 - x,
        "cosine": lambda x: (1 + np.cos(np.pi * x)) / 2,
        "sqrt": lambda x: 1 - np.sqrt(x),
    }[shape]
    decay_start = total_steps - decay_steps

    def schedule(step):
        t = v.steps(step)
        warm = lr * np.minimum(t / max(warmup_steps, 1), 1.0)
        x = np.clip((t - decay_start) / decay_steps, 0.0, 1.0)
        cool = min_lr + (lr - min_lr) * cooldown(x)
        return np.where(t < warmup_steps, warm, np.where(t < decay_start, lr, cool))[()]

    return schedule


def join(schedules, boundaries):
    """Run ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]``, and so on.

    lr_t = schedules[i](t - boundaries[i-1])  for boundaries[i-1] <= t < boundaries[i]

    Each schedule counts its own steps from the boundary where it takes over, so
    ``join([constant(0.1), cosine_decay(0.1, 100)], [50])`` starts its cosine at step 50.
    PyTorch: ``SequentialLR(schedulers, milestones=boundaries)``; Optax: ``join_schedules``;
    Keras: none.

    >>> join([constant(1.0), step_decay(0.5, step_size=1, gamma=0.5)], [2])(np.arange(5))
    array([1.   , 1.   , 0.5  , 0.25 , 0.125])
    """
    if callable(schedules) or isinstance(schedules, str) or not np.iterable(schedules):
        raise ValueError(
            f"schedules must be a list of schedules or numbers, got {v._show(schedules)}"
        )
    schedules = [as_schedule(s, f"schedules[{i}]") for i, s in enumerate(schedules)]
    boundaries = v.increasing_ints("boundaries", boundaries)
    if not schedules:
        raise ValueError("schedules must be a non-empty list, got []")
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"boundaries must have len(schedules) - 1 = {len(schedules) - 1} entries, "
            f"got {len(boundaries)}: {boundaries}"
        )

    def joined(step):
        t = v.steps(step)
        lr = schedules[0](t)
        for boundary, schedule in zip(boundaries, schedules[1:]):
            lr = np.where(t < boundary, lr, schedule(np.maximum(t - boundary, 0)))
        return np.asarray(lr)[()]  # a NumPy float, not a 0-d array, for an int step

    return joined


class ReduceOnPlateau:
    """Cut the rate by ``factor`` when a metric has stopped improving (PyTorch's semantics).

    The only stateful schedule in the course, because its rate depends on measured metrics (a
    validation loss), not on the step count. Each call ``plateau.step(metric)`` counts a "bad"
    epoch unless the metric beats the best seen so far by more than ``threshold``:

        mode="min", threshold_mode="rel": better if metric < best * (1 - threshold)
        mode="min", threshold_mode="abs": better if metric < best - threshold
        (mode="max" mirrors them)

    After more than ``patience`` bad epochs in a row the rate becomes max(lr * factor, min_lr),
    unless that changes it by less than ``eps``; then ``cooldown`` epochs pass in which bad epochs
    are not counted. So with patience=2 the rate drops on the third bad epoch.

    Calling the object like a schedule, ``plateau(step)``, returns the current rate, so an
    optimizer can take it as its ``lr``.
    PyTorch: ``ReduceLROnPlateau(mode, factor, patience, threshold, threshold_mode, cooldown,
    min_lr, eps)``; Optax: ``contrib.reduce_on_plateau``; Keras: ``callbacks.ReduceLROnPlateau``.

    >>> plateau = ReduceOnPlateau(lr=1.0, patience=1)
    >>> [round(float(plateau.step(metric)), 6) for metric in [5, 4, 4, 4, 4, 4]]
    [1.0, 1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(
        self,
        lr,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    ):
        self.lr = v.positive("lr", lr)
        self.mode = v.one_of("mode", mode, ("min", "max"))
        self.factor = float(v.in_range("factor", factor, 0, 1, low_open=True))
        self.patience = v.positive_int("patience", patience, minimum=0)
        self.threshold = float(v.non_negative("threshold", threshold))
        self.threshold_mode = v.one_of("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = v.positive_int("cooldown", cooldown, minimum=0)
        self.min_lr = v.non_negative("min_lr", min_lr)
        self.eps = float(v.non_negative("eps", eps))
        self.best = np.inf if mode == "min" else -np.inf
        self.bad_epochs = 0
        self.cooldown_left = 0
        self.history = []  # (metric, lr after the step) for every call, for plotting

    def is_better(self, metric):
        """Does ``metric`` beat the best so far by more than the threshold?"""
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            return sign * metric < sign * self.best * (1 - sign * self.threshold)
        return sign * metric < sign * self.best - self.threshold

    def step(self, metric):
        """Record one epoch's metric; returns the rate for the next epoch."""
        metric = float(v.as_float_array("metric", metric))
        if self.is_better(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            reduced = np.maximum(self.lr * self.factor, self.min_lr)
            # PyTorch skips reductions smaller than eps, so a rate at min_lr stays put.
            self.lr = np.where(self.lr - reduced > self.eps, reduced, self.lr)
            self.cooldown_left, self.bad_epochs = self.cooldown, 0
        self.history.append((metric, self.lr))
        return self.lr

    def __call__(self, step):
        return self.lr * np.ones_like(v.steps(step), dtype=float)

    def __repr__(self):
        return (
            f"ReduceOnPlateau(lr={v._show(self.lr)}, best={self.best:.6g}, "
            f"bad_epochs={self.bad_epochs}, cooldown_left={self.cooldown_left})"
        )


DECAYS = ("constant", "cosine", "linear")


def warmup_decay(peak, warmup_steps, total_steps, decay="cosine"):
    """A linear warmup from 0 to ``peak`` over ``warmup_steps``, then a decay that ends with the
    budget: the rate reaches 0 at step ``total_steps`` ("constant": it stays at the peak).

    lr_t = peak * t / W                                   for t < W
    lr_t = decay(peak, over T - W steps)(t - W)           for W <= t   (cosine, linear or none)

    The decay is as long as the budget left after the warmup, T - W, so the whole schedule fits
    in T steps, like Optax's ``warmup_cosine_decay_schedule(0, peak, W, decay_steps=T)``, whose
    decay_steps include the warmup (Keras's ``CosineDecay(warmup_steps=W, decay_steps=D)`` counts
    D after it). ``peak`` may be an array of shape (K, 1): K schedules at once.

    >>> warmup_decay(1.0, warmup_steps=2, total_steps=6)(np.arange(7)).round(3)
    array([0.   , 0.5  , 1.   , 0.854, 0.5  , 0.146, 0.   ])
    """
    peak = v.positive("peak", peak)
    warmup_steps = v.positive_int("warmup_steps", warmup_steps, minimum=0)
    total_steps = v.positive_int("total_steps", total_steps)
    decay = v.one_of("decay", decay, DECAYS)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_steps must be < total_steps ({total_steps}), got {warmup_steps}: "
            "the budget needs room to decay"
        )
    left = total_steps - warmup_steps
    if decay == "constant":
        after = constant(peak)
    elif decay == "cosine":
        after = cosine_decay(peak, left)
    else:
        after = polynomial_decay(peak, left)
    return after if warmup_steps == 0 else linear_warmup(after, warmup_steps)


def inverse_sqrt(lr):
    """The schedule lr / sqrt(t), t = step + 1: the step size of online convex optimization.

    >>> inverse_sqrt(0.5)(np.arange(4)).round(4)
    array([0.5   , 0.3536, 0.2887, 0.25  ])
    """
    lr = v.positive("lr", lr)

    def schedule(step):
        return lr / np.sqrt(v.steps(step) + 1.0)

    return schedule


def stack(schedules):
    """One learning rate for a sweep over schedules: their rates, one column, one under the other.

    At an (int) step, S schedules of K rows each give an array of shape (S * K, 1), which
    broadcasts against params of shape (S * K, dim): row s * K + k follows schedule s at peak k.
    It is meant for an optimizer's ``lr``, which is evaluated one step at a time.

    >>> peaks = np.array([[0.1], [0.2]])                       # K = 2 rows each
    >>> lr = stack([constant(peaks), cosine_decay(peaks, total_steps=10)])   # S = 2
    >>> lr(5).ravel().round(3)
    array([0.1 , 0.2 , 0.05, 0.1 ])
    """
    schedules = list(schedules)

    def lr(step):
        return np.concatenate([np.reshape(schedule(step), (-1, 1)) for schedule in schedules])

    return lr
