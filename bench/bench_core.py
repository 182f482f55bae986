"""Core benchmarks (issue 2), each Lucid against a reference measured in the same process:

(a) per-op overhead: forward + backward of a chain of 200 small ops on (8, 32) float32 tensors,
    Lucid vs PyTorch (target: ratio <= 1.0);
(b) forward + backward of a 1024 x 1024 float32 matmul, Lucid vs the bare NumPy calls that
    compute the same thing (C = A @ B, dA = G @ B^T, dB = A^T @ G; target: ratio <= 1.1).

Run: ``python -m bench.bench_core [--threads N] [--rounds R]``. Threads are set for NumPy's BLAS
and PyTorch alike, before either is imported. Lucid and its reference run in alternating rounds
(this machine's speed drifts by several percent over seconds); each time is the median round,
and the ratio the median of the rounds' ratios (the ratio of the medians in parentheses).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._common import parse_bench_args  # noqa: E402


ARGS = parse_bench_args(__doc__.splitlines()[0], 7) if __name__ == "__main__" else None

import numpy as np  # noqa: E402

from bench._common import paired_ratio, timeit_interleaved  # noqa: E402
import lucid  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    torch = None



def chain(lib_x, lib_w, n_ops=200):
    """200 small elementwise ops alternating mul, add, tanh, sub, then backward of the sum."""
    h = lib_x
    for i in range(n_ops // 4):
        h = h * lib_w
        h = h + lib_w
        h = h.tanh()
        h = h - 0.5
    return h.sum()


def bench_chain(rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 32)).astype(np.float32)
    w = rng.standard_normal((8, 32)).astype(np.float32) * 0.5

    lx = lucid.Tensor(x, requires_grad=True)
    lw = lucid.Tensor(w, requires_grad=True)

    def run_lucid():
        lx.grad = lw.grad = None
        chain(lx, lw).backward()

    fns = {"lucid": run_lucid}
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        tw = torch.tensor(w, requires_grad=True)

        def run_torch():
            tx.grad = tw.grad = None
            chain(tx, tw).backward()

        fns["torch"] = run_torch
    results = timeit_interleaved(fns, rounds, 20)
    if torch is not None:
        run_lucid()
        run_torch()
        np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    return results


def bench_matmul(rounds, n=1024):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    g = rng.standard_normal((n, n)).astype(np.float32)
    la = lucid.Tensor(a, requires_grad=True)
    lb = lucid.Tensor(b, requires_grad=True)
    lg = lucid.Tensor(g)

    def run_lucid():
        la.grad = lb.grad = None
        (la @ lb).backward(lg)

    def run_numpy():
        c = a @ b  # noqa: F841  (the forward the backward pass needs)
        da = g @ b.T  # noqa: F841
        db = a.T @ g  # noqa: F841

    return timeit_interleaved({"lucid": run_lucid, "numpy": run_numpy}, rounds, 3)


def main():
    rows = []
    chain_r = bench_chain(ARGS.rounds)
    if "torch" in chain_r:
        rows.append(("200-op chain fwd+bwd (8x32 f32)", chain_r["lucid"], chain_r["torch"],
                     "PyTorch", 1.0))
    else:
        print("PyTorch not installed: skipping the chain comparison")
    mm = bench_matmul(ARGS.rounds)
    rows.append(("1024^2 matmul fwd+bwd (f32)", mm["lucid"], mm["numpy"], "bare NumPy", 1.1))
    print(f"threads={ARGS.threads}, rounds={ARGS.rounds}; times are median (min) per call; "
          "ratio: median over rounds of Lucid / reference in the same round (of medians)")
    print(f"{'benchmark':34} {'lucid ms':>16} {'reference ms':>16} {'ref':>10} {'ratio':>13} "
          "target")
    for name, lu, ref_t, ref, target in rows:
        print(f"{name:34} {lu.median * 1e3:8.3f} ({lu.min * 1e3:6.3f}) "
              f"{ref_t.median * 1e3:8.3f} ({ref_t.min * 1e3:6.3f}) {ref:>10} "
              f"{paired_ratio(lu, ref_t):5.2f} ({lu.median / ref_t.median:4.2f}) <= {target}")


if __name__ == "__main__":
    main()
