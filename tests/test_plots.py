"""The course's figures: labelled, log-scaled where promised, honest about diverged runs."""

import dataclasses
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrcourse import plots
from lrcourse.optimizers import sgd
from lrcourse.problems import quadratic, rosenbrock
from lrcourse.schedules import cosine_decay, exponential_decay, step_decay
from lrcourse.train import run


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def bowl():
    return quadratic(condition=10)  # L = 10: stable below lr = 0.2


def labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_figures_use_the_course_style():
    ax = plots.plot_schedules(cosine_decay(0.1, 100), 100)
    assert ax.figure.dpi == plots.STYLE["figure.dpi"]
    assert tuple(ax.figure.get_size_inches()) == plots.STYLE["figure.figsize"]
    assert ax.get_lines()[0].get_color().lower() == plots.COLORS[0].lower()


def test_schedules_are_labelled_and_evaluated_over_the_horizon():
    ax = plots.plot_schedules(
        {"cosine": cosine_decay(0.1, 50), "step": step_decay(0.1, step_size=20)}, steps=50
    )
    assert labels(ax) == ["cosine", "step"]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate" and ax.get_title()
    x, y = ax.get_lines()[0].get_data()
    np.testing.assert_array_equal(x, np.arange(50))
    np.testing.assert_allclose(y, cosine_decay(0.1, 50)(np.arange(50)))


def test_a_swept_schedule_draws_one_line_per_setting_with_one_label():
    lrs = np.array([[0.1], [0.2], [0.4]])
    ax = plots.plot_schedules({"sweep": cosine_decay(lrs, 30)}, 30)
    assert len(ax.get_lines()) == 3
    assert labels(ax) == ["sweep"]


def test_log_axis_for_schedules():
    ax = plots.plot_schedules({"exp": exponential_decay(0.1, gamma=0.9)}, 40, log=True)
    assert ax.get_yscale() == "log"


def test_a_list_of_runs_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="dict"):
        plots.plot_schedules([cosine_decay(0.1, 10)], 10)


def test_contour_levels_are_log_spaced_and_start_and_minimum_are_marked(bowl):
    fig, ax = plt.subplots()
    plots.contours(ax, bowl)
    (contour,) = [c for c in ax.collections if hasattr(c, "levels")]
    ratios = np.diff(np.log(contour.levels - bowl.min_loss))
    np.testing.assert_allclose(ratios, ratios[0])
    marked = {line.get_label(): line.get_xydata()[0] for line in ax.get_lines()}
    np.testing.assert_allclose(marked["start"], bowl.start)
    np.testing.assert_allclose(marked["minimum"], bowl.minimum)
    assert ax.get_xlim() == bowl.bounds[0] and ax.get_ylim() == bowl.bounds[1]


def test_converging_and_diverged_paths(bowl):
    good = run(sgd(lr=0.1), bowl, steps=30)
    bad = run(sgd(lr=0.3), bowl, steps=30)  # above 2/L
    assert bad.diverged
    ax = plots.plot_trajectories(bowl, {"lr = 0.1": good, "lr = 0.3": bad})
    assert "lr = 0.1" in labels(ax)
    assert f"lr = 0.3 (diverged at step {bad.diverged_at})" in labels(ax)
    (bad_line,) = [line for line in ax.get_lines() if line.get_label().startswith("lr = 0.3")]
    path = bad_line.get_xydata()
    assert np.isfinite(path).all()
    # Cut near the view, not drawn out to 1e6 (which would squash the contours to a dot).
    (x_lo, x_hi), (y_lo, y_hi) = bowl.bounds
    assert np.abs(path).max() <= 3 * max(x_hi - x_lo, y_hi - y_lo)
    assert bad_line.get_linestyle() == "--"
    assert ax.get_xlim() == bowl.bounds[0]  # the view stays on the problem


def test_a_path_that_leaves_the_view_without_diverging_says_so():
    far = rosenbrock()
    history = run(sgd(lr=2e-3), far, steps=3)
    history = dataclasses.replace(history, params=history.params * 1e3)
    ax = plots.plot_trajectories(far, {"far": history})
    assert "far (left the plot)" in labels(ax)


