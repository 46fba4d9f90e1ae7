"""Lecture 06: the comparison protocol (contenders, stack, sweep, confirm) and its explorer."""

import statistics

import numpy as np
import pytest
from explorer_helpers import shown

from lrcourse import experiments
from lrcourse.explorers import compare
from lrcourse.optimizers import sgd
from lrcourse.problems import HeldOut
from lrcourse.schedules import stack
from lrcourse.train import run

SMALL = {"peaks": [0.1, 0.4], "epochs": 1, "names": ("constant", "cosine", "WSD")}


@pytest.fixture(scope="module")
def small():
    """Three schedules at two peaks for one epoch: six networks, 38 updates."""
    return experiments.sweep(**SMALL)


def synthetic(seed=0):
    """A Sweep with the lecture's shapes (8 schedules, 7 peaks, 16 epochs) and made-up curves,
    to time the explorer at full size without training 56 networks."""
    rng = np.random.default_rng(seed)
    S, K, E, spe = len(experiments.NAMES), len(experiments.PEAKS), experiments.EPOCHS, 38
    steps = E * spe
    lr = np.stack(
        [
            s(np.arange(steps))
            for s in experiments.contenders(experiments.PEAKS[:, None], steps).values()
        ]
    )
    decay = np.exp(-np.arange(E + 1) / 4)
    curves = 0.1 + 2.2 * decay * rng.uniform(0.5, 1.5, (S, K, 1))
    diverged = np.zeros((S, K), bool)
    diverged[0, -1] = True
    return experiments.Sweep(
        names=experiments.NAMES,
        peaks=experiments.PEAKS,
        epochs=E,
        steps_per_epoch=spe,
        seed=seed,
        lr=lr,
        train_loss=curves[..., 1:] * 0.8,
        val_loss=curves * 1.1,
        test_loss=curves,
        final_train_loss=curves[..., -1] * 0.8,
        val_accuracy=np.full((S, K), 0.9),
        test_accuracy=np.full((S, K), 0.9),
        diverged=diverged,
    )


# --- the protocol ------------------------------------------------------------------------------


def test_contenders_are_the_eight_schedules_each_reaching_its_peak():
    T = 608
    schedules = experiments.contenders(np.array([[0.1], [0.4]]), T)
    assert tuple(schedules) == experiments.NAMES
    for name, schedule in schedules.items():
        lr = schedule(np.arange(T))
        assert lr.shape == (2, T), name
        top = lr.max(axis=1)
        assert np.all(top <= [0.1, 0.4]) and np.all(top >= [0.099, 0.396]), name
    last = {name: float(s(T - 1)[1, 0]) for name, s in schedules.items()}
    assert last["constant"] == 0.4 and np.isclose(last["step"], 0.004)
    assert last["exponential"] == pytest.approx(0.004, rel=0.01)  # 1% of the peak at the end
    assert last["cosine"] < 1e-5 and last["linear-to-zero"] < 1e-3


def test_stack_puts_each_schedules_rows_one_under_the_other():
    peaks = np.array([[0.1], [0.2], [0.3]])
    schedules = experiments.contenders(peaks, 100)
    lr = stack(schedules.values())(60)
    assert lr.shape == (24, 1)
    for s, schedule in enumerate(schedules.values()):
        np.testing.assert_array_equal(lr[3 * s : 3 * s + 3], schedule(60))


def test_sweep_shapes_and_the_choice_on_validation(small):
    S, K, E = 3, 2, 1
    assert small.names == SMALL["names"] and small.lr.shape == (S, K, 38)
    assert small.train_loss.shape == (S, K, E) and small.val_loss.shape == (S, K, E + 1)
    assert small.final_train_loss.shape == small.test_accuracy.shape == (S, K)
    np.testing.assert_allclose(small.lr[0, :, 0], [0.1, 0.4])  # the constant rate, recorded
    np.testing.assert_array_equal(small.best(), np.argmin(small.val_loss[..., -1], axis=1))
    assert small.row("cosine") == 1


