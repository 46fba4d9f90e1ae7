"""``from lrcourse.check import check``: the one import an exercise notebook's check cells need.

See ``lrcourse.grading`` for how checks and the batch grader work.
"""

from lrcourse.grading.checker import check, run_check

__all__ = ["check", "run_check"]
