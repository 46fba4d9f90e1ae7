"""Unit and property tests of lrcourse.schedules (their values against PyTorch are in
test_reference.py): purity, vectorisation, broadcasting, step 0, boundaries, monotonicity, warmup
lengths, restarts, reduce-on-plateau, and the doctests."""

import doctest
import math

import matplotlib.pyplot as plt  # tests/conftest.py selects the Agg backend
import numpy as np
import pytest

from lrcourse import optimizers, plots, schedules
from lrcourse.schedules import (
    ReduceOnPlateau,
    constant,
    cosine_decay,
    cosine_restarts,
    cyclic,
    exponential_decay,
    inverse_time_decay,
    join,
    linear_warmup,
    multistep_decay,
    one_cycle,
    polynomial_decay,
    step_decay,
    warmup_stable_decay,
)


def catalogue(lr=0.1):
    """One schedule of every kind (several for some), built around a peak rate ``lr``."""
    return {
        "constant": constant(lr),
        "step_decay": step_decay(lr, step_size=7, gamma=0.5),
        "multistep_decay": multistep_decay(lr, milestones=[10, 25, 26], gamma=0.3),
        "exponential_decay": exponential_decay(lr, gamma=0.9, decay_steps=3),
        "exponential_decay staircase": exponential_decay(lr, 0.9, decay_steps=3, staircase=True),
        "inverse_time_decay": inverse_time_decay(lr, decay_rate=0.5, decay_steps=2),
        "inverse_time_decay staircase": inverse_time_decay(lr, 0.5, decay_steps=2, staircase=True),
        "polynomial_decay": polynomial_decay(lr, total_steps=40, power=2.0, end_lr=lr / 100),
        "cosine_decay": cosine_decay(lr, total_steps=40, min_lr=lr / 10),
        "linear_warmup": linear_warmup(cosine_decay(lr, 30), warmup_steps=10, start_factor=0.1),
        "cosine_restarts": cosine_restarts(lr, period=5, period_mult=2, min_lr=lr / 50),
        "cyclic": cyclic(lr / 10, lr, step_size_up=4, step_size_down=6),
        "cyclic triangular2": cyclic(lr / 10, lr, step_size_up=4, mode="triangular2"),
        "cyclic exp_range": cyclic(lr / 10, lr, step_size_up=4, mode="exp_range", gamma=0.97),
        "one_cycle": one_cycle(lr, total_steps=40),
        "one_cycle linear three_phase": one_cycle(lr, 40, anneal="linear", three_phase=True),
        "warmup_stable_decay": warmup_stable_decay(lr, 40, warmup_steps=5, decay_steps=10),
        "warmup_stable_decay sqrt": warmup_stable_decay(lr, 40, 5, 10, shape="sqrt", min_lr=lr / 9),
        "join": join([constant(lr), cosine_decay(lr, 20), step_decay(lr / 2, 3)], [5, 25]),
    }


NAMES = list(catalogue())
# Tested by their doctests and in test_explorers_*: helpers and the schedules of single lectures.
HELPERS = {"restart_position", "DECAYS", "stack", "warmup_decay", "inverse_sqrt", "one_cycle_ends"}
HELPERS |= {"phases", "one_cycle_momentum", "cyclic_momentum"}  # tested against PyTorch's momentum
STEPS = np.arange(120)


# --- purity and vectorisation --------------------------------------------------------------------


def test_the_catalogue_covers_every_factory():
    made = {name.split()[0] for name in catalogue()}  # "one_cycle linear three_phase": one_cycle
    factories = set(schedules.__all__) - {"as_schedule", "ReduceOnPlateau"} - HELPERS
    assert made == factories


@pytest.mark.parametrize("name", NAMES)
def test_pure_calling_twice_or_out_of_order_gives_the_same(name):
    schedule = catalogue()[name]
    first = schedule(STEPS)
    shuffled = np.random.default_rng(0).permutation(STEPS)
    np.testing.assert_array_equal(schedule(shuffled), first[shuffled])
    np.testing.assert_array_equal(schedule(STEPS), first)
    assert schedule(17) == first[17]


