"""check(): instant, deterministic feedback that never raises, never hangs, and is never fooled."""

import signal
import warnings

import numpy as np
import pytest

from lrcourse.check import check, run_check
from lrcourse.grading import values


def gd_step(params, grads, lr):
    return params - lr * grads


def test_a_right_answer_passes_with_the_number_of_cases(capsys):
    check("01.gd_step", gd_step)
    assert capsys.readouterr().out == "01.gd_step: passed (5 cases)\n"


def test_the_verdict_is_deterministic():
    wrong = lambda params, grads, lr: params + lr * grads  # noqa: E731
    assert str(run_check("01.gd_step", wrong)) == str(run_check("01.gd_step", wrong))


def test_a_failure_shows_inputs_expected_got_and_the_mutants_hint():
    v = run_check("01.gd_step", lambda params, grads, lr: params + lr * grads)
    assert v.status == "failed" and not v
    text = " ".join(str(v).split())
    assert "failed case 1 of 5" in text
    assert "params = [ 1., -2.]" in text and "lr = 0.1" in text
    assert "expected: [ 0.95, -2.05]" in text and "got: [ 1.05, -1.95]" in text
    assert "steps the other way" in text  # the hint written for the wrong sign


@pytest.mark.parametrize("stub", [None, ..., lambda params, grads, lr: None])
def test_a_stub_is_not_attempted(stub):
    v = run_check("01.gd_step", stub)
    assert v.status == "not attempted" and "not attempted" in str(v)


def test_not_implemented_error_also_means_not_attempted():
    def stub(params, grads, lr):
        raise NotImplementedError

    assert run_check("01.gd_step", stub).status == "not attempted"


def test_unknown_ids_and_non_functions_are_explained():
    assert "01.gd_step" in str(run_check("01.nope", gd_step))  # lists the real ids
    assert "not its result" in str(run_check("01.gd_step", np.array([0.95, -2.05])))


def test_an_exception_is_reported_with_the_learners_own_line():
    def broken(params, grads, lr):
        scale = lr / 0
        return params - scale

    v = run_check("01.gd_step", broken)
    assert v.status == "error"
    assert "ZeroDivisionError" in str(v)
    # The line number counts from the top of the learner's file: in a notebook, of the cell.
    assert "of broken: scale = lr / 0" in str(v)


def test_sys_exit_and_recursion_are_caught():
    import sys

    assert "sys.exit(3)" in str(run_check("01.gd_step", lambda p, g, lr: sys.exit(3)))

    def forever(params, grads, lr):
        return forever(params, grads, lr)

    assert "RecursionError" in str(run_check("01.gd_step", forever))


def test_an_endless_loop_is_stopped_even_if_it_catches_exceptions():
    def loop(params, grads, lr):
        while True:
            try:
                pass
            except Exception:  # a learner's blanket except cannot eat the time limit
                pass

    v = run_check("01.gd_step", loop)
    assert v.status == "timeout" and "took longer than 2 s" in str(v)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)


def test_prints_and_warnings_are_captured(capsys):
    def noisy(params, grads, lr):
        print("debugging " * 10_000)
        warnings.warn("careful", stacklevel=1)
        np.float64(1e308) * 10  # an overflow RuntimeWarning
        return params - lr * grads

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping check() would raise here
        check("01.gd_step", noisy)
    out = capsys.readouterr()
    assert out.out == "01.gd_step: passed (5 cases)\n" and out.err == ""


def test_an_answer_that_changes_its_input_fails_by_name():
    def in_place(params, grads, lr):
        params -= lr * grads
        return params

    v = run_check("01.gd_step", in_place)
    assert v.status == "failed" and "changed its input params in place" in str(v)


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda h: True, "a bool (True)"),
        (lambda h: np.bool_(True), "a bool (True)"),
        (lambda h: np.array([2 / np.linalg.eigvalsh(h)[-1]]), "an array of shape (1,)"),
        (lambda h: np.nan, "got nan"),
        (lambda h: np.inf, "got inf"),
        (lambda h: "0.2", "a string"),
        (lambda h: 1j, "an object of type complex"),
    ],
)
def test_types_shapes_and_non_finite_values_are_named(answer, words):
    v = run_check("01.max_stable_lr", answer)
    assert v.status == "failed" and words in str(v)


def test_plain_numbers_lists_and_numpy_scalars_are_accepted():
    assert run_check("01.max_stable_lr", lambda h: float(2 / np.linalg.eigvalsh(h)[-1]))
    assert run_check("01.max_stable_lr", lambda h: np.float64(2 / np.linalg.eigvalsh(h)[-1]))
    assert run_check("01.max_stable_lr", lambda h: np.array(2 / np.linalg.eigvalsh(h)[-1]))
    assert run_check("01.gd_step", lambda p, g, lr: (p - lr * g).tolist())


def test_float32_is_flagged_when_it_costs_precision():
    v = run_check("01.max_stable_lr", lambda h: np.float32(2.000001 / np.linalg.eigvalsh(h)[-1]))
    assert "your result has dtype float32" in str(v)


class Liar:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.2

    def __array__(self, dtype=None, copy=None):
        return np.array(0.2)


class LyingFloat(float):
    def __eq__(self, other):
        return True


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


@pytest.mark.parametrize(
    "answer",
    [
        lambda h: Liar(),
        lambda h: LyingFloat(2 / np.linalg.eigvalsh(h)[-1]),  # right value, lying type
        lambda h: np.array(2 / np.linalg.eigvalsh(h)[-1]).view(LyingArray),
        lambda h: [Liar()],
        lambda h: np.array([Liar()], dtype=object),
    ],
)
def test_objects_of_the_learners_own_classes_earn_nothing(answer):
    assert run_check("01.max_stable_lr", answer).status == "failed"


def test_encoding_never_calls_the_objects_methods():
    class Exploding:
        def __getattribute__(self, name):
            raise AssertionError(f"the grader touched {name}")

    enc = values.encode(Exploding())
    assert enc["kind"] == "unsupported" and "Exploding" in enc["type"]
    assert values.encode([True, 0.5])["dtype"] == "bool"  # a bool is not a number, even in a list


def test_check_never_raises_even_on_its_own_bugs(monkeypatch):
    from lrcourse.grading import judge

    monkeypatch.setattr(judge, "judge", lambda *a, **k: 1 / 0)
    v = run_check("01.gd_step", gd_step)
    assert v.status == "error" and "internal error" in str(v)


def test_only_well_formed_values_are_decoded():
    good = [0.5, 3, np.arange(6.0).reshape(2, 3), [1, 2], np.array([np.nan, -np.inf]), None, True]
    good += ["text", object(), [[1], [1, 2]], np.zeros(2_000_000), [True, 1.0], ...]
    assert all(values.valid(values.encode(v)) for v in good)
    array = {"kind": "array", "dtype": "float64", "container": "ndarray", "shape": [2]}
    bad = [
        {**array, "data": [1.0]},  # too short for its shape
        {**array, "data": [1.0, "1"]},  # a string that is not nan or inf
        {**array, "data": [1.0, True]},  # a bool is not a number
        {**array, "data": [1.0, [2.0]]},
        {**array, "shape": [-2], "data": []},
        {"kind": 3},
        [],
    ]
    assert not any(values.valid(b) for b in bad)
