"""Generate exercises/NN_topic.ipynb from solutions/NN_topic.ipynb, the single source.

    python tools/make_exercises.py            # regenerate every exercise notebook
    python tools/make_exercises.py --check    # exit 1 if exercises/ differs from what it would be
    python tools/make_exercises.py --out DIR  # write somewhere else (the drift test does)
    python tools/make_exercises.py --nbgrader solutions/NN_topic.ipynb   # add nbgrader's metadata

In each code cell, the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become one stub line,
``...  # YOUR CODE HERE``, at the same indentation, so the signature and docstring above them stay.
A function whose body is only ``...`` returns None, which ``check`` reports as "not attempted", so
the exercise notebook runs top to bottom without an error. Outputs and execution counts are
cleared, cells tagged ``solution-only`` are dropped, and check cells are locked.

Before writing, every solution notebook is checked against the exercise specs in
``lrcourse.grading``: each exercise has one answer cell and one check cell, tagged ``q:<id>``, and
the check cell's source is exactly the pristine one the grader restores. The generated notebook
must not give an answer away: no visible cell (a stub, the task text, a summary) may contain an
exercise's key expression (``Exercise.key``), compared with all whitespace removed; move such a
cell behind the ``solution-only`` tag, or say the contract instead of the formula.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

from lrcourse.grading import notebook, spec

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = "...  # YOUR CODE HERE"


def strip_solutions(text):
    """The cell text with each solution region replaced by a stub line."""
    out, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("# BEGIN SOLUTION inside another solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + STUB)
        elif stripped == END:
            if not inside:
                raise ValueError("# END SOLUTION without # BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def validate(nb, name):
    """Problems with a solution notebook, as sentences (empty when it is fine)."""
    number = nb.metadata.get("lrcourse", {}).get("lecture")
    lecture = spec.lectures().get(number)
    if lecture is None:
        return [f"{name}: metadata lrcourse.lecture is {number!r}, not a lecture with exercises"]
    problems = []
    for exercise in lecture.exercises:
        tagged = [c for c in nb.cells if notebook.qid(c) == exercise.id]
        answers = [c for c in tagged if notebook.ANSWER in notebook.tags(c)]
        checks = [c for c in tagged if notebook.CHECK in notebook.tags(c)]
        if len(answers) != 1 or len(checks) != 1:
            problems.append(
                f"{name}: {exercise.id} needs one answer cell and one check cell tagged "
                f"q:{exercise.id}, found {len(answers)} and {len(checks)}"
            )
            continue
        if not re.search(rf"^def {exercise.function}\(", answers[0].source, re.M):
            problems.append(f"{name}: the answer cell of {exercise.id} does not define it")
        if BEGIN not in answers[0].source:
            problems.append(f"{name}: the answer cell of {exercise.id} has no {BEGIN}")
        if checks[0].source != exercise.check_source():
            problems.append(
                f"{name}: the check cell of {exercise.id} must read exactly:\n"
                f"{exercise.check_source()}"
            )
    return problems + _nbgrader_problems(nb, name, lecture)


NBGRADER_TEST = "nbgrader-test"
HIDDEN_REGION = ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->")


def nbgrader_meta(role, grade_id, points=0):
    """nbgrader's schema-3 metadata for an answer, check, test or summary cell."""
    grade, solution, locked = {
        "answer": (False, True, False),
        "check": (False, False, True),
        "test": (True, False, True),
        "summary": (True, True, False),  # a manually graded answer worth 0: released as a stub
    }[role]
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3}
    meta.update(solution=solution, task=False)
    if grade:
        meta["points"] = points
    return meta


def _grade_id(role, exercise):
    return f"{role}-{exercise.id.replace('.', '-')}"


def _test_cells(nb, exercise):
    return [
        c
        for c in nb.cells
        if NBGRADER_TEST in notebook.tags(c) and c.source.find(f'grade("{exercise.id}"') >= 0
    ]


def with_nbgrader(nb):
    """The solution notebook ``nb`` with nbgrader's metadata and one test cell per exercise."""
    lecture = spec.lectures()[nb.metadata["lrcourse"]["lecture"]]
    exercises = {e.id: e for e in lecture.exercises}
    cells = []
    for cell in nb.cells:
        if NBGRADER_TEST in notebook.tags(cell):
            continue  # written afresh after its check cell
        q, tags = notebook.qid(cell), notebook.tags(cell)
        if q in exercises and notebook.ANSWER in tags:
            cell.metadata["nbgrader"] = nbgrader_meta("answer", _grade_id("answer", exercises[q]))
        if "solution-only" in tags and cell.cell_type == "markdown":
            head, _, body = cell.source.partition("\n")
            if HIDDEN_REGION[0] not in cell.source:
                cell.source = f"{head}\n{HIDDEN_REGION[0]}\n{body.strip()}\n{HIDDEN_REGION[1]}"
            cell.metadata["nbgrader"] = nbgrader_meta("summary", f"summary-{lecture.number}")
        cells.append(cell)
        if q in exercises and notebook.CHECK in tags:
            exercise = exercises[q]
            cell.metadata["nbgrader"] = nbgrader_meta("check", _grade_id("check", exercise))
            test = nbformat.v4.new_code_cell(exercise.nbgrader_test_source())
            test.id = _grade_id("test", exercise).replace("_", "-")
            test.metadata["tags"] = [NBGRADER_TEST]
            test.metadata["nbgrader"] = nbgrader_meta(
                "test", _grade_id("test", exercise), exercise.points
            )
            test.metadata.update(editable=False, deletable=False)
            cells.append(test)
    nb.cells = cells
    return nb


