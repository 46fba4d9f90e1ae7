"""Record PyTorch's learning rates and optimizer trajectories as golden values for the tests.

``tests/test_reference.py`` compares lrcourse with the numbers stored next to this script on every
run, so the comparison needs no PyTorch; when PyTorch is importable the test also calls the
functions below to recompute the same numbers live. Re-record only when a case is added or
changed, or when the course moves to a new PyTorch version:

    .venv/bin/python -m pip install torch==2.13.0      # the CPU build, the version CI installs
    .venv/bin/python tests/reference/record_golden.py

The stored values were recorded with torch 2.13.0 (CPU). Everything runs in float64: the default
dtype is switched to float64 while recording, so that optimizer scalars such as NAdam's
``mu_product`` and the step counts are float64 too. The script does not import lrcourse; each
case stores, next to PyTorch's numbers, the lrcourse call that should reproduce them, and only the
test builds it. Files written (JSON, about 150 kB in all):

    golden_schedules.json   every scheduler case: the PyTorch scheduler, the lrcourse schedule,
                            the lr PyTorch uses at each step 0 .. 3 * horizon, and the error
                            PyTorch raises if it stops early (OneCycleLR after total_steps)
    golden_optimizers.json  the shared start point and random gradients (200 steps), and for each
                            optimizer case the params after selected numbers of steps
    golden_no_schedule.json the optimizers of lecture 16 against their authors' packages
                            (schedulefree 1.4.1, prodigyopt 1.1.2, on the same torch and inputs):
                            the params after selected steps, and for schedule-free also the
                            evaluation point x that ``optimizer.eval()`` switches to
    golden_momentum.json    cyclical momentum: the momentum (SGD) or betas[0] (Adam) that
                            OneCycleLR and CyclicLR set at each step, with the lrcourse schedule
"""

import contextlib
import json
import platform
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCHEDULES_FILE = HERE / "golden_schedules.json"
OPTIMIZERS_FILE = HERE / "golden_optimizers.json"
NO_SCHEDULE_FILE = HERE / "golden_no_schedule.json"
MOMENTUM_FILE = HERE / "golden_momentum.json"
TORCH_VERSION = "2.13.0"
REFERENCE_VERSIONS = {"schedulefree": "1.4.1", "prodigyopt": "1.1.2"}

# --- how the cases are written --------------------------------------------------------------------


def torch_spec(cls, **kwargs):
    """A torch.optim.lr_scheduler class (or torch.optim class) and its keyword arguments."""
    return {"class": cls, "kwargs": kwargs}


def sequential(children, milestones):
    return {"class": "SequentialLR", "children": children, "milestones": milestones}


def ours(factory, **kwargs):
    """An lrcourse factory (schedules or optimizers) and its keyword arguments (may nest)."""
    return {"factory": factory, "kwargs": kwargs}


def schedule_case(name, lr, torch, lrcourse, horizon, difference=None):
    """Compare at every step 0 .. 3 * horizon; ``lr`` is the optimizer's (base) learning rate."""
    return {
        "name": name,
        "lr": lr,
        "torch": torch,
        "lrcourse": lrcourse,
        "steps": 3 * horizon + 1,
        "difference": difference,
    }


def cosine_holds_min(start, t_max):
    """From step ``start`` on, PyTorch's CosineAnnealingLR (period 2 * t_max) climbs back up."""
    return {"kind": "cosine_holds_min", "from": start, "T_max": t_max}


def one_cycle_holds_final(total_steps):
    """PyTorch's OneCycleLR extrapolates at step total_steps and raises after it."""
    return {"kind": "one_cycle_holds_final", "total_steps": total_steps}


# --- the schedule cases ---------------------------------------------------------------------------


