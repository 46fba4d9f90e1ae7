"""Compare outcomes with the reference and write the verdict a learner reads.

The same ``judge`` serves ``check()`` in the notebook and the batch grader, so the two never
disagree about what counts as right. It compares only the grader's own canonical copies (see
``values``): exact shape, a real numeric dtype (booleans are not numbers), NaN and inf reported by
name, and the rest with ``|got - expected| <= atol + rtol * |expected|``.
"""

import json
import textwrap
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from . import values

STATUSES = ("passed", "failed", "error", "timeout", "not attempted", "missing", "crashed")


@dataclass(frozen=True)
class Verdict:
    """The result of checking one exercise. Its repr is the message, so a notebook shows it."""

    exercise_id: str
    status: str
    message: str
    cases: int
    passed_cases: int = 0

    @property
    def passed(self):
        return self.status == "passed"

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.message

    __repr__ = __str__


def _inputs_of(exercise, hidden):
    return exercise.cases + ([h.case for h in exercise.hidden_cases] if hidden else [])


@cache
def encoded_cases(exercise, hidden=False):
    """Each case as a list of (name, encoded input) pairs: what crosses into the sandbox.

    The visible cases, then (with ``hidden``) the hidden ones, which only the batch grader uses."""
    return tuple(
        tuple((k, values.encode(v)) for k, v in case.items())
        for case in _inputs_of(exercise, hidden)
    )


def _call_trusted(fn, args):
    """Run trusted code (a reference, or a test's mutant) on fresh inputs; encode the result."""
    inputs = [values.decode_input(enc) for _, enc in args]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return values.encode(fn(*inputs))


@cache
def expected_outputs(exercise, hidden=False):
    """The reference's result for every case (visible, then hidden with ``hidden``), encoded."""
    args = encoded_cases(exercise, hidden)
    out = tuple(_call_trusted(exercise.reference, a) for a in args)
    bad = [i for i, enc in enumerate(out) if enc["kind"] != "array"]
    if bad:
        raise ValueError(f"{exercise.id}: the reference returned no number for cases {bad}")
    return out


# --- comparing -----------------------------------------------------------------------------


def _index(flat_index, shape):
    idx = np.unravel_index(flat_index, shape) if shape else ()
    return "(" + ", ".join(str(int(i)) for i in idx) + ("," if len(idx) == 1 else "") + ")"


def _at(flat_index, shape):
    return f" at index {_index(flat_index, shape)}" if shape else ""


def _num(x):
    x = float(x)
    return "nan" if x != x else repr(x) if np.isfinite(x) else ("inf" if x > 0 else "-inf")


def compare(expected, got, rtol, atol):
    """None when ``got`` matches ``expected`` (both encoded); else (symptom, what is wrong)."""
    kind = got.get("kind")
    want = values.describe(expected)
    if kind in ("none", "ellipsis"):
        return "none", f"expected {want}, got {values.describe(got)}"
    if kind in ("bool", "text", "unsupported"):
        return "type", f"expected {want}, got {values.describe(got)}"
    if kind in ("ragged", "too_big"):
        return "shape", f"expected {want}, got {values.describe(got)}"
    if got["dtype"] == "bool":
        return "type", f"expected {want}, got {values.describe(got)}: booleans are not numbers"
    if got["shape"] != expected["shape"]:
        return "shape", f"expected {want}, got {values.describe(got)}"
    e, g = values.decode(expected).astype(float).ravel(), values.decode(got).astype(float).ravel()
    shape = tuple(expected["shape"])
    for name, bad in (("NaN", np.isnan(g) & ~np.isnan(e)), ("inf", np.isinf(g) & (g != e))):
        if bad.any():
            i = int(np.argmax(bad))
            symptom = "nan" if name == "NaN" else "inf"
            return symptom, f"got {_num(g[i])}{_at(i, shape)}, where {_num(e[i])} was expected"
    missing = np.isinf(e) & (g != e)
    if missing.any():
        i = int(np.argmax(missing))
        return "value", f"expected {_num(e[i])}{_at(i, shape)}, got {_num(g[i])}"
    finite = np.isfinite(e) & np.isfinite(g)
    with np.errstate(all="ignore"):
        far = finite & ~(np.abs(g - e) <= atol + rtol * np.abs(e))
    if far.any():
        i = int(np.argmax(far))
        problem = f"expected {_num(e[i])}{_at(i, shape)}, got {_num(g[i])}"
        if got["dtype"] in ("float32", "float16"):
            problem += f" (your result has dtype {got['dtype']}: compute in float64)"
        return "value", problem
    return None


