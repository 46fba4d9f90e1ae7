"""Record what every mutant returns on every case, so the package can name mistakes without code.

    python tools/record_mistakes.py    # rewrites lrcourse/grading/mistakes.json

The mutants (common wrong answers, each with a hint) are test data in ``tests/exercise_data``.
For each exercise the file lists them in order, with the name, the hint and the encoded result on
every case, visible then hidden (``judge.encoded_cases(exercise, hidden=True)``), or null where
the mutant raised or returned no array. ``judge`` shows the hint of the first one whose result
equals a wrong answer's on the case it failed. Re-run after changing a case or a mutant
(``make exercises`` does); ``tests/test_grading_specs.py`` fails until you do.
"""

import json
import sys
from pathlib import Path

from lrcourse.grading import judge, spec

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "lrcourse" / "grading" / "mistakes.json"
sys.path.insert(0, str(ROOT / "tests"))  # where the mutants live
from exercise_data import MUTANTS  # noqa: E402


def _output(exercise, fn, args):
    try:
        out = judge._call_trusted(fn, args)
    except Exception:  # a mutant may fail on some inputs; there it matches no answer
        return None
    return out if out["kind"] == "array" else None


def record():
    """{exercise id: [{"name", "hint", "outputs"}, ...]} for every exercise, in spec order."""
    mistakes = {}
    for lecture in spec.lectures().values():
        for exercise in lecture.exercises:
            cases = judge.encoded_cases(exercise, hidden=True)
            mistakes[exercise.id] = [
                {
                    "name": m.name,
                    "hint": m.hint,
                    "outputs": [_output(exercise, m.fn, args) for args in cases],
                }
                for m in MUTANTS.get(exercise.id, [])
            ]
    return mistakes


def dumps(mistakes):
    """Compact and deterministic, one mutant a line (so a diff shows which one changed)."""

    def compact(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)

    blocks = [
        compact(qid) + ":[\n" + ",\n".join(compact(m) for m in mistakes[qid]) + "\n]"
        for qid in sorted(mistakes)
    ]
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main():
    text = dumps(record())
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text.encode()) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
