"""Settings for every test and doctest in the repository.

- lrcourse.interop's examples need PyTorch, which is optional for learners. Without it they are
  skipped, except under CI=true, where PyTorch must be present (and a missing one fails them).
- Doctests compare printed arrays, so no test may leak its NumPy print options to another.
- Every pytest run ends by listing what it skipped, grouped by reason, with the command that
  installs the missing tool: a fresh machine's `make test` skips the browser and live PyTorch
  tests, and a bare "197 skipped" neither says which nor how to run them.
"""

import importlib.util
import os
from collections import Counter, defaultdict

import numpy as np
import pytest

# A skip reason that mentions one of these words is for want of that tool; the command is the one
# .ci/run (and CONTRIBUTING.md) use to get it. Checked in this order, first match wins.
HOW_TO_GET = {
    "playwright": ".venv/bin/python -m pip install -e '.[test]'",
    "chromium": "apt-get update && apt-get install -y chromium",
    "schedulefree": ".venv/bin/python -m pip install torch==2.13.0 && "
    ".venv/bin/python -m pip install -e '.[reference]'",
    "torch": ".venv/bin/python -m pip install torch==2.13.0",  # also matches "PyTorch"
    "nbgrader": ".venv/bin/python -m pip install -e '.[test]'",
    "bubblewrap": "apt-get update && apt-get install -y bubblewrap",
}


def how_to_get(reason):
    """The command that installs the tool a skip reason asks for, or None."""
    lowered = reason.lower()
    return next((command for word, command in HOW_TO_GET.items() if word in lowered), None)


def pytest_collection_modifyitems(items):
    # A skip rather than leaving the module out, so that the summary below counts these too.
    if importlib.util.find_spec("torch") is not None or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason="PyTorch not installed: lrcourse.interop's examples need it")
    for item in items:
        if item.path.name == "interop.py" and item.path.parent.name == "lrcourse":
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """Which tests were skipped, by reason and file, and how to get what they need."""
    by_reason = defaultdict(Counter)
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: reason")
            reason = report.longrepr[2].removeprefix("Skipped: ")
        else:
            reason = str(report.longrepr)
        by_reason[reason][report.nodeid.split("::")[0]] += 1
    if not by_reason:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "skipped tests, by reason")
    for reason, files in sorted(by_reason.items(), key=lambda item: -item[1].total()):
        write(f"{files.total()} skipped: {reason}")
        for path, count in sorted(files.items()):
            write(f"    {count:4d} in {path}")
        command = how_to_get(reason)
        if command:
            write(f"    to run them: {command}")


@pytest.fixture(autouse=True)
def _numpy_print_options():
    saved = np.get_printoptions()
    yield
    np.set_printoptions(**saved)
