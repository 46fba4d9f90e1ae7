"""Build the course website with Jupyter Book 1.x: `make book` runs this, and so does the website
test (tests/test_book.py), so that the test checks exactly what `make book` builds.

    python tools/build_book.py                  # into build/book/_build/html
    python tools/build_book.py --out DIR        # into DIR/_build/html

The book's source folder is the repository itself (book/_toc.yml lists the lectures, exercises and
guides; book/_config.yml excludes everything else). The notebooks are not executed: the site shows
their stored outputs. Any Sphinx warning, such as a link to a page that is not in the book, fails
the build.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
OUT = REPO / "build" / "book"  # the site itself is in OUT/_build/html: see html_folder


def command(out):
    """The jupyter-book command line that builds the site into out/_build/html."""
    return [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(REPO),
        "--config", str(BOOK / "_config.yml"),
        "--toc", str(BOOK / "_toc.yml"),
        "--path-output", str(out),
        "--warningiserror", "--keep-going",  # report every warning, then fail
        "--quiet",
    ]  # fmt: skip


def html_folder(out):
    """Where jupyter-book puts the site when told to build into out."""
    return Path(out) / "_build" / "html"


def build(out):
    """Build the site; returns the folder of its HTML. Raises CalledProcessError on failure."""
    subprocess.run(command(out), cwd=REPO, check=True)
    return html_folder(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html = build(args.out)
    except subprocess.CalledProcessError as error:
        return error.returncode
    print(f"built the website in {time.perf_counter() - start:.0f} s: {html}/index.html")
    print(f"to read it: python -m http.server --bind 127.0.0.1 --directory {html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
