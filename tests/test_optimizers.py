"""Properties of lrcourse.optimizers that do not need PyTorch (the numbers themselves are compared
with PyTorch in test_reference.py): pure functions, PyTorch's state names, schedules as lr,
batched sweeps equal to their runs one by one, and dtypes that stay put."""

import numpy as np
import pytest

from lrcourse import optimizers, schedules

# Every optimizer with its options switched on, each in a few combinations.
CONFIGS = {
    "sgd": dict(lr=0.05),
    "sgd momentum": dict(lr=0.05, momentum=0.9),
    "sgd dampening weight_decay": dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1),
    "sgd nesterov": dict(lr=0.05, momentum=0.9, nesterov=True),
    "adagrad": dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.2, weight_decay=0.1),
    "rmsprop": dict(lr=0.01),
    "rmsprop centered momentum": dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
    "adadelta": dict(lr=1.0, rho=0.8, weight_decay=0.1),
    "adam": dict(lr=0.01),
    "adam amsgrad weight_decay": dict(lr=0.01, amsgrad=True, weight_decay=0.1, eps=1e-3),
    "adamw": dict(lr=0.01, weight_decay=0.1, amsgrad=True),
    "nadam": dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01),
    "sgd_schedule_free": dict(lr=0.05),
    "sgd_schedule_free warmup": dict(
        lr=0.05, momentum=0.5, weight_decay=0.1, warmup_steps=3, r=1.0
    ),
    "adamw_schedule_free": dict(lr=0.01, weight_decay=0.1, warmup_steps=2, weight_lr_power=1.0),
    "prodigy": dict(lr=1.0),
    "prodigy options": dict(
        lr=0.5, weight_decay=0.1, use_bias_correction=True, safeguard_warmup=True, growth_rate=1.1
    ),
}


def make(name, **overrides):
    return getattr(optimizers, name.split()[0])(**{**CONFIGS[name], **overrides})


def gradients(steps, shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((steps, *shape)) * np.logspace(-3, 1, shape[-1])


def run(opt, params, grads):
    """Params after each step, and the final state."""
    state = opt.init(params)
    trajectory = []
    for g in grads:
        params, state = opt.step(params, g, state)
        trajectory.append(params)
    return np.array(trajectory), state


def arrays_of(state):
    return [x for x in state if isinstance(x, np.ndarray)]


# --- pure functions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONFIGS)
def test_inputs_are_never_mutated(name):
    """params, grads and state come back untouched: read-only arrays would raise on any write,
    and copies taken before each step must still equal them after it."""
    opt = make(name)
    params = np.linspace(-1.0, 1.0, 5)
    state = opt.init(params)
    for g in gradients(6, (5,)):
        inputs = [params, g, *arrays_of(state)]
        before = [x.copy() for x in inputs]
        for x in inputs:
            x.setflags(write=False)
        new_params, new_state = opt.step(params, g, state)
        for x, copy in zip(inputs, before):
            np.testing.assert_array_equal(x, copy)
        assert new_params is not params
        assert state.step == new_state.step - 1  # the old state still says what it said
        params, state = new_params, new_state


@pytest.mark.parametrize("name", CONFIGS)
def test_an_old_state_can_be_stepped_again(name):
    """No hidden state: stepping from a kept state twice gives the same result twice."""
    opt = make(name)
    grads = gradients(4, (3,))
    params, state = run(opt, np.ones(3), grads[:3])
    params = params[-1]
    first = opt.step(params, grads[3], state)
    second = opt.step(params, grads[3], state)
    np.testing.assert_array_equal(first[0], second[0])
    for a, b in zip(first[1], second[1]):
        np.testing.assert_array_equal(a, b)


# --- state ---------------------------------------------------------------------------------------

# The names PyTorch's optimizers give their per-parameter state (test_reference.py checks them
# against torch.optim live).
STATE_FIELDS = {
    "sgd": ("step", "momentum_buffer"),
    "adagrad": ("step", "sum"),
    "rmsprop": ("step", "square_avg", "grad_avg", "momentum_buffer"),
    "adadelta": ("step", "square_avg", "acc_delta"),
    "adam": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    "adamw": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    "nadam": ("step", "mu_product", "exp_avg", "exp_avg_sq"),
}


@pytest.mark.parametrize("factory", STATE_FIELDS)
def test_state_is_a_named_tuple_with_pytorch_names_and_a_step_count(factory):
    opt = getattr(optimizers, factory)()
    assert isinstance(opt, optimizers.Optimizer)
    assert opt._fields == ("init", "step", "lr")
    params = np.array([1.0, -2.0])
    state = opt.init(params)
    assert isinstance(state, tuple) and state._fields == STATE_FIELDS[factory]
    assert type(state.step) is int and state.step == 0
    for k in range(1, 4):
        params, state = opt.step(params, np.array([0.5, 0.1]), state)
        assert type(state.step) is int and state.step == k
        for field in state._fields[1:]:
            assert getattr(state, field).shape == params.shape
    text = repr(state)  # a learner can print it
    assert all(f"{field}=" in text for field in STATE_FIELDS[factory])


# --- lr as a schedule ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONFIGS)
def test_a_schedule_is_evaluated_at_state_step_starting_from_0(name):
    """Stepping with lr=schedule equals stepping with the number schedule(k) at update k."""
    schedule = schedules.join([schedules.constant(0.01), schedules.cosine_decay(0.05, 5)], [2])
    calls = []

    def recorded(step):
        calls.append(int(step))
        return schedule(step)

    with_schedule = make(name, lr=recorded)
    assert with_schedule.lr is recorded
    params = by_hand = np.array([1.0, -0.5, 2.0])
    state = hand_state = with_schedule.init(params)
    for k, g in enumerate(gradients(8, (3,))):
        params, state = with_schedule.step(params, g, state)
        by_hand, hand_state = make(name, lr=float(schedule(k))).step(by_hand, g, hand_state)
        np.testing.assert_array_equal(params, by_hand)
    assert calls[0] == 0 and calls == list(range(8))


def test_first_update_uses_schedule_at_0():
    """With a warmup from 0, the first update does nothing and the second moves."""
    opt = optimizers.sgd(lr=schedules.linear_warmup(0.1, warmup_steps=2))
    params, state = opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.array([1.0])))
    assert params[0] == 1.0 and state.step == 1
    assert opt.lr(state.step) == 0.05  # the rate the next update will use
    params, state = opt.step(params, np.array([1.0]), state)
    assert params[0] == 0.95


