"""Every "Previous:" and "Next:" link in every notebook leads to the right neighbour.

A broken link is easy to see; a link to the wrong notebook (exercises 07 sending the learner
back to 05, past 06) is not, so the course order is checked here:

- a lecture (notebooks/NN) links to the lecture before and after it;
- an exercise notebook (exercises/NN, solutions/NN) links back to the exercises before it (the
  first, to the lecture before its own) and on to the next exercises or the next lecture.

Every notebook but the first of its folder has a Previous link, and every one but the last a Next.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "exercises", "solutions")
LINK = re.compile(r"\b(Previous|Next):\s*\[[^\]]*\]\(([^)\s]+)\)")


def _notebooks(folder):
    return sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


def _links(path):
    """[(kind, resolved target)] for each Previous/Next link in the markdown cells."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for kind, target in LINK.findall(cell.source):
                found.append((kind, (path.parent / target).resolve()))
    return found


def _allowed(path):
    """{"Previous": {targets}, "Next": {targets}}: where this notebook's links may lead."""
    siblings = _notebooks(path.parent.name)
    lectures = _notebooks("notebooks")
    i = siblings.index(path)
    before, after = siblings[:i], siblings[i + 1 :]
    if path.parent.name == "notebooks":
        return {"Previous": set(before[-1:]), "Next": set(after[:1])}
    number = int(path.name[:2])
    lecture_before = [p for p in lectures if int(p.name[:2]) < number][-1:]
    lecture_after = [p for p in lectures if int(p.name[:2]) > number][:1]
    return {
        "Previous": set(before[-1:] or lecture_before),
        "Next": set(after[:1]) | set(lecture_after),
    }


EVERY = [p for folder in FOLDERS for p in _notebooks(folder)]


@pytest.mark.parametrize("path", EVERY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_previous_and_next_links_lead_to_the_neighbours(path):
    allowed = _allowed(path)
    links = _links(path)
    for kind, target in links:
        names = sorted(p.name for p in allowed[kind]) or ["no link at all"]
        assert target in allowed[kind], f"{kind} leads to {target.name}, expected one of {names}"
    kinds = {kind for kind, _ in links}
    for kind in ("Previous", "Next"):
        if allowed[kind]:
            expected = sorted(allowed[kind])[0].name
            assert kind in kinds, f"no {kind} link (expected one to {expected})"


def test_the_wrong_link_is_caught(tmp_path):
    # exercises 07 once said its previous was 05; the rule above must reject that.
    allowed = _allowed(ROOT / "exercises" / "07_momentum.ipynb")
    assert (ROOT / "exercises" / "05_cosine_warmup_cyclic.ipynb").resolve() not in {
        p.resolve() for p in allowed["Previous"]
    }


# "lecture 05, §2 «Warmup: why a large rate needs a run-up»": a task text sends the learner to a
# section by number and title, and a section renumbered or renamed later must not leave it wrong.
SECTION_REFERENCE = re.compile(
    r"lecture (\d\d)\b(?:(?!lecture \d\d)[^«\n]){0,80}?§ ?(\d+(?:\.\d+)?) «([^»]+)»"
)
HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)?)\.? (.+?)\s*$", re.M)


def _sections(number):
    """{"2": "Warmup: why a large rate needs a run-up", ...} of lecture ``number``."""
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = nbformat.read(path, as_version=4).cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    return dict(HEADING.findall(markdown))


def _section_references(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    return SECTION_REFERENCE.findall(" ".join(text.split()))  # a reference may break across lines


@pytest.mark.parametrize("path", EVERY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_section_reference_names_a_section_of_that_lecture(path):
    for number, section, title in _section_references(path):
        sections = _sections(number)
        assert section in sections, (
            f"lecture {number} has no §{section} (it has {sorted(sections)})"
        )
        assert " ".join(sections[section].split()) == title, (
            f"lecture {number}, §{section} is «{sections[section]}», not «{title}»"
        )


def test_section_references_are_found():
    # The pattern above must see the references the exercises make, or the test checks nothing.
    found = [r for p in _notebooks("exercises") for r in _section_references(p)]
    assert len(found) >= 40 and ("05", "2", "Warmup: why a large rate needs a run-up") in found
