"""Every exercise spec: the reference passes, every mutant fails, every other correct answer passes.

These run in-process against the specs (no kernel, no sandbox), so they are fast; they are what
keeps a case list from rewarding a common mistake, or from punishing a correct answer written
differently. The mutants and alternates are test data (``exercise_data``); the package knows the
mutants only by their recorded results, which must match what they return now.
"""

import importlib.util
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest
from exercise_data import ALTERNATES, MUTANTS

from lrcourse.check import run_check
from lrcourse.grading import judge, spec, values

EXERCISES = [e for lecture in spec.lectures().values() for e in lecture.exercises]
EACH_MUTANT = [(e, m) for e in EXERCISES for m in MUTANTS.get(e.id, [])]
EACH_ALTERNATE = [(e, i, a) for e in EXERCISES for i, a in enumerate(ALTERNATES.get(e.id, []))]


def _norm(text):
    return " ".join(text.split())


def test_lectures_01_and_02_have_at_least_three_exercises_each():
    assert len(spec.lectures()["01"].exercises) >= 3
    assert len(spec.lectures()["02"].exercises) >= 3


def test_ids_are_unique():
    assert len(spec.all_ids()) == len(set(spec.all_ids()))


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_reference_passes_and_the_spec_is_complete(exercise):
    assert run_check(exercise.id, exercise.reference).passed
    assert len(MUTANTS.get(exercise.id, [])) >= 3 and ALTERNATES.get(exercise.id), (
        "name mistakes and other answers in tests/exercise_data"
    )
    names = list(inspect.signature(exercise.reference).parameters)
    assert names == exercise.parameters, "cases list the inputs in the function's order"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_reference_does_not_change_the_cases(exercise):
    before = judge.encoded_cases(exercise)
    for case in exercise.cases:
        exercise.reference(*case.values())
    assert tuple(tuple((k, v) for k, v in args) for args in before) == judge.encoded_cases(exercise)
    assert judge._call_trusted(exercise.reference, before[0]) == judge.expected_outputs(exercise)[0]


@pytest.mark.parametrize(
    "exercise, mutant", EACH_MUTANT, ids=[f"{e.id}-{m.name}" for e, m in EACH_MUTANT]
)
def test_every_mutant_fails_with_a_hint_for_its_mistake(exercise, mutant):
    verdict = run_check(exercise.id, mutant.fn)
    assert verdict.status == "failed", str(verdict)
    # The hint shown is this mutant's own, or that of a mutant giving the same wrong value on the
    # first failing case, or the input-mutation hint; never a crash or a generic message.
    hints = [_norm(m.hint) for m in MUTANTS[exercise.id]] + [_norm(exercise.hint("mutated"))]
    assert any(h in _norm(str(verdict)) for h in hints), str(verdict)


@pytest.mark.parametrize(
    "exercise, i, alternate", EACH_ALTERNATE, ids=[f"{e.id}-{i}" for e, i, _ in EACH_ALTERNATE]
)
def test_every_correct_answer_written_differently_passes(exercise, i, alternate):
    verdict = run_check(exercise.id, alternate)
    assert verdict.passed, str(verdict)


