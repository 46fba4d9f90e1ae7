"""The headless Chromium that the browser tests drive, and what they do when it is missing.

Chromium is Debian's (``apt-get install -y chromium``), driven by Python Playwright; set
``CHROMIUM`` to use another binary. Without them a browser test is skipped, except under
``CI=true``, where it fails: CI must not pass by testing nothing.
"""

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",  # tests often run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def missing_tool():
    """Why a browser test cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not at {CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)"
    return None


def skip_or_fail(reason, what):
    """Skip the calling test or fixture for this reason; under CI=true, fail instead."""
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {what} cannot run: {reason}")
    if reason:
        pytest.skip(reason)


@contextlib.contextmanager
def headless_chromium():
    """``with headless_chromium() as browser:`` a Playwright browser, closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