def _outcome(exercise, args, enc):
    """What an experiment's configuration ``enc`` achieves on a case, computed here (trusted)."""
    inputs = [values.decode_input(e) for _, e in args]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        reached = float(exercise.outcome(values.decode(enc), *inputs))
    return reached if reached == reached else np.inf  # NaN: as bad as it gets


def compare_case(exercise, args, expected, got):
    """``compare`` for one case of ``exercise``; for an experiment, its outcome against the target.

    An experiment's configuration must have the reference's type and shape, and no NaN or inf;
    then it passes when its outcome is at most the reference's, with the exercise's slack."""
    if exercise.outcome is None:
        return compare(expected, got, exercise.rtol, exercise.atol)
    problem = compare(expected, got, rtol=0.0, atol=np.inf)  # the form only: any finite value
    if problem:
        return problem
    target = _outcome(exercise, args, expected) * (1 + exercise.rtol) + exercise.atol
    reached = _outcome(exercise, args, got)
    if reached <= target:
        return None
    return "value", f"your configuration reaches {_num(reached)}; the target is {_num(target)}"


# --- writing the verdict ---------------------------------------------------------------------


def format_value(enc):
    """A short, deterministic rendering of an encoded value."""
    if enc.get("kind") != "array" or enc["dtype"] == "bool":
        return values.describe(enc)
    arr = values.decode(enc)
    if arr.ndim == 0:
        return _num(arr) if arr.dtype.kind == "f" else str(int(arr))
    text = np.array2string(
        arr, precision=6, separator=", ", threshold=24, edgeitems=3, max_line_width=76
    )
    return text


def _block(label, text, width=88):
    """'    label:  first line' with the rest of ``text`` indented under it."""
    head = f"    {label + ':':<10}"
    pad = " " * len(head)
    lines = []
    for i, line in enumerate(str(text).splitlines() or [""]):
        lines.append((head if i == 0 else pad) + line)
    return "\n".join(lines)


def _wrap(label, text):
    head = f"    {label + ':':<10}"
    return textwrap.fill(
        text,
        width=92,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_on_hyphens=False,
    )


def _inputs(args):
    lines = []
    for name, enc in args:
        first, *rest = format_value(enc).splitlines()
        lines += [f"{name} = {first}"] + [" " * (len(name) + 3) + line for line in rest]
    return "\n".join(lines)


@cache
def _mistakes():
    """Each exercise's recorded mistakes: [{"name", "hint", "outputs"}, ...] by exercise id.

    The mistakes' code is test data (``tests/exercise_data``); the package ships only what each
    returns on every case, visible then hidden (None where it returned no array), recorded by
    ``tools/record_mistakes.py``. So naming a mistake runs no code at all."""
    return json.loads(resources.files(__package__).joinpath("mistakes.json").read_text())


def _matching_mistake(exercise, case, got):
    """The hint of the first recorded mistake whose (wrong) result equals ``got`` on this case."""
    # An experiment's tolerance is about its outcome; its configuration matches a mistake exactly.
    rtol, atol = (1e-9, 0.0) if exercise.outcome else (exercise.rtol, exercise.atol)
    for mistake in _mistakes().get(exercise.id, ()):
        outputs = mistake["outputs"]
        out = outputs[case] if case < len(outputs) else None  # a stale file names no mistake
        if out is not None and compare(out, got, rtol, atol) is None:
            return mistake["hint"]
    return None


