"""``from lrcourse.check import check``: the one import an exercise notebook's check cells need.

``grade`` is what the nbgrader test cells of ``solutions/`` call (see docs/instructors.md).

See ``lrcourse.grading`` for how checks and the batch grader work.
"""

from lrcourse.grading.checker import check, grade, run_check

__all__ = ["check", "grade", "run_check"]
