"""environment.yml (conda, Binder, JupyterHub) must list what pyproject.toml lists, with the same
bounds, and install the package itself; otherwise a Binder user gets a different course."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names for PyPI packages whose names differ there.
CONDA_NAMES = {"build": "python-build"}
# PyPI packages that conda-forge does not carry: environment.yml installs them with pip.
PIP_ONLY = {"axe-playwright-python"}


def _split(requirement):
    """'numpy>=2.4' -> ('numpy', '>=2.4'); names compared case-insensitively, '_' == '-'."""
    name, bound = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", requirement.strip()).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def drift(pyproject_text, environment_text):
    """Every difference between the two files' dependency lists, as readable lines."""
    project = tomllib.loads(pyproject_text)["project"]
    wanted = dict(
        _split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]
    )
    wanted = {CONDA_NAMES.get(name, name): bound for name, bound in wanted.items()}
    wanted["python"] = project["requires-python"]
    env = yaml.safe_load(environment_text)["dependencies"]
    conda = dict(_split(d) for d in env if isinstance(d, str) and d != "pip")
    pip = next((d["pip"] for d in env if isinstance(d, dict)), [])
    from_pip = dict(_split(d) for d in pip[1:])
    conda.update({name: bound for name, bound in from_pip.items() if name in PIP_ONLY})
    problems = [
        f"{name}: pyproject.toml has {wanted.get(name)!r}, environment.yml {conda.get(name)!r}"
        for name in sorted(set(wanted) | set(conda))
        if wanted.get(name) != conda.get(name)
    ]
    if pip[:1] != ["-e ."] or set(from_pip) - PIP_ONLY:
        problems.append(
            f"environment.yml must install the package with pip (-e .), and with it only "
            f"{sorted(PIP_ONLY)}, which conda-forge lacks; it has {pip}"
        )
    return problems


def test_environment_yml_matches_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert drift(pyproject, (ROOT / "environment.yml").read_text()) == []


def test_drift_is_detected():
    pyproject = (ROOT / "pyproject.toml").read_text()
    env = (ROOT / "environment.yml").read_text()
    assert drift(pyproject, env.replace("numpy>=", "numpy>=0.0+")) != []
    assert drift(pyproject, env.replace("  - matplotlib", "  # - matplotlib")) != []
    assert drift(pyproject, env.replace("- -e .", "- lrcourse")) != []
    assert drift(pyproject, env.replace("- python-build", "- build")) != []
    assert drift(pyproject, env.replace("- axe-playwright-python>=0.1.8", "- axe>=1")) != []
    assert drift(pyproject, env.replace("- -e .", "- -e .\n      - numpy>=2.4")) != []