@pytest.mark.parametrize("name", NAMES)
def test_plotting_does_not_consume_the_schedule(name):
    """Plotting evaluates the whole horizon; an optimizer using it afterwards sees step 0."""
    schedule = catalogue()[name]
    before = schedule(STEPS)
    ax = plots.plot_schedules({name: schedule}, len(STEPS))
    plt.close(ax.figure)
    np.testing.assert_array_equal(schedule(STEPS), before)
    opt = optimizers.sgd(lr=schedule)
    params, _ = opt.step(np.array([0.0]), np.array([1.0]), opt.init(np.array([0.0])))
    assert params[0] == -before[0]


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_equals_a_scalar_loop(name):
    schedule = catalogue()[name]
    looped = [schedule(int(t)) for t in STEPS]
    # equal up to the last bit or so: NumPy's SIMD power for arrays may round differently
    np.testing.assert_allclose(schedule(STEPS), looped, rtol=5e-16, atol=0)
    scalar = schedule(3)
    assert isinstance(scalar, np.floating) and np.shape(scalar) == ()
    assert schedule(np.int32(3)) == scalar


@pytest.mark.parametrize("name", NAMES)
def test_result_has_the_shape_of_step_and_is_float64(name):
    schedule = catalogue()[name]
    grid = np.arange(12, dtype=np.int32).reshape(3, 4)
    lr = schedule(grid)
    assert lr.shape == (3, 4) and lr.dtype == np.float64
    np.testing.assert_array_equal(lr.ravel(), schedule(np.arange(12)))
    assert schedule(np.arange(0)).shape == (0,)
    assert schedule([0, 1, 2]).shape == (3,)


@pytest.mark.parametrize("name", NAMES)
def test_a_column_of_64_peak_rates_is_64_schedules(name):
    peaks = np.geomspace(1e-4, 1.0, 64)[:, None]
    batched = catalogue(peaks)[name](STEPS)
    assert batched.shape == (64, len(STEPS))
    for i in (0, 17, 63):
        np.testing.assert_allclose(batched[i], catalogue(peaks[i, 0])[name](STEPS), rtol=1e-15)


@pytest.mark.parametrize(
    "factory, columns",
    [
        (step_decay, dict(lr=0.1, step_size=5, gamma=np.array([[0.1], [0.5], [0.9]]))),
        (multistep_decay, dict(lr=0.1, milestones=[3, 9], gamma=np.array([[0.1], [0.5]]))),
        (exponential_decay, dict(lr=np.array([[0.1], [1.0]]), gamma=np.array([[0.9], [0.99]]))),
        (polynomial_decay, dict(lr=1.0, total_steps=30, power=np.array([[0.5], [1.0], [3.0]]))),
        (cosine_decay, dict(lr=1.0, total_steps=30, min_lr=np.array([[0.0], [0.1], [0.5]]))),
        (cosine_restarts, dict(lr=1.0, period=4, period_mult=2, min_lr=np.array([[0.0], [0.2]]))),
        (
            cyclic,
            dict(
                base_lr=np.array([[0.01], [0.1]]), max_lr=np.array([[0.5], [1.0]]), step_size_up=3
            ),
        ),
        (one_cycle, dict(max_lr=1.0, total_steps=30, div_factor=np.array([[10.0], [25.0]]))),
        (
            warmup_stable_decay,
            dict(
                lr=1.0,
                total_steps=30,
                warmup_steps=3,
                decay_steps=9,
                min_lr=np.array([[0.0], [0.3]]),
            ),
        ),
    ],
)
def test_other_hyperparameters_broadcast(factory, columns):
    batched = factory(**columns)(STEPS)
    runs = max(np.shape(x)[0] for x in columns.values() if isinstance(x, np.ndarray))
    assert batched.shape == (runs, len(STEPS))
    for i in range(runs):
        row = {k: float(x[i, 0]) if isinstance(x, np.ndarray) else x for k, x in columns.items()}
        np.testing.assert_allclose(batched[i], factory(**row)(STEPS), rtol=1e-15)


