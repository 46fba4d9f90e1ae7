"""Lecture 11's theory, helpers and explorers, driven without a browser.

The theory functions must agree with what the optimizers and schedulers actually do (RAdam's
rectifier with PyTorch itself, when it is installed); the explorers must react to every control
and answer quickly (the median update time is printed, not asserted: the machine may be busy).
"""

import statistics

import ipywidgets
import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse import plots
from lrcourse.experiments import example_curve, plateau_trace
from lrcourse.explorers import adaptive
from lrcourse.explorers.adaptive import EXPLORERS, adam_schedule_explorer, plateau_explorer
from lrcourse.optimizers import adam, sgd
from lrcourse.plots import log_axis
from lrcourse.problems import Scaled, beale, quadratic, rosenbrock
from lrcourse.schedules import ReduceOnPlateau, warmup_decay
from lrcourse.theory import effective_samples, radam_rectifier, untuned_warmup
from lrcourse.train import run

# --- warmup theory -----------------------------------------------------------------------------


def test_the_untuned_warmup_is_two_over_one_minus_beta2_rounded_to_the_nearest_step():
    assert [untuned_warmup(b) for b in (0.9, 0.98, 0.99, 0.995, 0.999, 0.9999)] == [
        20, 100, 200, 400, 2000, 20000,
    ]  # fmt: skip
    assert int(2 / (1 - 0.999)) == 1999  # the trap the rounding avoids
    assert untuned_warmup(0.9985) == 1333  # 1333.33...: to the nearest, not up
    with pytest.raises(ValueError, match="beta2"):
        untuned_warmup(1.0)


def test_effective_samples_matches_the_weights_of_the_bias_corrected_average():
    for beta2 in (0.9, 0.99, 0.999):
        for t in (1, 2, 7, 100, 3000):
            w = beta2 ** np.arange(t)[::-1] * (1 - beta2) / (1 - beta2**t)
            assert np.isclose(w.sum(), 1.0)
            assert np.isclose(effective_samples(t, beta2), 1 / np.sum(w**2), rtol=1e-9)
    assert np.isclose(effective_samples(10**7, 0.999), 1999.0)


def test_the_spread_of_v_hat_on_noise_follows_sqrt_2_over_n_eff():
    rng = np.random.default_rng(0)
    opt = adam(lr=1.0)
    params, state = np.zeros(4000), opt.init(np.zeros(4000))
    for t in range(1, 301):
        params, state = opt.step(params, rng.standard_normal(4000), state)
        if t in (1, 30, 300):
            v_hat = state.exp_avg_sq / (1 - 0.999**t)
            spread = v_hat.std() / v_hat.mean()
            assert abs(spread / np.sqrt(2 / effective_samples(t, 0.999)) - 1) < 0.06


def test_radams_rectifier_starts_at_step_6_for_beta2_0999():
    # PyTorch's rho_5 = 4.996 and rho_6 = 5.994 (tests/reference golden values): rectified
    # steps begin once rho_t > 5.
    r = radam_rectifier(np.arange(1, 8), 0.999)
    assert (r[:5] == 0).all() and (r[5:] > 0).all()
    assert radam_rectifier(0, 0.999) == 0  # no rho_0; no NaN
    late = radam_rectifier(np.array([10_000, 100_000]), 0.999)
    assert np.all((0.99 < late) & (late <= 1.0))


def test_radams_rectifier_agrees_with_torch():
    torch = pytest.importorskip("torch")
    for beta2 in (0.99, 0.999):
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.RAdam([p], lr=1.0, betas=(0.9, beta2), eps=0.0)
        steps, before = [], 0.0
        for _ in range(400):
            opt.zero_grad()
            p.grad = torch.ones(1, dtype=torch.float64)  # m_hat = 1, sqrt(v_hat) = 1
            opt.step()
            steps.append(before - p.item())
            before = p.item()
        r = radam_rectifier(np.arange(1, 401), beta2)
        rectified = r > 0
        assert np.allclose(np.array(steps)[rectified], r[rectified], rtol=1e-10, atol=1e-12)
        assert np.allclose(np.array(steps)[~rectified], 1.0)  # plain momentum steps: lr * m_hat


def test_radam_and_linear_warmup_withhold_about_one_over_one_minus_beta2_steps_of_rate():
    for beta2 in (0.99, 0.999):
        W = untuned_warmup(beta2)
        t = np.arange(1, 10 * W + 1)
        radam = np.sum(1 - radam_rectifier(t, beta2)) * (1 - beta2)
        ramp = np.sum(1 - np.minimum(1, t / W)) * (1 - beta2)
        assert abs(radam - 1) < 0.1 and abs(ramp - 1) < 0.01


