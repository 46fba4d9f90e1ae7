"""lrcourse against PyTorch: every schedule and optimizer, step by step, in float64.

Two sources of truth, the same checks:

* golden values that ``tests/reference/record_golden.py`` recorded from ``torch.optim`` and
  ``torch.optim.lr_scheduler`` (torch 2.13.0), so these tests run without PyTorch;
* PyTorch itself, live, when it is importable (the same recording functions, run now). Without
  PyTorch the live tests are skipped, except under ``CI=true``, where a missing PyTorch fails them.

Schedules must agree to 1e-12 relative at every step 0 .. 3 * horizon, optimizers to 1e-10 relative
over 200 steps, except where the course deliberately differs; there the test asserts the difference
and says why. Numbers marked [G] are the golden values of the course's research notes
(framework-semantics.md), quoted at the precision given there.
"""

import copy
import importlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from lrcourse import optimizers, schedules

REFERENCE = Path(__file__).resolve().parent / "reference"
_spec = importlib.util.spec_from_file_location("record_golden", REFERENCE / "record_golden.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)

GOLDEN_SCHEDULES = json.loads((REFERENCE / "golden_schedules.json").read_text())
GOLDEN_OPTIMIZERS = json.loads((REFERENCE / "golden_optimizers.json").read_text())
MOMENTUM_CASES = json.loads((REFERENCE / "golden_momentum.json").read_text())["cases"]
SCHEDULE_CASES = [c for c in GOLDEN_SCHEDULES["cases"] if "metrics" not in c]
PLATEAU_CASES = [c for c in GOLDEN_SCHEDULES["cases"] if "metrics" in c]
OPTIMIZER_CASES = GOLDEN_OPTIMIZERS["cases"]
START = np.array(GOLDEN_OPTIMIZERS["meta"]["params"])
GRADS = np.array(GOLDEN_OPTIMIZERS["meta"]["grads"])
CHECKPOINTS = GOLDEN_OPTIMIZERS["meta"]["checkpoints"]

SCHEDULE_RTOL = 1e-12
OPTIMIZER_RTOL = 1e-10

try:
    import torch
except ImportError:
    torch = None


def build(spec, module=schedules):
    """An lrcourse object from a case's spec, e.g. {"factory": "cosine_decay", "kwargs": {...}}."""
    if isinstance(spec, dict) and "factory" in spec:
        kwargs = {key: build(value) for key, value in spec["kwargs"].items()}
        return getattr(module, spec["factory"])(**kwargs)
    if isinstance(spec, list):
        return [build(item) for item in spec]
    return spec


def ids(cases):
    return [case["name"] for case in cases]


# --- schedules -----------------------------------------------------------------------------------


def check_schedule(case, torch_lr, torch_error):
    """lrcourse's schedule against PyTorch's lr at every step, differences asserted explicitly."""
    ours = build(case["lrcourse"])(np.arange(case["steps"]))
    theirs = np.asarray(torch_lr)
    difference = case["difference"]

    if difference is None:
        assert torch_error is None
        np.testing.assert_allclose(ours, theirs, rtol=SCHEDULE_RTOL, atol=0)

    elif difference["kind"] == "cosine_holds_min":
        # Deliberate difference: PyTorch's CosineAnnealingLR is periodic (period 2 * T_max), so a
        # run that outlives T_max sees its rate climb back to the peak; ours holds at min_lr,
        # which is what a run that goes on after its horizon wants (Optax and Keras clamp too).
        end, t_max = difference["from"], difference["T_max"]
        np.testing.assert_allclose(ours[: end + 1], theirs[: end + 1], rtol=SCHEDULE_RTOL, atol=0)
        assert np.all(ours[end:] == ours[end]), "ours holds at min_lr after the horizon"
        after = np.arange(1, t_max + 1)
        # PyTorch retraces the cosine backwards: step end + j repeats step end - j ...
        np.testing.assert_allclose(theirs[end + after], theirs[end - after], rtol=1e-9, atol=1e-15)
        # ... so it is back at the peak after T_max more steps, while ours is still at the minimum.
        assert np.all(theirs[end + 1 : end + 2 * t_max] > ours[end + 1 : end + 2 * t_max])
        assert theirs[end + t_max] > 10 * ours[end + t_max] or ours[end + t_max] == 0

    elif difference["kind"] == "one_cycle_holds_final":
        # Deliberate difference: PyTorch's OneCycleLR has no rate for step total_steps (the last
        # update is total_steps - 1): it extrapolates the last phase there (up again with cosine
        # annealing, below the minimum, even negative, with linear) and raises after it. Ours
        # holds at the final rate max_lr / (div_factor * final_div_factor) from total_steps - 1.
        total = difference["total_steps"]
        kwargs = case["lrcourse"]["kwargs"]
        final = kwargs["max_lr"] / kwargs["div_factor"] / kwargs["final_div_factor"]
        assert len(theirs) == total + 1
        assert torch_error == (
            f"Tried to step {total + 1} times. The specified number of total steps is {total}"
        )
        np.testing.assert_allclose(ours[:total], theirs[:total], rtol=SCHEDULE_RTOL, atol=0)
        # (the interpolation's start + (final - start) rounds to final within a few ulps of start)
        np.testing.assert_allclose(ours[total - 1], final, rtol=1e-10)
        assert np.all(ours[total - 1 :] == ours[total - 1]), "ours holds at the final rate"
        if kwargs["anneal"] == "cos":  # the cosine reflected: step T repeats step T - 2
            np.testing.assert_allclose(theirs[total], theirs[total - 2], rtol=1e-9)
            assert theirs[total] > theirs[total - 1]
        else:  # the line continued: one more step of the same slope, below the final rate
            slope = theirs[total - 1] - theirs[total - 2]
            np.testing.assert_allclose(theirs[total], theirs[total - 1] + slope, rtol=1e-9)
            assert theirs[total] < theirs[total - 1]
    else:
        raise AssertionError(f"unknown difference {difference}")


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=ids(SCHEDULE_CASES))
def test_schedule_matches_golden(case):
    check_schedule(case, case["torch_lr"], case["torch_error"])


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=ids(SCHEDULE_CASES))
def test_schedule_matches_torch_live(live, case):
    check_schedule(case, *record.torch_schedule(case))


