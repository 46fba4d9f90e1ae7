"""``check("01.gd_step", gd_step)``: instant feedback inside the learner's notebook.

It prints one short verdict: passed with the number of cases, or the first failing case with its
inputs, the expected value, the value got and a hint. It never raises and never hangs: each case
runs under a time limit with prints and warnings captured (see ``runner``).

This is feedback, not grading: it runs in the learner's own kernel, which the learner controls.
The batch grader (``python -m lrcourse.grade``) evaluates answers in processes of its own.
"""

from . import judge, runner, spec, values
from .judge import Verdict


def _ids_hint(exercise_id):
    lecture = spec.lectures().get(str(exercise_id).partition(".")[0])
    known = [e.id for e in lecture.exercises] if lecture else spec.all_ids()
    return ", ".join(known)


def run_check(exercise_id, answer, hidden=False):
    """The Verdict for ``answer`` (a function) on exercise ``exercise_id``, without printing.

    With ``hidden``, the hidden cases are run too, after the visible ones, as the batch grader
    runs them (``grade`` does this for nbgrader's hidden tests)."""
    try:
        exercise = spec.exercise(exercise_id)
        if exercise is None:
            shown = repr(exercise_id)[:60]
            message = (
                f"check: there is no exercise {shown}; the exercises are: {_ids_hint(exercise_id)}"
            )
            return Verdict(str(exercise_id)[:60], "missing", message, 0)
        if answer is None or answer is Ellipsis:
            return judge._not_attempted(exercise, len(exercise.cases))
        if not callable(answer):
            got = values.describe(values.encode(answer))
            message = (
                f"{exercise.id}: check needs your function itself, as in "
                f'check("{exercise.id}", {exercise.function}), not its result; got {got}'
            )
            return Verdict(exercise.id, "failed", message, len(exercise.cases))
        outcomes = []
        expected = judge.expected_outputs(exercise, hidden)
        for i, args in enumerate(judge.encoded_cases(exercise, hidden)):
            outcome = runner.call_case(answer, args, exercise.time_limit)
            outcomes.append(outcome)
            if not _ok(exercise, args, outcome, expected[i]):
                break  # judge reports the first failing case; the rest need not run
        return judge.judge(exercise, outcomes, hidden=hidden)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a bug of ours must not stop the learner's notebook
        message = f"check: internal error ({type(exc).__name__}: {exc}); please report it"
        return Verdict(str(exercise_id)[:60], "error", message, 0)


def _ok(exercise, args, outcome, expected):
    if outcome["timeout"] or outcome["error"] or outcome["mutated"]:
        return False
    return judge.compare_case(exercise, args, expected, outcome["result"]) is None


def check(exercise_id, answer):
    """Check your function for one exercise and print the verdict.

    >>> check("01.gd_step", None)  # doctest: +ELLIPSIS
    01.gd_step: not attempted yet (gd_step still returns nothing: ...)
    """
    print(run_check(exercise_id, answer))


def grade(exercise_id, answer, hidden=False):
    """nbgrader's test cells: raise AssertionError with the verdict unless ``answer`` passes.

    ``check`` is feedback and never raises; an nbgrader test cell scores by raising or not. The
    hidden test (``hidden=True``, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
    TESTS``) also runs the exercise's hidden cases, so both graders judge the same cases."""
    verdict = run_check(exercise_id, answer, hidden=hidden)
    if not verdict.passed:
        raise AssertionError(str(verdict))