def test_loss_curves_stop_at_divergence_and_mark_the_step(bowl):
    good = run(sgd(lr=0.1), bowl, steps=30)
    bad = run(sgd(lr=0.3), bowl, steps=30)
    ax = plots.plot_losses({"good": good, "bad": bad})
    assert ax.get_yscale() == "log"
    k = bad.diverged_at
    assert f"bad (diverged at step {k})" in labels(ax)
    for line in ax.get_lines():
        assert np.isfinite(line.get_ydata()).all(), line.get_label()
    (curve,) = [line for line in ax.get_lines() if line.get_label().startswith("bad")]
    assert len(curve.get_xdata()) == k  # steps 0 .. k-1; the loss at k is off the scale
    assert any(np.all(line.get_xdata() == k) for line in ax.get_lines())  # the marker at k


def test_excess_loss(bowl):
    history = run(sgd(lr=0.1), bowl, steps=10)
    ax = plots.plot_losses({"run": history}, min_loss=1.0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), history.loss - 1.0)
    assert ax.get_ylabel() == "loss - min loss"


def test_lr_sweep_is_log_log_with_diverged_rates_marked_and_the_best_starred():
    lrs = np.array([0.01, 0.03, 0.1, 0.3, 1.0])
    losses = np.array([1.0, 0.1, 0.01, np.inf, np.nan])
    ax = plots.plot_lr_sweep(lrs, losses)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "learning rate"
    by_label = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(by_label["diverged"].get_xdata(), [0.3, 1.0])
    np.testing.assert_array_equal(by_label["final loss"].get_xdata(), [0.01, 0.03, 0.1])
    assert "best lr = 0.1" in by_label


def test_lr_sweep_diverged_flag_and_shape_check():
    ax = plots.plot_lr_sweep([0.1, 1.0], [0.5, 2.0], diverged=[False, True])
    by_label = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(by_label["diverged"].get_xdata(), [1.0])
    with pytest.raises(ValueError, match="same length"):
        plots.plot_lr_sweep([0.1, 1.0], [0.5])


def test_train_test_marks_the_lowest_test_loss():
    train = np.geomspace(1, 0.01, 20)
    test = np.r_[np.geomspace(1, 0.1, 10), np.geomspace(0.12, 0.5, 10)]
    ax = plots.plot_train_test(train, test)
    assert labels(ax)[:2] == ["train", "test"]
    assert "lowest test loss (step 9)" in labels(ax)
    with pytest.raises(ValueError, match="same length"):
        plots.plot_train_test(train, test[:5])


def test_runs_splits_a_sweep_into_single_runs(bowl):
    lrs = np.array([0.1, 0.3])
    sweep = run(sgd(lr=lrs[:, None]), bowl, np.tile(bowl.start, (2, 1)), steps=30)
    split = plots.runs(sweep, ["slow", "fast"])
    alone = run(sgd(lr=0.3), bowl, steps=30)
    assert split["fast"].diverged_at == alone.diverged_at
    assert split["slow"].diverged_at is None
    np.testing.assert_array_equal(split["slow"].loss, run(sgd(lr=0.1), bowl, steps=30).loss)
    with pytest.raises(ValueError, match="labels"):
        plots.runs(sweep, ["one"])


def test_a_whole_sweep_is_refused_with_a_hint(bowl):
    sweep = run(sgd(lr=np.array([[0.1], [0.2]])), bowl, np.tile(bowl.start, (2, 1)), steps=5)
    with pytest.raises(ValueError, match="plots.runs"):
        plots.plot_losses({"sweep": sweep})
    with pytest.raises(ValueError, match="plots.runs"):
        plots.plot_trajectories(bowl, {"sweep": sweep})


def test_figures_are_deterministic(bowl):
    def draw():
        history = run(sgd(lr=0.15), bowl, steps=20)
        fig, (a, b) = plots.subplots(1, 2)
        plots.plot_trajectories(bowl, {"run": history}, ax=a)
        plots.plot_losses({"run": history}, ax=b)
        return png(fig)

    assert draw() == draw()
