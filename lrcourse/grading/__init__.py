"""Exercises, instant feedback, and the batch grader.

- ``check(exercise_id, answer)`` (also ``lrcourse.check.check``) gives a learner instant feedback
  in the notebook; see ``checker``.
- ``spec`` says what an exercise is; ``ex01``, ``ex02``, ... hold one lecture's exercises each.
- ``python -m lrcourse.grade`` grades many submitted notebooks; see ``batch``.

How a value travels: a learner's function runs in ``runner.call_case``; what it returns is turned
into plain JSON by ``values.encode``; ``judge`` compares that with the reference and writes the
verdict. The batch grader runs ``call_case`` in a sandbox process of its own (``sandbox``), so only
JSON reaches the grader.
"""

from .checker import check, run_check
from .spec import Exercise, Mutant, exercise, lectures

__all__ = ["Exercise", "Mutant", "check", "exercise", "lectures", "run_check"]