def test_reduce_on_plateau_as_lr():
    plateau = schedules.ReduceOnPlateau(lr=0.1, patience=0, factor=0.5)
    opt = optimizers.sgd(lr=plateau)
    params, state = opt.step(np.array([1.0]), np.array([1.0]), opt.init(np.array([1.0])))
    np.testing.assert_allclose(params, 0.9)
    plateau.step(1.0)
    plateau.step(1.0)  # no improvement: the rate halves
    params, state = opt.step(params, np.array([1.0]), state)
    np.testing.assert_allclose(params, 0.85)


def test_lr_zero_freezes_the_parameters():
    opt = optimizers.adam(lr=0.0)
    params, _ = run(opt, np.array([1.0, 2.0]), gradients(3, (2,)))
    np.testing.assert_array_equal(params[-1], [1.0, 2.0])


# --- batched sweeps ------------------------------------------------------------------------------

RATES = np.array([[1e-3], [1e-2], [0.1]])

# Which hyperparameters each optimizer takes as a (3, 1) column: one value per run.
COLUMNS = {
    "sgd momentum": dict(momentum=np.array([[0.0], [0.5], [0.9]])),
    "sgd dampening weight_decay": dict(
        momentum=np.array([[0.0], [0.5], [0.9]]),  # a run with momentum 0 ignores dampening
        dampening=np.array([[0.5], [0.0], [0.3]]),
        weight_decay=np.array([[0.0], [0.1], [1.0]]),
    ),
    "sgd nesterov": dict(momentum=np.array([[0.1], [0.5], [0.9]])),
    "adagrad": dict(
        lr_decay=np.array([[0.0], [0.01], [0.1]]),
        initial_accumulator_value=np.array([[0.0], [0.2], [1.0]]),
        eps=np.array([[1e-10], [1e-3], [1e-1]]),
    ),
    "rmsprop centered momentum": dict(
        alpha=np.array([[0.5], [0.9], [0.99]]),
        momentum=np.array([[0.0], [0.5], [0.9]]),
        eps=np.array([[1e-8], [1e-3], [1e-1]]),
    ),
    "adadelta": dict(rho=np.array([[0.5], [0.8], [0.95]]), eps=np.array([[1e-6], [1e-3], [0.1]])),
    "adam amsgrad weight_decay": dict(
        betas=(np.array([[0.0], [0.5], [0.9]]), np.array([[0.9], [0.99], [0.999]])),
        eps=np.array([[1e-8], [1e-3], [1e-1]]),
        weight_decay=np.array([[0.0], [0.1], [1.0]]),
    ),
    "adamw": dict(betas=(0.9, np.array([[0.9], [0.99], [0.999]]))),
    "nadam": dict(
        betas=(np.array([[0.5], [0.8], [0.9]]), 0.99),
        momentum_decay=np.array([[0.0], [4e-3], [0.1]]),
    ),
    "sgd_schedule_free warmup": dict(
        momentum=np.array([[0.1], [0.5], [0.9]]), weight_decay=np.array([[0.0], [0.1], [1.0]])
    ),
    "adamw_schedule_free": dict(
        betas=(np.array([[0.5], [0.8], [0.9]]), 0.99), r=np.array([[0.0], [0.5], [2.0]])
    ),
    "prodigy options": dict(
        d_coef=np.array([[0.5], [1.0], [2.0]]), d0=np.array([[1e-6], [1e-4], [1e-2]])
    ),
}