def test_an_int_step_gives_a_numpy_float_for_every_factory():
    made = [
        cosine_decay(lr=0.1, total_steps=100),
        linear_warmup(cosine_decay(0.1, 100), warmup_steps=10),
        one_cycle(0.1, total_steps=100),
        warmup_stable_decay(0.1, 100, 10, 20),
        join([constant(0.1), constant(0.2)], [5]),
    ]
    for schedule in made:
        assert isinstance(schedule(3), np.floating) and np.ndim(schedule(3)) == 0


# --- step 0 and boundaries -----------------------------------------------------------------------


def test_step_0_is_the_first_update():
    lr = 0.3
    for name in ["constant", "step_decay", "multistep_decay", "exponential_decay", "join"]:
        assert catalogue(lr)[name](0) == lr, name
    for name in ["inverse_time_decay", "polynomial_decay", "cosine_decay", "cosine_restarts"]:
        # min_lr + (lr - min_lr) * 1 may round to lr plus one ulp (in PyTorch too)
        assert catalogue(lr)[name](0) == pytest.approx(lr, rel=1e-15, abs=0), name
    assert linear_warmup(constant(lr), warmup_steps=5)(0) == 0.0
    assert linear_warmup(constant(lr), warmup_steps=5, start_factor=0.2)(0) == pytest.approx(0.06)
    assert one_cycle(lr, total_steps=100, div_factor=30.0)(0) == pytest.approx(lr / 30)
    assert cyclic(0.01, lr, step_size_up=5)(0) == 0.01
    assert warmup_stable_decay(lr, 50, warmup_steps=5, decay_steps=10)(0) == 0.0
    assert warmup_stable_decay(lr, 50, warmup_steps=0, decay_steps=10)(0) == lr


@pytest.mark.parametrize("milestones", [[1], [3, 6], [5, 12, 13, 30]])
def test_multistep_changes_at_the_milestone(milestones):
    lr = multistep_decay(1.0, milestones, gamma=0.5)
    for k, m in enumerate(milestones):
        assert lr(m - 1) == 0.5**k  # the step before still has the old rate
        assert lr(m) == 0.5 ** (k + 1)  # the milestone step itself has the new one
    assert lr(10**9) == 0.5 ** len(milestones)


def test_step_decay_changes_every_step_size_steps():
    lr = step_decay(1.0, step_size=4, gamma=0.5)(np.arange(13))
    np.testing.assert_array_equal(lr, [1.0] * 4 + [0.5] * 4 + [0.25] * 4 + [0.125])


def counter(step):
    """A 'schedule' that returns the step it was given, to see what each child is asked."""
    return np.asarray(step, dtype=float)


def test_join_children_count_from_their_boundary():
    joined = join([counter, counter, counter], [3, 7])
    np.testing.assert_array_equal(joined(np.arange(10)), [0, 1, 2, 0, 1, 2, 3, 0, 1, 2])
    nested = join([counter, join([counter, counter], [2])], [4])
    np.testing.assert_array_equal(nested(np.arange(8)), [0, 1, 2, 3, 0, 1, 0, 1])
    # numbers become constants, and a schedule starts its own step 0 at its boundary
    joined = join([0.5, step_decay(1.0, step_size=1, gamma=0.5)], [2])
    np.testing.assert_array_equal(joined(np.arange(5)), [0.5, 0.5, 1.0, 0.5, 0.25])


def test_linear_warmup_then_counts_from_the_warmup_end():
    warmed = linear_warmup(lambda step: 1.0 + np.asarray(step), warmup_steps=4)
    np.testing.assert_allclose(warmed(np.arange(8)), [0, 0.25, 0.5, 0.75, 1, 2, 3, 4])


# --- monotonicity and shapes ---------------------------------------------------------------------