def check_plateau(case, torch_lr):
    plateau = build(case["lrcourse"])
    ours = [float(plateau.lr)] + [float(plateau.step(metric)) for metric in case["metrics"]]
    np.testing.assert_allclose(ours, torch_lr, rtol=SCHEDULE_RTOL, atol=0)


@pytest.mark.parametrize("case", PLATEAU_CASES, ids=ids(PLATEAU_CASES))
def test_reduce_on_plateau_matches_golden(case):
    check_plateau(case, case["torch_lr"])


@pytest.mark.parametrize("case", PLATEAU_CASES, ids=ids(PLATEAU_CASES))
def test_reduce_on_plateau_matches_torch_live(live, case):
    check_plateau(case, record.torch_plateau(case))


def test_every_required_scheduler_is_covered_with_several_settings():
    classes = [c["torch"]["class"] for c in SCHEDULE_CASES + PLATEAU_CASES]
    for cls in [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "PolynomialLR",
        "CosineAnnealingLR",
        "LinearLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "OneCycleLR",
        "SequentialLR",
        "ReduceLROnPlateau",
    ]:
        assert classes.count(cls) >= 3, cls
    cyclic = [c["torch"]["kwargs"] for c in SCHEDULE_CASES if c["torch"]["class"] == "CyclicLR"]
    cyclic_modes = {kwargs["mode"] for kwargs in cyclic}
    assert cyclic_modes == {"triangular", "triangular2", "exp_range"}
    one_cycles = [
        c["torch"]["kwargs"] for c in SCHEDULE_CASES if c["torch"]["class"] == "OneCycleLR"
    ]
    assert {(k["anneal_strategy"], k["three_phase"]) for k in one_cycles} == {
        ("cos", False),
        ("cos", True),
        ("linear", False),
        ("linear", True),
    }
    sequential = [c["lrcourse"]["factory"] for c in SCHEDULE_CASES if "SequentialLR" in c["name"]]
    assert set(sequential) == {"join", "linear_warmup"}


