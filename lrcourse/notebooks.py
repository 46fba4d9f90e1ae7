"""``lrcourse-notebooks DIR``: copy the course's lectures and exercises into DIR.

    lrcourse-notebooks my-course            # or: python -m lrcourse.notebooks my-course
    cd my-course && jupyter lab             # then open notebooks/00_welcome.ipynb

pip installs the notebooks inside the package (``lrcourse/course/``, put there by setup.py); this
writes them out laid out as in the course's repository: ``notebooks/``, ``exercises/`` and
``tests/reference/`` (the PyTorch numbers that lectures 05 and 13 read), so that the lectures'
links to ``../exercises/`` and their relative paths work. Solutions are not included; they stay in
the repository.

It never overwrites: if DIR already holds one of these files (an exercise with your answers, say),
it copies nothing and says which. From a checkout, or an editable install, it copies the checkout's
files.
"""

import argparse
import shutil
import sys
from pathlib import Path

# The learner's part of the course, as folder: file patterns, paths as in the repository.
# setup.py reads this too, to put the same files in the wheel.
COURSE = {
    "notebooks": ["*.ipynb", "data/*.json"],
    "exercises": ["*.ipynb"],
    "tests/reference": ["*.json", "record_golden.py"],
}
PACKAGED = Path(__file__).resolve().with_name("course")  # in an installed wheel
CHECKOUT = Path(__file__).resolve().parents[1]  # in the repository (an editable install)


def course_files(source=None):
    """``{path in the course: file}`` for every course file under ``source`` (default: the
    installed package's copy, else the checkout)."""
    if source is None:
        source = PACKAGED if PACKAGED.is_dir() else CHECKOUT
    source = Path(source)
    files = {
        path.relative_to(source): path
        for folder, patterns in COURSE.items()
        for pattern in patterns
        for path in sorted((source / folder).glob(pattern))
    }
    if not files:
        raise FileNotFoundError(f"no course notebooks in {source}; reinstall lrcourse")
    return files


def copy_course(directory):
    """Copy the course into ``directory`` (created if missing); returns the files written.

    Raises FileExistsError, and writes nothing, if any of them is already there."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"directory: {directory} is a file, not a folder")
    files = course_files()
    present = [str(directory / name) for name in files if (directory / name).exists()]
    if present:
        raise FileExistsError(
            f"directory: {directory} already has {len(present)} of the course's files "
            f"(such as {present[0]}), which may hold your work; nothing was copied. "
            "Choose another directory, or move those files away first."
        )
    for name, source in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, directory / name)
    return [directory / name for name in files]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="lrcourse-notebooks", description=__doc__.splitlines()[0].split(": ", 1)[1]
    )
    parser.add_argument("directory", type=Path, help="where to put them (created if missing)")
    args = parser.parse_args(argv)
    try:
        written = copy_course(args.directory)
    except (FileExistsError, FileNotFoundError) as error:
        parser.error(str(error))  # exits with status 2 and the message
    lectures = sum(1 for p in written if p.parent.name == "notebooks" and p.suffix == ".ipynb")
    exercises = sum(1 for p in written if p.parent.name == "exercises")
    print(f"copied {lectures} lectures and {exercises} exercise notebooks into {args.directory}")
    print(f"to start: cd {args.directory} && jupyter lab   (then open notebooks/00_welcome.ipynb)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
