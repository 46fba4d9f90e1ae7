"""nbgrader 0.9.6 grades the course's solution notebooks unchanged, with lrcourse-grade's scores.

An nbgrader course copies ``solutions/NN_*.ipynb`` into ``source/``; this test does exactly that
in a fresh course folder, runs ``nbgrader generate_assignment`` (the students' copies, hidden
tests removed) and ``nbgrader autograde`` (hidden tests back) on two submissions of every
lecture: a solved one (the released notebook with every answer cell filled in from the
solution) and a blank one (the released notebook as it is). Then ``lrcourse-grade`` grades the
same files, and every notebook's score must be the same: full marks for the solved, zero for the
blank. The two autogrades and lrcourse-grade run side by side, each in its own course copy, so
the whole test takes a couple of minutes. nbgrader runs offline.
"""

import csv
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from lrcourse.grading import spec

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader not installed (a test extra)")

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # nbgrader runs alembic from PATH
ASSIGNMENT = "ps"
NOTEBOOKS = [lecture.notebook for lecture in spec.lectures().values()]


def _nbgrader(course, *args):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command = [str(BIN / "nbgrader"), *args, "--CourseDirectory.root=" + str(course)]
    return subprocess.Popen(
        command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(process, what):
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, f"{what} failed:\n{out[-3000:]}"


def _solved(release, source):
    """The released notebook with every nbgrader solution cell filled in from the source."""
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return release


def _scores(course, student):
    from nbgrader.api import Gradebook

    # nbgrader's own deprecations (make test turns DeprecationWarning into errors) are not ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            return {
                name: gradebook.find_submission_notebook(name, ASSIGNMENT, student).score
                for name in NOTEBOOKS
            }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with the solutions as source, and the released student copies."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "lrcourse"\n'
    )
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "solutions" / f"{name}.ipynb", course / "source" / ASSIGNMENT)
    _finish(_nbgrader(course, "generate_assignment", ASSIGNMENT), "generate_assignment")
    return course


def test_the_release_has_stubs_and_no_hidden_tests_or_summaries(course):
    for name in NOTEBOOKS:
        cells = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", 4).cells
        text = "\n".join(cell.source for cell in cells)
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, name
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text, name
        assert "## Summary\nYOUR ANSWER HERE" in text, name  # the summary stays the teacher's


def test_nbgrader_and_lrcourse_grade_give_the_same_scores(course, tmp_path):
    release = course / "release" / ASSIGNMENT
    courses, runs = {}, {}
    for student in ("solved", "blank"):
        courses[student] = tmp_path / student
        shutil.copytree(course, courses[student])  # one gradebook each: they run side by side
        folder = courses[student] / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            released = nbformat.read(release / f"{name}.ipynb", as_version=4)
            if student == "solved":
                source = nbformat.read(course / "source" / ASSIGNMENT / f"{name}.ipynb", 4)
                released = _solved(released, source)
            nbformat.write(released, folder / f"{name}.ipynb")
            shutil.copy(folder / f"{name}.ipynb", tmp_path / f"{student}_{name}.ipynb")
        runs[student] = _nbgrader(courses[student], "autograde", ASSIGNMENT, "--create")
    submissions = sorted(tmp_path.glob("*.ipynb"))
    ours = subprocess.run(
        [sys.executable, "-m", "lrcourse.grade", *map(str, submissions)]
        + ["--out", str(tmp_path / "grades"), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    for student, process in runs.items():
        process.communicate(timeout=600)
        if process.returncode != 0:  # a kernel that died at start (ports raced): once more
            retry = _nbgrader(courses[student], "autograde", ASSIGNMENT, "--create", "--force")
            _finish(retry, f"autograde ({student})")
    assert ours.returncode == 0, ours.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "grades" / "grades.csv")))
    grade = {row["submission"]: float(row["total"]) for row in rows}
    for student in ("solved", "blank"):
        theirs = _scores(courses[student], student)
        for lecture in spec.lectures().values():
            full = sum(e.points for e in lecture.exercises)
            mine = grade[f"{student}_{lecture.notebook}"]
            assert theirs[lecture.notebook] == mine, (student, lecture.notebook, theirs, mine)
            assert mine == (full if student == "solved" else 0), (student, lecture.notebook)