# --- optimizers -----------------------------------------------------------------------------------


def run_ours(case, params, grads):
    """lrcourse's params after 0, 1, ..., len(grads) steps."""
    opt = build(case["lrcourse"], optimizers)
    state = opt.init(params)
    trajectory = [params]
    for g in grads:
        params, state = opt.step(params, g, state)
        trajectory.append(params)
    return np.array(trajectory)


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=ids(OPTIMIZER_CASES))
def test_optimizer_matches_golden(case):
    ours = run_ours(case, START, GRADS)[CHECKPOINTS]
    np.testing.assert_allclose(ours, case["torch_params"], rtol=OPTIMIZER_RTOL, atol=0)


@pytest.mark.parametrize("inputs", ["stored", "fresh"])
@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=ids(OPTIMIZER_CASES))
def test_optimizer_matches_torch_live(live, case, inputs):
    """Every one of the 200 steps; "fresh" draws another start point and other gradients."""
    params, grads = START, GRADS
    if inputs == "fresh":
        rng = np.random.default_rng(OPTIMIZER_CASES.index(case))
        params = rng.normal(0.0, 2.0, 4)
        grads = rng.standard_t(3, (record.STEPS, 4)) * np.array([1e-3, 0.05, 1.0, 20.0])
    theirs = record.torch_optimizer(case, params, grads)
    np.testing.assert_allclose(run_ours(case, params, grads), theirs, rtol=OPTIMIZER_RTOL, atol=0)


# --- cyclical momentum --------------------------------------------------------------------------


def check_momentum(case, theirs):
    """The momentum (or Adam's beta1) lrcourse's schedule gives, against what PyTorch set."""
    ours = build(case["lrcourse"])(np.arange(case["steps"]))
    np.testing.assert_allclose(ours, theirs, rtol=SCHEDULE_RTOL, atol=0)


@pytest.mark.parametrize("case", MOMENTUM_CASES, ids=ids(MOMENTUM_CASES))
def test_cyclical_momentum_matches_golden(case):
    check_momentum(case, case["torch_momentum"])


@pytest.mark.parametrize("case", MOMENTUM_CASES, ids=ids(MOMENTUM_CASES))
def test_cyclical_momentum_matches_torch_live(live, case):
    check_momentum(case, record.torch_momentum(case))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_run_with_cyclical_momentum_matches_torch_live(live, optimizer):
    """OneCycleLR(cycle_momentum=True) drives lr and momentum: 60 steps of the whole optimizer."""
    steps, one = 60, {"total_steps": 60, "pct_start": 0.3}
    params, grads = START[:4], GRADS[:steps, :4]
    with record.float64() as torch:
        param = torch.tensor(params, requires_grad=True)
        if optimizer == "SGD":
            theirs_opt = torch.optim.SGD([param], lr=0.1, momentum=0.9, nesterov=True)
        else:
            theirs_opt = torch.optim.Adam([param], lr=0.1)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(theirs_opt, max_lr=0.1, **one)
        for g in grads:
            param.grad = torch.tensor(g)
            theirs_opt.step()
            scheduler.step()
        theirs = param.detach().numpy()
    lr, momentum = schedules.one_cycle(0.1, **one), schedules.one_cycle_momentum(**one)
    if optimizer == "SGD":
        opt = optimizers.sgd(lr=lr, momentum=momentum, nesterov=True)
    else:
        opt = optimizers.adam(lr=lr, betas=(momentum, 0.999))
    x, state = params.copy(), opt.init(params)
    for g in grads:
        x, state = opt.step(x, g, state)
    np.testing.assert_allclose(x, theirs, rtol=OPTIMIZER_RTOL, atol=0)


