"""The exercise notebooks: one source (solutions/), a generator, and what the grader reads."""

import copy
import importlib.util
import inspect
from pathlib import Path

import nbformat
import pytest

from lrcourse.check import run_check
from lrcourse.grading import notebook, spec

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _load_generator():
    path = ROOT / "tools" / "make_exercises.py"
    module_spec = importlib.util.spec_from_file_location("make_exercises", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


make_exercises = _load_generator()


def test_exercises_are_what_the_generator_makes_from_solutions(tmp_path):
    written = make_exercises.generate(ROOT / "solutions", tmp_path)
    assert written, "no solution notebooks found"
    for path, text in written.items():
        committed = ROOT / "exercises" / path.name
        assert committed.exists(), f"run: python tools/make_exercises.py ({path.name} missing)"
        assert committed.read_text() == text, f"run: python tools/make_exercises.py ({path.name})"
    extra = {p.name for p in (ROOT / "exercises").glob("*.ipynb")} - {p.name for p in written}
    assert not extra, f"exercises without a solution notebook: {extra}"


def test_every_lecture_with_exercises_has_a_solution_notebook():
    names = {p.stem for p in SOLUTIONS}
    for lecture in spec.lectures().values():
        assert lecture.notebook in names


def test_solutions_are_stripped_to_stubs_that_keep_the_signature():
    text = 'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION'
    assert (
        make_exercises.strip_solutions(text)
        == 'def f(x):\n    """Doc."""\n    ...  # YOUR CODE HERE'
    )
    for broken in (
        "# BEGIN SOLUTION\nx",
        "x\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION",
    ):
        with pytest.raises(ValueError):
            make_exercises.strip_solutions(broken)


def test_the_generator_refuses_an_edited_check_cell():
    nb = nbformat.read(SOLUTIONS[0], as_version=4)
    check = next(c for c in nb.cells if notebook.CHECK in notebook.tags(c))
    check.source += "\nprint('extra')"
    assert any("must read exactly" in p for p in make_exercises.validate(nb, "x.ipynb"))


EXERCISES = [e for lecture in spec.lectures().values() for e in lecture.exercises]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_no_exercise_notebook_shows_its_key_expression(exercise):
    # The generator refuses such a notebook; this names the exercise, and requires a key at all.
    assert exercise.key, f"{exercise.id}: declare its key expression(s) in the spec (key=...)"
    lecture = spec.lectures()[exercise.lecture]
    path = ROOT / "solutions" / f"{lecture.notebook}.ipynb"
    stub = make_exercises.make_exercise(nbformat.read(path, as_version=4))
    visible = make_exercises._squeeze("\n".join(cell.source for cell in stub.cells))
    for key in exercise.key:
        assert make_exercises._squeeze(key) not in visible, f"{exercise.id} shows {key!r}"


def test_the_generator_refuses_a_stub_that_states_the_formula():
    nb = nbformat.read(ROOT / "solutions" / "03_step_decay.ipynb", as_version=4)
    answer = next(c for c in nb.cells if notebook.qid(c) == "03.step_decay")
    answer.source = answer.source.replace('"""', '"""Returns lr*gamma**(step//step_size). ', 1)
    problems = make_exercises.give_aways(make_exercises.make_exercise(nb), "03.ipynb")
    assert any("gives away 03.step_decay" in p for p in problems), problems
    answer.metadata.setdefault("tags", []).append("solution-only")  # hidden from learners
    assert not make_exercises.give_aways(make_exercises.make_exercise(nb), "03.ipynb")


def test_the_generator_finds_a_formula_however_it_is_typeset():
    # A key in math form is found behind spacing commands, \left/\right and \tfrac or \dfrac.
    typeset = r"$$\eta_{\max} = \dfrac{2\,(1 + \beta)}{L}, \qquad \left( x \right)$$"
    assert make_exercises._squeeze(r"\frac{2(1+\beta)}{L}") in make_exercises._squeeze(typeset)
    assert make_exercises._squeeze(r"(x)") in make_exercises._squeeze(typeset)
    assert make_exercises._squeeze(r"\frac{2(1-\beta)}{L}") not in make_exercises._squeeze(typeset)


def _run_cells(path):
    """The namespace after running a notebook's setup and answer cells (no kernel needed)."""
    nb = nbformat.read(path, as_version=4)
    namespace = {}
    for cell in nb.cells:
        if {notebook.SETUP, notebook.ANSWER} & set(notebook.tags(cell)):
            exec(cell.source, namespace)
    return nb.metadata["lrcourse"]["lecture"], namespace


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_answers_pass_and_exercise_stubs_are_not_attempted(path):
    number, solved = _run_cells(path)
    _, stubs = _run_cells(ROOT / "exercises" / path.name)
    for exercise in spec.lectures()[number].exercises:
        assert run_check(exercise.id, solved[exercise.function]).passed
        assert run_check(exercise.id, stubs[exercise.function]).status == "not attempted"
        params = list(inspect.signature(stubs[exercise.function]).parameters)
        assert params == exercise.parameters
        assert stubs[exercise.function].__doc__ == solved[exercise.function].__doc__


# --- what the grader reads ---------------------------------------------------------------------


def _nb(*sources, tags=None):
    cells = []
    for i, src in enumerate(sources):
        cells.append(
            {"cell_type": "code", "source": src, "metadata": {"tags": (tags or {}).get(i, [])}}
        )
    return {"cells": cells, "metadata": {}}


def test_a_submission_is_read_without_trusting_it(tmp_path):
    cases = {
        "cut.ipynb": ('{"cells": [', "not valid JSON"),
        "list.ipynb": ("[1, 2]", "not a Jupyter notebook"),
        "v3.ipynb": ('{"worksheets": [], "nbformat": 3}', "in format 3, from IPython 3"),
        "v5.ipynb": ('{"cells": [], "nbformat": 5}', "format 5 is not supported"),
        "cell.ipynb": ('{"cells": [{"cell_type": "evil"}], "nbformat": 4}', "malformed cell"),
        "source.ipynb": (
            '{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}',
            "the source of cell 1 is not text",
        ),
        "lines.ipynb": (
            '{"cells": [{"cell_type": "code", "source": ["a", null]}], "nbformat": 4}',
            "the source of cell 1 is not text",
        ),
        "binary.ipynb": (b"\xff\xfe", "not UTF-8"),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        nb, problem = notebook.read(path)
        assert nb is None and words in problem, name


def test_verdicts_replace_the_check_cells_output():
    lecture = spec.lectures()["01"]
    nb = nbformat.read(ROOT / "solutions" / f"{lecture.notebook}.ipynb", as_version=4)
    verdict = "01.gd_step: passed (5 cases and 3 hidden cases)"
    notebook.show_verdicts(nb, {"01.gd_step": verdict})
    checks = [c for c in nb.cells if notebook.CHECK in notebook.tags(c)]
    shown = {notebook.qid(c): c.outputs for c in checks}
    stream = {"output_type": "stream", "name": "stdout", "text": verdict + "\n"}
    assert shown["01.gd_step"] == [stream]
    assert shown["01.max_stable_lr"][0]["text"].startswith("01.max_stable_lr: passed (")


def test_check_cells_are_restored_deduplicated_and_reinserted():
    lecture = spec.lectures()["01"]
    nb = nbformat.read(ROOT / "exercises" / f"{lecture.notebook}.ipynb", as_version=4)
    nb = copy.deepcopy(nb)
    checks = [i for i, c in enumerate(nb.cells) if notebook.CHECK in notebook.tags(c)]
    nb.cells[checks[1]].source = "print('passed')"  # edited
    nb.cells.insert(checks[2], copy.deepcopy(nb.cells[checks[2]]))  # duplicated
    del nb.cells[checks[0]]  # deleted
    changes = notebook.restore_checks(nb, lecture)
    assert set(changes) == {"edited", "duplicated", "deleted"}
    restored = [c for c in nb.cells if notebook.CHECK in notebook.tags(c)]
    assert [notebook.source(c) for c in restored] == [e.check_source() for e in lecture.exercises]
    assert len({c["id"] for c in nb.cells}) == len(nb.cells)


def test_the_lecture_is_found_from_metadata_tags_or_file_name():
    nb = nbformat.read(SOLUTIONS[0], as_version=4)
    number = nb.metadata["lrcourse"]["lecture"]
    assert notebook.lecture_of(nb) == number
    del nb.metadata["lrcourse"]
    assert notebook.lecture_of(nb) == number  # from the q: tags
    assert notebook.lecture_of({"cells": []}, f"alice_{number}_topic.ipynb") == number
    assert notebook.lecture_of({"cells": []}, "alice.ipynb") is None
