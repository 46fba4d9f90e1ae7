"""show_source: highlighted HTML for notebooks, the plain source for everything else."""

import inspect
import re
from pathlib import Path

import pytest

from lrcourse import schedules, show
from lrcourse.show import show_source


def test_plain_text_is_the_source_under_the_module_name():
    source = show_source(schedules.cosine_decay)
    assert (
        repr(source)
        == "# lrcourse.schedules\n" + inspect.getsource(schedules.cosine_decay).rstrip()
    )
    assert str(source) == source.code


def test_html_is_highlighted_inside_markers_the_sanitiser_knows():
    page = show_source(schedules.cosine_decay)._repr_html_()
    assert page.startswith(show.HTML_START) and page.endswith(show.HTML_END)
    assert "<span style=" in page  # inline colours: no stylesheet needed
    assert "cosine_decay" in page
    config = (Path(__file__).parent / "nbval_sanitize.cfg").read_text()
    pattern = re.search(r"regex: (<div class=\"lrcourse-source\".*)", config).group(1)
    assert re.fullmatch(pattern, page)


def test_without_the_docstring():
    code = show_source(schedules.cosine_decay, docstring=False).code
    assert "def cosine_decay(" in code and "np.minimum" in code
    assert "Follow half a cosine" not in code
    assert "_factory" not in code  # no plumbing in what a lecture shows
    compile(code, "<test>", "exec")  # still valid Python


def test_a_function_that_is_only_a_docstring_stays_valid():
    code = show._without_docstring('def f():\n    """Only this."""\n')
    assert code == "def f():\n    ...\n"


def test_a_schedule_made_by_a_factory_shows_its_inner_function():
    assert "def schedule(step):" in show_source(schedules.cosine_decay(0.1, 100)).code


def test_methods_classes_and_modules():
    assert show_source(schedules.ReduceOnPlateau.step).code.lstrip().startswith("def step(")
    assert show_source(schedules.ReduceOnPlateau).code.startswith("class ReduceOnPlateau")
    assert "def cosine_decay(" in show_source(schedules).code


def test_objects_without_python_source_are_a_clear_error():
    with pytest.raises(ValueError, match="show_source needs a function"):
        show_source(len)
    with pytest.raises(ValueError, match="show_source needs a function"):
        show_source(3)


def test_a_function_of_the_notebook_itself_has_no_module_header(tmp_path):
    cell = tmp_path / "cell.py"  # IPython keeps each cell's code in a file like this
    cell.write_text("def double(x):\n    return 2 * x\n")
    namespace = {"__name__": "__main__"}
    exec(compile(cell.read_text(), str(cell), "exec"), namespace)
    assert repr(show_source(namespace["double"])) == "def double(x):\n    return 2 * x"
