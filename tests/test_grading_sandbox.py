"""The grader's sandbox: fresh, limited, one forked child per exercise, only JSON comes back."""

import json
from textwrap import dedent

import pytest

from lrcourse.grading import judge, notebook, sandbox, spec

LECTURE = spec.lectures()["01"]
RIGHT = {
    "gd_step": "def gd_step(params, grads, lr):\n    return params - lr * grads",
    "gradient_descent": dedent(
        """
        def gradient_descent(hessian, x0, lr, steps):
            path = [x0]
            for _ in range(steps):
                path.append(path[-1] - lr * hessian @ path[-1])
            return np.array(path)
        """
    ),
    "max_stable_lr": "def max_stable_lr(hessian):\n    return 2 / np.linalg.eigvalsh(hessian)[-1]",
    "condition_number": "def condition_number(hessian):\n    return np.linalg.cond(hessian)",
}


def grade(**answers):
    """Verdicts for lecture 01 when the given functions replace the right ones."""
    sources = ["import numpy as np\nimport os, signal, sys"]
    sources += [dedent(answers.get(name, source)) for name, source in RIGHT.items()]
    nb = {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in sources]}
    parsed = notebook.parse_cells(nb)
    cells = {i: text for i, text, _ in parsed}
    programs = {e: notebook.answer_program(parsed, e.function) for e in LECTURE.exercises}
    limits = sandbox.Limits(answer_timeout=3, memory_mb=1024)
    runs = sandbox.run_answers(cells, {e: p for e, p in programs.items() if p}, limits)
    return {
        e.function: judge.judge(e, runs[e.id].outcomes, runs[e.id].fate)
        if e.id in runs and not runs[e.id].missing
        else None
        for e in LECTURE.exercises
    }


def test_right_answers_pass():
    assert all(v.passed for v in grade().values())


def test_a_monkeypatch_in_one_exercise_does_not_reach_the_next():
    verdicts = grade(
        max_stable_lr="""
        def max_stable_lr(hessian):
            np.linalg.eigvalsh = lambda h: [0.0, 1.0]   # breaks numpy for everyone after?
            np.linalg.cond = lambda h: 10.0
            return 0.0
        """
    )
    assert verdicts["max_stable_lr"].status == "failed"
    assert verdicts["condition_number"].passed  # it ran in a fresh child


def test_code_for_one_exercise_cannot_speak_for_another():
    # Writes forged events, claiming the next exercise passed, to every file descriptor it has.
    forged = [{"event": "case", "id": "01.condition_number", "outcome": {}}]
    forger = f"""
    def max_stable_lr(hessian):
        line = {json.dumps(json.dumps(forged[0]))}.encode() + b"\\n"
        for fd in map(int, os.listdir("/proc/self/fd")):
            try:
                os.write(fd, line + b'{{"event": "done", "id": "01.condition_number"}}\\n')
            except OSError:
                pass
        return 2 / np.linalg.eigvalsh(hessian)[-1]
    """
    stub = "def condition_number(hessian):\n    ..."
    verdicts = grade(max_stable_lr=forger, condition_number=stub)
    assert verdicts["condition_number"].status == "not attempted"


@pytest.mark.parametrize(
    "source, status, words",
    [
        ("def gd_step(p, g, lr):\n    os._exit(0)", "crashed", "ended by itself"),
        ("def gd_step(p, g, lr):\n    os.kill(os.getpid(), 9)", "crashed", "stopped at a limit"),
        ("def gd_step(p, g, lr):\n    sys.exit(2)", "error", "sys.exit(2)"),
        ("def gd_step(p, g, lr):\n    return [0.95, -2.05, 0]", "failed", "a list of shape (3,)"),
        ("def gd_step(p, g, lr):\n    return helper(p)", "error", "NameError"),
        (
            "def gd_step(p, g, lr):\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "    while True:\n        pass",
            "crashed",
            "longer than the time limit (3 s)",
        ),
    ],
)
def test_each_way_of_failing_is_named_and_costs_only_its_exercise(source, status, words):
    verdicts = grade(gd_step=source)
    assert verdicts["gd_step"].status == status and words in str(verdicts["gd_step"])
    assert all(v.passed for name, v in verdicts.items() if name != "gd_step")


def test_prints_never_reach_the_grader():
    noisy = 'def gd_step(p, g, lr):\n    print(\'{"event": "done"}\')\n    return p - lr * g'
    assert grade(gd_step=noisy)["gd_step"].passed
