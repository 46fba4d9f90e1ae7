"""Helpers the explorer tests share: what an explorer shows, and how fast it redraws."""

import statistics


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
