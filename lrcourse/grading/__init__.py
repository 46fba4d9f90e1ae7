"""Exercises, instant feedback, and the batch grader.

- ``check(exercise_id, answer)`` (also ``lrcourse.check.check``) gives a learner instant feedback
  in the notebook on the visible cases; see ``checker``.
- ``spec`` says what an exercise is; ``ex01``, ``ex02``, ... hold one lecture's exercises each.
- ``python -m lrcourse.grade`` grades many submitted notebooks; see ``batch``.

How a value travels: a learner's function runs in ``runner.call_case``; what it returns is turned
into plain JSON by ``values.encode``; ``judge`` compares that with the reference and writes the
verdict. ``check()`` does all three in the learner's kernel. The batch grader runs the first two
inside a bubblewrap sandbox (``sandbox``, ``inside``), so only JSON reaches the grader, which
judges it outside.
"""

from .checker import check, run_check
from .spec import Exercise, exercise, lectures

__all__ = ["Exercise", "check", "exercise", "lectures", "run_check"]