def test_optimizer_grid_covers_the_options():
    kwargs = [c["lrcourse"]["kwargs"] for c in OPTIMIZER_CASES]
    factories = {c["lrcourse"]["factory"] for c in OPTIMIZER_CASES}
    assert factories == {"sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam"}
    for option in ["weight_decay", "nesterov", "dampening", "centered", "amsgrad", "lr_decay"]:
        assert any(k.get(option) for k in kwargs), option
    for option in ["initial_accumulator_value", "momentum_decay"]:
        assert any(option in k for k in kwargs), option
    large_eps = {
        c["lrcourse"]["factory"]
        for c in OPTIMIZER_CASES
        if c["lrcourse"]["kwargs"].get("eps") == 1e-2
    }
    assert large_eps == {"adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam"}
    scheduled = {c["lrcourse"]["factory"] for c in OPTIMIZER_CASES if "torch_schedule" in c}
    assert scheduled == factories


MUTATIONS = ["amsgrad", "centered", "nesterov", "eps", "dampening", "weight_decay", "momentum"]
MUTATIONS += ["lr_decay", "initial_accumulator_value", "momentum_decay", "betas", "alpha", "rho"]


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=ids(OPTIMIZER_CASES))
def test_golden_values_detect_a_changed_hyperparameter(case):
    """The grid is sharp enough to fail: flip a flag or move a number by 1% and the run no
    longer matches PyTorch (with eps=1e-2, moving eps shows it sits where PyTorch puts it)."""
    base = case["lrcourse"]
    for key in MUTATIONS:
        if key not in base["kwargs"] or (key == "eps" and base["kwargs"][key] < 1e-2):
            continue
        mutant = copy.deepcopy(case)
        value = mutant["lrcourse"]["kwargs"][key]
        if key == "nesterov":
            value = False
        elif isinstance(value, bool):
            value = not value
        elif isinstance(value, list):
            value = [value[0] * 0.99, value[1]]
        else:
            value = value * 0.99
        mutant["lrcourse"]["kwargs"][key] = value
        ours = run_ours(mutant, START, GRADS)[CHECKPOINTS]
        error = np.max(np.abs(ours - case["torch_params"]) / np.abs(case["torch_params"]))
        assert error > 1e3 * OPTIMIZER_RTOL, f"{key}={value} still matches (error {error:.1e})"


@pytest.mark.parametrize(
    "factory, torch_class, options",
    [
        ("sgd", "SGD", dict(momentum=0.9)),
        ("adagrad", "Adagrad", {}),
        ("rmsprop", "RMSprop", dict(momentum=0.9, centered=True)),
        ("adadelta", "Adadelta", {}),
        ("adam", "Adam", dict(amsgrad=True)),
        ("adamw", "AdamW", dict(amsgrad=True)),
        ("nadam", "NAdam", {}),
    ],
)
def test_state_names_are_pytorchs(live, factory, torch_class, options):
    """The state's fields are the keys of PyTorch's per-parameter state (with every option that
    adds one switched on), plus ``step``, which PyTorch's SGD alone does not keep."""
    param = live.zeros(2, requires_grad=True)
    optimizer = getattr(live.optim, torch_class)([param], lr=0.1, **options)
    param.grad = live.ones(2)
    optimizer.step()
    ours = getattr(optimizers, factory)(**options).init(np.zeros(2))._fields
    assert ours[0] == "step"
    assert set(ours) - {"step"} == set(optimizer.state[param]) - {"step"}


# --- lecture 16: schedule-free and Prodigy against their authors' packages ----------------------

GOLDEN_NO_SCHEDULE = json.loads((REFERENCE / "golden_no_schedule.json").read_text())
NO_SCHEDULE_CASES = GOLDEN_NO_SCHEDULE["cases"]


@pytest.fixture(scope="session")
def reference_packages(live):
    """schedulefree and prodigyopt (the `reference` extra; both run on PyTorch's CPU build)."""
    try:
        return importlib.import_module("schedulefree"), importlib.import_module("prodigyopt")
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("schedulefree and prodigyopt are required under CI=true: .ci/run")
        pytest.skip("schedulefree or prodigyopt not installed: compared with stored values only")


def run_ours_with_x(case, params, grads):
    """lrcourse's params (y for schedule-free) and evaluation points (state.x) at every step."""
    opt = build(case["lrcourse"], optimizers)
    state = opt.init(params)
    trajectory, evaluated = [params], [params]
    for g in grads:
        params, state = opt.step(params, g, state)
        trajectory.append(params)
        evaluated.append(getattr(state, "x", params))
    return np.array(trajectory), np.array(evaluated)


