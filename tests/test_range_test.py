"""The learning-rate range test (lrcourse.range_test): the ramp, the smoothing, the cut-off, the
three suggestion rules, the run itself and its plot."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse.optimizers import adam, sgd  # noqa: E402
from lrcourse.problems import digits_mlp, quadratic  # noqa: E402
from lrcourse.range_test import (  # noqa: E402
    RULES,
    RangeTest,
    cutoff,
    lr_ramp,
    minimum_over_10,
    plot_range_test,
    range_test,
    smooth,
    steepest,
    valley,
)


@pytest.fixture(scope="module")
def mlp():
    return digits_mlp()


# --- the ramp ----------------------------------------------------------------------------------


@pytest.mark.parametrize("num_steps", [2, 3, 10, 101])
def test_the_ramp_starts_and_ends_exactly_and_is_geometric(num_steps):
    lrs = lr_ramp(1e-5, 10.0, num_steps)
    assert lrs.shape == (num_steps,)
    assert lrs[0] == 1e-5 and np.isclose(lrs[-1], 10.0, rtol=1e-14)
    ratios = lrs[1:] / lrs[:-1]
    assert np.allclose(ratios, ratios[0])  # the same factor every step
    assert np.allclose(lrs, np.geomspace(1e-5, 10.0, num_steps))


def test_the_linear_ramp_has_equal_increments():
    lrs = lr_ramp(0.1, 1.0, 10, mode="linear")
    assert np.allclose(np.diff(lrs), 0.1) and lrs[0] == 0.1 and np.isclose(lrs[-1], 1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start_lr=0.0), "start_lr must be > 0, got 0.0"),
        (dict(start_lr=-1e-3), "start_lr must be > 0"),
        (dict(end_lr=1e-6), "end_lr must be > start_lr (1e-05), got 1e-06"),
        (dict(end_lr=np.inf), "end_lr must be finite"),
        (dict(num_steps=1), "num_steps must be an integer >= 2, got 1"),
        (dict(num_steps=10.0), "num_steps must be an integer >= 2, got 10.0"),
        (dict(mode="log"), "mode must be one of 'exp', 'linear', got 'log'"),
    ],
)
def test_a_bad_ramp_names_the_parameter_the_value_and_what_is_allowed(kwargs, message):
    arguments = dict(start_lr=1e-5, end_lr=10.0, num_steps=100) | kwargs
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lr_ramp(**arguments)


# --- smoothing and the cut-off -----------------------------------------------------------------


def test_smoothing_is_a_bias_corrected_moving_average():
    rng = np.random.default_rng(0)
    losses = rng.uniform(1, 3, 50)
    beta = 0.9
    expected, average = [], 0.0
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        expected.append(average / (1 - beta ** (k + 1)))
    assert np.allclose(smooth(losses, beta), expected)
    assert smooth(losses, beta)[0] == losses[0]  # debiased: the first value is the first loss
    assert np.allclose(smooth(np.full(20, 2.5), 0.98), 2.5)  # a constant stays constant


def test_smoothing_runs_along_the_first_axis_and_keeps_nan():
    losses = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 1.0]])
    both = smooth(losses, 0.5)
    assert np.allclose(both[:, 0], smooth(losses[:, 0], 0.5))
    assert np.isnan(both[1:, 1]).all()


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5, "0.9", None])
def test_smoothing_rejects_a_bad_beta(beta):
    with pytest.raises(ValueError, match="beta must be"):
        smooth(np.ones(5), beta)


def test_the_cut_off_finds_the_first_blow_up_and_catches_nan_and_inf():
    assert cutoff(np.array([3.0, 2.0, 1.0, 3.9, 4.1, 1.0])) == 4
    assert cutoff(np.array([3.0, 2.0, np.nan, 1.0])) == 2
    assert cutoff(np.array([3.0, np.inf])) == 1
    assert cutoff(np.array([3.0, 2.0, 1.0])) == 3
    assert cutoff(np.array([3.0, 2.0, 1.0, 100.0]), np.inf) == 4
    assert cutoff(np.array([3.0, 2.0, 1.0, 1.9]), 1.5) == 3
    columns = cutoff(np.array([[1.0, 1.0], [5.0, 1.0], [1.0, 9.0]]))
    assert columns.tolist() == [1, 2]


@pytest.mark.parametrize("factor", [1.0, 0.5, -2, np.nan, "4"])
def test_the_cut_off_rejects_a_factor_that_is_not_above_one(factor):
    with pytest.raises(ValueError, match="diverge_factor must be"):
        cutoff(np.ones(3), factor)


# --- the rules ---------------------------------------------------------------------------------

LRS = np.geomspace(1e-4, 10.0, 11)
CURVE = np.array([2.3, 2.3, 2.25, 2.1, 1.6, 0.9, 0.5, 0.4, 0.45, 2.5, np.nan])


def test_steepest_is_the_minimum_of_the_slope_against_log_lr():
    slope = np.gradient(CURVE[:9], np.log(LRS[:9]))
    assert steepest(LRS, CURVE) == LRS[np.argmin(slope)] == LRS[4]


def test_steepest_ignores_what_comes_after_the_blow_up():
    wild = CURVE.copy()
    wild[9:] = [9.0, 0.1]  # after the blow-up the loss swings: a steep "fall" from 9 to 0.1
    assert steepest(LRS, wild) == LRS[4]


def test_minimum_over_10_is_a_tenth_of_the_best_rate():
    assert minimum_over_10(LRS, CURVE) == LRS[7] / 10


def test_valley_follows_fastais_rule():
    # A strictly falling stretch from step 1 to step 7: length 7 ending at 7, start 0,
    # s = 7 / 3, index 0 + 2 + 1 = 3.
    curve = np.array([2.0, 2.1, 2.0, 1.9, 1.5, 1.0, 0.8, 0.7, 0.9, 5.0])
    assert valley(LRS[:10], curve) == LRS[3]


@pytest.mark.parametrize("rule", list(RULES.values()))
def test_every_rule_refuses_a_curve_that_blows_up_at_once(rule):
    with pytest.raises(ValueError, match="needs at least 3 points before the loss blows up"):
        rule(LRS[:4], np.array([1.0, 9.0, 9.0, 9.0]))
    with pytest.raises(ValueError, match="same length"):
        rule(LRS, CURVE[:5])


# --- the run -----------------------------------------------------------------------------------


def test_a_diverging_range_test_stops_and_reports_it():
    q = quadratic(condition=10.0)
    result = range_test(q, start_lr=1e-3, end_lr=10.0, num_steps=100)
    k = result.stopped_at
    assert result.stopped and isinstance(k, int) and k < 99
    assert result.lrs[k] > 2 / q.L  # it blows up only beyond the stability limit
    assert np.isfinite(result.loss[: k + 1]).all() and np.isnan(result.loss[k + 1 :]).all()
    assert np.isnan(result.smoothed[k + 1 :]).all()
    assert result.smoothed[k] > 4 * np.min(result.smoothed[:k])
    assert "blew up at step" in repr(result)
    # the rules look only at the points before the blow-up
    found = result.suggestions()
    assert set(found) == set(RULES) and all(x <= result.lrs[k] for x in found.values())


def test_a_run_that_overflows_stops_at_the_first_non_finite_loss():
    q = quadratic(condition=10.0)
    result = range_test(q, start_lr=1.0, end_lr=1e6, num_steps=300, diverge_factor=np.inf)
    k = result.stopped_at
    assert k is not None and k < 299
    assert np.isnan(result.loss[k + 1 :]).all()


def test_the_online_stop_equals_cutting_the_whole_ramp_afterwards(mlp):
    online = range_test(mlp, sgd, num_steps=80, momentum=0.9)
    whole = range_test(mlp, sgd, num_steps=80, momentum=0.9, diverge_factor=np.inf)
    assert whole.stopped_at is None or whole.stopped_at > online.stopped_at
    cut = whole.resmooth(diverge_factor=4.0)
    assert cut.stopped_at == online.stopped_at
    np.testing.assert_array_equal(cut.loss, online.loss)
    np.testing.assert_array_equal(cut.smoothed, online.smoothed)
    assert cut.suggestions() == online.suggestions()


def test_several_runs_stop_on_their_own_and_match_single_runs(mlp):
    rng = np.random.default_rng(3)
    starts = np.stack([mlp.start, mlp.init_params(rng)])
    both = range_test(mlp, sgd, starts, num_steps=60, end_lr=100.0)
    assert both.loss.shape == (60, 2) and both.stopped_at.shape == (2,)
    for i in range(2):
        alone = range_test(mlp, sgd, starts[i], num_steps=60, end_lr=100.0)
        one = both.run(i)
        assert one.stopped_at == alone.stopped_at
        np.testing.assert_allclose(one.smoothed, alone.smoothed, rtol=1e-12, equal_nan=True)
        assert one.suggestions() == pytest.approx(alone.suggestions())
    assert set(both.suggestions()) == set(RULES) and both.suggestions()["valley"].shape == (2,)


def test_the_seed_changes_the_batches_and_so_the_suggestions(mlp):
    a = range_test(mlp, adam, end_lr=1.0, num_steps=60, seed=0)
    b = range_test(mlp, adam, end_lr=1.0, num_steps=60, seed=1)
    assert not np.array_equal(a.loss, b.loss)
    assert a.loss[0] != b.loss[0]  # the first mini-batch differs


def test_a_ramp_that_never_blows_up_says_so_and_still_suggests(mlp):
    result = range_test(mlp, sgd, start_lr=1e-6, end_lr=1e-3, num_steps=40)
    assert not result.stopped and result.stopped_at is None and result.kept == 40
    assert "no blow-up" in result.summary()
    assert all(np.isfinite(x) for x in result.suggestions().values())


def test_too_few_points_give_nan_suggestions_and_a_clear_summary():
    result = range_test(quadratic(condition=10.0), start_lr=5.0, end_lr=1e4, num_steps=30)
    assert result.stopped and result.stopped_at < 5
    assert all(np.isnan(x) for x in result.suggestions().values())
    assert "too few points" in result.summary()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(beta=1.0), "beta must be in"),
        (dict(diverge_factor=1.0), "diverge_factor must be a number > 1"),
        (dict(skip_start=98), "skip_start must be <= num_steps - 3 = 97, got 98"),
        (dict(seed=-1), "seed must be an integer >= 0, got -1"),
        (dict(start_lr=0), "start_lr must be > 0"),
        (dict(params=np.zeros(3)), "params must have a last axis of length 2"),
        (dict(optimizer="sgd"), "optimizer must be a factory"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        range_test(quadratic(), **kwargs)


def test_resmooth_keeps_the_raw_losses_and_changes_the_curve(mlp):
    whole = range_test(mlp, sgd, num_steps=60, diverge_factor=np.inf, momentum=0.9)
    light = whole.resmooth(beta=0.5)
    np.testing.assert_array_equal(light.loss[: light.kept], whole.loss[: light.kept])
    assert not np.allclose(light.smoothed[:10], whole.smoothed[:10])
    assert isinstance(light, RangeTest) and light.beta == 0.5


# --- the plot ----------------------------------------------------------------------------------


def test_the_plot_stops_at_the_blow_up_and_marks_the_suggestions():
    result = range_test(quadratic(condition=10.0), start_lr=1e-3, end_lr=10.0, num_steps=100)
    ax = plot_range_test(result)
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    k = result.stopped_at
    for line in lines:  # the loss curves end at the blow-up: no garbage after it
        assert len(line.get_xdata()) == k + 1
        assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("blew up at lr") for label in labels)
    assert sum(label.split(":")[0] in RULES for label in labels) == 3
    assert ax.get_xscale() == "log"
    plt.close("all")


def test_each_rule_keeps_its_colour_whichever_rules_are_drawn():
    from matplotlib.colors import same_color

    from lrcourse.range_test import RULE_COLORS

    result = range_test(quadratic(condition=10.0), start_lr=1e-3, end_lr=10.0, num_steps=100)
    assert len(set(RULE_COLORS.values())) == len(RULES)  # one colour per rule
    for rules in (tuple(RULES), ("valley",), ("minimum/10", "valley")):
        ax = plot_range_test(result, rules=rules)
        for line in ax.get_lines():
            rule = str(line.get_label()).split(":")[0]
            if rule in RULES:
                assert same_color(line.get_color(), RULE_COLORS[rule])
        plt.close("all")


def test_the_plot_refuses_several_runs_at_once():
    q = quadratic()
    result = range_test(q, params=np.tile(q.start, (2, 1)), num_steps=20)
    with pytest.raises(ValueError, match="pass result.run"):
        plot_range_test(result)
