"""Bad input: every factory, optimizer and schedule call rejects it with a ValueError that names the
parameter, shows the value and says what is allowed. One table, one row per mistake."""

import math

import numpy as np
import pytest

from lrcourse import optimizers, schedules
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

NAN = math.nan
COSINE = cosine_decay(0.1, total_steps=10)
POSITIVE = "must be > 0"
NON_NEGATIVE = "must be >= 0"
INTEGER = "must be an integer >= 1"
FINITE = "must be finite"
NUMBER = "must be a number or an array of numbers"
FLAG = "must be True or False"
INCREASING = "must be a list of strictly increasing integers >= 1"

# (what is called, the call, fragments the message must contain: the parameter, the value as
# shown, and what is allowed). The id's first word names the function under test.
TABLE = [
    # --- schedules: rates
    ("constant lr=0", lambda: constant(0), ["lr", POSITIVE, "got 0"]),
    ("constant lr<0", lambda: constant(-0.1), ["lr", POSITIVE, "got -0.1"]),
    ("constant lr=nan", lambda: constant(NAN), ["lr", FINITE, "got nan"]),
    ("constant lr=inf", lambda: constant(math.inf), ["lr", FINITE, "got inf"]),
    ("constant lr=str", lambda: constant("0.1"), ["lr", NUMBER, "got '0.1'"]),
    ("constant lr=True", lambda: constant(True), ["lr", NUMBER, "got True"]),
    ("constant lr=None", lambda: constant(None), ["lr", NUMBER, "got None"]),
    (
        "constant lr column with a negative",
        lambda: constant(np.array([[0.1], [-1.0]])),
        ["lr", POSITIVE, "got [[0.1], [-1.0]]"],
    ),
    ("step_decay step_size=0", lambda: step_decay(0.1, 0), ["step_size", INTEGER, "got 0"]),
    ("step_decay step_size=2.5", lambda: step_decay(0.1, 2.5), ["step_size", INTEGER, "got 2.5"]),
    ("step_decay step_size=2.0", lambda: step_decay(0.1, 2.0), ["step_size", INTEGER, "got 2.0"]),
    ("step_decay step_size=True", lambda: step_decay(0.1, True), ["step_size", INTEGER, "True"]),
    ("step_decay step_size=str", lambda: step_decay(0.1, "3"), ["step_size", INTEGER, "got '3'"]),
    ("step_decay gamma=0", lambda: step_decay(0.1, 3, 0.0), ["gamma", "must be in (0, 1]", "0.0"]),
    ("step_decay gamma>1", lambda: step_decay(0.1, 3, 1.5), ["gamma", "in (0, 1]", "got 1.5"]),
    ("step_decay gamma=nan", lambda: step_decay(0.1, 3, NAN), ["gamma", FINITE, "got nan"]),
    # --- milestones and boundaries
    (
        "multistep_decay out of order",
        lambda: multistep_decay(0.1, [6, 3]),
        ["milestones", INCREASING, "got [6, 3]"],
    ),
    (
        "multistep_decay repeated",
        lambda: multistep_decay(0.1, [3, 3]),
        ["milestones", INCREASING, "got [3, 3]"],
    ),
    (
        "multistep_decay at 0",
        lambda: multistep_decay(0.1, [0, 5]),
        ["milestones", INCREASING, "got [0, 5]"],
    ),
    (
        "multistep_decay not integers",
        lambda: multistep_decay(0.1, [2.5, 4]),
        ["milestones", INCREASING, "got [2.5, 4]"],
    ),
    (
        "multistep_decay bools",
        lambda: multistep_decay(0.1, [True]),
        ["milestones", INCREASING, "got [True]"],
    ),
    ("multistep_decay one int", lambda: multistep_decay(0.1, 3), ["milestones", INCREASING, "3"]),
    ("multistep_decay None", lambda: multistep_decay(0.1, None), ["milestones", "None"]),
    ("multistep_decay empty", lambda: multistep_decay(0.1, []), ["milestones", "non-empty", "[]"]),
    (
        "multistep_decay gamma",
        lambda: multistep_decay(0.1, [3], gamma=-0.1),
        ["gamma", "in (0, 1]", "got -0.1"],
    ),
    ("join empty", lambda: join([], []), ["schedules", "non-empty", "got []"]),
    (
        "join one schedule, not a list",
        lambda: join(COSINE, [5]),
        ["schedules", "must be a list of schedules or numbers", "got cosine_decay"],
    ),
    (
        "join too few boundaries",
        lambda: join([COSINE, COSINE], []),
        ["boundaries", "len(schedules) - 1 = 1", "got 0"],
    ),
    (
        "join boundary at 0",
        lambda: join([COSINE, COSINE], [0]),
        ["boundaries", INCREASING, "got [0]"],
    ),
    (
        "join boundaries out of order",
        lambda: join([COSINE, COSINE, COSINE], [5, 3]),
        ["boundaries", INCREASING, "got [5, 3]"],
    ),
    (
        "join boundaries not a list",
        lambda: join([COSINE, COSINE], 5),
        ["boundaries", INCREASING, "got 5"],
    ),
    (
        "join a string child",
        lambda: join(["fast", COSINE], [5]),
        ["schedules[0]", NUMBER, "got 'fast'"],
    ),
    # --- the other factories
    (
        "exponential_decay gamma>1",
        lambda: exponential_decay(0.1, 1.01),
        ["gamma", "in (0, 1]", "got 1.01"],
    ),
    (
        "exponential_decay decay_steps=0",
        lambda: exponential_decay(0.1, 0.9, decay_steps=0),
        ["decay_steps", INTEGER, "got 0"],
    ),
    (
        "exponential_decay staircase",
        lambda: exponential_decay(0.1, 0.9, staircase="yes"),
        ["staircase", FLAG, "got 'yes'"],
    ),
    (
        "inverse_time_decay decay_rate<0",
        lambda: inverse_time_decay(0.1, -1.0),
        ["decay_rate", POSITIVE, "got -1.0"],
    ),
    (
        "inverse_time_decay decay_steps=1.5",
        lambda: inverse_time_decay(0.1, 1.0, decay_steps=1.5),
        ["decay_steps", INTEGER, "got 1.5"],
    ),
    (
        "polynomial_decay total_steps=0",
        lambda: polynomial_decay(0.1, 0),
        ["total_steps", INTEGER, "got 0"],
    ),
    (
        "polynomial_decay total_steps<0",
        lambda: polynomial_decay(0.1, -5),
        ["total_steps", INTEGER, "got -5"],
    ),
    ("polynomial_decay power=0", lambda: polynomial_decay(0.1, 10, 0.0), ["power", POSITIVE, "0"]),
    (
        "polynomial_decay end_lr<0",
        lambda: polynomial_decay(0.1, 10, end_lr=-1.0),
        ["end_lr", NON_NEGATIVE, "got -1.0"],
    ),
    (
        "cosine_decay total_steps=2.5",
        lambda: cosine_decay(0.1, 2.5),
        ["total_steps", INTEGER, "got 2.5"],
    ),
    (
        "cosine_decay total_steps=True",
        lambda: cosine_decay(0.1, True),
        ["total_steps", INTEGER, "got True"],
    ),
    (
        "cosine_decay min_lr<0",
        lambda: cosine_decay(0.1, 10, min_lr=-0.1),
        ["min_lr", NON_NEGATIVE, "got -0.1"],
    ),
    (
        "cosine_decay min_lr=nan",
        lambda: cosine_decay(0.1, 10, min_lr=NAN),
        ["min_lr", FINITE, "got nan"],
    ),
    (
        "linear_warmup warmup_steps=0",
        lambda: linear_warmup(COSINE, 0),
        ["warmup_steps", INTEGER, "got 0"],
    ),
    (
        "linear_warmup warmup_steps=2.0",
        lambda: linear_warmup(COSINE, 2.0),
        ["warmup_steps", INTEGER, "got 2.0"],
    ),
    (
        "linear_warmup start_factor>1",
        lambda: linear_warmup(COSINE, 5, start_factor=1.5),
        ["start_factor", "must be in [0, 1]", "got 1.5"],
    ),
    (
        "linear_warmup schedule=None",
        lambda: linear_warmup(None, 5),
        ["schedule", NUMBER, "got None"],
    ),
    (
        "cosine_restarts period=0",
        lambda: cosine_restarts(0.1, 0),
        ["period", INTEGER, "got 0"],
    ),
    (
        "cosine_restarts period_mult=1.5",
        lambda: cosine_restarts(0.1, 10, period_mult=1.5),
        ["period_mult", INTEGER, "got 1.5"],
    ),
    (
        "cosine_restarts period_mult=0",
        lambda: cosine_restarts(0.1, 10, period_mult=0),
        ["period_mult", INTEGER, "got 0"],
    ),
    (
        "cyclic max_lr<base_lr",
        lambda: cyclic(0.1, 0.01, 5),
        ["max_lr", "must be >= base_lr (0.1)", "got 0.01"],
    ),
    (
        "cyclic mode",
        lambda: cyclic(0.01, 0.1, 5, mode="triangle"),
        ["mode", "must be one of 'triangular', 'triangular2', 'exp_range'", "got 'triangle'"],
    ),
    (
        "cyclic mode not a string",
        lambda: cyclic(0.01, 0.1, 5, mode=np.array([1, 2])),
        ["mode", "must be one of 'triangular'", "got [1, 2]"],
    ),
    (
        "cyclic step_size_up=0",
        lambda: cyclic(0.01, 0.1, 0),
        ["step_size_up", INTEGER, "got 0"],
    ),
    (
        "cyclic step_size_down=2.5",
        lambda: cyclic(0.01, 0.1, 5, step_size_down=2.5),
        ["step_size_down", INTEGER, "got 2.5"],
    ),
    (
        "cyclic gamma=0",
        lambda: cyclic(0.01, 0.1, 5, mode="exp_range", gamma=0.0),
        ["gamma", "in (0, 1]", "got 0.0"],
    ),
    (
        "one_cycle total_steps=1",
        lambda: one_cycle(0.1, 1),
        ["total_steps", "must be an integer >= 2", "got 1"],
    ),
    (
        "one_cycle pct_start=0",
        lambda: one_cycle(0.1, 100, pct_start=0.0),
        ["pct_start", "must be in (0, 1)", "got 0.0"],
    ),
    (
        "one_cycle pct_start=1",
        lambda: one_cycle(0.1, 100, pct_start=1.0),
        ["pct_start", "must be in (0, 1)", "got 1.0"],
    ),
    (
        "one_cycle pct_start as a percentage",
        lambda: one_cycle(0.1, 100, pct_start=30),
        ["pct_start", "must be in (0, 1)", "got 30"],
    ),
    (
        "one_cycle a phase of no steps",
        lambda: one_cycle(0.1, 10, pct_start=0.05),
        ["pct_start=0.05", "total_steps=10", "pct_start * total_steps > 1"],
    ),
    (
        "one_cycle anneal",
        lambda: one_cycle(0.1, 100, anneal="cosine"),
        ["anneal", "must be one of 'cos', 'linear'", "got 'cosine'"],
    ),
    (
        "one_cycle div_factor=0",
        lambda: one_cycle(0.1, 100, div_factor=0.0),
        ["div_factor", POSITIVE, "got 0.0"],
    ),
    (
        "one_cycle three_phase=1",
        lambda: one_cycle(0.1, 100, three_phase=1),
        ["three_phase", FLAG, "got 1"],
    ),
    (
        "warmup_stable_decay shape",
        lambda: warmup_stable_decay(0.1, 100, 10, 20, shape="exp"),
        ["shape", "must be one of 'linear', 'cosine', 'sqrt'", "got 'exp'"],
    ),
    (
        "warmup_stable_decay warmup_steps<0",
        lambda: warmup_stable_decay(0.1, 100, -1, 20),
        ["warmup_steps", "must be an integer >= 0", "got -1"],
    ),
    (
        "warmup_stable_decay too long",
        lambda: warmup_stable_decay(0.1, 100, 50, 60),
        ["warmup_steps + decay_steps", "<= total_steps (100)", "got 50 + 60"],
    ),
    # --- ReduceOnPlateau
    ("ReduceOnPlateau lr=0", lambda: ReduceOnPlateau(0.0), ["lr", POSITIVE, "got 0.0"]),
    (
        "ReduceOnPlateau mode",
        lambda: ReduceOnPlateau(0.1, mode="avg"),
        ["mode", "must be one of 'min', 'max'", "got 'avg'"],
    ),
    (
        "ReduceOnPlateau factor=1",
        lambda: ReduceOnPlateau(0.1, factor=1.0),
        ["factor", "must be in (0, 1)", "got 1.0"],
    ),
    (
        "ReduceOnPlateau patience=-1",
        lambda: ReduceOnPlateau(0.1, patience=-1),
        ["patience", "must be an integer >= 0", "got -1"],
    ),
    (
        "ReduceOnPlateau patience=2.5",
        lambda: ReduceOnPlateau(0.1, patience=2.5),
        ["patience", "must be an integer >= 0", "got 2.5"],
    ),
    (
        "ReduceOnPlateau cooldown=True",
        lambda: ReduceOnPlateau(0.1, cooldown=True),
        ["cooldown", "must be an integer >= 0", "got True"],
    ),
    (
        "ReduceOnPlateau threshold_mode",
        lambda: ReduceOnPlateau(0.1, threshold_mode="relative"),
        ["threshold_mode", "must be one of 'rel', 'abs'", "got 'relative'"],
    ),
    (
        "ReduceOnPlateau threshold<0",
        lambda: ReduceOnPlateau(0.1, threshold=-1e-4),
        ["threshold", NON_NEGATIVE, "got -0.0001"],
    ),
    (
        "ReduceOnPlateau eps<0",
        lambda: ReduceOnPlateau(0.1, eps=-1.0),
        ["eps", NON_NEGATIVE, "got -1.0"],
    ),
    (
        "ReduceOnPlateau metric=nan",
        lambda: ReduceOnPlateau(0.1).step(NAN),
        ["metric", FINITE, "got nan"],
    ),
    (
        "ReduceOnPlateau metric=str",
        lambda: ReduceOnPlateau(0.1).step("0.5"),
        ["metric", NUMBER, "got '0.5'"],
    ),
    # --- the step passed to a schedule
    ("schedule step<0", lambda: COSINE(-1), ["step", "must be >= 0", "got -1"]),
    (
        "schedule step array with a negative",
        lambda: COSINE(np.array([0, -3])),
        ["step", "must be >= 0", "got [0, -3]"],
    ),
    (
        "schedule step=2.5",
        lambda: COSINE(2.5),
        ["step", "must be an integer or an array of integers", "got 2.5"],
    ),
    (
        "schedule step=2.0",
        lambda: COSINE(2.0),
        ["step", "must be an integer or an array of integers", "got 2.0"],
    ),
    (
        "schedule step=True",
        lambda: COSINE(True),
        ["step", "must be an integer or an array of integers", "got True"],
    ),
    (
        "schedule float array of steps",
        lambda: COSINE(np.linspace(0, 1, 3)),
        ["step", "must be an integer or an array of integers", "float64"],
    ),
    (
        "schedule step=str",
        lambda: COSINE("3"),
        ["step", "must be an integer or an array of integers", "got '3'"],
    ),
    (
        "ReduceOnPlateau called with a float step",
        lambda: ReduceOnPlateau(0.1)(1.5),
        ["step", "must be an integer", "got 1.5"],
    ),
    # --- optimizers
    ("sgd lr<0", lambda: optimizers.sgd(lr=-0.1), ["lr", NON_NEGATIVE, "got -0.1"]),
    ("sgd lr=nan", lambda: optimizers.sgd(lr=NAN), ["lr", FINITE, "got nan"]),
    ("sgd lr=str", lambda: optimizers.sgd(lr="fast"), ["lr", NUMBER, "got 'fast'"]),
    (
        "sgd momentum=1",
        lambda: optimizers.sgd(momentum=1.0),
        ["momentum", "must be in [0, 1)", "got 1.0"],
    ),
    (
        "sgd momentum<0",
        lambda: optimizers.sgd(momentum=-0.5),
        ["momentum", "must be in [0, 1)", "got -0.5"],
    ),
    (
        "sgd dampening>1",
        lambda: optimizers.sgd(momentum=0.9, dampening=2.0),
        ["dampening", "must be in [0, 1]", "got 2.0"],
    ),
    (
        "sgd weight_decay<0",
        lambda: optimizers.sgd(weight_decay=-1e-4),
        ["weight_decay", NON_NEGATIVE, "got -0.0001"],
    ),
    (
        "sgd nesterov not a bool",
        lambda: optimizers.sgd(momentum=0.9, nesterov="yes"),
        ["nesterov", FLAG, "got 'yes'"],
    ),
    (
        "sgd nesterov without momentum",
        lambda: optimizers.sgd(nesterov=True),
        ["nesterov=True needs momentum > 0 and dampening = 0", "momentum=0.0"],
    ),
    (
        "sgd nesterov with dampening",
        lambda: optimizers.sgd(momentum=0.9, nesterov=True, dampening=0.1),
        ["nesterov=True needs momentum > 0 and dampening = 0", "dampening=0.1"],
    ),
    (
        "adagrad lr_decay<0",
        lambda: optimizers.adagrad(lr_decay=-0.1),
        ["lr_decay", NON_NEGATIVE, "got -0.1"],
    ),
    (
        "adagrad initial_accumulator_value<0",
        lambda: optimizers.adagrad(initial_accumulator_value=-1.0),
        ["initial_accumulator_value", NON_NEGATIVE, "got -1.0"],
    ),
    ("adagrad eps<0", lambda: optimizers.adagrad(eps=-1e-10), ["eps", NON_NEGATIVE, "-1e-10"]),
    (
        "rmsprop alpha=1",
        lambda: optimizers.rmsprop(alpha=1.0),
        ["alpha", "must be in [0, 1)", "got 1.0"],
    ),
    (
        "rmsprop centered=1",
        lambda: optimizers.rmsprop(centered=1),
        ["centered", FLAG, "got 1"],
    ),
    (
        "rmsprop momentum=1.5",
        lambda: optimizers.rmsprop(momentum=1.5),
        ["momentum", "must be in [0, 1)", "got 1.5"],
    ),
    ("rmsprop eps=nan", lambda: optimizers.rmsprop(eps=NAN), ["eps", FINITE, "got nan"]),
    ("adadelta rho=1", lambda: optimizers.adadelta(rho=1.0), ["rho", "in [0, 1)", "got 1.0"]),
    ("adadelta eps=0", lambda: optimizers.adadelta(eps=0.0), ["eps", POSITIVE, "got 0.0"]),
    ("adadelta lr<0", lambda: optimizers.adadelta(lr=-1.0), ["lr", NON_NEGATIVE, "got -1.0"]),
    (
        "adam beta1=1",
        lambda: optimizers.adam(betas=(1.0, 0.999)),
        ["betas[0]", "must be in [0, 1)", "got 1.0"],
    ),
    (
        "adam beta2=1",
        lambda: optimizers.adam(betas=(0.9, 1.0)),
        ["betas[1]", "must be in [0, 1)", "got 1.0"],
    ),
    (
        "adam beta1<0",
        lambda: optimizers.adam(betas=(-0.1, 0.999)),
        ["betas[0]", "must be in [0, 1)", "got -0.1"],
    ),
    (
        "adam beta2=nan",
        lambda: optimizers.adam(betas=(0.9, NAN)),
        ["betas[1]", FINITE, "got nan"],
    ),
    (
        "adam betas not a pair",
        lambda: optimizers.adam(betas=(0.9,)),
        ["betas", "must be a pair (beta1, beta2)", "got (0.9,)"],
    ),
    (
        "adam betas a number",
        lambda: optimizers.adam(betas=0.9),
        ["betas", "must be a pair (beta1, beta2)", "got 0.9"],
    ),
    ("adam eps<0", lambda: optimizers.adam(eps=-1e-8), ["eps", NON_NEGATIVE, "got -1e-08"]),
    ("adam amsgrad", lambda: optimizers.adam(amsgrad="no"), ["amsgrad", FLAG, "got 'no'"]),
    (
        "adam weight_decay<0",
        lambda: optimizers.adam(weight_decay=-0.1),
        ["weight_decay", NON_NEGATIVE, "got -0.1"],
    ),
    (
        "adam lr column with a nan",
        lambda: optimizers.adam(lr=np.array([[1e-3], [NAN]])),
        ["lr", FINITE, "got [[0.001], [nan]]"],
    ),
    (
        "adamw weight_decay<0",
        lambda: optimizers.adamw(weight_decay=-0.01),
        ["weight_decay", NON_NEGATIVE, "got -0.01"],
    ),
    (
        "adamw betas",
        lambda: optimizers.adamw(betas=(0.9, 1.5)),
        ["betas[1]", "must be in [0, 1)", "got 1.5"],
    ),
    (
        "nadam momentum_decay<0",
        lambda: optimizers.nadam(momentum_decay=-4e-3),
        ["momentum_decay", NON_NEGATIVE, "got -0.004"],
    ),
    (
        "nadam betas",
        lambda: optimizers.nadam(betas=(0.9, -0.999)),
        ["betas[1]", "must be in [0, 1)", "got -0.999"],
    ),
    (
        "sgd_schedule_free momentum=0",
        lambda: optimizers.sgd_schedule_free(momentum=0.0),
        ["momentum", "must be in (0, 1)", "got 0.0"],
    ),
    (
        "sgd_schedule_free warmup_steps=2.5",
        lambda: optimizers.sgd_schedule_free(warmup_steps=2.5),
        ["warmup_steps", "integer >= 0", "got 2.5"],
    ),
    (
        "sgd_schedule_free r<0",
        lambda: optimizers.sgd_schedule_free(r=-1.0),
        ["r", NON_NEGATIVE, "got -1.0"],
    ),
    (
        "sgd_schedule_free lr<0",
        lambda: optimizers.sgd_schedule_free(lr=-1.0),
        ["lr", NON_NEGATIVE, "got -1.0"],
    ),
    (
        "adamw_schedule_free beta1=0",
        lambda: optimizers.adamw_schedule_free(betas=(0.0, 0.999)),
        ["betas[0]", "must be in (0, 1)", "got 0.0"],
    ),
    (
        "adamw_schedule_free weight_lr_power=nan",
        lambda: optimizers.adamw_schedule_free(weight_lr_power=NAN),
        ["weight_lr_power", FINITE, "got nan"],
    ),
    (
        "adamw_schedule_free weight_decay<0",
        lambda: optimizers.adamw_schedule_free(weight_decay=-0.1),
        ["weight_decay", NON_NEGATIVE, "got -0.1"],
    ),
    ("prodigy d0=0", lambda: optimizers.prodigy(d0=0.0), ["d0", POSITIVE, "got 0.0"]),
    ("prodigy eps=0", lambda: optimizers.prodigy(eps=0.0), ["eps", POSITIVE, "got 0.0"]),
    (
        "prodigy beta3>1",
        lambda: optimizers.prodigy(beta3=1.5),
        ["beta3", "must be in [0, 1]", "got 1.5"],
    ),
    (
        "prodigy growth_rate<1",
        lambda: optimizers.prodigy(growth_rate=0.5),
        ["growth_rate", ">= 1", "got 0.5"],
    ),
    (
        "prodigy decouple",
        lambda: optimizers.prodigy(decouple="yes"),
        ["decouple", FLAG, "got 'yes'"],
    ),
    (
        "prodigy d_coef=str",
        lambda: optimizers.prodigy(d_coef="big"),
        ["d_coef", NUMBER, "got 'big'"],
    ),
]


