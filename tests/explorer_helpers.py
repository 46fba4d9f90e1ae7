"""Helpers the explorer tests share: what an explorer shows, and how fast it redraws."""

import statistics

import numpy as np


def shown(explorer):
    """What the learner sees: the picture and the status line."""
    return explorer.image.value, explorer.status.value


def median_update_ms(explorer, name, values):
    """Move one control through ``values``; the median time of an update, in milliseconds.

    Printed by the tests, never asserted: time depends on the machine (see benchmarks/)."""
    times = []
    for value in values:
        explorer.controls[name].value = value
        assert explorer.error is None, explorer.status.value
        times.append(explorer.seconds)
    return 1e3 * statistics.median(times)


def moves_and_reacts(explorer, name, low, high):
    """Move control ``name`` through 20 values from ``low`` to ``high`` times where it starts;
    the picture or the status line must change. Prints the median update (not asserted)."""
    start = explorer.controls[name].value
    before = shown(explorer)
    ms = median_update_ms(explorer, name, np.geomspace(start * low, start * high, 20))
    assert shown(explorer) != before
    print(f"{explorer.title}: median update {ms:.0f} ms over 20 moves of {name}")