def _record_mistakes():
    path = Path(__file__).resolve().parents[1] / "tools" / "record_mistakes.py"
    module_spec = importlib.util.spec_from_file_location("record_mistakes", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_the_recorded_mistakes_are_what_the_mutants_return_now():
    # check() and the grader match a wrong answer against these recorded results. They may differ
    # in the last bits on another machine (BLAS), so they are compared as the matching compares.
    tool = _record_mistakes()
    recorded, now = judge._mistakes(), json.loads(tool.dumps(tool.record()))
    fix = "a case or a mutant changed: run python tools/record_mistakes.py"
    assert sorted(recorded) == sorted(now), fix
    for qid, mistakes in now.items():
        exercise, was = spec.exercise(qid), recorded[qid]
        names = [(m["name"], m["hint"]) for m in mistakes]
        assert [(m["name"], m["hint"]) for m in was] == names, f"{qid}: {fix}"
        for old, new in zip(was, mistakes):
            assert len(old["outputs"]) == len(new["outputs"]), f"{qid}: {fix}"
            for i, (a, b) in enumerate(zip(old["outputs"], new["outputs"])):
                close = None not in (a, b) and not judge.compare(b, a, exercise.rtol, exercise.atol)
                assert a == b or close, f"{qid}, mutant {new['name']!r}, case {i + 1}: {fix}"


def test_a_hidden_case_failed_as_a_mutant_fails_it_shows_that_mutants_hint():
    # The recorded results cover the hidden cases too, after the visible ones, as the grader runs.
    exercise = spec.exercise("01.max_stable_lr")
    expected, visible = judge.expected_outputs(exercise, hidden=True), len(exercise.cases)
    mistake = judge._mistakes()[exercise.id][0]
    results = [*expected[:visible], mistake["outputs"][visible]]
    outcomes = [dict(timeout=False, error=None, result=r, mutated=[]) for r in results]
    verdict = str(judge.judge(exercise, outcomes, hidden=True))
    assert "failed a hidden case" in verdict and _norm(mistake["hint"]) in _norm(verdict), verdict


def test_the_first_failing_case_names_the_off_by_one():
    def short(hessian, x0, lr, steps):  # one update short: a classic
        path = [x0]
        for _ in range(steps - 1):
            path.append(path[-1] - lr * hessian @ path[-1])
        return np.array(path)

    verdict = run_check("01.gradient_descent", short)
    assert "shape (6, 2), got an array of shape (5, 2)" in str(verdict)
    assert "steps + 1 points" in _norm(str(verdict))


def test_the_noise_floor_accepts_numbers_and_arrays_and_names_inf():
    def scalar_only(lr, L, sigma):
        if lr * L >= 2:
            return np.inf
        return lr * sigma**2 / (2 * (2 - lr * L))

    verdict = run_check("02.noise_floor", scalar_only)
    assert verdict.status == "error" and "np.where" in str(verdict)


def test_exercise_ids_are_checked():
    with pytest.raises(ValueError, match="01.gd_step"):
        spec.Exercise(id="gd_step", reference=abs, cases=[{"x": 1.0}])
    with pytest.raises(ValueError, match="same inputs"):
        spec.Exercise(id="01.f", reference=abs, cases=[{"x": 1.0}, {"y": 1.0}])


# --- hidden cases ------------------------------------------------------------------------------
# Graded by lrcourse-grade only. They must test the general formula (so a correct answer written
# any way passes them) and differ from the visible cases (so an answer that memorises what check()
# prints fails them).


def _key(args):
    """The encoded inputs of a case (a dict) or of a call (a list): equal when the inputs are."""
    return json.dumps([values.encode(v) for v in args])


def _fresh(case):
    """Fresh copies of a case's inputs, as the grader hands them to an answer."""
    return [values.decode_input(values.encode(v)) for v in case.values()]


def _args(case):
    """A case's inputs as the grader encodes them: (name, encoded value) pairs."""
    return tuple((k, values.encode(v)) for k, v in case.items())


def _outcome(fn, case):
    with np.errstate(all="ignore"):
        return values.encode(fn(*_fresh(case)))


def _hard_coded(exercise):
    """An answer that memorised check()'s cases: the right output for each, else the first's."""
    stored = {_key(case.values()): _outcome(exercise.reference, case) for case in exercise.cases}
    first = _outcome(exercise.reference, exercise.cases[0])

    def answer(*args):
        return values.decode(stored.get(_key(args), first))

    return answer


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_hidden_cases_name_what_they_test_and_differ_from_the_visible_ones(exercise):
    hidden = exercise.hidden_cases
    assert len(hidden) >= 2, "every exercise needs hidden cases"
    assert all(isinstance(h, spec.Hidden) for h in hidden)
    for h in hidden:
        # A learner reads it after "failed a hidden case: ": short, lowercase, no full stop.
        assert 0 < len(h.what) < 100 and h.what[0].islower() and h.what[-1] != ".", h.what
        # small inputs: the grader runs every case of every submission
        assert all(np.size(v) <= 500 for v in h.case.values()), h.what
    visible = {_key(case.values()) for case in exercise.cases}
    keys = [_key(h.case.values()) for h in hidden]
    assert not visible & set(keys), "a hidden case repeats a visible one"
    assert len(set(keys)) == len(keys), "two hidden cases are the same"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_reference_answers_every_hidden_case_with_finite_numbers(exercise):
    for h in exercise.hidden_cases:
        before = _key(h.case.values())
        with np.errstate(all="ignore"):
            got = values.encode(exercise.reference(*h.case.values()))
        assert got["kind"] == "array" and got["dtype"] != "bool", h.what
        assert np.isfinite(values.decode(got)).all(), h.what
        assert _key(h.case.values()) == before, f"the reference changed the inputs of {h.what!r}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_correct_answer_passes_every_hidden_case(exercise):
    for h in exercise.hidden_cases:
        expected = _outcome(exercise.reference, h.case)
        for i, alternate in enumerate(ALTERNATES[exercise.id]):
            got = _outcome(alternate, h.case)
            problem = judge.compare_case(exercise, _args(h.case), expected, got)
            assert problem is None, f"alternate {i}, hidden case {h.what!r}: {problem}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_an_answer_hard_coded_to_the_visible_cases_fails_the_hidden_ones(exercise):
    answer = _hard_coded(exercise)
    assert run_check(exercise.id, answer).passed  # check() alone cannot tell it from a real one
    failed = []
    for h in exercise.hidden_cases:
        expected, got = _outcome(exercise.reference, h.case), _outcome(answer, h.case)
        if judge.compare_case(exercise, _args(h.case), expected, got) is not None:
            failed.append(h.what)
    assert len(failed) >= 2, f"only {failed} catch it"


# --- kinds of task ------------------------------------------------------------------------------

PARTS = {"I": ("01", "02"), "II": ("03", "04", "05", "06"), "III": ("07", "08", "09", "10", "11")}
PARTS["IV"] = ("12", "13")


def test_every_kind_of_task_is_there_and_every_part_has_tasks_beyond_writing():
    kinds = {e.kind for e in EXERCISES}
    assert kinds == set(spec.KINDS), f"missing: {set(spec.KINDS) - kinds}"
    for part, lectures in PARTS.items():
        thinking = [e.id for e in EXERCISES if e.lecture in lectures and e.kind != "write"]
        assert len(thinking) >= 2, f"part {part} has only {thinking}"


def test_a_kind_is_checked_and_only_an_experiment_has_an_outcome():
    with pytest.raises(ValueError, match="kind"):
        spec.Exercise(id="01.f", reference=abs, cases=[{"x": 1.0}], kind="guess")
    with pytest.raises(ValueError, match="outcome"):
        spec.Exercise(id="01.f", reference=abs, cases=[{"x": 1.0}], kind="experiment")
    with pytest.raises(ValueError, match="outcome"):
        spec.Exercise(id="01.f", reference=abs, cases=[{"x": 1.0}], outcome=lambda c, x: 0.0)


def test_an_experiment_passes_every_configuration_that_meets_the_target():
    exercise = spec.exercise("04.tuned_schedule")
    case = exercise.cases[0]  # steps=100, L=1: the best schedule is close to 1 / (t + 1)
    assert run_check(exercise.id, lambda steps, L, sigma, x0: 1 / (L * np.arange(1, steps + 1)))
    assert run_check(exercise.id, lambda steps, L, sigma, x0: 2 / (L * np.arange(2, steps + 2)))
    verdict = str(run_check(exercise.id, lambda steps, L, sigma, x0: np.full(steps, 0.05)))
    assert "your configuration reaches" in verdict and "the target is" in verdict, verdict
    # The learner never sees the reference's configuration, which would pass.
    assert "expected:" not in verdict, verdict
    args = _args(case)
    expected = judge.expected_outputs(exercise)[0]
    nan = values.encode(np.full(case["steps"], np.nan))
    assert judge.compare_case(exercise, args, expected, nan)[0] == "nan"
    short = values.encode(np.ones(case["steps"] - 1))
    assert judge.compare_case(exercise, args, expected, short)[0] == "shape"


def test_a_missed_target_in_a_hidden_case_says_so_without_numbers():
    exercise = spec.exercise("04.tuned_schedule")
    expected = judge.expected_outputs(exercise, hidden=True)
    visible = len(exercise.cases)
    hidden_case = exercise.hidden_cases[0].case
    constant = values.encode(np.full(hidden_case["steps"], 0.01))
    results = [*expected[:visible], constant]
    outcomes = [dict(timeout=False, error=None, result=r, mutated=[]) for r in results]
    verdict = str(judge.judge(exercise, outcomes, hidden=True))
    assert "misses the target" in verdict and "reaches" not in verdict, verdict


def test_the_instructors_guide_counts_the_graded_functions():
    # Its timetable is what a teaching assistant plans a lab with: one row per lecture, with the
    # number of graded functions ("none" for a lecture without exercises), and the total.
    text = (Path(__file__).resolve().parents[1] / "docs" / "instructors.md").read_text()
    rows = dict(re.findall(r"^\| (\d\d) [^|]*\|[^|]*\|[^|]*\|[^|]*\| (none|\d+)", text, re.M))
    lectures = spec.lectures()
    assert len(rows) >= 18, sorted(rows)
    for number, count in rows.items():
        expected = len(lectures[number].exercises) if number in lectures else "none"
        assert count == str(expected), f"lecture {number}: the guide says {count}, not {expected}"
    total = sum(len(lecture.exercises) for lecture in lectures.values())
    assert f"{total} in all" in text
