"""What every benchmark script shares: the BLAS thread variables (set before NumPy or PyTorch
is imported: BLAS reads them once, at load) and the median/min timer. Imports no NumPy."""

import collections
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


Timing = collections.namedtuple("Timing", "median min samples")


def paired_ratio(a, b):
    """The median over rounds of a's time / b's time in the same round (two ``Timing``s from
    one ``timeit_interleaved``): a slow spell of the machine slows both sides of a pair."""
    return statistics.median([x / y for x, y in zip(a.samples, b.samples)])


def timeit_interleaved(fns, rounds, inner):
    """{name: Timing(median, min, samples)} in seconds per call for each function of ``fns``
    ({name: fn}), timed in alternating rounds: a slow spell of the machine then lands on every
    side of a ratio, instead of on whichever ran during it."""
    for fn in fns.values():
        for _ in range(max(2, inner // 5)):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - start) / inner)
    return {name: Timing(statistics.median(s), min(s), s) for name, s in samples.items()}


def loaded_blas():
    """What threadpoolctl says about the loaded BLAS libraries (None if it is not installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for p in threadpool_info()]


def parse_bench_args(description, rounds, add_arguments=None):
    """The command line of a micro-benchmark script (``--threads``, ``--rounds`` and its own),
    with the thread variables set from it before NumPy or PyTorch is imported."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=rounds)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    set_thread_env(args.threads)
    return args
