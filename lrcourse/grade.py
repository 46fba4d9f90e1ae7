"""``python -m lrcourse.grade SUBMISSIONS... --out DIR``: grade submitted exercise notebooks.

The same command is installed as ``lrcourse-grade``. See ``lrcourse.grading.batch`` and
docs/grading.md.
"""

import sys

from lrcourse.grading.batch import main

if __name__ == "__main__":
    sys.exit(main())
