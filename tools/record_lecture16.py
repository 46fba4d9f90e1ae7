"""Record lecture 16's long experiments into the file the lecture asserts on.

    python tools/record_lecture16.py        # notebooks/data/16_no_schedule.json (about a minute)

Schedule-free against tuned schedules needs every method at every rate and every budget,
averaged over many seeds: too slow for a lecture that must run in seconds. This script runs it
once, deterministically (seeded, one BLAS thread), and stores the mean losses rounded to 5
significant digits; the lecture plots them, asserts its claims on them, and repeats one column
live. ``tests/test_lecture16_data.py`` re-runs a small piece and compares.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before NumPy loads its BLAS: reproducible sums

import numpy as np  # noqa: E402

from lrcourse import optimizers  # noqa: E402
from lrcourse.experiments import (  # noqa: E402
    budget_race,
    losses_at,
    no_schedule_mlp,
    no_schedule_problem,
    prodigy_trace,
    replicas,
)
from lrcourse.schedules import cosine_decay  # noqa: E402

FILE = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "16_no_schedule.json"

# Budgets in steps; the network's are 1, 3 and 10 epochs of 38 mini-batches.
SETTINGS = {
    "quadratic": dict(lrs=np.logspace(-3, 0.5, 15).tolist(), budgets=[100, 300, 1000, 3000],
                      seeds=32),
    "mlp": dict(lrs=np.logspace(-3.5, -0.5, 13).tolist(), budgets=[38, 114, 380], seeds=4),
}  # fmt: skip
PRODIGY_SEEDS = {"quadratic": 32, "mlp": 4}


def _round(values):
    """Nested lists of floats with 5 significant digits (NaN as None: JSON has no NaN)."""
    values = np.asarray(values, dtype=float)
    if values.ndim > 1:
        return [_round(row) for row in values]
    return [float(f"{x:.5g}") if np.isfinite(x) else None for x in values]


def problem(kind):
    return no_schedule_problem() if kind == "quadratic" else no_schedule_mlp()


def race(kind, lrs, budgets, seeds):
    """Every method, every rate, every budget (the mean over seeds), and the anytime check:
    cosine schedules for the longest budget read at every budget."""
    p = problem(kind)
    out = {name: _round(x) for name, x in budget_race(p, kind, lrs, budgets, seeds).items()}
    column = np.array(lrs)[:, None, None]
    starts = replicas(p, lrs, seeds)
    base = optimizers.sgd if kind == "quadratic" else optimizers.adam
    extra = dict(momentum=0.9) if kind == "quadratic" else {}
    long = base(lr=cosine_decay(column, budgets[-1]), **extra)
    out["cosine_long"] = _round(losses_at(long, p, starts, budgets).mean(-1))
    return out


def adam_sweep(kind, lrs, steps, seeds):
    """Adam at a constant rate and with a cosine, each rate of the grid: the sweep's best rate."""
    p = problem(kind)
    column = np.array(lrs)[:, None, None]
    starts = replicas(p, lrs, seeds)
    constant = losses_at(optimizers.adam(lr=column), p, starts, [steps])[0].mean(-1)
    cosine = losses_at(optimizers.adam(lr=cosine_decay(column, steps)), p, starts, [steps])
    return {"constant": _round(constant), "cosine": _round(cosine[0].mean(-1))}


def prodigy_runs(kind, steps, seeds):
    """Prodigy at lr = 1 (constant) and with a cosine multiplier, as its authors advise."""
    p = problem(kind)
    starts = replicas(p, [0], seeds)[0]
    out = {}
    for name, lr in [("constant", 1.0), ("cosine", cosine_decay(1.0, steps))]:
        trace = prodigy_trace(p, starts, steps, lr=lr)
        out[name] = {
            "d": _round(trace.d.mean(-1)),
            "final_loss": float(f"{trace.final_loss.mean():.5g}"),
        }
    return out


def record():
    out = {"meta": {"numpy": np.__version__, "settings": SETTINGS, "prodigy_seeds": PRODIGY_SEEDS}}
    for kind, settings in SETTINGS.items():
        out[kind] = race(kind, **settings)
        steps = settings["budgets"][-1]
        out[kind]["adam"] = adam_sweep(kind, settings["lrs"], steps, settings["seeds"])
        out[kind]["prodigy"] = prodigy_runs(kind, steps, PRODIGY_SEEDS[kind])
        print(f"{kind}: done", file=sys.stderr, flush=True)
    return out


def main():
    FILE.parent.mkdir(exist_ok=True)
    FILE.write_text(json.dumps(record(), separators=(",", ":")) + "\n")
    print(f"wrote {FILE} ({FILE.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
