"""The root conftest.py ends every pytest run with what it skipped, by reason, and how to get
the missing tool. Tried on a tiny test file in a temporary folder, run by a pytest of its own with
a copy of that conftest.py."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TESTS = """
import pytest

@pytest.fixture
def browser():
    pytest.skip("Chromium is not at /nowhere (apt-get install -y chromium, or set CHROMIUM)")

def test_page(browser):
    pass

def test_another_page(browser):
    pass

def test_live():
    pytest.importorskip("torch_that_is_not_there")

def test_not_on_this_platform():
    pytest.skip("needs a platform this is not")

def test_passes():
    pass
"""


def run_pytest(folder, tests):
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    (folder / "test_tiny.py").write_text(tests)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_tiny.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stdout.splitlines()


def test_skips_are_listed_by_reason_with_the_command_that_installs_the_tool(tmp_path):
    lines = run_pytest(tmp_path, TESTS)
    summary = lines[lines.index(next(x for x in lines if "skipped tests, by reason" in x)) :]
    text = "\n".join(summary)
    assert "2 skipped: Chromium is not at /nowhere" in text
    assert "       2 in test_tiny.py" in text
    assert "to run them: apt-get update && apt-get install -y chromium" in text
    assert "1 skipped: could not import 'torch_that_is_not_there'" in text
    assert "to run them: .venv/bin/python -m pip install torch==2.13.0" in text
    # A skip for want of nothing installable is listed, without a command.
    platform = summary.index("1 skipped: needs a platform this is not")
    assert "to run them" not in " ".join(summary[platform + 1 : platform + 3])
    # pytest's own count stays the last line, where CI reads it.
    assert lines[-1].startswith("1 passed, 4 skipped")


def test_nothing_is_printed_when_nothing_was_skipped(tmp_path):
    lines = run_pytest(tmp_path, "def test_passes():\n    pass\n")
    assert not [line for line in lines if "skipped" in line]
    assert lines[-1].startswith("1 passed")
