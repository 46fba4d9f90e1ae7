"""lrcourse.train.run: the history, divergence, sweeps, mini-batches, evaluation and callbacks."""

import numpy as np
import pytest

from lrcourse import problems as P
from lrcourse import schedules as S
from lrcourse.optimizers import adam, sgd
from lrcourse.train import History, minibatches, run


def test_history_of_a_single_run():
    q = P.quadratic(condition=10.0)
    h = run(sgd(lr=0.1), q, steps=50)
    assert isinstance(h, History)
    assert h.params.shape == (51, 2) and h.loss.shape == (51,) and h.lr.shape == (50,)
    assert h.steps == 50 and h.diverged is False and h.diverged_at is None
    np.testing.assert_array_equal(h.params[0], q.start)
    np.testing.assert_array_equal(h.final_params, h.params[-1])
    np.testing.assert_array_equal(h.loss, q.loss(h.params))
    np.testing.assert_array_equal(h.lr, 0.1)
    assert h.final_loss == h.loss[-1] < 1e-4
    # Each recorded point is one gradient step from the one before.
    np.testing.assert_allclose(h.params[1:], h.params[:-1] - 0.1 * q.grad(h.params[:-1]))
    assert repr(h) == f"History(quadratic, 50 steps: final loss {h.loss[-1]:.3g})"
    assert h.eval_steps.shape == (0,) and h.metrics == {}


def test_the_start_is_not_mutated_and_defaults_to_problem_start():
    q = P.quadratic(condition=4.0)
    start = np.array([3.0, -1.0])
    h = run(sgd(lr=0.1), q, params=start, steps=5)
    np.testing.assert_array_equal(start, [3.0, -1.0])
    np.testing.assert_array_equal(h.params[0], start)
    np.testing.assert_array_equal(run(sgd(lr=0.1), q, steps=0).params, [q.start])
    assert run(sgd(lr=0.1), q, steps=0).lr.shape == (0,)


def test_lr_records_the_schedule_at_each_step():
    schedule = S.cosine_decay(lr=1e-3, total_steps=30)
    h = run(sgd(lr=schedule), P.rosenbrock(), steps=40, params=np.array([0.5, 0.5]))
    np.testing.assert_allclose(h.lr, schedule(np.arange(40)))
    warm = S.linear_warmup(0.05, warmup_steps=10)
    h = run(adam(lr=warm), P.beale(), steps=20)
    np.testing.assert_allclose(h.lr, warm(np.arange(20)))


def test_lr_of_a_sweep_has_one_rate_per_run():
    q = P.quadratic(condition=10.0)
    lrs = np.array([0.01, 0.05, 0.1])
    h = run(sgd(lr=lrs[:, None]), q, params=np.tile(q.start, (3, 1)), steps=10)
    assert h.lr.shape == (10, 3)
    np.testing.assert_array_equal(h.lr, np.tile(lrs, (10, 1)))


# --- divergence --------------------------------------------------------------------------------


def test_divergence_at_lr_3_over_L_is_reported_at_the_right_step():
    """f = 1/2 L x^2 with lr = 3/L: x_k = (1 - 3)^k x_0, so f_k = 4^k f_0. Starting at f_0 = 2, the
    run crosses 1e12 * max(f_0, 1) = 2e12 when 4^k > 1e12, first at k = 20."""
    L = 4.0
    q = P.quadratic(curvatures=[L], start=[1.0])
    assert q.loss(q.start) == 2.0
    h = run(sgd(lr=3 / L), q, steps=1000)
    assert h.diverged is True and h.diverged_at == 20
    assert h.loss[19] < 2e12 < h.loss[20]
    np.testing.assert_allclose(h.loss[:21], 2.0 * 4.0 ** np.arange(21))
    assert np.isnan(h.loss[21:]).all() and np.isnan(h.params[21:]).all()
    assert np.isfinite(h.params[20]).all()  # the offending point is kept, then NaN
    np.testing.assert_array_equal(h.lr[:20], 3 / L)
    assert np.isnan(h.lr[20:]).all()  # no update was made from step 20 on
    assert np.isnan(h.final_params).all() and np.isnan(h.final_loss)
    assert h.loss.shape == (1001,)  # the arrays keep their shape; the loop stopped early
    assert repr(h) == "History(quadratic, 1000 steps: diverged at step 20 (loss 2.2e+12))"


