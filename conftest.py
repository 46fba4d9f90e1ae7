"""Settings for every test and doctest in the repository.

- lrcourse.interop's examples need PyTorch, which is optional for learners. Without it they are
  left out, except under CI=true, where PyTorch must be present.
- Doctests compare printed arrays, so no test may leak its NumPy print options to another.
"""

import importlib.util
import os

import numpy as np
import pytest

collect_ignore = []
if importlib.util.find_spec("torch") is None and os.environ.get("CI") != "true":
    collect_ignore.append("lrcourse/interop.py")


@pytest.fixture(autouse=True)
def _numpy_print_options():
    saved = np.get_printoptions()
    yield
    np.set_printoptions(**saved)