# --- warmup_decay and Scaled -------------------------------------------------------------------


@pytest.mark.parametrize("decay", ["cosine", "linear"])
def test_warmup_decay_ramps_then_ends_with_the_budget(decay):
    schedule = warmup_decay(0.5, warmup_steps=10, total_steps=50, decay=decay)
    lr = schedule(np.arange(60))
    assert np.allclose(lr[:11], 0.5 * np.arange(11) / 10)  # 0 at step 0, the peak at step W
    assert np.all(np.diff(lr[10:51]) < 0) and lr[50] == 0 and (lr[50:] == 0).all()


def test_warmup_decay_matches_optax_convention_and_broadcasts():
    # optax.warmup_cosine_decay_schedule(0, 1, warmup_steps=2, decay_steps=6, end_value=0):
    # the decay_steps include the warmup.
    lr = warmup_decay(1.0, 2, 6)(np.arange(8))
    expected = [0, 0.5, 1, (1 + np.cos(np.pi / 4)) / 2, 0.5, (1 - np.cos(np.pi / 4)) / 2, 0, 0]
    assert np.allclose(lr, expected)
    peaks = np.array([[0.1], [1.0]])
    assert warmup_decay(peaks, 0, 10, "constant")(np.arange(10)).shape == (2, 10)
    assert (warmup_decay(0.3, 0, 10, "constant")(np.arange(10)) == 0.3).all()


def test_warmup_decay_checks_its_arguments():
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_decay(0.1, 100, 100)
    with pytest.raises(ValueError, match="decay"):
        warmup_decay(0.1, 10, 100, decay="step")


def test_adam_does_not_see_the_scale_of_the_loss_and_sgd_does():
    scales = np.array([1e-2, 1.0, 1e2])
    bowl = quadratic(curvatures=[1.0, 10.0], start=[0.5, 0.5])
    family = Scaled(bowl, scales)
    starts = np.tile(bowl.start, (3, 1))
    h = run(adam(lr=0.01, eps=0.0), family, starts, steps=200)  # eps = 0: exactly invariant
    assert np.allclose(h.params[:, 0], h.params[:, 2], rtol=1e-9, atol=1e-15)  # the same path
    s = run(sgd(lr=0.001 / scales[:, None]), family, starts, steps=200)
    assert np.allclose(s.params[:, 0], s.params[:, 1]) and np.allclose(
        s.params[:, 1], s.params[:, 2]
    )
    single = Scaled(rosenbrock(), 3.0)
    point = np.array([0.3, -0.2])
    assert np.isclose(single.loss(point), 3 * rosenbrock().loss(point))
    assert np.allclose(single.grad(point), 3 * rosenbrock().grad(point))
    assert single.min_loss == 0 and single.bounds == rosenbrock().bounds
    with pytest.raises(ValueError, match="scale"):
        Scaled(bowl, -1.0)


# --- plateau_trace -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cooldown, expected",
    [
        (0, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 1e-4]),
        (1, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]),
    ],
)
def test_plateau_trace_reproduces_pytorchs_golden_values(cooldown, expected):
    # framework-semantics: a constant metric, patience=2 (matches pytorch#2545).
    trace = plateau_trace(np.ones(10), 0.1, patience=2, cooldown=cooldown)
    assert np.allclose(trace.lr, expected, rtol=1e-12)
    assert trace.improved.tolist() == [True] + [False] * 9
    assert np.array_equal(trace.reductions, np.flatnonzero(np.diff(np.r_[0.1, trace.lr])))


def test_plateau_trace_agrees_with_stepping_the_object_and_records_the_level_to_beat():
    metrics = example_curve(30)
    trace = plateau_trace(metrics, 0.02, patience=1, factor=0.5, threshold=0.01)
    plateau = ReduceOnPlateau(0.02, patience=1, factor=0.5, threshold=0.01)
    assert np.allclose(trace.lr, [float(plateau.step(m)) for m in metrics])
    assert np.isinf(trace.to_beat[0])
    assert (trace.improved == (metrics < trace.to_beat)).all()
    for r in trace.reductions:  # each cut followed patience + 1 = 2 bad epochs
        assert not trace.improved[r] and not trace.improved[r - 1]
    with pytest.raises(ValueError, match="metrics"):
        plateau_trace(np.ones((2, 2)), 0.1)


def test_example_curve_is_deterministic_and_shaped_like_a_validation_curve():
    a, b = example_curve(), example_curve()
    assert np.array_equal(a, b) and a.shape == (40,)
    assert a[0] > 1 and a.argmin() > 5 and a[-1] > a.min()  # falls, then overfits