RNG = np.random.default_rng(20)
RANDOM_DECAYS = (
    [
        step_decay(RNG.uniform(0.01, 1), int(RNG.integers(1, 20)), RNG.uniform(0.05, 1))
        for _ in range(5)
    ]
    + [
        exponential_decay(1.0, RNG.uniform(0.5, 1), int(RNG.integers(1, 9)), staircase=bool(s))
        for s in (0, 1, 0)
    ]
    + [
        inverse_time_decay(1.0, RNG.uniform(0.01, 3), int(RNG.integers(1, 9)), staircase=bool(s))
        for s in (0, 1)
    ]
    + [
        polynomial_decay(1.0, int(RNG.integers(1, 300)), RNG.uniform(0.1, 4), RNG.uniform(0, 0.5))
        for _ in range(4)
    ]
    + [cosine_decay(1.0, int(RNG.integers(1, 300)), RNG.uniform(0, 0.5)) for _ in range(4)]
    + [multistep_decay(1.0, sorted(RNG.choice(np.arange(1, 400), 4, replace=False).tolist()))]
)


@pytest.mark.parametrize("schedule", RANDOM_DECAYS)
def test_decays_never_increase_and_stay_positive_or_at_their_floor(schedule):
    lr = schedule(np.arange(1000))
    assert np.all(np.diff(lr) <= 0)
    assert lr[0] > 0
    assert lr.min() >= 0  # a floor may be reached, never crossed


def test_cosine_holds_at_min_lr_after_its_horizon():
    lr = cosine_decay(1.0, total_steps=50, min_lr=0.05)(np.arange(500))
    assert np.all(np.diff(lr[:51]) < 0)
    assert np.all(lr[50:] == 0.05)


def test_polynomial_holds_at_end_lr_after_its_horizon():
    lr = polynomial_decay(1.0, total_steps=20, power=2.0, end_lr=0.1)(np.arange(100))
    assert np.all(np.diff(lr[:21]) < 0) and np.all(lr[20:] == 0.1)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_climbs_then_falls_and_holds_its_final_rate(anneal, three_phase):
    total, pct = 200, 0.25
    schedule = one_cycle(2.0, total, pct_start=pct, anneal=anneal, three_phase=three_phase)
    lr = schedule(np.arange(3 * total))
    peak = int(pct * total - 1)
    assert lr[peak] == 2.0 and lr.argmax() == peak
    assert np.all(np.diff(lr[: peak + 1]) > 0)
    if three_phase:  # back to the start at step 2 * peak, then down to the final rate
        np.testing.assert_allclose(lr[2 * peak], lr[0], rtol=1e-12)
        assert np.all(np.diff(lr[peak : 2 * peak + 1]) < 0)
    assert np.all(np.diff(lr[peak:total]) < 0)
    np.testing.assert_allclose(lr[total - 1], 2.0 / 25 / 1e4, rtol=1e-9)
    assert np.all(lr[total - 1 :] == lr[total - 1]) and lr.min() > 0


def test_cyclic_rises_and_falls_within_each_cycle():
    up, down = 3, 7
    lr = cyclic(0.1, 1.0, step_size_up=up, step_size_down=down)(np.arange(50))
    for start in range(0, 50, up + down):
        cycle = lr[start : start + up + down + 1]
        assert cycle[0] == pytest.approx(0.1, rel=1e-14) and cycle[up] == pytest.approx(1.0)
        assert np.all(np.diff(cycle[: up + 1]) > 0) and np.all(np.diff(cycle[up:]) < 0)
    halves = cyclic(0.0001, 1.0, step_size_up=2, mode="triangular2")(np.arange(2, 20, 4))
    np.testing.assert_allclose(np.diff(halves) / halves[:-1], -0.5, rtol=1e-3)


@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
def test_warmup_stable_decay_phases(shape):
    lr = warmup_stable_decay(1.0, 100, warmup_steps=10, decay_steps=30, shape=shape, min_lr=0.1)
    lr = lr(np.arange(150))
    np.testing.assert_allclose(lr[:11], np.arange(11) / 10)
    assert np.all(lr[10:70] == 1.0)
    assert np.all(np.diff(lr[70:101]) < 0)
    assert np.all(lr[100:] == 0.1)