def test_overflow_to_inf_is_divergence_without_warnings():
    """A rate so large that the loss overflows float64 at once: diverged at step 1, no warning
    (the test suite runs with -W error, so any RuntimeWarning would fail here)."""
    q = P.quadratic(curvatures=[4.0], start=[1.0])
    h = run(sgd(lr=1e160), q, steps=10)
    assert h.diverged_at == 1 and h.loss[1] == np.inf
    h = run(adam(lr=1e300), P.rosenbrock(), steps=10)
    assert h.diverged and h.diverged_at <= 2
    mlp = P.digits_mlp(hidden=8)
    h = run(sgd(lr=1e200), mlp, steps=5, record_params=False, eval_every=1)
    assert h.diverged and np.isnan(h.metrics["test_loss"][h.diverged_at + 1 :]).all()


def test_each_run_of_a_sweep_diverges_on_its_own():
    L = 4.0
    q = P.quadratic(curvatures=[L], start=[1.0])
    lrs = np.array([0.1, 0.45, 0.55, 3 / L])  # 2 / L = 0.5
    h = run(sgd(lr=lrs[:, None]), q, params=np.ones((4, 1)), steps=3000)
    np.testing.assert_array_equal(h.diverged, [False, False, True, True])
    # |1 - lr L| = 1.2: 2 * 1.2^(2k) > 2e12 first at k = 76; |1 - 3| = 2: k = 20.
    np.testing.assert_array_equal(h.diverged_at, [-1, -1, 76, 20])
    for run_index, k in [(2, 76), (3, 20)]:
        assert np.isfinite(h.loss[: k + 1, run_index]).all()
        assert np.isnan(h.loss[k + 1 :, run_index]).all()
        assert np.isnan(h.params[k + 1 :, run_index]).all()
        assert np.isnan(h.lr[k:, run_index]).all()
    assert np.isfinite(h.loss[:, :2]).all() and h.loss[-1, 0] < 1e-12
    np.testing.assert_array_equal(np.isnan(h.final_loss), [False, False, True, True])
    np.testing.assert_array_equal(np.isnan(h.final_params[:, 0]), [False, False, True, True])
    # Each run equals the same run alone, divergence included; history[r] picks it out.
    for r, lr in enumerate(lrs):
        alone = run(sgd(lr=lr), q, params=np.ones(1), steps=3000)
        np.testing.assert_array_equal(h.loss[:, r], alone.loss)
        picked = h[r]
        assert picked.diverged_at == alone.diverged_at and picked.diverged == alone.diverged
        for name in ("loss", "lr", "params", "final_params"):
            np.testing.assert_array_equal(getattr(picked, name), getattr(alone, name))
        assert repr(picked) == repr(alone)
    assert h[2:].loss.shape == (3001, 2) and h[2:].diverged.all()
    with pytest.raises(IndexError, match="single run"):
        alone[0]
    assert repr(h) == (
        "History(quadratic, 3000 steps, 4 runs: 2 diverged (first at step 20); "
        f"final loss of the others {h.loss[-1, 1]:.3g} to {h.loss[-1, 0]:.3g})"
    )


def test_the_loop_stops_when_every_run_has_diverged():
    q = P.quadratic(curvatures=[4.0], start=[1.0])
    calls = []

    class Counting(P.Quadratic):
        def loss_and_grad(self, params, batch=None, rng=None):
            calls.append(1)
            return super().loss_and_grad(params)

    counting = Counting(q.hessian, start=[1.0])
    h = run(sgd(lr=np.array([[1.0], [2.0]])), counting, params=np.ones((2, 1)), steps=100_000)
    assert h.diverged.all() and h.diverged_at.max() < 30
    assert len(calls) == h.diverged_at.max() + 1  # no step computed after the last divergence
    assert h.loss.shape == (100_001, 2) and np.isnan(h.loss[40:]).all()


def test_divergence_threshold_is_relative_to_the_start_and_adjustable():
    q = P.quadratic(curvatures=[4.0], start=[1e3])  # f_0 = 2e6: the limit is 2e18
    h = run(sgd(lr=0.75), q, steps=100)
    assert h.diverged_at == int(np.ceil(np.log(1e12) / np.log(4)))
    h = run(sgd(lr=0.75), q, steps=100, divergence_factor=1e3)
    assert h.diverged_at == int(np.ceil(np.log(1e3) / np.log(4)))
    with pytest.raises(ValueError, match="divergence_factor must be > 0"):
        run(sgd(lr=0.1), q, divergence_factor=0)


def test_a_loss_falling_to_minus_infinity_diverges_too():
    """|loss| is compared, so a run sliding down an unbounded slope is stopped as well; and any
    Problem subclass with loss and grad can be run."""

    class Hilltop(P.Problem):
        name, dim, start = "hilltop", 1, np.array([1.0])

        def loss(self, params):
            return -0.5 * self._params(params)[..., 0] ** 2  # f = -x^2 / 2: no minimum

        def grad(self, params):
            return -self._params(params)

    h = run(sgd(lr=1.0), Hilltop(), steps=100)  # x doubles each step, f = -4^k / 2
    assert h.diverged_at == 21  # |f| > 1e12 * max(|f_0|, 1) = 1e12: 4^k > 2e12, first at k = 21
    assert h.loss[h.diverged_at] < -1e12


