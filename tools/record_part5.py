"""Record the long experiments of Part V into the files lectures 14 and 15 assert on.

    python tools/record_part5.py 14     # notebooks/data/14_edge_of_stability.json (minutes)
    python tools/record_part5.py 15     # notebooks/data/15_batch_size.json

A lecture must run in seconds, but the edge of stability needs thousands of full-batch steps with
the sharpness measured along the way. So this script runs them once, deterministically (seeded,
one BLAS thread), and stores the numbers, rounded to 5 significant digits; the lecture reads the
file, plots it, asserts every claim on it, and repeats a short piece live.
``tests/test_part5_data.py`` re-runs the first steps of each experiment and compares them with the
stored ones, so the file cannot drift from the code that made it.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before NumPy loads its BLAS: reproducible sums

import numpy as np  # noqa: E402

from lrcourse import optimizers, schedules  # noqa: E402
from lrcourse.experiments import (  # noqa: E402
    adam_preconditioner,
    steps_to_loss,
    track_sharpness,
)
from lrcourse.problems import digits_mlp  # noqa: E402
from lrcourse.train import run  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "notebooks" / "data"
EDGE_FILE = DATA / "14_edge_of_stability.json"
BATCH_FILE = DATA / "15_batch_size.json"

# Lecture 14: one network, full batch, squared error (Cohen et al. 2021 train with it too).
MLP = dict(hidden=32, criterion="squared_error", batch_size=None)
EDGE = {
    "gd": dict(lrs=[0.05, 0.1, 0.2, 0.4], steps=4000, every=20, iters=8),
    "adam": dict(lrs=[1e-3, 2e-3, 4e-3], betas=[0.9, 0.999], steps=3000, every=20, iters=10),
    "warmup": dict(peaks=[0.5, 0.6], warmup_steps=[0, 400], steps=1500, every=20, iters=6),
    "decay": dict(lr=0.4, decay_at=1500, gamma=0.25, steps=3000, every=20, iters=8),
}


def _round(values):
    """Nested lists of floats with 5 significant digits (NaN as None, as JSON has no NaN)."""
    values = np.asarray(values, dtype=float)
    if values.ndim > 1:
        return [_round(row) for row in values]
    return [float(f"{x:.5g}") if np.isfinite(x) else None for x in values]


def _history(h):
    """A SharpnessHistory as JSON: runs first (one row per run), steps second."""
    return {
        "loss": _round(np.moveaxis(h.loss, 0, -1)),
        "sharpness_steps": h.sharpness_steps.tolist(),
        "sharpness": _round(np.moveaxis(h.sharpness, 0, -1)),
    }


def gd_runs(steps, lrs, every, iters):
    """Full-batch gradient descent at each rate, all rates in one batched run."""
    mlp = digits_mlp(**MLP)
    lrs = np.array(lrs)
    starts = np.tile(mlp.start, (len(lrs), 1))
    return track_sharpness(optimizers.sgd(lr=lrs[:, None]), mlp, starts, steps, every=every,
                           iters=iters)  # fmt: skip


def adam_runs(steps, lrs, betas, every, iters):
    """Full-batch Adam at each rate, measuring the preconditioned sharpness of P^-1 H."""
    mlp = digits_mlp(**MLP)
    lrs, betas = np.array(lrs), tuple(betas)
    starts = np.tile(mlp.start, (len(lrs), 1))
    return track_sharpness(
        optimizers.adam(lr=lrs[:, None], betas=betas), mlp, starts, steps, every=every,
        iters=iters, preconditioner=lambda state: adam_preconditioner(state, betas),
    )  # fmt: skip


def warmup_runs(steps, peaks, warmup_steps, every, iters):
    """Every peak rate with every warmup length (0: none), one batched run; rows peak-major."""
    mlp = digits_mlp(**MLP)
    peak = np.repeat(peaks, len(warmup_steps))
    warm = np.tile(warmup_steps, len(peaks))

    # A linear ramp to the peak over `warm` steps (update k uses (k + 1) / warm), then the peak.
    def lr(step):
        return (peak * np.minimum(1.0, (step + 1) / np.maximum(warm, 1)))[:, None]

    starts = np.tile(mlp.start, (len(peak), 1))
    return track_sharpness(optimizers.sgd(lr=lr), mlp, starts, steps, every=every, iters=iters)


def decay_run(steps, lr, decay_at, gamma, every, iters):
    """Gradient descent at lr, then lr * gamma from step decay_at on."""
    mlp = digits_mlp(**MLP)
    schedule = schedules.multistep_decay(lr, [decay_at], gamma=gamma)
    return track_sharpness(optimizers.sgd(lr=schedule), mlp, None, steps, every=every, iters=iters)


RUNS = {"gd": gd_runs, "adam": adam_runs, "warmup": warmup_runs, "decay": decay_run}


def record_edge(steps=None):
    """Every lecture-14 experiment; ``steps`` cuts each short (the test's quick re-run)."""
    out = {"meta": {"mlp": MLP, "numpy": np.__version__}}
    for name, settings in EDGE.items():
        settings = {**settings, "steps": steps or settings["steps"]}
        out[name] = {"settings": settings, **_history(RUNS[name](**settings))}
        print(f"{name}: done", file=sys.stderr, flush=True)
    return out


# Lecture 15: steps to a target training loss against batch size, each batch size at the best
# rate of a grid (a factor sqrt(2) apart), for SGD and Adam, over two mini-batch orders (seeds).
BATCH = {
    "target": 0.1,
    "batch_sizes": [2, 4, 8, 16, 32, 64, 128, 256],
    "seeds": [0, 1],
    "max_steps": 6000,
    "sgd_lrs": np.geomspace(0.03, 0.03 * 2**5.5, 12).round(6).tolist(),
    "adam_lrs": np.geomspace(1e-3, 1e-3 * 2**6, 13).round(8).tolist(),
    "warmup": dict(batch_size=256, lrs=[1.0, 2.0, 4.0], warmup_steps=50, steps=300),
}


def batch_runs(name, lrs, batch_sizes, seeds, target, max_steps):
    """(steps, best rate) per batch size and seed, for SGD ("sgd") or Adam ("adam")."""
    make = {"sgd": optimizers.sgd, "adam": optimizers.adam}[name]
    steps, best = [], []
    for batch_size in batch_sizes:
        mlp = digits_mlp(batch_size=batch_size)
        row = [steps_to_loss(make(lr=np.array(lrs)[:, None]), mlp, target, max_steps, seed=s)
               for s in seeds]  # fmt: skip
        steps.append([k for k, _ in row])
        best.append([lrs[i] if i >= 0 else None for _, i in row])
        print(f"{name} B = {batch_size}: {steps[-1]}", file=sys.stderr, flush=True)
    return steps, best


def warmup_large_batch(batch_size, lrs, warmup_steps, steps):
    """SGD at each rate with and without a linear warmup: the full training loss per step."""
    mlp = digits_mlp(batch_size=batch_size)
    lrs = np.array(lrs)
    out = {}
    for warm in (0, warmup_steps):
        schedule = schedules.constant(lrs[:, None])
        if warm:
            schedule = schedules.linear_warmup(schedule, warm)
        h = run(optimizers.sgd(lr=schedule), mlp, np.tile(mlp.start, (len(lrs), 1)), steps,
                eval_every=10, record_params=False)  # fmt: skip
        out[str(warm)] = _round(h.metrics["train_loss"].T)
    out["eval_steps"] = h.eval_steps.tolist()
    return out


def record_batch(max_steps=None):
    """Every lecture-15 experiment; ``max_steps`` cuts each short (the test's quick re-run)."""
    settings = {**BATCH, "max_steps": max_steps or BATCH["max_steps"]}
    out = {"meta": {"numpy": np.__version__}, "settings": settings}
    for name in ("sgd", "adam"):
        out[name] = dict(
            zip(
                ("steps", "best_lr"),
                batch_runs(
                    name,
                    settings[f"{name}_lrs"],
                    settings["batch_sizes"],
                    settings["seeds"],
                    settings["target"],
                    settings["max_steps"],
                ),
            )  # fmt: skip
        )
    out["warmup"] = warmup_large_batch(**settings["warmup"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lecture", choices=["14", "15"])
    lecture = parser.parse_args().lecture
    DATA.mkdir(exist_ok=True)
    path, record = (EDGE_FILE, record_edge) if lecture == "14" else (BATCH_FILE, record_batch)
    path.write_text(json.dumps(record(), separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
