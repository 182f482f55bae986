"""The limit probe: how fast could a training step be on this machine?

Measures float32 GEMM throughput with NumPy (``C = A @ B`` for square 512, 1024 and 2048
matrices, ``2 n^3`` FLOPs each, best of several calls after a warm-up; the smaller sizes run
more calls, which on a shared machine raises the odds that one runs undisturbed) at the given
number of threads, takes the best as the machine's peak, and divides each workload's GEMM FLOPs
per training step (``workloads.train_flops``: 2 FLOPs per multiply-accumulate of every linear,
conv and attention matmul, forward plus the weight- and input-gradient GEMMs of backward) by it.
The result, the "ideal" ms/step, is a lower bound: it counts no elementwise, memory-bound or
Python work, and assumes every GEMM runs at the peak of a large square one (small or skinny
GEMMs do not).

Run: ``python -m bench.probe [--threads N] [--repeat R]``. The benchmark (``python -m bench``)
runs it in a subprocess with the same environment as the workloads and uses ``--emit-json``.
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from bench._common import loaded_blas, set_thread_env  # noqa: E402

SIZES = (512, 1024, 2048)


def gemm_gflops(n, repeat, np):
    """Best float32 GFLOP/s of an (n, n) @ (n, n) product over ``repeat`` calls."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    np.matmul(a, b, out=c)                      # warm-up: page faults, BLAS thread start
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 / best / 1e9


def blas_name(np):
    """The BLAS NumPy was built against, and what threadpoolctl sees loaded (if installed)."""
    info = {}
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["build"] = f"{deps.get('name')} {deps.get('version')}"
    except Exception:   # older NumPy: no mode="dicts"; the name is only cosmetic here
        info["build"] = "?"
    info["loaded"] = loaded_blas()
    return info


def probe(threads, repeat=5, sizes=SIZES):
    """GEMM peak and the ideal ms/step of every workload, as a dict."""
    import numpy as np

    from bench import workloads as W
    # ``repeat`` calls at 1024, twice as many at 512, half as many (at least 2) at 2048.
    per_size = {str(n): gemm_gflops(n, max(2, repeat * 1024 // n), np) for n in sizes}
    peak = max(per_size.values())
    ideal = {wl: W.train_flops(wl) / (peak * 1e9) * 1e3 for wl in W.WORKLOADS}
    return {"threads": threads, "gflops": peak, "gflops_per_size": per_size,
            "train_flops": {wl: W.train_flops(wl) for wl in W.WORKLOADS},
            "ideal_ms": ideal, "numpy": np.__version__, "blas": blas_name(np),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.probe",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed calls at 1024 (2x at 512, 1/2 at 2048); the best counts")
    parser.add_argument("--emit-json", action="store_true",
                        help="print one machine-readable line (used by python -m bench)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.repeat < 1:
        parser.error("--threads and --repeat must be >= 1")
    # Before NumPy is imported (it is, lazily, in probe()): BLAS reads these once, at load.
    set_thread_env(args.threads)
    result = probe(args.threads, args.repeat)
    if args.emit_json:
        print("BENCH_JSON " + json.dumps(result), flush=True)
        return 0
    print(f"float32 GEMM, NumPy {result['numpy']} ({result['blas']['build']}), "
          f"{args.threads} thread(s):")
    for n, g in result["gflops_per_size"].items():
        print(f"  {n} x {n}: {g:8.1f} GFLOP/s")
    print(f"peak {result['gflops']:.1f} GFLOP/s; ideal ms per training step (GEMM FLOPs only):")
    for wl, ms in result["ideal_ms"].items():
        print(f"  {wl:5} {result['train_flops'][wl] / 1e6:9.1f} MFLOP  {ms:8.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
