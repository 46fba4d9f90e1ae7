"""Argument checks shared by every factory: one clear ValueError per bad hyperparameter.

Each check names the parameter, shows the value it got and says what is allowed, so that a learner
who types ``cosine_decay(lr=0.1, total_steps=0)`` reads ``total_steps must be a positive integer,
got 0`` instead of a NaN three plots later. Array-valued hyperparameters (a sweep) are checked
element by element.
"""

import numbers
from collections.abc import Iterable

import numpy as np


def _show(value):
    """A short rendering of a value for an error message (arrays are summarised)."""
    if callable(value):  # a schedule: its name, not a repr with a memory address
        # A schedule is the inner function of a factory: "cosine_decay.<locals>.schedule" is
        # shown as the factory's name, cosine_decay.
        name = getattr(value, "__qualname__", type(value).__name__)
        return name.split(".<locals>.")[0]
    if isinstance(value, np.ndarray) and value.size > 6:
        return f"array of shape {value.shape} (min {value.min()!r}, max {value.max()!r})"
    return repr(value.tolist() if isinstance(value, np.ndarray) else value)


def as_float_array(name, value):
    """``value`` as a float64 array; rejects booleans, strings, None and non-finite numbers."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        raise ValueError(f"{name} must be a number or an array of numbers, got {_show(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or an array of numbers, got {_show(value)}"
        ) from None
    if np.asarray(value).dtype.kind == "b":
        raise ValueError(f"{name} must be a number or an array of numbers, got {_show(value)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    return arr


def positive(name, value):
    """A number (or array) > 0."""
    arr = as_float_array(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {_show(value)}")
    return arr


def non_negative(name, value):
    """A number (or array) >= 0."""
    arr = as_float_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got {_show(value)}")
    return arr


def in_range(name, value, low, high, *, low_open=False, high_open=True):
    """A number (or array) in [low, high), with the ends open or closed as asked."""
    arr = as_float_array(name, value)
    too_low = arr <= low if low_open else arr < low
    too_high = arr >= high if high_open else arr > high
    if np.any(too_low | too_high):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {_show(value)}")
    return arr


def positive_int(name, value, *, minimum=1):
    """A Python or NumPy integer >= minimum (not a bool, not 2.0, not 2.5)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_show(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {_show(value)}")
    return int(value)


def one_of(name, value, allowed):
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {_show(value)}")
    return value


def increasing_ints(name, values):
    """A list of strictly increasing integers >= 1 (milestones, boundaries)."""
    allowed = f"{name} must be a list of strictly increasing integers >= 1"
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{allowed}, got {_show(values)}")
    values = list(values)
    integers = all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in values)
    increasing = integers and all(b > a for a, b in zip([0, *values], values))  # 0 < v0 < v1 ...
    if not increasing:
        raise ValueError(f"{allowed}, got {_show(values)}")
    return [int(x) for x in values]


def flag(name, value):
    """A bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {_show(value)}")
    return bool(value)


def steps(value):
    """The step argument of a schedule: an int or an integer array, every entry >= 0."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" or isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"step must be an integer or an array of integers, got {_show(value)}"
            + (f" (dtype {arr.dtype})" if arr.dtype.kind != "O" else "")
        )
    if arr.size and arr.min() < 0:
        raise ValueError(f"step must be >= 0, got {_show(value)}")
    return arr
