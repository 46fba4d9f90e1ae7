"""Run a command as another CPU would round its numbers.

    python tools/perturbed.py COMMAND [ARGS ...]
    python tools/perturbed.py --show          # print the settings, run nothing

NumPy picks SIMD kernels for its ufuncs (exp, tanh, sums) by what the CPU offers, and OpenBLAS
picks its kernels and splits its work by the CPU and the thread count: a learner's machine rounds
differently from ours in the last bits, and in a chaotic regime (a high rate, a narrow valley, a
diverging run) those bits grow into a different trajectory. This runs COMMAND with NumPy's
highest SIMD group that this machine has switched off (and the dispatch targets above it), and
with one BLAS thread, which reproduces another CPU's rounding here. A claim that passes strict
nbval both ways does not hang on one machine's last bits.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are left as they are: some processors need them.
"""

import os
import subprocess
import sys


def disabled_features():
    """The NumPy dispatch targets to switch off: the highest group present and all above it.

    On x86 the groups are X86_V3 (AVX2) and X86_V4 (AVX-512); extensions of the top group
    (AVX512_ICL, ...) come after it in NumPy's dispatch list and are switched off with it, since
    NumPy would otherwise still dispatch to them. Elsewhere (aarch64: ASIMDHP, ..., SVE) the
    highest target present is switched off. An empty list when the machine has none.
    """
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    present = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    groups = [name for name in present if name.startswith("X86_V")]
    if groups:
        return present[present.index(groups[-1]) :]
    return present[-1:]


def environment(base=os.environ):
    """A copy of ``base`` with the perturbation applied."""
    env = dict(base)
    features = disabled_features()
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def main(argv):
    env = environment()
    shown = {
        key: env[key] for key in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_NUM_THREADS") if key in env
    }
    if "NPY_DISABLE_CPU_FEATURES" not in env:
        print("perturbed: this CPU has no NumPy SIMD group to switch off; one BLAS thread only")
    print("perturbed:", " ".join(f"{key}={value!r}" for key, value in shown.items()), flush=True)
    if not argv or argv == ["--show"]:
        return 0
    return subprocess.run(argv, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