def check_no_schedule(case, ours, ours_x, theirs, theirs_x):
    """To 1e-10 relative, and to 1e-12 of each coordinate's largest size over the run: ours
    computes y = (1 - beta) z + beta x as the paper writes it, the package updates y in place
    by another formula, and where a coordinate crosses zero the two roundings differ by more
    than 1e-10 of the tiny value (not of the run)."""
    for a, b in [(ours, theirs), (ours_x, theirs_x)]:
        if b is None:  # Prodigy has no evaluation point other than its params
            continue
        scale = np.max(np.abs(b), axis=0)  # each coordinate in units of its own size
        np.testing.assert_allclose(a / scale, b / scale, rtol=OPTIMIZER_RTOL, atol=1e-12)


@pytest.mark.parametrize("case", NO_SCHEDULE_CASES, ids=ids(NO_SCHEDULE_CASES))
def test_no_schedule_optimizer_matches_golden(case):
    ours, ours_x = (a[CHECKPOINTS] for a in run_ours_with_x(case, START, GRADS))
    check_no_schedule(case, ours, ours_x, case["reference_params"], case.get("reference_x"))


@pytest.mark.parametrize("inputs", ["stored", "fresh"])
@pytest.mark.parametrize("case", NO_SCHEDULE_CASES, ids=ids(NO_SCHEDULE_CASES))
def test_no_schedule_optimizer_matches_reference_live(reference_packages, case, inputs):
    """Every one of the 200 steps against schedulefree 1.4.1 / prodigyopt 1.1.2."""
    params, grads = START, GRADS
    if inputs == "fresh":
        rng = np.random.default_rng(100 + NO_SCHEDULE_CASES.index(case))
        params = rng.normal(0.0, 2.0, 4)
        grads = rng.standard_t(3, (record.STEPS, 4)) * np.array([1e-3, 0.05, 1.0, 20.0])
    theirs, theirs_x = record.reference_optimizer(case, params, grads)
    check_no_schedule(case, *run_ours_with_x(case, params, grads), theirs, theirs_x)


def test_no_schedule_grid_covers_the_options():
    kwargs = {}
    for case in NO_SCHEDULE_CASES:
        for key, value in case["lrcourse"]["kwargs"].items():
            kwargs.setdefault((case["lrcourse"]["factory"], key), []).append(value)
    for factory in ["sgd_schedule_free", "adamw_schedule_free"]:
        for option in ["weight_decay", "warmup_steps", "r", "weight_lr_power"]:
            assert (factory, option) in kwargs, (factory, option)
    for option in ["use_bias_correction", "safeguard_warmup", "growth_rate", "beta3", "decouple"]:
        assert ("prodigy", option) in kwargs, option
    assert ("sgd_schedule_free", "momentum") in kwargs


NO_SCHEDULE_MUTATIONS = ["momentum", "weight_decay", "warmup_steps", "r", "weight_lr_power", "eps"]
NO_SCHEDULE_MUTATIONS += ["betas", "d_coef", "growth_rate", "beta3", "d0", "safeguard_warmup"]
NO_SCHEDULE_MUTATIONS += ["use_bias_correction", "decouple"]


@pytest.mark.parametrize("case", NO_SCHEDULE_CASES, ids=ids(NO_SCHEDULE_CASES))
def test_no_schedule_golden_values_detect_a_changed_hyperparameter(case):
    for key in NO_SCHEDULE_MUTATIONS:
        if key not in case["lrcourse"]["kwargs"]:
            continue
        mutant = copy.deepcopy(case)
        value = mutant["lrcourse"]["kwargs"][key]
        if isinstance(value, bool):
            value = not value
        elif key == "warmup_steps":
            value = value + 1
        elif isinstance(value, list):
            value = [value[0] * 0.99 if value[0] else 0.01, value[1]]
        else:
            value = value * 0.99 if value else 0.01
        mutant["lrcourse"]["kwargs"][key] = value
        with np.errstate(all="ignore"):  # a mutant may diverge: that is a detection too
            ours = run_ours_with_x(mutant, START, GRADS)[0][CHECKPOINTS]
            theirs = np.array(case["reference_params"])
            error = np.max(np.abs(ours - theirs) / np.abs(theirs))
        assert not error <= 1e3 * OPTIMIZER_RTOL, f"{key}={value} still matches ({error:.1e})"


