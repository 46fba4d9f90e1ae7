"""How long one slider move takes in each explorer, against the course's budget.

    python benchmarks/bench_widgets.py

A slider move runs, in the kernel: recompute (schedules, a training run), redraw (matplotlib),
and encode the PNG that is sent to the browser. For every explorer of the course
(``lrcourse.widgets.all_explorers()``) the script drags the first slider in 40 small steps, as a
hand would, and prints the median time of one update (``explorer.seconds``; in brackets the CPU
time, which other work on a busy machine does not inflate) and the slowest one. The budget: a
median under 50 ms and no update over 100 ms, after the first draw (which the explorer makes
when it is built, before the drag starts). A move that
changes the axes' limits redraws the whole figure; the others repaint only what changed.
Sending the PNG and showing it in the browser add a few milliseconds; the browser test
(tests/test_browser.py) checks that part works. Prints numbers; it is not a test.
"""

import gc
import math
import statistics
import time

import ipywidgets
import matplotlib

matplotlib.use("Agg")

from lrcourse import widgets  # noqa: E402

MEDIAN_TARGET = 0.050  # seconds: a typical move well under the 100 ms that feel instant
SLOWEST_TARGET = 0.100  # no single move, after the first draw, may take longer than that


SLIDERS = (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider, ipywidgets.IntSlider)


def drag(explorer, moves=40, fraction=0.01):
    """Drag the explorer's first slider by ``fraction`` of its range per move, ``moves`` times
    (turning back at the end of the range); returns the wall and CPU seconds of each update."""
    control = next(c for c in explorer.controls.values() if isinstance(c, SLIDERS))
    log = isinstance(control, ipywidgets.FloatLogSlider)
    step = fraction * (control.max - control.min)
    if isinstance(control, ipywidgets.IntSlider):
        step = max(1, round(step))
    times, cpu = [], []
    for _ in range(moves):
        position = math.log(control.value, control.base) if log else control.value
        if position + step > control.max:
            step = -step
        position += step
        start = time.process_time()
        control.value = control.base**position if log else position
        cpu.append(time.process_time() - start)
        times.append(explorer.seconds)
    assert explorer.error is None, explorer.status.value
    return times, cpu


def main():
    print(
        f"one slider update (recompute + redraw + PNG): median <= {MEDIAN_TARGET * 1e3:.0f} ms, "
        f"slowest <= {SLOWEST_TARGET * 1e3:.0f} ms"
    )
    for name, make in widgets.all_explorers().items():
        # Each explorer on its own, as a lecture holds a few: the garbage of the ones timed
        # before it would otherwise be collected during its moves (pauses of 100-200 ms).
        gc.collect()
        explorer = make()
        times, cpu = drag(explorer)
        for control in explorer.controls.values():
            control.close()
        explorer.close()
        median = statistics.median(times)
        ok = median <= MEDIAN_TARGET and max(times) <= SLOWEST_TARGET
        print(
            f"{name:40s} median {median * 1e3:6.1f} ms (CPU {statistics.median(cpu) * 1e3:5.1f})"
            f"   slowest {max(times) * 1e3:6.1f} ms (CPU {max(cpu) * 1e3:5.1f})"
            f"   {'ok' if ok else 'OVER BUDGET'}"
        )


if __name__ == "__main__":
    main()
