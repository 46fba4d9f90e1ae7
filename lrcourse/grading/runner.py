"""Call a learner's function on one case, safely, and describe what happened as plain data.

``call_case`` is shared by ``check()`` (in the learner's notebook) and by the grader's sandbox (a
fresh process of the grader's own), so both see exactly the same outcome:

- the function gets fresh copies of the inputs, decoded from JSON, for every call;
- it runs under a time limit (SIGALRM, raised as a ``BaseException`` so that a learner's
  ``except Exception`` cannot swallow it);
- its prints and warnings are captured, so nothing reaches stderr (that would break strict nbval
  and, in nbgrader, cost the learner the marks);
- every exception, ``SystemExit`` included, becomes a description with the learner's own line;
- the inputs are encoded again afterwards, so an answer that changes them in place is noticed.

Like ``values``, this module needs only the standard library and NumPy.
"""

import contextlib
import io
import linecache
import os
import signal
import sys
import threading
import traceback
import warnings

try:
    from . import values
except ImportError:  # loaded on its own by the grader's sandbox
    import values

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = os.path.dirname(_HERE)  # lrcourse/: its frames are never "the learner's line"
_SYSTEM = tuple({os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
MAX_OUTPUT = 10_000  # characters of print output kept per call (the rest is counted, not stored)


class TimeLimit(BaseException):
    """Raised inside the learner's function when its time is up."""


@contextlib.contextmanager
def time_limit(seconds):
    """Interrupt the block after ``seconds`` (a no-op off the main thread or without SIGALRM).

    A long call inside C code (a huge matrix product) is only interrupted when it returns; the
    grader's sandbox therefore also has a wall-clock limit it enforces from outside."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def _raise(signum, frame):
        raise TimeLimit()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CappedText(io.TextIOBase):
    """Stands in for stdout/stderr: keeps the first MAX_OUTPUT characters, counts the rest."""

    def __init__(self):
        self.parts, self.kept, self.total = [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        self.total += len(text)
        if self.kept < MAX_OUTPUT:
            self.parts.append(text[: MAX_OUTPUT - self.kept])
            self.kept += len(self.parts[-1])
        return len(text)


def _is_learner_file(filename):
    if filename.startswith("<frozen") or filename.startswith("<string"):
        return False
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return not (path.startswith(_PACKAGE + os.sep) or path.startswith(_SYSTEM))


def _where(tb):
    """'line 3 of gd_step: return params / 0' for the innermost frame of the learner's code."""
    mine = [(f, n) for f, n in traceback.walk_tb(tb) if _is_learner_file(f.f_code.co_filename)]
    if not mine:
        return None
    frame, lineno = mine[-1]
    text = linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()
    where = f"line {lineno} of {frame.f_code.co_name}"
    return f"{where}: {text[:160]}" if text else where


def _describe_exception(exc):
    name = type(exc).__name__
    try:
        message = str(exc)[:300]
    except BaseException:  # a learner's exception class may fail to print
        message = "(the error message itself could not be printed)"
    if isinstance(exc, SystemExit):
        message = f"your code called sys.exit({message})"
    return {"type": name, "message": message, "where": _where(exc.__traceback__)}


def call_case(fn, args, seconds):
    """Run ``fn(*inputs)`` for one case; ``args`` is a list of (name, encoded input) pairs.

    Returns a dict of plain data: ``result`` (encoded) or ``error`` or ``timeout``, plus
    ``mutated`` (names of the inputs the function changed), ``warning`` (the first one) and
    ``output_chars`` (how much it printed)."""
    outcome = {"result": None, "error": None, "timeout": False, "mutated": [], "warning": None}
    inputs = [values.decode_input(enc) for _, enc in args]
    sink = _CappedText()
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        warnings.simplefilter("always")
        try:
            with time_limit(seconds):
                try:
                    # Encoding happens inside the limit: a ten-million-element list takes time.
                    outcome["result"] = values.encode(fn(*inputs))
                except TimeLimit:
                    raise
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # SystemExit, MemoryError, RecursionError, ...
                    outcome["error"] = _describe_exception(exc)
        except TimeLimit:
            outcome["timeout"] = True
            outcome["error"] = None
        if caught:
            w = caught[0]
            outcome["warning"] = f"{w.category.__name__}: {str(w.message)[:200]}"
    outcome["output_chars"] = sink.total
    outcome["mutated"] = [
        name for (name, enc), x in zip(args, inputs, strict=True) if values.encode(x) != enc
    ]
    return outcome