@pytest.mark.parametrize(
    "factory, package, cls",
    [
        ("sgd_schedule_free", "schedulefree", "SGDScheduleFree"),
        ("adamw_schedule_free", "schedulefree", "AdamWScheduleFree"),
        ("prodigy", "prodigyopt", "Prodigy"),
    ],
)
def test_no_schedule_state_names_are_the_references(reference_packages, factory, package, cls):
    """Every key of the reference's per-parameter state is a field of ours (schedule-free keeps
    its weight_sum and lr_max per group, Prodigy its d, d_max and d_numerator: ours are fields
    too, and schedule-free's x is kept rather than recovered from y and z)."""
    torch = importlib.import_module("torch")
    param = torch.zeros(2, requires_grad=True)
    optimizer = getattr(importlib.import_module(package), cls)([param], lr=0.1)
    if hasattr(optimizer, "train"):
        optimizer.train()
    param.grad = torch.ones(2)
    optimizer.step()
    ours = set(getattr(optimizers, factory)().init(np.zeros(2))._fields)
    assert set(optimizer.state[param]) <= ours
    group = optimizer.param_groups[0]
    assert {
        key for key in ("weight_sum", "lr_max", "d", "d_max", "d_numerator") if key in group
    } <= ours


def test_no_schedule_golden_file_records_the_reference_versions():
    meta = GOLDEN_NO_SCHEDULE["meta"]
    assert meta["torch"].split("+")[0] == record.TORCH_VERSION
    assert {p: meta[p] for p in record.REFERENCE_VERSIONS} == record.REFERENCE_VERSIONS
    stored = [strip(c, {"reference_params", "reference_x"}) for c in NO_SCHEDULE_CASES]
    assert json.loads(json.dumps(record._no_schedule_cases())) == stored


def test_reference_versions_are_the_pinned_reference_extra():
    import tomllib

    extras = tomllib.loads((REFERENCE.parents[1] / "pyproject.toml").read_text())
    reference = extras["project"]["optional-dependencies"]["reference"]
    for package, version in record.REFERENCE_VERSIONS.items():
        assert f"{package}=={version}" in reference, package


# --- the stored values themselves ----------------------------------------------------------------


def test_golden_files_record_torch_2_13_and_stay_small():
    for golden in (GOLDEN_SCHEDULES, GOLDEN_OPTIMIZERS):
        assert golden["meta"]["torch"].split("+")[0] == record.TORCH_VERSION == "2.13.0"
    size = sum(path.stat().st_size for path in REFERENCE.glob("golden_*"))
    assert size < 500_000


def strip(case, recorded):
    return {key: value for key, value in case.items() if key not in recorded}


def test_golden_files_hold_the_cases_the_script_defines():
    """Editing a case in record_golden.py without re-recording fails here."""
    cases = record._schedule_cases() + record._plateau_cases()
    stored = [strip(c, {"torch_lr", "torch_error"}) for c in GOLDEN_SCHEDULES["cases"]]
    assert json.loads(json.dumps(cases)) == stored
    stored = [strip(c, {"torch_params"}) for c in OPTIMIZER_CASES]
    assert json.loads(json.dumps(record._optimizer_cases())) == stored
    params, grads = record.optimizer_inputs()
    np.testing.assert_array_equal(params, START)
    np.testing.assert_array_equal(grads, GRADS)
    assert CHECKPOINTS == record.CHECKPOINTS


