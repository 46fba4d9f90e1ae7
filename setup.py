"""The one build step pyproject.toml cannot express: the wheel carries the course's notebooks.

The lectures, exercises and the PyTorch numbers two lectures read live outside the package, in
notebooks/, exercises/ and tests/reference/. build_py copies them into lrcourse/course/ in the
wheel, laid out as in the repository; ``lrcourse-notebooks DIR`` (lrcourse/notebooks.py, which
also lists them) copies them out again. An editable install skips this: there the command reads
the checkout. MANIFEST.in puts the same folders in the sdist, from which the wheel is built.
"""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _course_module():
    # By path: importing the lrcourse package would need NumPy, which the build does not install.
    spec = importlib.util.spec_from_file_location("_course", HERE / "lrcourse" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class build_py_with_course(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "lrcourse" / "course"
        for name, source in _course_module().course_files(HERE).items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)


setup(cmdclass={"build_py": build_py_with_course})