def _schedule_cases():
    cases = []
    add = cases.append

    for lr, step_size, gamma, horizon in [(0.1, 3, 0.1, 12), (1.0, 7, 0.5, 28), (0.05, 1, 0.9, 20)]:
        add(
            schedule_case(
                f"StepLR(step_size={step_size}, gamma={gamma})",
                lr,
                torch_spec("StepLR", step_size=step_size, gamma=gamma),
                ours("step_decay", lr=lr, step_size=step_size, gamma=gamma),
                horizon,
            )
        )

    for lr, milestones, gamma, horizon in [
        (1.0, [3, 6], 0.1, 8),
        (0.3, [5, 12, 13, 30], 0.5, 35),
        (0.01, [1], 0.25, 4),
    ]:
        add(
            schedule_case(
                f"MultiStepLR(milestones={milestones}, gamma={gamma})",
                lr,
                torch_spec("MultiStepLR", milestones=milestones, gamma=gamma),
                ours("multistep_decay", lr=lr, milestones=milestones, gamma=gamma),
                horizon,
            )
        )

    for lr, gamma, horizon in [(0.1, 0.9, 20), (1.0, 0.99, 100), (3e-4, 0.5, 15)]:
        add(
            schedule_case(
                f"ExponentialLR(gamma={gamma})",
                lr,
                torch_spec("ExponentialLR", gamma=gamma),
                ours("exponential_decay", lr=lr, gamma=gamma),
                horizon,
            )
        )

    for lr, total, power in [(0.1, 10, 1.0), (1.0, 7, 2.0), (0.05, 20, 0.5), (0.05, 5, 1.0)]:
        add(
            schedule_case(
                f"PolynomialLR(total_iters={total}, power={power})",
                lr,
                torch_spec("PolynomialLR", total_iters=total, power=power),
                ours("polynomial_decay", lr=lr, total_steps=total, power=power),
                total,
            )
        )

    for lr, t_max, eta_min in [(0.1, 10, 0.0), (0.1, 7, 1e-3), (0.5, 50, 0.01), (1.0, 1, 0.0)]:
        add(
            schedule_case(
                f"CosineAnnealingLR(T_max={t_max}, eta_min={eta_min})",
                lr,
                torch_spec("CosineAnnealingLR", T_max=t_max, eta_min=eta_min),
                ours("cosine_decay", lr=lr, total_steps=t_max, min_lr=eta_min),
                t_max,
                cosine_holds_min(t_max, t_max),
            )
        )

    for lr, start, warmup in [(0.1, 0.1, 5), (0.05, 0.05, 40), (1.0, 1 / 3, 5), (0.2, 0.5, 1)]:
        add(
            schedule_case(
                f"LinearLR(start_factor={start:.4g}, total_iters={warmup})",
                lr,
                torch_spec("LinearLR", start_factor=start, end_factor=1.0, total_iters=warmup),
                ours(
                    "linear_warmup",
                    schedule=ours("constant", lr=lr),
                    warmup_steps=warmup,
                    start_factor=start,
                ),
                warmup,
            )
        )

    for lr, t_0, t_mult, eta_min, horizon in [
        (0.1, 10, 1, 0.0, 30),
        (0.5, 1, 2, 0.0, 15),
        (0.1, 3, 3, 0.01, 39),
        (1.0, 5, 2, 1e-4, 35),
    ]:
        add(
            schedule_case(
                f"CosineAnnealingWarmRestarts(T_0={t_0}, T_mult={t_mult}, eta_min={eta_min})",
                lr,
                torch_spec("CosineAnnealingWarmRestarts", T_0=t_0, T_mult=t_mult, eta_min=eta_min),
                ours("cosine_restarts", lr=lr, period=t_0, period_mult=t_mult, min_lr=eta_min),
                horizon,
            )
        )

    for base, top, up, down, mode, gamma in [
        (1e-3, 6e-3, 4, None, "triangular", 1.0),
        (0.01, 0.1, 3, 7, "triangular", 1.0),
        (1e-3, 6e-3, 4, None, "triangular2", 1.0),
        (0.1, 1.0, 2, 5, "triangular2", 1.0),
        (1e-3, 6e-3, 4, None, "exp_range", 0.9),
        (0.01, 0.05, 5, 3, "exp_range", 0.99),
    ]:
        cycle = up + (up if down is None else down)
        add(
            schedule_case(
                f"CyclicLR({base}, {top}, step_size_up={up}, step_size_down={down}, "
                f"mode={mode!r}, gamma={gamma})",
                base,
                torch_spec(
                    "CyclicLR",
                    base_lr=base,
                    max_lr=top,
                    step_size_up=up,
                    step_size_down=down,
                    mode=mode,
                    gamma=gamma,
                    cycle_momentum=False,
                ),
                ours(
                    "cyclic",
                    base_lr=base,
                    max_lr=top,
                    step_size_up=up,
                    step_size_down=down,
                    mode=mode,
                    gamma=gamma,
                ),
                3 * cycle,
            )
        )

    for top, total, pct, anneal, div, final_div, three in [
        (0.1, 10, 0.3, "cos", 25.0, 1e4, False),
        (0.1, 10, 0.3, "linear", 25.0, 1e4, False),
        (0.1, 10, 0.3, "cos", 25.0, 1e4, True),
        (1.0, 20, 0.25, "linear", 25.0, 1e4, True),
        (0.5, 100, 0.3, "cos", 10.0, 100.0, False),
        (0.01, 37, 0.4, "linear", 25.0, 1e4, False),
    ]:
        add(
            schedule_case(
                f"OneCycleLR({top}, total_steps={total}, pct_start={pct}, "
                f"anneal_strategy={anneal!r}, three_phase={three})",
                top,
                torch_spec(
                    "OneCycleLR",
                    max_lr=top,
                    total_steps=total,
                    pct_start=pct,
                    anneal_strategy=anneal,
                    div_factor=div,
                    final_div_factor=final_div,
                    three_phase=three,
                    cycle_momentum=False,
                ),
                ours(
                    "one_cycle",
                    max_lr=top,
                    total_steps=total,
                    pct_start=pct,
                    anneal=anneal,
                    div_factor=div,
                    final_div_factor=final_div,
                    three_phase=three,
                ),
                total,
                one_cycle_holds_final(total),
            )
        )

    # SequentialLR as linear_warmup: LinearLR for the warmup, then a scheduler that restarts at W.
    warmups = [
        (
            0.1,
            0.1,
            5,
            torch_spec("CosineAnnealingLR", T_max=20),
            ours("cosine_decay", total_steps=20),
        ),
        (
            1.0,
            0.25,
            3,
            torch_spec("ExponentialLR", gamma=0.9),
            ours("exponential_decay", gamma=0.9),
        ),
        (
            0.5,
            0.125,
            8,
            torch_spec("StepLR", step_size=4, gamma=0.5),
            ours("step_decay", step_size=4, gamma=0.5),
        ),
        (
            0.1,
            0.5,
            2,
            torch_spec("MultiStepLR", milestones=[3, 7], gamma=0.1),
            ours("multistep_decay", milestones=[3, 7], gamma=0.1),
        ),
    ]
    for lr, start, warmup, after_torch, after_ours in warmups:
        after_ours["kwargs"] = {"lr": lr, **after_ours["kwargs"]}
        t_max = after_torch["kwargs"].get("T_max")
        horizon = warmup + (t_max or 10)
        add(
            schedule_case(
                f"SequentialLR([LinearLR(start_factor={start}, total_iters={warmup}), "
                f"{after_torch['class']}], milestones=[{warmup}])",
                lr,
                sequential(
                    [
                        torch_spec(
                            "LinearLR", start_factor=start, end_factor=1.0, total_iters=warmup
                        ),
                        after_torch,
                    ],
                    [warmup],
                ),
                ours("linear_warmup", schedule=after_ours, warmup_steps=warmup, start_factor=start),
                horizon,
                cosine_holds_min(horizon, t_max) if t_max else None,
            )
        )

    # SequentialLR as join: each child restarts from its own step 0 at its milestone.
    add(
        schedule_case(
            "SequentialLR([StepLR(3, 0.5), ExponentialLR(0.9)], milestones=[7])",
            0.1,
            sequential(
                [
                    torch_spec("StepLR", step_size=3, gamma=0.5),
                    torch_spec("ExponentialLR", gamma=0.9),
                ],
                [7],
            ),
            ours(
                "join",
                schedules=[
                    ours("step_decay", lr=0.1, step_size=3, gamma=0.5),
                    ours("exponential_decay", lr=0.1, gamma=0.9),
                ],
                boundaries=[7],
            ),
            20,
        )
    )
    add(
        schedule_case(
            "SequentialLR([ExponentialLR(0.95), CosineAnnealingLR(10, 1e-3), StepLR(2, 0.5)], "
            "milestones=[5, 15])",
            0.2,
            sequential(
                [
                    torch_spec("ExponentialLR", gamma=0.95),
                    torch_spec("CosineAnnealingLR", T_max=10, eta_min=1e-3),
                    torch_spec("StepLR", step_size=2, gamma=0.5),
                ],
                [5, 15],
            ),
            ours(
                "join",
                schedules=[
                    ours("exponential_decay", lr=0.2, gamma=0.95),
                    ours("cosine_decay", lr=0.2, total_steps=10, min_lr=1e-3),
                    ours("step_decay", lr=0.2, step_size=2, gamma=0.5),
                ],
                boundaries=[5, 15],
            ),
            25,
        )
    )
    add(
        schedule_case(
            "SequentialLR([CosineAnnealingLR(6), CosineAnnealingLR(12, 0.01)], milestones=[6])",
            1.0,
            sequential(
                [
                    torch_spec("CosineAnnealingLR", T_max=6),
                    torch_spec("CosineAnnealingLR", T_max=12, eta_min=0.01),
                ],
                [6],
            ),
            ours(
                "join",
                schedules=[
                    ours("cosine_decay", lr=1.0, total_steps=6),
                    ours("cosine_decay", lr=1.0, total_steps=12, min_lr=0.01),
                ],
                boundaries=[6],
            ),
            18,
            cosine_holds_min(18, 12),
        )
    )
    add(
        schedule_case(
            "SequentialLR([PolynomialLR(10, 2.0), MultiStepLR([2, 5], 0.3)], milestones=[4])",
            0.05,
            sequential(
                [
                    torch_spec("PolynomialLR", total_iters=10, power=2.0),
                    torch_spec("MultiStepLR", milestones=[2, 5], gamma=0.3),
                ],
                [4],
            ),
            ours(
                "join",
                schedules=[
                    ours("polynomial_decay", lr=0.05, total_steps=10, power=2.0),
                    ours("multistep_decay", lr=0.05, milestones=[2, 5], gamma=0.3),
                ],
                boundaries=[4],
            ),
            12,
        )
    )
    return cases


