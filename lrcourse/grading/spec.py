"""What an exercise is: a reference, a list of cases, hidden cases, hints and a tolerance.

One module per lecture (``ex01.py``, ``ex02.py``, ...) defines ``TITLE``, ``NOTEBOOK``, a list
``EXERCISES`` of ``Exercise`` objects and, optionally, ``REVIEW``: text that the batch grader flags
for a human look when a submission contains it (a flag changes no score), and ``ALLOW``: the
modules of ``lrcourse`` the lecture's notebook may import when the batch grader runs it (its
experiments' problems, say). In the grader's sandbox nothing else of the package exists, the
reference answers least of all. Everything else (``check()``, the batch grader, the generator)
reads them from here. A new lecture adds a module here, and its test data under ``tests/``.

    Exercise(
        id="01.gd_step",                          # lecture, a dot, the learner's function name
        reference=lambda params, grads, lr: ...,  # the right answer, built from lrcourse
        cases=[dict(params=np.array([1.0, -2.0]), grads=np.array([0.5, 0.5]), lr=0.1)],
        hidden_cases=[Hidden("lr = 0", dict(params=..., grads=..., lr=0.0))],
    )

A case is a dict of inputs in the order of the function's parameters: the learner's function is
called positionally, so renaming a parameter does not break it.

``kind`` says what the task asks (``KINDS``). A *predict* task's reference is the experiment
itself (a simulation), so a prediction is graded against the value the experiment produces, with
the tolerance the measurement allows. An *experiment* task grades an outcome, not a value: the
learner's function returns a configuration (the rate of every step, a set of hyperparameters), and
``outcome(configuration, *inputs)`` (trusted code, run by ``judge`` outside the sandbox on the
grader's own copy of the numbers) says how well it does, lower being better. The answer passes a
case when its configuration has the reference's type and shape, no NaN or inf, and

    outcome(answer) <= outcome(reference) * (1 + rtol) + atol

so the reference's outcome, with that slack, is the target, and every configuration that meets it
passes. The learner reads the target and the outcome reached, never the reference's configuration.

``key`` names the expressions that would give the answer away (``("gamma ** (step //
step_size)",)``): ``tools/make_exercises.py`` refuses an exercise notebook whose visible cells
(stubs, task text) contain one, compared with all whitespace removed. A stub states the contract
(inputs, outputs, shapes, edge cases) and points to the lecture; the formula lives there.

The mistakes an exercise expects are test data, not code of the package: each lecture's mutants
(common wrong answers, each with a hint) and alternates (other correct answers) live in
``tests/exercise_data/``, where the tests require every mutant to fail and every alternate to
pass. What ships is each mutant's recorded result on every case (``mistakes.json``, written by
``tools/record_mistakes.py``): when an answer gives exactly a mutant's wrong result, ``judge``
shows that mutant's hint.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

# What a task asks of the learner. All are graded the same way, by calling a function on cases.
KINDS = (
    "write",  # write the function the lecture explains (a schedule, an optimizer's path)
    "predict",  # commit to a number before the experiment cell; graded against what it measures
    "derive",  # a closed form as a function of the hyperparameters, graded on many settings
    "experiment",  # return a configuration; the grader runs it and grades its outcome
    "debug",  # fix a given loop with a planted bug; graded by the fixed loop's behaviour
)

# Symptoms an answer can show, each with the hint used when the exercise gives none of its own.
DEFAULT_HINTS = {
    "value": "Compare your formula with the lecture section the task names, term by term.",
    "shape": "Check the shape: print the shape of what you return for these inputs.",
    "nan": "NaN comes from 0/0, inf - inf or sqrt of a negative number: look for those.",
    "inf": "An infinite value means something overflowed or divided by zero.",
    "type": "Return a float or a NumPy array of floats.",
    "none": "Your function returns None: is a `return` missing?",
    "mutated": (
        "Your function changed an input array in place (`x -= ...`, `x[...] = ...`). "
        "Build a new array instead (`x = x - ...`), so the caller's data stays as it was."
    ),
    "timeout": "It took too long: is there a loop that never ends, or far more steps than asked?",
    "error": "Read the error and the line it points to.",
    "error:MemoryError": "Your function asked for too much memory: does it build a huge array?",
    "error:RecursionError": "Your function calls itself without end: use a loop instead.",
    "error:SystemExit": "Return the value instead of stopping the program (sys.exit, exit()).",
    "error:NameError": (
        "A name is not defined. Define everything your function uses at the top level of a cell "
        "(imports, helpers), and run those cells first."
    ),
}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (cases hold arrays)
class Hidden:
    """A case graded by ``lrcourse-grade`` only: ``check()`` never shows or runs it.

    ``what`` names the property the case tests, in words a learner can act on ("the value at step
    0", "agreement with the formula at a step far past the visible ones"); a learner whose answer
    fails it reads ``what``, never the inputs or the expected value, so an answer hard-coded to the
    visible cases fails here without learning what to hard-code next."""

    what: str
    case: dict


@dataclass(frozen=True, eq=False)
class Exercise:
    """One graded function. See the module docstring for an example."""

    id: str
    reference: Callable
    cases: list
    hints: dict = field(default_factory=dict)
    rtol: float = 1e-7
    atol: float = 1e-10
    points: int = 1
    time_limit: float = 2.0  # seconds per case
    title: str = ""
    hidden_cases: list = field(default_factory=list)  # of Hidden: graded by lrcourse-grade only
    # The reference's key expression(s), as code or math text: the generator refuses an exercise
    # notebook that shows one outside the answer (a stub that states the formula teaches nothing).
    key: tuple = ()
    kind: str = "write"  # one of KINDS: what the learner does (see the module docstring)
    # Experiments only: outcome(configuration, *inputs) -> a float, lower is better (see above).
    outcome: Callable | None = None

    def __post_init__(self):
        lecture, _, function = self.id.partition(".")
        if not (lecture.isdigit() and len(lecture) == 2 and function.isidentifier()):
            raise ValueError(f"exercise id must look like '01.gd_step', got {self.id!r}")
        if not self.cases:
            raise ValueError(f"exercise {self.id} needs at least one case")
        names = [tuple(c) for c in self.cases] + [tuple(h.case) for h in self.hidden_cases]
        if len(set(names)) != 1:
            raise ValueError(f"exercise {self.id}: every case must name the same inputs")
        if self.kind not in KINDS:
            raise ValueError(f"exercise {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if (self.kind == "experiment") != (self.outcome is not None):
            raise ValueError(f"exercise {self.id}: an experiment, and only one, has an outcome")

    @property
    def lecture(self):
        return self.id.partition(".")[0]

    @property
    def function(self):
        """The name of the function the learner writes."""
        return self.id.partition(".")[2]

    @property
    def parameters(self):
        return list(self.cases[0])

    def hint(self, symptom):
        """The hint for a symptom ("shape", "nan", "error:ValueError", ...)."""
        if symptom in self.hints:
            return self.hints[symptom]
        if symptom.startswith("error:"):
            return self.hints.get("error") or DEFAULT_HINTS.get(symptom) or DEFAULT_HINTS["error"]
        return DEFAULT_HINTS.get(symptom, DEFAULT_HINTS["value"])

    def check_source(self):
        """The source of this exercise's check cell, exactly as the notebooks carry it.

        The grader puts this back over whatever a submission has in its check cell."""
        return f'from lrcourse.check import check\n\ncheck("{self.id}", {self.function})'

    def nbgrader_test_source(self):
        """The source of this exercise's nbgrader test cell (in ``solutions/`` only).

        nbgrader scores the cell by whether it raises; it removes the hidden test from the
        students' copies and puts it back when it grades, like the hidden cases here."""
        call = f'grade("{self.id}", {self.function}'
        return (
            "# nbgrader's test of the function above (your feedback is check(), above)\n"
            "from lrcourse.check import grade\n\n"
            f"{call})\n### BEGIN HIDDEN TESTS\n{call}, hidden=True)\n### END HIDDEN TESTS"
        )


@dataclass(frozen=True)
class Lecture:
    number: str  # "01"
    title: str
    notebook: str  # "01_gradient_descent": the stem of solutions/ and exercises/ notebooks
    exercises: list
    review: dict  # text in a submission -> why a human should look (the module's REVIEW)
    allow: tuple = ()  # lrcourse modules its notebook may import in the grader's sandbox (ALLOW)


def _modules():
    from lrcourse import grading

    for info in pkgutil.iter_modules(grading.__path__):
        if info.name.startswith("ex") and info.name[2:].isdigit():
            yield importlib.import_module(f"lrcourse.grading.{info.name}")


_LECTURES = None


def lectures():
    """Every lecture with exercises, keyed by number ("01"), loaded once."""
    global _LECTURES
    if _LECTURES is None:
        found = {}
        for module in _modules():
            number = module.__name__.rsplit(".ex", 1)[1]
            review = getattr(module, "REVIEW", {})
            allow = tuple(getattr(module, "ALLOW", ()))
            lecture = Lecture(
                number, module.TITLE, module.NOTEBOOK, list(module.EXERCISES), review, allow
            )
            wrong = [e.id for e in lecture.exercises if e.lecture != number]
            if wrong:
                raise ValueError(f"{module.__name__} holds exercises of another lecture: {wrong}")
            found[number] = lecture
        _LECTURES = dict(sorted(found.items()))
    return _LECTURES


def exercise(exercise_id):
    """The Exercise with this id, or None."""
    lecture = lectures().get(str(exercise_id).partition(".")[0])
    if lecture is None:
        return None
    return next((e for e in lecture.exercises if e.id == exercise_id), None)


def all_ids():
    return [e.id for lecture in lectures().values() for e in lecture.exercises]
