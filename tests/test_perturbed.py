"""tools/perturbed.py: the portability pass of `make test` really rounds as another CPU would.

strict nbval runs the lectures and solutions a second time through it; if it set nothing that
changes NumPy's kernels, that second pass would be the first one again and prove nothing.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "perturbed.py"
sys.path.insert(0, str(TOOL.parent))
import perturbed  # noqa: E402

# Prints which dispatch targets NumPy has on, and exp and log of fixed numbers, bit for bit.
PROBE = """
import json, numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as on
x = np.random.default_rng(0).normal(size=100_000)
print(json.dumps({"on": {k: bool(v) for k, v in on.items()},
                  "exp": np.exp(x).tolist(), "log": np.log(np.abs(x)).tolist()}))
"""


def probe(*prefix):
    done = subprocess.run(
        [*prefix, sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_environment_switches_off_the_top_group_and_keeps_openblas_settings():
    env = perturbed.environment({"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"})
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    # Some processors need these two: the pass must never change them.
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["OPENBLAS_L2_SIZE"] == "1048576"
    features = perturbed.disabled_features()
    assert env.get("NPY_DISABLE_CPU_FEATURES", "") == " ".join(features)


def test_the_pass_changes_numpys_rounding_by_at_most_an_ulp_or_two():
    features = perturbed.disabled_features()
    if not features:
        pytest.skip("this CPU has no NumPy SIMD group to switch off")
    plain, other = probe(), probe(sys.executable, str(TOOL))
    assert all(plain["on"][name] for name in features)
    assert not any(other["on"][name] for name in features)
    # The same exp and log to rounding, yet not bit for bit: the pass reaches other kernels.
    import numpy as np

    for name in ("exp", "log"):
        a, b = np.array(plain[name]), np.array(other[name])
        np.testing.assert_allclose(a, b, rtol=5e-16, atol=0)
    assert any(plain[name] != other[name] for name in ("exp", "log"))
