"""How long one slider move takes in each explorer, against the course's budget.

    python benchmarks/bench_widgets.py

A slider move runs, in the kernel: recompute (schedules, a training run), redraw (matplotlib),
and encode the PNG that is sent to the browser. For every explorer of the course
(``lrcourse.widgets.all_explorers()``) the script drags the first slider in 40 small steps, as a
hand would, and takes the median time of one update (``explorer.seconds``) and the slowest one.
The budget: a median under 50 ms and no update over 100 ms, after the first draw (which the
explorer makes when it is built, before the drag starts).

A move that changes a panel's limits redraws that panel; the others repaint only what changed.
The reference, measured in the same run on the same figure: matplotlib drawing the whole figure
and encoding its PNG, which is what each move would cost without that care.

This machine's speed drifts (the same drag, twice in a row, can differ by half), and noise only
ever adds time. So each explorer is built and dragged three times, and the figures (the
reference's too) are the best of the three; the three slowest updates are printed as well.
Sending the PNG and showing it in the browser add a few milliseconds; the browser test
(tests/test_browser.py) checks that part works.
Prints numbers; it is not a test.
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
REPEATS = 3  # drags per explorer, each on a newly built one

SLIDERS = (ipywidgets.FloatLogSlider, ipywidgets.FloatSlider, ipywidgets.IntSlider)


def drag(explorer, moves=40, fraction=0.01):
    """Drag the explorer's first slider by ``fraction`` of its range per move, ``moves`` times
    (turning back at the end of the range); returns the seconds of each update."""
    control = next(c for c in explorer.controls.values() if isinstance(c, SLIDERS))
    log = isinstance(control, ipywidgets.FloatLogSlider)
    step = fraction * (control.max - control.min)
    if isinstance(control, ipywidgets.IntSlider):
        step = max(1, round(step))
    times = []
    for _ in range(moves):
        position = math.log(control.value, control.base) if log else control.value
        if position + step > control.max:
            step = -step
        position += step
        control.value = control.base**position if log else position
        times.append(explorer.seconds)
    assert explorer.error is None, explorer.status.value
    return times


def full_redraw(explorer, times=3):
    """The median seconds matplotlib takes to draw the explorer's whole figure and encode it."""
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        explorer.figure.canvas.draw()
        widgets._png(explorer.figure.canvas)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main():
    print(
        f"one slider update (recompute + redraw + PNG), best of {REPEATS} drags: "
        f"median <= {MEDIAN_TARGET * 1e3:.0f} ms, slowest <= {SLOWEST_TARGET * 1e3:.0f} ms; "
        "against matplotlib redrawing the whole figure"
    )
    for name, make in widgets.all_explorers().items():
        medians, slowest, full = [], [], []
        for _ in range(REPEATS):
            # Each explorer on its own, as a lecture holds a few: the garbage of the ones timed
            # before it would otherwise be collected during its moves (pauses of 100-200 ms).
            gc.collect()
            explorer = make()
            times = drag(explorer)
            medians.append(statistics.median(times))
            slowest.append(max(times))
            full.append(full_redraw(explorer))
            for control in explorer.controls.values():
                control.close()
            explorer.close()
        full = min(full)
        ok = min(medians) <= MEDIAN_TARGET and min(slowest) <= SLOWEST_TARGET
        drags = "/".join(f"{s * 1e3:.0f}" for s in slowest)
        print(
            f"{name:38s} median {min(medians) * 1e3:5.1f} ms   slowest {min(slowest) * 1e3:5.1f} ms"
            f" ({drags:>11s})   full redraw {full * 1e3:5.1f} ms: median x{min(medians) / full:.2f}"
            f"   {'ok' if ok else 'OVER BUDGET'}"
        )


if __name__ == "__main__":
    main()