# --- warmup lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize("warmup", [1, 2, 7, 100])
@pytest.mark.parametrize("start_factor", [0.0, 0.01, 0.5])
def test_warmup_takes_exactly_warmup_steps(warmup, start_factor):
    lr = linear_warmup(constant(2.0), warmup, start_factor)(np.arange(3 * warmup + 5))
    assert np.all(lr[:warmup] < 2.0) and np.all(lr[warmup:] == 2.0)
    assert np.count_nonzero(lr < 2.0) == warmup
    assert np.all(np.diff(lr[: warmup + 1]) > 0)
    assert lr[0] == 2.0 * start_factor


def test_warmup_then_cosine_runs_warmup_plus_total_steps():
    lr = linear_warmup(cosine_decay(1.0, total_steps=40, min_lr=0.01), warmup_steps=10)
    lr = lr(np.arange(100))
    assert lr.argmax() == 10 and lr[10] == 1.0
    assert np.all(lr[:50] > 0.01) or lr[0] == 0.0
    assert np.all(lr[1:50] > 0.01) and np.all(lr[50:] == 0.01)


# --- restarts ------------------------------------------------------------------------------------


def restart_steps(period, mult, count):
    """Where cycles begin: period * (mult**k - 1) / (mult - 1), in exact integer arithmetic."""
    if mult == 1:
        return [period * k for k in range(count)]
    return [period * (mult**k - 1) // (mult - 1) for k in range(count)]


@pytest.mark.parametrize(
    "period, mult, count",
    [(1, 2, 52), (3, 2, 50), (10, 2, 48), (7, 3, 33), (1, 3, 35), (5, 5, 23), (13, 1, 50)],
)
def test_restarts_land_exactly_where_cycles_begin_even_far_out(period, mult, count):
    """For large k, log(t) / log(m) rounds across the integer: no cycle may start one step off."""
    schedule = cosine_restarts(1.0, period=period, period_mult=mult, min_lr=0.1)
    starts = np.array(restart_steps(period, mult, count), dtype=np.int64)
    assert starts[-1] > 2**40 or mult == 1
    np.testing.assert_array_equal(schedule(starts), 1.0)
    for k in range(1, count):
        length = period * mult ** (k - 1)  # the cycle that ends just before starts[k]
        last = 0.1 + 0.9 * (1 + math.cos(math.pi * (length - 1) / length)) / 2
        np.testing.assert_allclose(schedule(starts[k] - 1), last, rtol=1e-9)
        if 1 < period * mult**k < 10**7:  # longer cycles start too flat to leave 1.0 at once
            assert schedule(starts[k] + 1) < 1.0


def test_restarts_match_a_step_by_step_count():
    """Stepping a counter as PyTorch does (T_cur += 1; past T_i: restart, T_i *= mult)."""
    for period, mult in [(1, 1), (2, 3), (3, 2), (4, 1)]:
        t_cur, t_i, expected = 0, period, []
        for _ in range(300):
            expected.append(0.5 * (1 + math.cos(math.pi * t_cur / t_i)))
            t_cur += 1
            if t_cur >= t_i:
                t_cur, t_i = t_cur - t_i, t_i * mult
        ours = cosine_restarts(1.0, period, mult)(np.arange(300))
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


# --- ReduceOnPlateau -----------------------------------------------------------------------------


def test_plateau_drops_on_the_bad_epoch_after_patience():
    plateau = ReduceOnPlateau(1.0, patience=3)
    lrs = [plateau.step(m) for m in [5.0, 5.0, 5.0, 5.0, 5.0]]
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.1]  # the first metric is always an improvement
    assert plateau.bad_epochs == 0


def test_plateau_improvements_reset_the_count():
    plateau = ReduceOnPlateau(1.0, patience=1, threshold=0.0)
    lrs = [float(plateau.step(m)) for m in [5, 5, 4, 4, 3, 3, 3]]
    assert lrs == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1]


