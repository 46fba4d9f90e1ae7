"""How long one slider move takes in each explorer, against the course's 100 ms budget.

    python benchmarks/bench_widgets.py

A slider move runs, in the kernel: recompute (schedules, a training run), redraw (matplotlib),
and encode the PNG that is sent to the browser. The script drags the first slider of each
explorer across part of its range in small steps, as a hand would, and prints the median time
of one update (``explorer.seconds``) and the slowest one; a move that changes the axes' limits
redraws the whole figure, the others repaint only what changed. Sending the PNG and showing it
in the browser add a few milliseconds more; the browser test (tests/test_browser.py) checks
that part works. Prints numbers; it is not a test.
"""

import statistics

import matplotlib
import numpy as np

matplotlib.use("Agg")

from lrcourse import schedules, widgets  # noqa: E402
from lrcourse.problems import quadratic, rosenbrock  # noqa: E402

TARGET = 0.100  # seconds: a reply within 100 ms feels instant


def drag(explorer, name, start, stop, moves=40):
    """Move control ``name`` from ``start`` to ``stop`` in ``moves`` steps; the update times."""
    control, times = explorer.controls[name], []
    values = np.geomspace(start, stop, moves) if start > 0 else np.linspace(start, stop, moves)
    for value in values:
        control.value = type(control.value)(value)
        times.append(explorer.seconds)
    assert explorer.error is None, explorer.status.value
    return times


CASES = [
    (
        "schedule_explorer(cosine_decay)",
        lambda: widgets.schedule_explorer(schedules.cosine_decay),
        ("lr", 0.05, 0.5),
    ),
    (
        "schedule_explorer(one_cycle)",
        lambda: widgets.schedule_explorer(schedules.one_cycle),
        ("pct_start", 0.1, 0.6),
    ),
    (
        "lr_explorer(quadratic, 50 steps)",
        lambda: widgets.lr_explorer(quadratic(condition=10), steps=50),
        ("lr", 0.01, 0.5),
    ),
    (
        "lr_explorer(Rosenbrock, 200 steps)",
        lambda: widgets.lr_explorer(rosenbrock(), steps=200, lr=1e-3),
        ("lr", 1e-4, 5e-3),
    ),
    (
        "compare_explorer(cosine, step)",
        lambda: widgets.compare_explorer(schedules.cosine_decay, schedules.step_decay),
        ("cosine_decay.lr", 0.05, 0.5),
    ),
    (
        "compare_explorer(cosine, step, quadratic)",
        lambda: widgets.compare_explorer(
            schedules.cosine_decay, schedules.step_decay, problem=quadratic(condition=10)
        ),
        ("cosine_decay.lr", 0.05, 0.18),
    ),
]


def main():
    print(f"one slider update (recompute + redraw + PNG), target <= {TARGET * 1e3:.0f} ms")
    for label, make, (name, start, stop) in CASES:
        explorer = make()
        times = drag(explorer, name, start, stop)
        median = statistics.median(times)
        verdict = "ok" if median <= TARGET else "SLOWER THAN TARGET"
        print(
            f"{label:45s} median {median * 1e3:6.1f} ms   slowest {max(times) * 1e3:6.1f} ms"
            f"   {verdict}"
        )


if __name__ == "__main__":
    main()