# --- sweeps equal their runs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_opt",
    [lambda lr: sgd(lr=lr, momentum=0.9), lambda lr: adam(lr=lr)],
    ids=["sgd-momentum", "adam"],
)
def test_batched_sweep_equals_runs_one_by_one_on_rosenbrock(make_opt):
    r = P.rosenbrock()
    lrs = np.array([1e-4, 3e-4, 1e-3, 3e-3])
    h = run(make_opt(lrs[:, None]), r, params=np.tile(r.start, (4, 1)), steps=300)
    for i, lr in enumerate(lrs):
        alone = run(make_opt(lr), r, steps=300)
        np.testing.assert_allclose(h.params[:, i], alone.params, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h.loss[:, i], alone.loss, rtol=1e-12, atol=1e-14)


def test_batched_mlp_sweep_equals_runs_one_by_one():
    """Two epochs of four networks with different rates and inits: one batched computation equals
    four separate runs (the same mini-batches, the same arithmetic)."""
    mlp = P.digits_mlp(hidden=16, batch_size=64)
    starts = mlp.init_params(np.random.default_rng(4), (4,))
    lrs = np.array([0.01, 0.05, 0.2, 0.5])
    steps = 2 * mlp.steps_per_epoch
    h = run(
        sgd(lr=lrs[:, None], momentum=0.9), mlp, params=starts, steps=steps, seed=3, eval_every=19
    )
    for i in range(4):
        alone = run(
            sgd(lr=lrs[i], momentum=0.9), mlp, starts[i], steps=steps, seed=3, eval_every=19
        )
        np.testing.assert_allclose(h.loss[:, i], alone.loss, rtol=1e-12)
        np.testing.assert_allclose(h.params[:, i], alone.params, rtol=1e-12, atol=1e-14)
        for name, values in h.metrics.items():
            np.testing.assert_allclose(values[:, i], alone.metrics[name], rtol=1e-12)


def test_grid_shaped_sweeps():
    """Leading axes may be a grid: 3 rates x 2 momenta = params of shape (3, 2, dim)."""
    q = P.quadratic(condition=10.0)
    lr = np.array([0.01, 0.05, 0.1])[:, None, None]
    momentum = np.array([0.0, 0.9])[None, :, None]
    h = run(sgd(lr=lr, momentum=momentum), q, params=np.broadcast_to(q.start, (3, 2, 2)), steps=20)
    assert h.params.shape == (21, 3, 2, 2) and h.loss.shape == (21, 3, 2)
    assert h.lr.shape == (20, 3, 2) and h.diverged_at.shape == (3, 2)
    alone = run(sgd(lr=0.05, momentum=0.9), q, steps=20)
    np.testing.assert_allclose(h.loss[:, 1, 1], alone.loss, rtol=1e-13)


# --- mini-batches ------------------------------------------------------------------------------


def test_minibatches_are_epochs_without_replacement():
    batches = minibatches(10, 3, np.random.default_rng(0))
    for _ in range(3):
        epoch = [next(batches) for _ in range(4)]
        assert [len(b) for b in epoch] == [3, 3, 3, 1]
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(10))
    a = minibatches(100, 10, np.random.default_rng(1))
    b = minibatches(100, 10, np.random.default_rng(1))
    first = [next(a) for _ in range(20)]
    np.testing.assert_array_equal(first, [next(b) for _ in range(20)])
    assert not np.array_equal(first[:10], first[10:])  # reshuffled each epoch


def test_run_uses_the_minibatches_from_the_seed():
    """The loss recorded at step k is the mini-batch loss on batch k of ``minibatches``."""
    p = P.linear_regression(n_train=50, batch_size=8, dim=3)
    h = run(sgd(lr=0.05), p, steps=20, seed=7)
    batches = minibatches(50, 8, np.random.default_rng(7))
    for k in range(21):
        np.testing.assert_allclose(h.loss[k], p.loss(h.params[k], next(batches)), rtol=1e-14)
    same = run(sgd(lr=0.05), p, steps=20, seed=7)
    np.testing.assert_array_equal(same.params, h.params)
    assert not np.array_equal(run(sgd(lr=0.05), p, steps=20, seed=8).params, h.params)
    full = P.linear_regression(n_train=50, batch_size=None, dim=3)
    h = run(sgd(lr=0.05), full, steps=5)
    np.testing.assert_allclose(h.loss, full.loss(h.params), rtol=1e-14)