def test_plateau_threshold_rel_and_abs():
    rel = ReduceOnPlateau(1.0, patience=0, threshold=0.1)  # better means < best * 0.9
    assert [float(rel.step(m)) for m in [10.0, 9.5, 8.9]] == [1.0, 0.1, 0.1]
    assert rel.best == 8.9
    absolute = ReduceOnPlateau(1.0, patience=0, threshold=1.0, threshold_mode="abs")
    assert [float(absolute.step(m)) for m in [10.0, 9.5, 8.9]] == [1.0, 0.1, 0.1]
    assert absolute.best == 8.9
    upward = ReduceOnPlateau(1.0, mode="max", patience=0, threshold=0.1)
    assert [float(upward.step(m)) for m in [1.0, 1.05, 1.2]] == [1.0, 0.1, 0.1]


def test_plateau_cooldown_ignores_bad_epochs():
    plateau = ReduceOnPlateau(1.0, patience=0, cooldown=2, factor=0.5)
    lrs = [float(plateau.step(1.0)) for _ in range(8)]
    # drop, then two epochs of cooldown whose bad epochs do not count, then drop again
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_plateau_min_lr_and_eps():
    plateau = ReduceOnPlateau(1.0, patience=0, factor=0.5, min_lr=0.3)
    assert [float(plateau.step(1.0)) for _ in range(4)] == [1.0, 0.5, 0.3, 0.3]
    # a reduction no larger than eps is skipped: 1.25e-8 -> 6.25e-9 would change lr by < 1e-8
    plateau = ReduceOnPlateau(1e-7, patience=0, factor=0.5, eps=1e-8)
    lrs = [float(plateau.step(1.0)) for _ in range(6)]
    assert lrs == [1e-7, 5e-8, 2.5e-8, 1.25e-8, 1.25e-8, 1.25e-8]
    plateau = ReduceOnPlateau(0.1, patience=0, factor=0.5, eps=0.05)  # exactly eps: skipped too
    assert [float(plateau.step(1.0)) for _ in range(3)] == [0.1, 0.1, 0.1]


def test_plateau_is_callable_like_a_schedule_without_changing_it():
    plateau = ReduceOnPlateau(0.5, patience=0)
    np.testing.assert_array_equal(plateau(np.arange(4)), [0.5] * 4)
    plateau(7)
    assert plateau.bad_epochs == 0 and plateau.lr == 0.5
    plateau.step(1.0)
    plateau.step(2.0)
    assert float(plateau(0)) == pytest.approx(0.05)
    assert [lr for _, lr in plateau.history] == [0.5, pytest.approx(0.05)]
    assert "ReduceOnPlateau(lr=" in repr(plateau)


def test_plateau_with_a_column_of_rates():
    plateau = ReduceOnPlateau(np.array([[0.1], [1.0]]), patience=0, min_lr=np.array([[0.05], [0]]))
    for metric in [1.0, 1.0, 1.0]:
        plateau.step(metric)
    np.testing.assert_allclose(plateau.lr, [[0.05], [0.01]])  # the first run stops at min_lr
    assert plateau(np.arange(3)).shape == (2, 3)


# --- doctests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [schedules, optimizers])
def test_every_public_function_has_a_passing_doctest(module):
    finder = doctest.DocTestFinder()
    tested = {t.name.split(".")[-1] for t in finder.find(module) if t.examples}
    public = set(module.__all__) - {"Optimizer"}
    assert public <= tested, f"no doctest: {sorted(public - tested)}"
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= len(public)


def test_cyclical_momentum_mirrors_the_rate_and_checks_its_bounds():
    lr = one_cycle(0.1, total_steps=50)(np.arange(50))
    momentum = schedules.one_cycle_momentum(50)(np.arange(50))
    assert np.argmin(momentum) == np.argmax(lr)  # lowest momentum where the rate peaks
    assert momentum[0] == momentum[-1] == 0.95
    tri = schedules.cyclic_momentum(step_size_up=5)(np.arange(20))
    np.testing.assert_allclose(tri + cyclic(0.8, 0.9, step_size_up=5)(np.arange(20)), 1.7)
    with pytest.raises(ValueError, match="max_momentum must be >= base_momentum"):
        schedules.one_cycle_momentum(50, base_momentum=0.9, max_momentum=0.8)
    with pytest.raises(ValueError, match="base_momentum must be"):
        schedules.cyclic_momentum(5, base_momentum=1.5)