def test_a_network_of_the_sweep_is_the_network_trained_alone(small):
    steps = small.lr.shape[-1]
    cosine = experiments.contenders(0.4, steps)["cosine"]
    alone = run(
        sgd(lr=cosine, momentum=0.9, weight_decay=3e-3),
        HeldOut(),
        steps=steps,
        eval_every="epoch",
        record_params=False,
    )
    np.testing.assert_allclose(alone.metrics["val_loss"], small.val_loss[1, 1], rtol=1e-10)
    np.testing.assert_allclose(alone.lr, small.lr[1, 1])


def test_a_diverged_network_is_never_chosen():
    result = synthetic()
    object.__setattr__(result, "val_loss", result.val_loss.copy())
    result.val_loss[0, -1, -1] = 0.0  # a diverged run with a tempting (meaningless) value
    assert result.final_val_loss[0, -1] == np.inf
    assert result.best()[0] != len(result.peaks) - 1


def test_confirm_retrains_the_chosen_peaks_from_fresh_starts(small):
    fresh = experiments.confirm(small, seeds=(1, 2))
    assert fresh.val_loss.shape == fresh.test_accuracy.shape == (2, 3)
    np.testing.assert_array_equal(fresh.peaks, small.peaks[small.best()])
    assert not np.allclose(fresh.val_loss[0], fresh.val_loss[1])  # two different starts
    assert np.all(np.isfinite(fresh.test_loss))


# --- the explorer ------------------------------------------------------------------------------


def test_the_explorer_starts_at_the_chosen_peaks(small):
    explorer = compare.results_explorer(small, shown=("constant", "cosine"))
    assert explorer.error is None, explorer.status.value
    chosen = small.peaks[small.best()]
    for name, peak in zip(small.names, chosen):
        assert explorer.controls[f"{name}.peak"].value == pytest.approx(peak)
    assert explorer.controls["constant"].value and not explorer.controls["WSD"].value
    assert "constant at peak" in explorer.status.value and "(chosen)" in explorer.status.value
    assert "WSD" not in explorer.status.value


def test_ticking_and_sliding_change_what_is_shown(small):
    explorer = compare.results_explorer(small, shown=("cosine",))
    before = shown(explorer)
    explorer.controls["WSD"].value = True
    assert explorer.error is None and shown(explorer)[0] != before[0]
    assert "WSD at peak" in explorer.status.value
    before = shown(explorer)
    other = [p for p in small.peaks if p != explorer.controls["cosine.peak"].value][0]
    explorer.controls["cosine.peak"].value = other * 1.05  # snapped to the nearest peak tried
    assert shown(explorer)[0] != before[0]
    assert f"cosine at peak {other:.3g}:" in explorer.status.value
    for name in small.names:
        explorer.controls[name].value = False
    assert explorer.status.value == "tick a schedule to see its curves"


def test_a_diverged_run_says_so():
    explorer = compare.results_explorer(synthetic(), shown=("constant",))
    explorer.controls["constant.peak"].value = experiments.PEAKS[-1]
    assert explorer.error is None
    assert "constant at peak 1.6: diverged" in explorer.status.value


def test_the_module_lists_its_explorers():
    assert set(compare.EXPLORERS) == {"results_explorer", "schedule_race"}
    assert all(callable(make) for make in compare.EXPLORERS.values())


def test_slider_updates_are_fast_at_full_size():
    """Prints the median time of ~20 updates (recompute + redraw + PNG); asserts no time."""
    explorer = compare.results_explorer(synthetic(), shown=experiments.NAMES)  # all eight shown
    times = {"slide a peak, 8 schedules shown": [], "tick or untick a schedule": []}
    for name in ("cosine", "step", "WSD"):
        slider = explorer.controls[f"{name}.peak"]
        for peak in [*experiments.PEAKS[1:], *experiments.PEAKS[-2::-1]][:7]:
            if np.isclose(slider.value, peak):
                continue  # an unchanged value triggers no update
            slider.value = float(peak)
            assert explorer.error is None, explorer.status.value
            times["slide a peak, 8 schedules shown"].append(explorer.seconds)
    box = explorer.controls["one-cycle"]
    for _ in range(20):
        box.value = not box.value
        times["tick or untick a schedule"].append(explorer.seconds)
    for what, seconds in times.items():
        assert len(seconds) >= 19
        median = statistics.median(seconds) * 1e3
        print(f"results_explorer, {what}: median of {len(seconds)} updates {median:.1f} ms")