def test_golden_values_are_what_this_torch_records(live):
    if live.__version__.split("+")[0] != record.TORCH_VERSION:
        pytest.skip(f"golden values are from torch {record.TORCH_VERSION}, not {live.__version__}")
    for case in SCHEDULE_CASES[::4]:
        lrs, error = record.torch_schedule(case)
        assert (lrs, error) == (case["torch_lr"], case["torch_error"]), case["name"]
    for case in OPTIMIZER_CASES[::4]:
        trajectory = record.torch_optimizer(case, START, GRADS)[CHECKPOINTS]
        # Not bit for bit: torch picks its CPU kernels by what the CPU offers (AVX-512, AVX2),
        # so another machine's torch rounds the last bit differently (seen: 1 element in 60 off
        # by 3e-16 relative). 1e-13 is a thousand times that and a million times below the
        # 1e-10 the course's optimizers are held to against these values.
        np.testing.assert_allclose(trajectory, case["torch_params"], rtol=1e-13, atol=1e-15)


def test_live_torch_leaves_the_default_dtype_alone(live):
    before = live.get_default_dtype()
    record.torch_schedule(SCHEDULE_CASES[0])
    assert live.get_default_dtype() == before


# --- [G] values from the research notes ----------------------------------------------------------


def golden_case(name):
    return next(c for c in GOLDEN_SCHEDULES["cases"] if c["name"] == name)


def test_G_cosine_annealing():
    g = [0.1, 0.0975528258, 0.0904508497, 0.0793892626, 0.0654508497, 0.05]
    g += [0.0345491503, 0.0206107374, 0.0095491503, 0.0024471742, 0.0]
    ours = schedules.cosine_decay(0.1, total_steps=10)(np.arange(21))
    np.testing.assert_allclose(ours[:11], g, rtol=0, atol=5e-11)
    theirs = golden_case("CosineAnnealingLR(T_max=10, eta_min=0.0)")["torch_lr"]
    np.testing.assert_allclose(theirs[:11], g, rtol=0, atol=5e-11)
    # [G] PyTorch: step 11 gives 0.0024471742 again and step 20 gives 0.1; ours stays at 0.
    np.testing.assert_allclose([theirs[11], theirs[20]], [0.0024471742, 0.1], atol=5e-11)
    assert ours[11] == ours[20] == 0.0


def test_G_warm_restarts():
    g = [0.5, 0.5, 0.25, 0.5, 0.42678, 0.25, 0.07322, 0.5, 0.48097]
    ours = schedules.cosine_restarts(0.5, period=1, period_mult=2)(np.arange(9))
    np.testing.assert_allclose(ours, g, rtol=0, atol=5e-6)


def test_G_keras_cosine_restarts_restart_exactly():
    steps = np.array([10, 30, 70, 150, 310, 630])
    ours = schedules.cosine_restarts(1.0, period=10, period_mult=2)
    assert np.all(ours(steps) == 1.0)
    assert np.all(ours(steps - 1) < 0.03)


def test_G_cyclic():
    triangular = [0.001, 0.00225, 0.0035, 0.00475, 0.006, 0.00475, 0.0035, 0.00225, 0.001]
    ours = schedules.cyclic(1e-3, 6e-3, step_size_up=4)(np.arange(9))
    np.testing.assert_allclose(ours, triangular, rtol=1e-12)
    ours = schedules.cyclic(1e-3, 6e-3, step_size_up=4, mode="triangular2")(np.arange(17))
    np.testing.assert_allclose(ours[8:17].max(), 0.0035, rtol=1e-12)  # cycle 2 peaks at half
    assert ours[12] == ours[8:17].max()
    ours = schedules.cyclic(1e-3, 6e-3, step_size_up=4, mode="exp_range", gamma=0.9)(4)
    np.testing.assert_allclose(ours, 0.0042805, rtol=1e-12)


