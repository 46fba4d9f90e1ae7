"""The package as a wheel and an sdist, and the course a wheel user gets.

``python -m build`` makes both and ``twine check`` passes them; the wheel carries the lectures and
exercises (lrcourse/course/, see setup.py) but no solutions. Installed with pip into a fresh
virtual environment outside the checkout, it is the whole course: from there, with nothing of the
checkout on the path, it imports, loads the digits data, copies the notebooks out with
``lrcourse-notebooks``, runs a lecture under nbval and grades a solution with ``lrcourse-grade``.

That last test takes about two and a half minutes on a 2-core machine, most of it pip downloading
the dependencies into the new environment (pip caches no index pages or wheels here).
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml

from lrcourse import notebooks

ROOT = Path(__file__).resolve().parents[1]
# Reads ../tests/reference/, so it also checks the layout lrcourse-notebooks writes.
LECTURE = "05_cosine_warmup_cyclic.ipynb"
SOLUTION = ROOT / "solutions" / "01_gradient_descent.ipynb"


def run(command, cwd, timeout=600, env=None):
    """Run ``command``; on failure, fail the test with its output."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        pytest.fail(f"{command} exited {result.returncode}:\n{output}")
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The wheel and the sdist of ``python -m build`` (which builds the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    (wheel,) = out.glob("lrcourse-*.whl")
    (sdist,) = out.glob("lrcourse-*.tar.gz")
    return wheel, sdist


def test_wheel_and_sdist_pass_twine_check(dist):
    result = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist)], cwd=ROOT)
    assert result.stdout.count("PASSED") == 2


def test_wheel_holds_the_course_but_no_solutions(dist):
    names = set(zipfile.ZipFile(dist[0]).namelist())
    course = {n.removeprefix("lrcourse/course/") for n in names if n.startswith("lrcourse/course/")}
    in_repository = {str(path.relative_to(ROOT)) for path in notebooks.course_files(ROOT).values()}
    assert course == in_repository
    assert (
        "notebooks/00_welcome.ipynb" in course
        and "exercises/12_choosing_a_schedule.ipynb" in course
    )
    assert not [n for n in names if "solutions" in n]
    assert "lrcourse/data/digits.npz" in names
    metadata = zipfile.ZipFile(dist[0]).read(next(n for n in names if n.endswith("/METADATA")))
    assert b"License-Expression: MIT AND CC-BY-4.0" in metadata
    assert b"Classifier: Framework :: Jupyter :: JupyterLab" in metadata


def test_sdist_holds_what_the_wheel_is_built_from(dist):
    names = {n.split("/", 1)[1] for n in tarfile.open(dist[1]).getnames() if "/" in n}
    needed = [
        "setup.py", "MANIFEST.in", "LICENSE", "README.md", "lrcourse/notebooks.py",
        "notebooks/00_welcome.ipynb", "notebooks/data/13_training_loop.json",
        "exercises/01_gradient_descent.ipynb", "tests/reference/golden_schedules.json",
    ]  # fmt: skip
    assert [name for name in needed if name not in names] == []


def test_project_urls_agree_with_the_book():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    book = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())["repository"]["url"]
    assert urls["Source"] == urls["Homepage"] == book


def test_copy_the_course_out_of_a_checkout(tmp_path):
    written = notebooks.copy_course(tmp_path / "course")
    course = tmp_path / "course"
    assert course / "notebooks" / "00_welcome.ipynb" in written
    assert (course / "exercises" / "01_gradient_descent.ipynb").read_bytes() == (
        ROOT / "exercises" / "01_gradient_descent.ipynb"
    ).read_bytes()
    assert (course / "tests" / "reference" / "golden_schedules.json").is_file()
    assert not (course / "solutions").exists()
    # The lectures' links to the exercises and to each other resolve in the copy.
    for lecture in (course / "notebooks").glob("*.ipynb"):
        for target in re.findall(
            r"\]\((\.\./exercises/[^)#\s]+|[0-9][^)#\s/]+\.ipynb)", lecture.read_text()
        ):
            assert (lecture.parent / target).is_file(), f"{lecture.name} -> {target}"


def test_copy_never_overwrites(tmp_path, capsys):
    answers = tmp_path / "exercises" / "01_gradient_descent.ipynb"
    answers.parent.mkdir()
    answers.write_text("my answers")
    with pytest.raises(SystemExit) as exit_:
        notebooks.main([str(tmp_path)])
    assert exit_.value.code == 2
    message = capsys.readouterr().err
    assert "directory:" in message and str(answers) in message and "nothing was copied" in message
    assert answers.read_text() == "my answers"
    assert not (tmp_path / "notebooks").exists()


def test_copy_refuses_a_file_and_needs_a_directory(tmp_path, capsys):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(SystemExit):
        notebooks.main([str(tmp_path / "a_file")])
    assert "directory:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        notebooks.main([])
    assert "the following arguments are required: directory" in capsys.readouterr().err


def test_installed_wheel_runs_the_course_outside_the_checkout(dist, tmp_path):
    venv = tmp_path / "venv"
    python, scripts = venv / "bin" / "python", venv / "bin"
    # Nothing of the checkout or of the test's own environment may leak in.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(scripts), env.get("PATH", "")])
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    run(
        [str(python), "-m", "pip", "install", "--quiet", str(dist[0]), "nbval"],
        cwd=tmp_path,
        env=env,
    )

    probe = run([str(python), "-c", (
        "import lrcourse, lrcourse.problems as p; images, labels = p.load_digits(); "
        "print(lrcourse.__file__); print(images.shape, sorted(set(labels.tolist())))"
    )], cwd=tmp_path, env=env).stdout.splitlines()  # fmt: skip
    assert Path(probe[0]).is_relative_to(venv), f"lrcourse imported from {probe[0]}"
    assert probe[1] == "(1797, 8, 8) [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"

    run([str(scripts / "lrcourse-notebooks"), "course"], cwd=tmp_path, env=env)
    course = tmp_path / "course"
    assert len(list((course / "notebooks").glob("*.ipynb"))) == len(
        list((ROOT / "notebooks").glob("*.ipynb"))
    )

    shutil.copy(ROOT / "tests" / "nbval_sanitize.cfg", tmp_path)
    result = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                  "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg",
                  f"course/notebooks/{LECTURE}"], cwd=tmp_path, env=env)  # fmt: skip
    assert re.search(r"\d+ passed", result.stdout) and "failed" not in result.stdout

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(SOLUTION, submissions / "alice_01.ipynb")
    shutil.copy(course / "exercises" / SOLUTION.name, submissions / "bob_01.ipynb")  # blank
    # Isolated as by default; a machine without bubblewrap (outside CI) grades unisolated.
    isolation = "auto" if shutil.which("bwrap") or os.environ.get("CI") == "true" else "none"
    grade = [str(scripts / "lrcourse-grade"), "submissions", "--out", "grades"]
    run([*grade, "--isolation", isolation], cwd=tmp_path, env=env)
    points = {
        name: exercise["points"]
        for name, exercise in json.loads((tmp_path / "grades" / "grades.json").read_text())[
            "exercises"
        ].items()
    }
    assert len(points) >= 3, points
    with open(tmp_path / "grades" / "grades.csv", newline="") as table:
        rows = {row["submission"]: row for row in csv.DictReader(table)}
    assert {name: float(rows["alice_01"][name]) for name in points} == points
    assert float(rows["alice_01"]["total"]) == sum(points.values())
    assert float(rows["bob_01"]["total"]) == 0
