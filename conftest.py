"""Doctest collection for the package: lrcourse.interop's examples need PyTorch, which is optional
for learners. Without it they are left out, except under CI=true, where PyTorch must be present."""

import importlib.util
import os

collect_ignore = []
if importlib.util.find_spec("torch") is None and os.environ.get("CI") != "true":
    collect_ignore.append("lrcourse/interop.py")