def test_G_one_cycle():
    cos = [0.004, 0.052, 0.1, 0.0950485, 0.0811746, 0.0611262, 0.0388742, 0.0188258]
    cos += [0.00495194, 4e-7]
    ours = schedules.one_cycle(0.1, total_steps=10)(np.arange(11))
    np.testing.assert_allclose(ours[:10], cos, rtol=0, atol=5e-8)
    assert ours[10] == ours[9]  # ours holds at 4e-7 ...
    torch_cos = golden_case(
        "OneCycleLR(0.1, total_steps=10, pct_start=0.3, anneal_strategy='cos', three_phase=False)"
    )["torch_lr"]
    np.testing.assert_allclose(torch_cos[10], 0.00495194, rtol=0, atol=5e-9)  # ... PyTorch rebounds
    torch_linear = golden_case(
        "OneCycleLR(0.1, total_steps=10, pct_start=0.3, anneal_strategy='linear', "
        "three_phase=False)"
    )["torch_lr"]
    np.testing.assert_allclose(torch_linear[10], -0.0142853, rtol=0, atol=5e-8)  # a negative rate
    linear = schedules.one_cycle(0.1, total_steps=10, anneal="linear")(np.arange(11))
    assert linear.min() == linear[10] == linear[9] > 0
    three = schedules.one_cycle(0.1, total_steps=10, three_phase=True)(np.arange(10))
    np.testing.assert_allclose(three[:6], [0.004, 0.052, 0.1, 0.052, 0.004, 0.00361807], rtol=1e-6)
    np.testing.assert_allclose(three[9], 4e-7, rtol=1e-12)


def test_G_multistep_and_warmup_cosine():
    ours = schedules.multistep_decay(1.0, milestones=[3, 6])(np.arange(8))
    np.testing.assert_allclose(ours, [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01], rtol=1e-12)
    # Optax warmup_cosine_decay(warmup=2, decay_steps=6, end=0.1) == Keras CosineDecay(W=2, D=4):
    # the cosine behind a warmup counts its own steps from the end of the warmup.
    warm = schedules.linear_warmup(schedules.cosine_decay(1.0, 4, min_lr=0.1), warmup_steps=2)
    g = [0, 0.5, 1, 0.868198, 0.55, 0.231802, 0.1, 0.1, 0.1]
    np.testing.assert_allclose(warm(np.arange(9)), g, rtol=0, atol=5e-7)


def test_G_linear_lr_docstring_is_one_epoch_off():
    ours = schedules.linear_warmup(0.05, warmup_steps=40, start_factor=0.05)(np.arange(2))
    np.testing.assert_allclose(ours, [0.0025, 0.0036875], rtol=1e-12)


def test_G_reduce_on_plateau():
    for cooldown, g in [
        (0, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 1e-4]),
        (1, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]),
    ]:
        plateau = schedules.ReduceOnPlateau(0.1, patience=2, cooldown=cooldown)
        np.testing.assert_allclose([plateau.step(1.0) for _ in range(10)], g, rtol=1e-12)


def test_G_nadam_momentum_schedule():
    for psi, g in [
        (4e-3, [0.450073, 0.450147, 0.450734, 0.457288, 0.517794]),
        (1.0, [0.468, 0.48528, 0.600825, 0.892408, 0.9]),
    ]:
        opt = optimizers.nadam(momentum_decay=psi)
        params, state = np.zeros(1), opt.init(np.zeros(1))
        products = [1.0]
        for _ in range(1000):
            params, state = opt.step(params, np.ones(1), state)
            products.append(state.mu_product[0])
        mu = np.array(products[1:]) / np.array(products[:-1])  # mu_t = prod_t / prod_(t-1)
        np.testing.assert_allclose(mu[[0, 1, 9, 99, 999]], g, rtol=0, atol=5e-7)


def test_G_first_steps():
    g = np.array([1e-6, 1e-3, 1.0])
    opt = optimizers.adam()
    moved = -opt.step(np.zeros(3), g, opt.init(np.zeros(3)))[0]
    np.testing.assert_allclose(moved, [9.901e-4, 9.9999e-4, 1e-3], rtol=5e-5)
    opt = optimizers.adagrad()
    moved = -opt.step(np.zeros(1), np.ones(1), opt.init(np.zeros(1)))[0] / 1e-2
    np.testing.assert_allclose(moved, 0.9999999999, rtol=1e-12)
    opt = optimizers.rmsprop()
    moved = -opt.step(np.zeros(1), np.ones(1), opt.init(np.zeros(1)))[0] / 1e-2
    np.testing.assert_allclose(moved, 10.0, rtol=1e-6)