@pytest.mark.parametrize("call, fragments", [row[1:] for row in TABLE], ids=[r[0] for r in TABLE])
def test_bad_input_gets_a_clear_value_error(call, fragments):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "0x" not in message  # no memory addresses


def test_the_table_covers_every_factory_and_optimizer():
    tested = {row[0].split()[0] for row in TABLE}
    public = set(schedules.__all__) | set(optimizers.__all__)
    helpers = {"as_schedule", "Optimizer", "restart_position", "DECAYS", "stack", "phases"}
    helpers |= {"one_cycle_ends", "one_cycle_momentum", "cyclic_momentum"}
    assert public - helpers - {"warmup_decay", "inverse_sqrt"} <= tested, public - tested
    assert "schedule" in tested  # the step passed to a built schedule


NOT_FACTORIES = {"as_schedule", "join", "restart_position", "DECAYS", "stack", "phases"}
NOT_FACTORIES |= {"one_cycle_ends", "one_cycle_momentum", "cyclic_momentum"}  # no rate


@pytest.mark.parametrize("factory", sorted(set(schedules.__all__) - NOT_FACTORIES))
def test_every_schedule_factory_rejects_its_rate_being_zero_nan_or_a_string(factory):
    function = getattr(schedules, factory)
    rate = {"cyclic": "base_lr", "one_cycle": "max_lr", "linear_warmup": "schedule"}
    rate["warmup_decay"] = "peak"
    first = rate.get(factory, "lr")
    valid = {
        "constant": dict(lr=0.1),
        "step_decay": dict(lr=0.1, step_size=5),
        "multistep_decay": dict(lr=0.1, milestones=[5]),
        "exponential_decay": dict(lr=0.1, gamma=0.9),
        "inverse_time_decay": dict(lr=0.1, decay_rate=0.5),
        "polynomial_decay": dict(lr=0.1, total_steps=10),
        "cosine_decay": dict(lr=0.1, total_steps=10),
        "linear_warmup": dict(schedule=0.1, warmup_steps=5),
        "cosine_restarts": dict(lr=0.1, period=5),
        "cyclic": dict(base_lr=0.01, max_lr=0.1, step_size_up=5),
        "one_cycle": dict(max_lr=0.1, total_steps=100),
        "warmup_stable_decay": dict(lr=0.1, total_steps=100, warmup_steps=5, decay_steps=10),
        "ReduceOnPlateau": dict(lr=0.1),
        "warmup_decay": dict(peak=0.1, warmup_steps=5, total_steps=50),
        "inverse_sqrt": dict(lr=0.1),
    }[factory]
    function(**valid)  # the valid arguments are fine ...
    for bad, allowed in [(0.0, "> 0"), (NAN, "finite"), ("0.1", "a number"), (None, "a number")]:
        with pytest.raises(ValueError, match=rf"^{first} must be .*{allowed}.*got"):
            function(**{**valid, first: bad})  # ... and each bad rate is named