def _plateau_cases():
    """ReduceLROnPlateau: the lr before any metric, then after each call of step(metric)."""
    rng = np.random.default_rng(7)
    noisy_descent = (1 / np.arange(1, 61) + 0.05 * rng.random(60)).round(6).tolist()
    random_walk = np.cumsum(rng.normal(0.0, 0.3, 50)).round(6).tolist()
    bumpy = (5 * np.exp(-np.arange(40) / 8) + rng.normal(0.0, 0.4, 40)).round(6).tolist()
    rising = (np.log1p(np.arange(45)) + 0.2 * rng.random(45)).round(6).tolist()

    def case(name, lr, metrics, **kwargs):
        return {
            "name": name,
            "lr": lr,
            "torch": torch_spec("ReduceLROnPlateau", **kwargs),
            "lrcourse": ours("ReduceOnPlateau", lr=lr, **kwargs),
            "metrics": metrics,
        }

    return [
        case("constant metric, patience=2", 0.1, [1.0] * 10, patience=2),
        case("constant metric, patience=2, cooldown=1", 0.1, [1.0] * 10, patience=2, cooldown=1),
        case(
            "noisy descent, rel threshold",
            0.1,
            noisy_descent,
            factor=0.5,
            patience=3,
            threshold=0.01,
        ),
        case(
            "max mode, abs threshold, cooldown, min_lr",
            1.0,
            random_walk,
            mode="max",
            factor=0.2,
            patience=1,
            threshold=0.1,
            threshold_mode="abs",
            cooldown=2,
            min_lr=1e-3,
        ),
        case(
            "min mode, abs threshold, cooldown=3",
            0.3,
            bumpy,
            patience=2,
            cooldown=3,
            threshold=0.5,
            threshold_mode="abs",
        ),
        case("max mode, rel threshold", 0.01, rising, mode="max", patience=2, threshold=0.1),
        case("held at min_lr", 1.0, [2.0] * 20, factor=0.5, patience=0, min_lr=0.1),
        case("eps stops small reductions", 1.0, [2.0] * 20, factor=0.5, patience=0, eps=0.01),
        case("eps equal to the reduction", 0.1, [2.0] * 8, factor=0.5, patience=0, eps=0.05),
    ]