def judge(exercise, outcomes, fate=None, hidden=False):
    """The verdict for a list of per-case outcomes (from ``runner.call_case``).

    ``outcomes`` follow ``encoded_cases(exercise, hidden)``; they may stop early when the process
    running the function died, and ``fate`` then says why (a sentence such as "it ran out of
    memory"). A failed hidden case is reported by the property it tests, never by its inputs."""
    args_list, expected = encoded_cases(exercise, hidden), expected_outputs(exercise, hidden)
    visible = len(exercise.cases)
    n = len(args_list)
    qid, fn = exercise.id, exercise.function

    def verdict(status, head, *blocks, passed_cases=0):
        message = "\n".join([f"{qid}: {head}", *[b for b in blocks if b]])
        return Verdict(qid, status, message, n, passed_cases)

    for i, args in enumerate(args_list):
        secret = i >= visible
        where = (
            f"a hidden case ({exercise.hidden_cases[i - visible].what})"
            if secret
            else f"case {i + 1} of {visible}"
        )
        inputs = "" if secret else _block("inputs", _inputs(args))
        if i >= len(outcomes):
            why = fate or "the process running it stopped"
            return verdict(
                "crashed", f"stopped during {where}: {why}", inputs, _wrap("hint", _fate_hint(why))
            )
        out = outcomes[i]
        if out["timeout"]:
            return verdict(
                "timeout",
                f"{where} took longer than {exercise.time_limit:g} s, so it was stopped",
                inputs,
                _wrap("hint", exercise.hint("timeout")),
                passed_cases=i,
            )
        error = out["error"]
        if error:
            if i == 0 and error["type"] == "NotImplementedError":
                return _not_attempted(exercise, n)
            at = _wrap("at", error["where"]) if error.get("where") else ""
            return verdict(
                "error",
                f"error on {where}",
                inputs,
                _wrap("error", f"{error['type']}: {error['message']}"),
                at,
                _wrap("hint", exercise.hint(f"error:{error['type']}")),
                passed_cases=i,
            )
        got = out["result"]
        if i == 0 and got["kind"] in ("none", "ellipsis"):
            return _not_attempted(exercise, n)
        if out["mutated"]:
            names = ", ".join(out["mutated"])
            return verdict(
                "failed",
                f"failed {where}: {fn} changed its input {names} in place",
                inputs,
                _wrap("hint", exercise.hint("mutated")),
                passed_cases=i,
            )
        problem = compare_case(exercise, args, expected[i], got)
        if problem:
            symptom, text = problem
            mistake = _matching_mistake(exercise, i, got) if symptom != "type" else None
            warning = _wrap("warning", out["warning"]) if out.get("warning") else ""
            if secret:
                missed = exercise.outcome is not None and symptom == "value"
                shown = [_wrap("problem", _SECRET["target" if missed else symptom])]
            elif exercise.outcome is not None:  # the reference's configuration would pass: hide it
                shown = [_block("got", format_value(got)), _wrap("problem", text)]
            else:
                shown = [
                    _block("expected", format_value(expected[i])),
                    _block("got", format_value(got)),
                    _wrap("problem", text),
                ]
            return verdict(
                "failed",
                f"failed {where}",
                inputs,
                *shown,
                warning,
                _wrap("hint", mistake or exercise.hint(symptom)),
                passed_cases=i,
            )
    cases = f"{visible} cases" + (f" and {n - visible} hidden cases" if n > visible else "")
    return Verdict(qid, "passed", f"{qid}: passed ({cases})", n, n)


# What a failed hidden case says about the value: the symptom, never the numbers.
_SECRET = {
    "value": "a wrong value (it agrees with the visible cases, so check the general formula)",
    "shape": "a result of the wrong shape",
    "nan": "NaN where a number was expected",
    "inf": "an infinite value where a finite one was expected",
    "type": "a result of the wrong type",
    "none": "None instead of a value",
    "target": "your configuration misses the target on this setting",
}


def _not_attempted(exercise, n):
    message = (
        f"{exercise.id}: not attempted yet ({exercise.function} still returns nothing: "
        "replace the ... in its cell with your code)"
    )
    return Verdict(exercise.id, "not attempted", message, n)


def _fate_hint(why):
    if "limit" in why:
        return "It hit a limit: a loop that never ends uses up the time, a huge array the memory."
    if "ended by itself" in why:
        return "Does your code call os._exit() or exit()? Return the value instead."
    return "Something in your code stopped the process running it. Return a value, nothing else."


def missing(exercise, reason):
    """The verdict when there is no function to call (deleted, renamed, a syntax error)."""
    return Verdict(exercise.id, "missing", f"{exercise.id}: {reason}", len(exercise.cases), 0)