def _nbgrader_problems(nb, name, lecture):
    """What nbgrader needs from a solution notebook and does not find, as sentences."""
    fix = f"run: python tools/make_exercises.py --nbgrader solutions/{name}"
    problems = []
    for exercise in lecture.exercises:
        for cell in nb.cells:
            role = next((r for r in ("answer", "check") if r in notebook.tags(cell)), None)
            if notebook.qid(cell) == exercise.id and role:
                want = nbgrader_meta(role, _grade_id(role, exercise))
                if cell.metadata.get("nbgrader") != want:
                    problems.append(
                        f"{name}: the {role} cell of {exercise.id} lacks nbgrader's "
                        f"metadata ({fix})"
                    )
        tests = _test_cells(nb, exercise)
        if len(tests) != 1 or tests[0].source != exercise.nbgrader_test_source():
            problems.append(f"{name}: {exercise.id} needs one nbgrader test cell ({fix})")
        elif tests[0].metadata.get("nbgrader", {}).get("points") != exercise.points:
            problems.append(f"{name}: the nbgrader test cell of {exercise.id} has wrong points")
    for cell in nb.cells:
        if "solution-only" in notebook.tags(cell) and cell.cell_type == "markdown":
            if HIDDEN_REGION[0] not in cell.source or "nbgrader" not in cell.metadata:
                problems.append(f"{name}: a solution-only cell nbgrader would release ({fix})")
    return problems


# Math typesetting that changes how a formula looks, not what it says: dropped before comparing,
# so a key written $\frac{2(1+\beta)}{L}$ also finds $\frac{2\,(1 + \beta)}{L}$ or \dfrac{...}.
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad|\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])")
_FRACTIONS = re.compile(r"\\[dt]frac")


def _squeeze(text):
    """``text`` without whitespace or LaTeX spacing, for finding a key expression in a cell."""
    text = _FRACTIONS.sub(r"\\frac", _SPACING.sub("", text))
    return "".join(text.split())


def give_aways(nb, name):
    """Problems: the visible cells of exercise notebook ``nb`` that show a key expression."""
    lecture = spec.lectures().get(nb.metadata.get("lrcourse", {}).get("lecture"))
    problems = []
    for index, cell in enumerate(nb.cells):
        text = _squeeze(cell.source)
        for exercise in lecture.exercises if lecture else ():
            for key in exercise.key:
                if _squeeze(key) in text:
                    problems.append(
                        f"{name}: cell {index + 1} gives away {exercise.id}: it shows {key!r}"
                    )
    return problems


def make_exercise(nb):
    """The student version of a solution notebook (a new notebook; ``nb`` is unchanged)."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        if {"solution-only", NBGRADER_TEST} & set(notebook.tags(cell)):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            if notebook.CHECK in notebook.tags(cell):
                cell.metadata.update(editable=False, deletable=False)
        cells.append(cell)
    nb.cells = cells
    return nb


def generate(solutions, out):
    """Write one exercise notebook per solution notebook; return {path: text} written."""
    written, problems = {}, []
    for path in sorted(Path(solutions).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        problems += validate(nb, path.name)
        exercise = make_exercise(nb)
        problems += give_aways(exercise, path.name)
        written[Path(out) / path.name] = nbformat.writes(exercise) + "\n"
    if problems:
        raise SystemExit("fix the solution notebooks first:\n" + "\n".join(problems))
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--solutions", default=ROOT / "solutions", type=Path)
    p.add_argument("--out", default=ROOT / "exercises", type=Path)
    p.add_argument("--check", action="store_true", help="report drift, write nothing")
    p.add_argument(
        "--nbgrader",
        nargs="+",
        type=Path,
        metavar="SOLUTION",
        help="add nbgrader's metadata and test cells to these solution notebooks",
    )
    args = p.parse_args(argv)
    if args.nbgrader:
        for path in args.nbgrader:
            nbformat.write(with_nbgrader(nbformat.read(path, as_version=4)), path)
            print(f"nbgrader metadata and test cells in {path}")
        return 0
    notebooks = generate(args.solutions, args.out)
    if args.check:
        expected = set(notebooks)
        present = set(args.out.glob("*.ipynb"))
        stale = sorted(p.name for p in expected if not p.exists() or p.read_text() != notebooks[p])
        extra = sorted(p.name for p in present - expected)
        if stale or extra:
            print("exercises/ is out of date; run: python tools/make_exercises.py", file=sys.stderr)
            for name in stale:
                print(f"  differs or missing: {name}", file=sys.stderr)
            for name in extra:
                print(f"  has no solution notebook: {name}", file=sys.stderr)
            return 1
        print(f"exercises/ is up to date ({len(notebooks)} notebooks)")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for path, text in notebooks.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