def test_log_axis_labels_in_plain_numbers():
    fig, (narrow, wide) = plots.subplots(1, 2)
    narrow.plot([1, 10], [0.15, 0.7])
    wide.plot([1, 10], [1e-10, 1.0])
    log_axis(narrow)
    log_axis(wide, "both")
    fig.canvas.draw()

    def visible(ax):
        low, high = ax.get_ylim()
        format_tick = ax.yaxis.get_major_formatter()
        return [format_tick(y, 0) for y in ax.get_yticks() if low <= y <= high]

    assert visible(narrow) == ["0.2", "0.5"]
    assert "1e-10" in visible(wide) and "0.2" not in visible(wide)
    assert wide.get_xscale() == "log"
    with pytest.raises(ValueError, match="which"):
        log_axis(narrow, "z")


# --- the explorers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_adam_explorer():
    return adam_schedule_explorer(steps=120, warmups=[0, 20, 40, 80], peak=1.0)


def test_the_adam_explorer_reacts_to_every_control(small_adam_explorer):
    explorer = small_adam_explorer
    assert isinstance(explorer.controls["peak"], ipywidgets.FloatLogSlider)
    for name, value in [("warmup", 40), ("decay", "constant"), ("peak", 0.1), ("decay", "linear")]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer)[0] != before[0] and shown(explorer)[1] != before[1]


def test_the_adam_explorer_shows_the_first_step_jump_that_warmup_removes():
    explorer = adam_schedule_explorer(steps=100, warmups=[0, 50])
    assert "highest 386" in explorer.status.value  # the first step: both coordinates + 1
    explorer.controls["warmup"].value = 50
    highest = float(explorer.status.value.split("highest ")[1].split(" ")[0])
    assert highest < 30
    assert "2/(1 - beta2) = 200" in explorer.status.value


def test_the_adam_explorer_snaps_the_peak_to_its_grid_and_checks_arguments(small_adam_explorer):
    explorer = small_adam_explorer
    explorer.controls["peak"].value = 0.011  # between grid points 0.01 and 0.0158
    assert explorer.status.value.startswith("peak lr 0.01,")
    with pytest.raises(ValueError, match="2-D"):
        adam_schedule_explorer(quadratic(curvatures=[1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="warmups"):
        adam_schedule_explorer(steps=50, warmups=[0, 50])


def test_the_adam_explorer_takes_other_landscapes():
    explorer = adam_schedule_explorer(beale(), steps=60, warmups=[0, 30], peak=0.1, beta2=0.9)
    assert explorer.error is None and "2/(1 - beta2) = 20" in explorer.status.value


def test_the_plateau_explorer_reacts_to_every_control():
    explorer = plateau_explorer(example_curve(25), lr=0.02, patience=2, factor=0.3)
    for name, value in [("patience", 0), ("factor", 0.5), ("threshold", 0.02), ("cooldown", 2)]:
        before = shown(explorer)
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        assert shown(explorer) != before, name


def test_the_plateau_explorer_reports_what_plateau_trace_computes():
    curve = example_curve(20)
    explorer = plateau_explorer(curve, lr=0.02, patience=1, factor=0.5)
    trace = plateau_trace(curve, 0.02, patience=1, factor=0.5)
    after = ", ".join(str(r + 1) for r in trace.reductions)
    assert explorer.status.value.startswith(
        f"{len(trace.reductions)} reductions, after epochs {after}"
    )
    explorer.controls["patience"].value = 8  # too patient for this curve
    assert explorer.status.value.startswith("0 reductions;")
    with pytest.raises(ValueError, match="metrics"):
        plateau_explorer([1.0])


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_every_listed_explorer_builds_reacts_and_is_fast(name):
    explorer = EXPLORERS[name]()
    assert explorer.error is None, explorer.status.value
    before = shown(explorer)
    if name == "adam_schedule_explorer":
        moves = [("peak", p) for p in 10.0 ** np.linspace(-2, 0, 11)]
        moves += [("warmup", w) for w in range(0, 401, 50)]
    else:
        moves = [("patience", p) for p in (0, 1, 2, 3, 4, 5, 6, 7, 8, 2)]
        moves += [("factor", f) for f in (0.1, 0.2, 0.4, 0.6, 0.8)]
        moves += [("threshold", t) for t in (1e-3, 1e-2, 3e-2, 1e-4, 1e-5)]
    times = []
    for control, value in moves:
        explorer.controls[control].value = value
        assert explorer.error is None, explorer.status.value
        times.append(explorer.seconds)
    assert shown(explorer) != before
    print(f"{name}: median update {1e3 * statistics.median(times):.0f} ms over {len(times)} moves")


def test_the_module_lists_its_explorers():
    assert set(EXPLORERS) == {"adam_schedule_explorer", "plateau_explorer"}
    assert all(callable(make) for make in adaptive.EXPLORERS.values())