# --- the optimizer cases --------------------------------------------------------------------------

DIM = 6
STEPS = 200
# Coordinates whose gradients differ by up to 1e5 in size: with eps=1e-2 the small ones sit where
# eps dominates, so eps inside instead of outside the square root (or before the bias
# correction instead of after it) shows up at once.
GRAD_SCALES = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
CHECKPOINTS = [1, 2, 3, 5, 10, 25, 50, 100, 150, 200]


def optimizer_case(name, torch_cls, lrcourse_factory, schedule=None, **kwargs):
    """``kwargs`` are PyTorch's and lrcourse's (the same names); ``schedule`` is (torch, ours)."""
    torch_kwargs = dict(kwargs)
    ours_kwargs = dict(kwargs)
    case = {"name": name, "torch": torch_spec(torch_cls, **torch_kwargs)}
    if schedule is not None:
        case["torch_schedule"], ours_kwargs["lr"] = schedule
    case["lrcourse"] = ours(lrcourse_factory, **ours_kwargs)
    return case


def _optimizer_cases():
    sgd, ada, rms, dlt = "sgd", "adagrad", "rmsprop", "adadelta"
    return [
        optimizer_case("SGD", "SGD", sgd, lr=0.05),
        optimizer_case("SGD momentum", "SGD", sgd, lr=0.05, momentum=0.9),
        optimizer_case("SGD dampening", "SGD", sgd, lr=0.05, momentum=0.9, dampening=0.5),
        optimizer_case("SGD nesterov", "SGD", sgd, lr=0.05, momentum=0.9, nesterov=True),
        optimizer_case("SGD weight_decay", "SGD", sgd, lr=0.05, momentum=0.5, weight_decay=0.1),
        optimizer_case(
            "SGD nesterov weight_decay",
            "SGD",
            sgd,
            lr=0.01,
            momentum=0.99,
            nesterov=True,
            weight_decay=0.3,
        ),
        optimizer_case("Adagrad", "Adagrad", ada, lr=0.1),
        optimizer_case("Adagrad lr_decay", "Adagrad", ada, lr=0.1, lr_decay=0.01),
        optimizer_case(
            "Adagrad initial_accumulator_value weight_decay",
            "Adagrad",
            ada,
            lr=0.3,
            initial_accumulator_value=0.5,
            weight_decay=0.1,
        ),
        optimizer_case("Adagrad eps=1e-2", "Adagrad", ada, lr=0.1, eps=1e-2),
        optimizer_case("RMSprop", "RMSprop", rms, lr=0.01),
        optimizer_case("RMSprop centered", "RMSprop", rms, lr=0.01, centered=True),
        optimizer_case("RMSprop momentum", "RMSprop", rms, lr=0.01, momentum=0.9, alpha=0.9),
        optimizer_case(
            "RMSprop centered momentum weight_decay",
            "RMSprop",
            rms,
            lr=0.005,
            centered=True,
            momentum=0.5,
            weight_decay=0.2,
        ),
        optimizer_case("RMSprop eps=1e-2", "RMSprop", rms, lr=0.01, eps=1e-2, centered=True),
        optimizer_case("Adadelta", "Adadelta", dlt),
        optimizer_case("Adadelta eps=1e-2", "Adadelta", dlt, lr=0.5, rho=0.5, eps=1e-2),
        optimizer_case(
            "Adadelta weight_decay", "Adadelta", dlt, lr=2.0, rho=0.95, weight_decay=0.1
        ),
        optimizer_case("Adam", "Adam", "adam", lr=0.01),
        optimizer_case("Adam amsgrad", "Adam", "adam", lr=0.01, amsgrad=True, betas=[0.9, 0.9]),
        optimizer_case("Adam weight_decay (L2)", "Adam", "adam", lr=0.01, weight_decay=0.1),
        optimizer_case("Adam eps=1e-2", "Adam", "adam", lr=0.01, eps=1e-2, betas=[0.5, 0.9]),
        optimizer_case(
            "Adam amsgrad weight_decay eps=1e-2",
            "Adam",
            "adam",
            lr=0.05,
            amsgrad=True,
            weight_decay=0.05,
            eps=1e-2,
            betas=[0.8, 0.99],
        ),
        optimizer_case("AdamW", "AdamW", "adamw", lr=0.01),
        optimizer_case("AdamW amsgrad", "AdamW", "adamw", lr=0.05, weight_decay=0.5, amsgrad=True),
        optimizer_case("AdamW eps=1e-2", "AdamW", "adamw", lr=0.01, eps=1e-2, weight_decay=0.1),
        optimizer_case("NAdam", "NAdam", "nadam", lr=0.01),
        optimizer_case("NAdam momentum_decay", "NAdam", "nadam", lr=0.01, momentum_decay=0.1),
        optimizer_case(
            "NAdam weight_decay eps=1e-2",
            "NAdam",
            "nadam",
            lr=0.02,
            weight_decay=0.1,
            eps=1e-2,
            betas=[0.8, 0.99],
        ),
        # lr as a schedule: PyTorch's optimizer plus the matching scheduler, stepped after every
        # optimizer step; lrcourse evaluates the schedule at state.step.
        optimizer_case(
            "SGD momentum + CosineAnnealingLR",
            "SGD",
            sgd,
            schedule=(
                torch_spec("CosineAnnealingLR", T_max=STEPS, eta_min=1e-3),
                ours("cosine_decay", lr=0.1, total_steps=STEPS, min_lr=1e-3),
            ),
            lr=0.1,
            momentum=0.9,
        ),
        optimizer_case(
            "Adam + SequentialLR(LinearLR, CosineAnnealingLR)",
            "Adam",
            "adam",
            schedule=(
                sequential(
                    [
                        torch_spec("LinearLR", start_factor=0.01, end_factor=1.0, total_iters=20),
                        torch_spec("CosineAnnealingLR", T_max=STEPS - 20),
                    ],
                    [20],
                ),
                ours(
                    "linear_warmup",
                    schedule=ours("cosine_decay", lr=0.02, total_steps=STEPS - 20),
                    warmup_steps=20,
                    start_factor=0.01,
                ),
            ),
            lr=0.02,
        ),
        optimizer_case(
            "AdamW + StepLR",
            "AdamW",
            "adamw",
            schedule=(
                torch_spec("StepLR", step_size=30, gamma=0.5),
                ours("step_decay", lr=0.01, step_size=30, gamma=0.5),
            ),
            lr=0.01,
            weight_decay=0.1,
        ),
        optimizer_case(
            "RMSprop + ExponentialLR",
            "RMSprop",
            rms,
            schedule=(
                torch_spec("ExponentialLR", gamma=0.99),
                ours("exponential_decay", lr=0.01, gamma=0.99),
            ),
            lr=0.01,
            momentum=0.5,
        ),
        optimizer_case(
            "Adagrad + OneCycleLR",
            "Adagrad",
            ada,
            schedule=(
                torch_spec("OneCycleLR", max_lr=0.5, total_steps=STEPS, cycle_momentum=False),
                ours("one_cycle", max_lr=0.5, total_steps=STEPS),
            ),
            lr=0.5,
            lr_decay=0.01,
        ),
        optimizer_case(
            "NAdam + MultiStepLR",
            "NAdam",
            "nadam",
            schedule=(
                torch_spec("MultiStepLR", milestones=[50, 120], gamma=0.3),
                ours("multistep_decay", lr=0.01, milestones=[50, 120], gamma=0.3),
            ),
            lr=0.01,
        ),
        optimizer_case(
            "Adadelta + CyclicLR",
            "Adadelta",
            dlt,
            schedule=(
                torch_spec(
                    "CyclicLR", base_lr=0.1, max_lr=1.0, step_size_up=15, cycle_momentum=False
                ),
                ours("cyclic", base_lr=0.1, max_lr=1.0, step_size_up=15),
            ),
            lr=0.1,
        ),
    ]