def one_by_one(name, columns, runs, grads, lr=RATES):
    """The runs of a sweep done separately, each with its row of every column."""

    def pick(x, i):
        if isinstance(x, tuple):
            return tuple(pick(part, i) for part in x)
        return float(x[i, 0]) if isinstance(x, np.ndarray) else x

    rows = []
    for i in range(len(runs)):
        opt = make(name, **{key: pick(value, i) for key, value in {"lr": lr, **columns}.items()})
        rows.append(run(opt, runs[i], grads[:, i])[0])
    return np.stack(rows, axis=1)


@pytest.mark.parametrize("name", CONFIGS)
def test_a_batch_of_three_learning_rates_equals_three_runs(name):
    runs = np.random.default_rng(1).standard_normal((3, 4))
    grads = gradients(20, (3, 4), seed=2)
    batched, state = run(make(name, lr=RATES), runs, grads)
    assert batched.shape == (20, 3, 4) and state.step == 20
    np.testing.assert_allclose(batched, one_by_one(name, {}, runs, grads), rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", COLUMNS)
def test_other_hyperparameters_broadcast_too(name):
    runs = np.random.default_rng(3).standard_normal((3, 4))
    grads = gradients(20, (3, 4), seed=4)
    batched, _ = run(make(name, lr=RATES, **COLUMNS[name]), runs, grads)
    expected = one_by_one(name, COLUMNS[name], runs, grads)
    np.testing.assert_allclose(batched, expected, rtol=1e-14, atol=0)


def test_a_batch_of_schedules_equals_its_runs():
    peaks = np.array([[0.01], [0.05], [0.2]])
    runs = np.ones((3, 2))
    grads = gradients(30, (3, 2), seed=5)
    opt = optimizers.adam(lr=schedules.linear_warmup(schedules.cosine_decay(peaks, 20), 5))
    batched, _ = run(opt, runs, grads)
    for i, peak in enumerate(peaks[:, 0]):
        single = optimizers.adam(lr=schedules.linear_warmup(schedules.cosine_decay(peak, 20), 5))
        np.testing.assert_allclose(batched[:, i], run(single, runs[i], grads[:, i])[0], rtol=1e-14)


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CONFIGS)
def test_float32_params_stay_float32(name, grad_dtype):
    """Even with float64 gradients (what a float64 loss function returns) or a schedule."""
    params = np.array([[1.0, -2.0, 0.5]] * 2, dtype=np.float32)
    for lr in (0.01, schedules.cosine_decay(0.01, 10)):
        opt = make(name, lr=lr)
        state = opt.init(params)
        p = params
        for g in gradients(5, p.shape).astype(grad_dtype):
            p, state = opt.step(p, g, state)
        assert p.dtype == np.float32
        assert all(x.dtype == np.float32 for x in arrays_of(state))
        assert np.all(np.isfinite(p))


@pytest.mark.parametrize("name", CONFIGS)
def test_float64_and_integer_params(name):
    opt = make(name)
    for start in (np.array([1.0, 2.0]), np.array([1, 2]), [1.0, 2.0]):
        state = opt.init(start)
        params, state = opt.step(start, np.array([0.1, -0.1]), state)
        assert params.dtype == np.float64
        assert all(x.dtype == np.float64 for x in arrays_of(state))


@pytest.mark.parametrize("name", CONFIGS)
def test_every_optimizer_descends_a_quadratic(name):
    """A sanity check of signs: 300 steps on 1/2 |x|^2 from (3, -2) end much closer to 0."""
    opt = make(name, weight_decay=0.0) if "weight_decay" in CONFIGS[name] else make(name)
    params = np.array([3.0, -2.0])
    state = opt.init(params)
    for _ in range(300):
        params, state = opt.step(params, params, state)  # the gradient of 1/2 |x|^2 is x
    assert np.linalg.norm(params) < 0.5 * np.linalg.norm([3.0, -2.0])
