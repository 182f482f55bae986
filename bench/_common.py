"""What every benchmark script shares: the BLAS thread variables (set before NumPy or PyTorch
is imported: BLAS reads them once, at load) and the median/min timer. Imports no NumPy."""

import os
import statistics
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def set_thread_env(threads, env=None):
    """Ask every BLAS/OpenMP runtime for ``threads`` threads (in ``env``, default os.environ)."""
    env = os.environ if env is None else env
    for var in THREAD_VARS:
        env[var] = str(threads)
    return env


def timeit(fn, rounds, inner):
    """Median and min seconds per call over ``rounds`` rounds of ``inner`` calls (after warm-up)."""
    for _ in range(max(2, inner // 5)):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples), min(samples)
