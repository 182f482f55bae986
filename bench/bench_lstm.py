"""LSTM benchmark (issue 3): forward + backward of ``LSTM(128, 256, num_layers=2)`` on a
(32, 64, 128) float32 input, read as (L, N, H_in) (PyTorch's default layout), Lucid against
PyTorch in the same process with the same weights (target: ratio <= 2.0).

Run: ``python -m bench.bench_lstm [--threads N] [--rounds R] [--batch-first]``. Threads are set
for NumPy's BLAS and PyTorch alike, before either is imported. The loss is (out * G).sum() +
(h_n * G_h).sum() for fixed random G, so every gradient path is exercised.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._common import parse_bench_args  # noqa: E402


def _own_arguments(parser):
    parser.add_argument("--batch-first", action="store_true",
                        help="read the (32, 64, 128) input as (N, L, H_in) instead")


ARGS = (parse_bench_args(__doc__.splitlines()[0], 7, _own_arguments)
        if __name__ == "__main__" else None)

import numpy as np  # noqa: E402

from bench._common import timeit  # noqa: E402
import lucid  # noqa: E402
from lucid import nn  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    torch = None



def bench_lstm(rounds, batch_first, shape=(32, 64, 128), hidden=256, layers=2):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    lm = nn.LSTM(shape[2], hidden, num_layers=layers, batch_first=batch_first)
    lx = lucid.Tensor(x, requires_grad=True)
    out, (h_n, _) = lm(lx)
    g_out = rng.standard_normal(out.shape).astype(np.float32)
    g_h = rng.standard_normal(h_n.shape).astype(np.float32)
    lg_out, lg_h = lucid.Tensor(g_out), lucid.Tensor(g_h)

    def run_lucid():
        lx.grad = None
        lm.zero_grad()
        out, (h_n, _) = lm(lx)
        ((out * lg_out).sum() + (h_n * lg_h).sum()).backward()

    results = {"lucid": timeit(run_lucid, rounds, 1)}
    if torch is None:
        return results
    torch.set_num_threads(ARGS.threads if ARGS else 1)
    tm = torch.nn.LSTM(shape[2], hidden, num_layers=layers, batch_first=batch_first)
    with torch.no_grad():
        for name, p in tm.named_parameters():
            p.copy_(torch.from_numpy(getattr(lm, name).numpy()))
    tx = torch.tensor(x, requires_grad=True)
    tg_out, tg_h = torch.from_numpy(g_out), torch.from_numpy(g_h)

    def run_torch():
        tx.grad = None
        tm.zero_grad()
        out, (h_n, _) = tm(tx)
        ((out * tg_out).sum() + (h_n * tg_h).sum()).backward()

    results["torch"] = timeit(run_torch, rounds, 1)
    # the two computed the same thing
    run_lucid()
    run_torch()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(lm.weight_hh_l0.grad, tm.weight_hh_l0.grad.numpy(), rtol=1e-3,
                               atol=1e-3)
    return results


def main():
    r = bench_lstm(ARGS.rounds, ARGS.batch_first)
    layout = "(N, L, H_in)" if ARGS.batch_first else "(L, N, H_in)"
    print(f"threads={ARGS.threads}, rounds={ARGS.rounds}; LSTM(128, 256, num_layers=2) on "
          f"(32, 64, 128) as {layout}, float32, forward + backward; median (min) per call")
    l_med, l_min = r["lucid"]
    print(f"lucid  {l_med * 1e3:9.2f} ms ({l_min * 1e3:.2f})")
    if "torch" not in r:
        print("PyTorch not installed: no ratio")
        return
    t_med, t_min = r["torch"]
    print(f"torch  {t_med * 1e3:9.2f} ms ({t_min * 1e3:.2f})")
    print(f"ratio  {l_med / t_med:9.2f}   (target <= 2.0)")


if __name__ == "__main__":
    main()