def momentum_case(name, optimizer, torch, lrcourse, steps):
    """Cyclical momentum: the value ``torch`` writes into the optimizer at steps 0 .. steps - 1."""
    return {"name": name, "optimizer": optimizer, "torch": torch, "lrcourse": lrcourse,
            "steps": steps}  # fmt: skip


def _momentum_cases():
    cases = []
    for optimizer in ("SGD", "Adam"):
        for three_phase, anneal, pct in ((False, "cos", 0.3), (True, "linear", 0.25)):
            one = {"total_steps": 40, "pct_start": pct, "three_phase": three_phase}
            cases.append(
                momentum_case(
                    f"{optimizer} + OneCycleLR(cycle_momentum=True, three_phase={three_phase}, "
                    f"anneal_strategy={anneal!r})",
                    optimizer,
                    torch_spec(
                        "OneCycleLR",
                        max_lr=0.1,
                        anneal_strategy=anneal,
                        base_momentum=0.8,
                        max_momentum=0.95,
                        **one,
                    ),
                    ours(
                        "one_cycle_momentum",
                        anneal=anneal,
                        base_momentum=0.8,
                        max_momentum=0.95,
                        **one,
                    ),
                    40,
                )
            )
        for mode, gamma in (("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.97)):
            cases.append(
                momentum_case(
                    f"{optimizer} + CyclicLR(mode={mode!r}, cycle_momentum=True)",
                    optimizer,
                    torch_spec(
                        "CyclicLR",
                        base_lr=0.01,
                        max_lr=0.1,
                        step_size_up=4,
                        step_size_down=6,
                        mode=mode,
                        gamma=gamma,
                    ),
                    ours(
                        "cyclic_momentum", step_size_up=4, step_size_down=6, mode=mode, gamma=gamma
                    ),
                    45,
                )
            )
    return cases


def optimizer_inputs():
    """The start point (DIM,) and the random gradients (STEPS, DIM) shared by every case."""
    rng = np.random.default_rng(2013)
    params = rng.standard_normal(DIM)
    grads = (0.3 + rng.standard_normal((STEPS, DIM))) * np.array(GRAD_SCALES)
    return params, grads


# --- lecture 16: the authors' reference packages -------------------------------------------------


def reference_case(name, package, cls, factory, **kwargs):
    """A class of ``schedulefree`` or ``prodigyopt`` and the lrcourse factory with the same
    names (the packages' names are the course's)."""
    return {
        "name": name,
        "reference": {"package": package, "class": cls, "kwargs": kwargs},
        "lrcourse": ours(factory, **kwargs),
    }


def _no_schedule_cases():
    sgd, adamw = (
        ("SGDScheduleFree", "sgd_schedule_free"),
        ("AdamWScheduleFree", "adamw_schedule_free"),
    )
    sf = "schedulefree"
    return [
        reference_case("SGDScheduleFree(lr=0.1)", sf, *sgd, lr=0.1),
        reference_case(
            "SGDScheduleFree(momentum=0.5, weight_decay=0.1, warmup_steps=20)",
            sf,
            *sgd,
            lr=0.05,
            momentum=0.5,
            weight_decay=0.1,
            warmup_steps=20,
        ),
        reference_case(
            "SGDScheduleFree(warmup_steps=50, r=1.0, weight_lr_power=1.0)",
            sf,
            *sgd,
            lr=0.2,
            warmup_steps=50,
            r=1.0,
            weight_lr_power=1.0,
        ),
        reference_case("AdamWScheduleFree()", sf, *adamw),
        reference_case(
            "AdamWScheduleFree(betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1, warmup_steps=30)",
            sf,
            *adamw,
            lr=0.02,
            betas=[0.8, 0.99],
            eps=1e-2,
            weight_decay=0.1,
            warmup_steps=30,
        ),
        reference_case(
            "AdamWScheduleFree(r=0.5, weight_lr_power=0.0, warmup_steps=10)",
            sf,
            *adamw,
            lr=0.01,
            r=0.5,
            weight_lr_power=0.0,
            warmup_steps=10,
        ),
        reference_case("Prodigy()", "prodigyopt", "Prodigy", "prodigy"),
        reference_case(
            "Prodigy(bias correction, safeguard_warmup, growth_rate=1.05, weight_decay=0.1)",
            "prodigyopt",
            "Prodigy",
            "prodigy",
            lr=0.5,
            weight_decay=0.1,
            use_bias_correction=True,
            safeguard_warmup=True,
            d_coef=2.0,
            growth_rate=1.05,
            beta3=0.9,
        ),
        reference_case(
            "Prodigy(decouple=False, weight_decay=0.01, eps=1e-2, d0=1e-4, betas=(0.0, 0.99))",
            "prodigyopt",
            "Prodigy",
            "prodigy",
            weight_decay=0.01,
            decouple=False,
            eps=1e-2,
            d0=1e-4,
            betas=[0.0, 0.99],
        ),
    ]


# --- running PyTorch ------------------------------------------------------------------------------


@contextlib.contextmanager
def float64():
    """Run PyTorch with float64 as its default dtype (optimizer scalars included)."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield torch
    finally:
        torch.set_default_dtype(old)


def make_scheduler(spec, optimizer):
    import torch

    if spec["class"] == "SequentialLR":
        children = [make_scheduler(child, optimizer) for child in spec["children"]]
        return torch.optim.lr_scheduler.SequentialLR(
            optimizer, children, milestones=spec["milestones"]
        )
    return getattr(torch.optim.lr_scheduler, spec["class"])(optimizer, **spec["kwargs"])


def torch_schedule(case):
    """The lr PyTorch uses at steps 0, 1, ... (up to case["steps"]) and the error if it stops.

    Step k's lr is the one the (k+1)-th ``optimizer.step()`` uses: read it after k calls of
    ``scheduler.step()``, each made after an ``optimizer.step()`` as PyTorch asks (the optimizer
    has no gradients, so its steps change nothing).
    """
    with float64() as torch:
        param = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([param], lr=case["lr"])
        scheduler = make_scheduler(case["torch"], optimizer)
        lrs, error = [optimizer.param_groups[0]["lr"]], None
        while len(lrs) < case["steps"]:
            optimizer.step()
            try:
                scheduler.step()
            except ValueError as e:  # OneCycleLR past total_steps
                error = str(e)
                break
            lrs.append(optimizer.param_groups[0]["lr"])
    return [float(lr) for lr in lrs], error


def torch_momentum(case):
    """The momentum (SGD) or betas[0] (Adam) that the scheduler sets for steps 0, 1, ..."""
    with float64() as torch:
        param = torch.zeros(1, requires_grad=True)
        if case["optimizer"] == "SGD":
            optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
        else:
            optimizer = torch.optim.Adam([param], lr=0.1)
        scheduler = make_scheduler(case["torch"], optimizer)
        group, values = optimizer.param_groups[0], []
        while len(values) < case["steps"]:
            values.append(group["momentum"] if "momentum" in group else group["betas"][0])
            optimizer.step()
            if len(values) < case["steps"]:
                scheduler.step()
    return [float(value) for value in values]


def torch_plateau(case):
    """ReduceLROnPlateau's lr before any metric, then after each ``step(metric)``."""
    with float64() as torch:
        param = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([param], lr=case["lr"])
        scheduler = make_scheduler(case["torch"], optimizer)
        lrs = [optimizer.param_groups[0]["lr"]]
        for metric in case["metrics"]:
            optimizer.step()
            scheduler.step(metric)
            lrs.append(optimizer.param_groups[0]["lr"])
    return [float(lr) for lr in lrs]


def torch_optimizer(case, params, grads):
    """PyTorch's params after 0, 1, ..., len(grads) steps, shape (len(grads) + 1, DIM)."""
    with float64() as torch:
        param = torch.tensor(params, requires_grad=True)
        optimizer = getattr(torch.optim, case["torch"]["class"])([param], **case["torch"]["kwargs"])
        scheduler = None
        if "torch_schedule" in case:
            scheduler = make_scheduler(case["torch_schedule"], optimizer)
        trajectory = [param.detach().numpy().copy()]
        for g in grads:
            param.grad = torch.tensor(g)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory)


def reference_optimizer(case, params, grads):
    """The reference package's params after 0, 1, ..., len(grads) steps, and, for schedule-free,
    the evaluation point x after each step (read between ``optimizer.eval()`` and ``.train()``,
    as a training loop that tests after every step would)."""
    import importlib

    spec = case["reference"]
    cls = getattr(importlib.import_module(spec["package"]), spec["class"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["kwargs"].items()}
    with float64() as torch, contextlib.redirect_stdout(None):  # Prodigy prints its decay mode
        param = torch.tensor(params, requires_grad=True)
        optimizer = cls([param], **kwargs)
        switches = hasattr(optimizer, "eval")
        if switches:
            optimizer.train()
        trajectory, evaluated = [param.detach().numpy().copy()], [param.detach().numpy().copy()]
        for g in grads:
            param.grad = torch.tensor(g)
            optimizer.step()
            trajectory.append(param.detach().numpy().copy())
            if switches:
                optimizer.eval()
                evaluated.append(param.detach().numpy().copy())
                optimizer.train()
    return np.array(trajectory), (np.array(evaluated) if switches else None)


# --- writing the files ----------------------------------------------------------------------------


def _write(path, meta, cases):
    """JSON with one line per case, so a re-recording diffs case by case."""
    lines = ",\n".join("  " + json.dumps(case) for case in cases)
    path.write_text(f'{{"meta": {json.dumps(meta)},\n "cases": [\n{lines}\n]}}\n')


def reference_versions():
    from importlib.metadata import version

    return {package: version(package) for package in REFERENCE_VERSIONS}


def main():
    import torch

    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"record with torch=={TORCH_VERSION}, found {torch.__version__}")
    if reference_versions() != REFERENCE_VERSIONS:
        sys.exit(f"record with {REFERENCE_VERSIONS}, found {reference_versions()}")
    meta = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "recorded_by": "tests/reference/record_golden.py",
    }

    schedule_cases = _schedule_cases()
    for case in schedule_cases:
        case["torch_lr"], case["torch_error"] = torch_schedule(case)
    plateau_cases = _plateau_cases()
    for case in plateau_cases:
        case["torch_lr"] = torch_plateau(case)
    _write(SCHEDULES_FILE, meta, schedule_cases + plateau_cases)

    params, grads = optimizer_inputs()
    optimizer_cases = _optimizer_cases()
    for case in optimizer_cases:
        trajectory = torch_optimizer(case, params, grads)
        case["torch_params"] = trajectory[CHECKPOINTS].tolist()
    meta = {
        **meta,
        "checkpoints": CHECKPOINTS,
        "params": params.tolist(),
        "grads": grads.tolist(),
    }
    _write(OPTIMIZERS_FILE, meta, optimizer_cases)
    no_schedule_cases = _no_schedule_cases()
    for case in no_schedule_cases:
        trajectory, evaluated = reference_optimizer(case, params, grads)
        case["reference_params"] = trajectory[CHECKPOINTS].tolist()
        if evaluated is not None:
            case["reference_x"] = evaluated[CHECKPOINTS].tolist()
    meta = {**meta, **reference_versions()}
    _write(NO_SCHEDULE_FILE, meta, no_schedule_cases)
    record_momentum(meta)
    for path in (SCHEDULES_FILE, OPTIMIZERS_FILE, NO_SCHEDULE_FILE, MOMENTUM_FILE):
        print(f"wrote {path.relative_to(HERE.parents[1])} ({path.stat().st_size / 1e3:.0f} kB)")


def record_momentum(meta):
    """Write golden_momentum.json: the cyclical-momentum cases and what PyTorch set."""
    cases = _momentum_cases()
    for case in cases:
        case["torch_momentum"] = torch_momentum(case)
    _write(MOMENTUM_FILE, meta, cases)


if __name__ == "__main__":
    main()
