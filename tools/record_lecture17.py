"""Record lecture 17's runs: the course's claims re-tested on a small convolutional network.

    python tools/record_lecture17.py        # notebooks/data/17_capstone.json (about 5-10 min)

Needs PyTorch and the `reference` extra (schedulefree): pip install torch==2.13.0 && pip install
-e '.[reference]'. Every configuration runs with three seeds (the same three initialisations
and batch orders for every configuration), on one thread, deterministically; the file keeps
each seed's final validation loss and accuracy, so the lecture can state a mean and a range.
``tests/test_lecture17_data.py`` checks the file against these settings and, with PyTorch,
re-runs one configuration.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from lrcourse import capstone
from lrcourse.range_test import RULES, smooth

FILE = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "17_capstone.json"
SEEDS = [0, 1, 2]
EPOCHS = 5  # 190 steps of 32 images
LRS = [1e-3, 3e-3, 1e-2, 3e-2]
SETTINGS = {
    "seeds": SEEDS,
    "epochs": EPOCHS,
    "lrs": LRS,
    "schedules": ["cosine", "linear", "wsd"],
    "warmup": dict(lrs=[1e-2, 3e-2], warmup_steps=19),  # 10% of the run, cosine after it
    "decay": dict(lr=3e-3, adamw=[1e-2, 1e-1, 1.0], adam_l2=[1e-4, 1e-3, 1e-2]),
    "range_test": dict(start_lr=1e-5, end_lr=1.0, num_steps=150),
}


def runs(config, splits):
    """Each seed's final validation loss and accuracy, in lists {"val_loss", "val_accuracy"}."""
    out = {"val_loss": [], "val_accuracy": []}
    for seed in SEEDS:
        result = capstone.train({**config, "epochs": EPOCHS}, seed, splits)
        out["val_loss"].append(round(result["val_loss"], 6))
        out["val_accuracy"].append(round(result["val_accuracy"], 6))
    return out


def record():
    import torch

    torch.set_num_threads(1)
    splits = capstone.data()
    out = {"meta": {"torch": torch.__version__, "settings": SETTINGS}}
    started = time.time()

    def log(what):
        print(f"{time.time() - started:5.0f} s  {what}", file=sys.stderr, flush=True)

    out["schedules"] = {
        kind: [runs(dict(schedule=kind, lr=lr), splits) for lr in LRS]
        for kind in SETTINGS["schedules"]
    }
    log("schedules")
    out["schedule_free"] = [runs(dict(optimizer="schedule_free", lr=lr), splits) for lr in LRS]
    log("schedule-free")
    warm = SETTINGS["warmup"]
    out["warmup"] = [
        runs(dict(lr=lr, warmup_steps=warm["warmup_steps"]), splits) for lr in warm["lrs"]
    ]
    log("warmup")
    decay = SETTINGS["decay"]
    out["decay"] = {
        name: [runs(dict(optimizer=name, lr=decay["lr"], weight_decay=wd), splits) for wd in wds]
        for name, wds in [("adamw", decay["adamw"]), ("adam_l2", decay["adam_l2"])]
    }
    log("decay")
    tests = []
    for seed in SEEDS:
        rates, losses = capstone.range_test_run(seed, splits=splits, **SETTINGS["range_test"])
        smoothed = smooth(losses)
        tests.append({
            "losses": [round(float(x), 6) for x in losses],
            "suggestions": {name: float(rule(rates, smoothed)) for name, rule in RULES.items()},
        })  # fmt: skip
    out["range_test"] = tests
    log("range tests")
    return out


def main():
    FILE.parent.mkdir(exist_ok=True)
    FILE.write_text(json.dumps(record(), separators=(",", ":")) + "\n")
    print(f"wrote {FILE} ({FILE.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
