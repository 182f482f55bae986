"""Convolution benchmark (issue 3): forward + backward of ``Conv2d(64, 64, 3, padding=1)`` on a
(32, 64, 32, 32) float32 input, Lucid against PyTorch in the same process with the same weights
(target: ratio <= 1.5).

Run: ``python -m bench.bench_conv [--threads N] [--rounds R]``. Threads are set for NumPy's BLAS
and PyTorch alike, before either is imported. The loss is (out * G).sum() for a fixed random G,
so the input, weight and bias gradients are all computed. Rounds alternate between the two
frameworks (Lucid, PyTorch, Lucid, ...) so that a busy machine slows both alike; the medians
are taken after two warm-up calls of each.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._common import (  # noqa: E402
    loaded_blas, paired_ratio, parse_bench_args, timeit_interleaved)


def _own_arguments(parser):
    parser.add_argument("--inner", type=int, default=3, help="calls per round")


ARGS = (parse_bench_args(__doc__.splitlines()[0], 9, _own_arguments)
        if __name__ == "__main__" else None)

import numpy as np  # noqa: E402

import lucid  # noqa: E402
from lucid import nn  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    torch = None


def _blas_summary():
    blas = loaded_blas()
    if blas is None:
        return "threadpoolctl not installed"
    return ", ".join(f"{p['internal_api']} {p['version']} {p['architecture'] or ''} "
                     f"x{p['num_threads']}" for p in blas)


def bench_conv(rounds, inner, shape=(32, 64, 32, 32), channels=64, kernel=3):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    lconv = nn.Conv2d(shape[1], channels, kernel, padding=kernel // 2)
    G = rng.standard_normal((shape[0], channels) + shape[2:]).astype(np.float32)
    lx, lG = lucid.Tensor(x, requires_grad=True), lucid.Tensor(G)

    def run_lucid():
        lx.grad = None
        lconv.zero_grad()
        (lconv(lx) * lG).sum().backward()

    runs = {"lucid": run_lucid}
    if torch is not None:
        tconv = torch.nn.Conv2d(shape[1], channels, kernel, padding=kernel // 2)
        with torch.no_grad():
            tconv.weight.copy_(torch.from_numpy(lconv.weight.numpy()))
            tconv.bias.copy_(torch.from_numpy(lconv.bias.numpy()))
        tx, tG = torch.tensor(x, requires_grad=True), torch.from_numpy(G)

        def run_torch():
            tx.grad = None
            tconv.zero_grad()
            (tconv(tx) * tG).sum().backward()

        runs["torch"] = run_torch
        run_lucid()
        run_torch()  # the same numbers, so the timing compares like with like
        np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(lconv.weight.grad, tconv.weight.grad.numpy(), rtol=1e-3,
                                   atol=1e-2)

    return timeit_interleaved(runs, rounds, inner)


def main():
    if torch is not None:
        torch.set_num_threads(ARGS.threads)
    print(f"threads={ARGS.threads}  BLAS: {_blas_summary()}")
    results = bench_conv(ARGS.rounds, ARGS.inner)
    for name, t in results.items():
        print(f"{name:6s} median {t.median * 1e3:8.1f} ms   min {t.min * 1e3:8.1f} ms")
    if "torch" in results:
        ratio = paired_ratio(results["lucid"], results["torch"])
        print(f"Conv2d(64, 64, 3, padding=1) fwd+bwd on (32, 64, 32, 32) float32: "
              f"Lucid/PyTorch = {ratio:.2f}x (median of per-round ratios; target <= 1.5)")


if __name__ == "__main__":
    main()
