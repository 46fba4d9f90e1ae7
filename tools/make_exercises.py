"""Generate exercises/NN_topic.ipynb from solutions/NN_topic.ipynb, the single source.

    python tools/make_exercises.py            # regenerate every exercise notebook
    python tools/make_exercises.py --check    # exit 1 if exercises/ differs from what it would be
    python tools/make_exercises.py --out DIR  # write somewhere else (the drift test does)

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
    return problems


def _squeeze(text):
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
        if "solution-only" in notebook.tags(cell):
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
    args = p.parse_args(argv)
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