def test_noisy_quadratic_noise_comes_from_the_seed():
    q = P.noisy_quadratic(condition=5.0, sigma=0.5)
    a = run(sgd(lr=0.1), q, steps=30, seed=1)
    b = run(sgd(lr=0.1), q, steps=30, seed=1)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, run(sgd(lr=0.1), q, steps=30, seed=2).params)
    np.testing.assert_array_equal(a.loss, q.loss(a.params))  # the recorded loss is the exact f


# --- evaluation and callbacks ------------------------------------------------------------------


def test_eval_every_records_metrics_including_the_last_step():
    mlp = P.digits_mlp(hidden=16)
    h = run(adam(lr=0.01), mlp, steps=100, eval_every=30, record_params=False)
    np.testing.assert_array_equal(h.eval_steps, [0, 30, 60, 90, 100])
    assert h.params is None and h.final_params.shape == (mlp.dim,)
    assert h.metrics["test_accuracy"].shape == (5,)
    assert h.metrics["test_accuracy"][-1] == mlp.accuracy(h.final_params, "test")
    assert h.metrics["train_loss"][-1] == pytest.approx(mlp.loss(h.final_params))
    assert h.metrics["test_accuracy"][-1] > 0.8  # a few epochs of Adam learn the digits
    h = run(sgd(lr=0.1), mlp, steps=3 * mlp.steps_per_epoch, eval_every="epoch")
    np.testing.assert_array_equal(h.eval_steps, [0, 38, 76, 114])
    q = P.quadratic()
    h = run(sgd(lr=0.1), q, steps=10, eval_every=5)
    np.testing.assert_array_equal(h.metrics["loss"], h.loss[[0, 5, 10]])


def test_reduce_on_plateau_driven_once_per_epoch_by_the_validation_loss():
    """Lecture 11's loop: after each epoch, the validation loss goes to ReduceOnPlateau, whose
    current rate the optimizer reads at every step. The rate may only change at epoch ends, and
    it must follow what the plateau object decided from the metrics the history recorded."""
    mlp = P.digits_mlp(hidden=16)
    plateau = S.ReduceOnPlateau(lr=0.5, factor=0.5, patience=0, threshold=0.0)
    seen = []

    def on_epoch(step, params, metrics):
        seen.append(step)
        plateau.step(metrics["val_loss"])

    epochs, per_epoch = 12, mlp.steps_per_epoch
    h = run(
        sgd(lr=plateau),
        mlp,
        steps=epochs * per_epoch,
        eval_every="epoch",
        callback=on_epoch,
        record_params=False,
    )
    assert seen == [e * per_epoch for e in range(1, epochs + 1)]  # not at step 0
    rates = h.lr.reshape(epochs, per_epoch)
    assert (rates == rates[:, :1]).all()  # constant within each epoch
    expected = [0.5] + [float(lr) for _, lr in plateau.history[:-1]]
    np.testing.assert_allclose(rates[:, 0], expected)
    assert rates[-1, 0] < 0.5  # the validation loss did stall, and the rate was cut
    np.testing.assert_array_equal([m for m, _ in plateau.history], h.metrics["val_loss"][1:])


def test_callback_sees_the_recorded_metrics_and_params():
    q = P.quadratic(condition=10.0)
    log = []
    h = run(sgd(lr=0.05), q, steps=9, eval_every=3, callback=lambda *a: log.append(a))
    assert [step for step, _, _ in log] == [3, 6, 9]
    for step, params, metrics in log:
        np.testing.assert_array_equal(params, h.params[step])
        assert metrics == {"loss": h.loss[step]}


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": -1}, "steps must be an integer >= 0"),
        ({"steps": 2.5}, "steps must be an integer >= 0"),
        ({"seed": -3}, "seed must be an integer >= 0"),
        ({"params": np.zeros(3)}, "params must have a last axis of length 2"),
        ({"eval_every": 0}, "eval_every must be an integer >= 1"),
        ({"eval_every": "epoch"}, "eval_every='epoch' needs a mini-batch problem"),
        ({"callback": 3}, "callback must be a function"),
        ({"record_params": "yes"}, "record_params must be True or False"),
    ],
)
def test_run_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(sgd(lr=0.1), P.rosenbrock(), **kwargs)


def test_run_rejects_things_that_are_not_optimizers_or_problems():
    with pytest.raises(ValueError, match="opt must be an optimizer"):
        run(0.1, P.rosenbrock())
    with pytest.raises(ValueError, match="problem must have loss, grad and dim"):
        run(sgd(lr=0.1), "rosenbrock")


def test_huge_histories_ask_for_record_params_false():
    mlp = P.digits_mlp()
    with pytest.raises(ValueError, match="record_params=False"):
        run(sgd(lr=0.1), mlp, params=np.tile(mlp.start, (64, 1)), steps=1000)
