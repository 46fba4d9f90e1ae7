"""Each exercise's mutants and alternates: the test data that keeps its cases honest.

A mutant is a common mistake written as code, with the hint for a learner whose answer behaves like
it; an alternate is another correct answer (a loop, a closed form). ``tests/test_grading_specs.py``
requires every mutant to fail with its hint and every alternate to pass, visible and hidden cases,
so the cases neither let a known mistake through nor reward one way of writing the answer.

One module per lecture (``ex01.py`` beside ``lrcourse/grading/ex01.py``) fills ``MUTANTS`` and
``ALTERNATES``, keyed by exercise id; this package merges them. The package ``lrcourse`` never runs
this code: ``tools/record_mistakes.py`` records each mutant's result on every case into
``lrcourse/grading/mistakes.json``, where ``judge`` finds the hint for a wrong answer. Re-record
after changing a mutant or a case; a test fails until you do.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)  # compared and hashed by identity, like the exercises
class Mutant:
    """A plausible wrong answer, and the hint to show a learner whose answer behaves like it."""

    name: str
    fn: Callable
    hint: str


def _merged(name):
    merged = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        merged.update(getattr(importlib.import_module(f"{__name__}.{info.name}"), name))
    return merged


# After Mutant: the lecture modules import it from here.
MUTANTS = _merged("MUTANTS")  # exercise id -> [Mutant, ...]
ALTERNATES = _merged("ALTERNATES")  # exercise id -> [function, ...]
