"""The "gpu" device (CuPy on an NVIDIA GPU): the op registry, a training step and checkpoints
against the cpu. Skipped where CuPy or a GPU is missing (CI has neither; run it on a GPU machine
with `pip install -e ".[test,gpu]" && pytest tests/test_gpu.py`)."""

import numpy as np
import pytest

import lucid

try:
    import cupy

    HAVE_GPU = cupy.cuda.runtime.getDeviceCount() > 0
except Exception:  # no CuPy, or no CUDA driver / device
    HAVE_GPU = False

pytestmark = pytest.mark.skipif(not HAVE_GPU, reason="needs CuPy and an NVIDIA GPU")

from op_registry import cases, make_inputs  # noqa: E402


def _run(op, arrays, device):
    xs = [lucid.Tensor(a, requires_grad=True, device=device) for a in arrays]
    outs = op.lucid(*xs)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    rng = np.random.default_rng(7)
    total = None
    for o in outs:
        if o.requires_grad:
            w = lucid.Tensor(rng.standard_normal(o.shape).astype(o.dtype.name), device=device)
            term = (o * w).sum()
            total = term if total is None else total + term
    total.backward()
    grads = [None if x.grad is None else lucid.backend.to_host(x.grad) for x in xs]
    return [o.numpy() for o in outs], grads


@pytest.mark.parametrize("op, shapes", cases())
def test_registry_op_on_gpu_matches_cpu(op, shapes):
    arrays = make_inputs(op, shapes, "float64")
    outs, grads = _run(op, arrays, "gpu")
    ref_outs, ref_grads = _run(op, arrays, "cpu")
    for o, r in zip(outs, ref_outs):
        np.testing.assert_allclose(o, r, rtol=1e-10, atol=1e-10)
    for g, r in zip(grads, ref_grads):
        assert (g is None) == (r is None)
        if g is not None:
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-10)


def test_training_step_on_gpu_matches_cpu():
    import lucid.nn as nn
    import lucid.nn.functional as F
    import lucid.optim as optim

    def make(device):
        lucid.random.seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
        model.to(device)
        return model, optim.Adam(model.parameters(), lr=1e-2)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 8, 8)).astype("float32")
    y = rng.integers(0, 10, 8)
    losses = {}
    for device in ("cpu", "gpu"):
        model, opt = make(device)
        xs, ys = lucid.Tensor(x, device=device), lucid.Tensor(y, device=device)
        for _ in range(3):
            loss = F.cross_entropy(model(xs), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses[device] = loss.item()
        assert all(p.device == device for p in model.parameters())
        if device == "gpu":
            state = lucid.load(lucid.save(model.state_dict(), "/tmp/lucid_gpu_test.lcd"))
            model.to("cpu").load_state_dict(state)
    assert losses["gpu"] == pytest.approx(losses["cpu"], rel=1e-4)
