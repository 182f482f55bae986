"""Test helpers: compare a Lucid op with PyTorch, and with float64 central differences.

``check_op(shapes, torch_fn, lucid_fn)`` draws seeded inputs of ``shapes``, runs both functions,
compares shape, dtype and values, then backpropagates a *random* upstream gradient G (the loss is
(out * G).sum(), never a plain .sum(), which would hide broadcast and bias bugs) and compares every
input's gradient.
"""

import numpy as np
import pytest

import lucid
from lucid.autograd.gradcheck import numerical_directional_check

torch = pytest.importorskip("torch") if False else None
try:
    import torch  # noqa: F811
except ImportError:  # the parity tests skip; the numerical checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-6, atol=1e-8)}


def draw(shapes, dtype="float64", seed=0, low=None, high=None, positive=False):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if low is not None:
            a = rng.uniform(low, high, shape)
        else:
            a = rng.standard_normal(shape)
            if positive:
                a = np.abs(a) + 0.5
        arrays.append(a.astype(dtype))
    return arrays


def _as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def check_op(shapes, torch_fn, lucid_fn=None, dtype="float64", arrays=None, grad=True, seed=0,
             rtol=None, atol=None, **draw_kwargs):
    """Forward values and every input gradient of ``lucid_fn`` against ``torch_fn``.

    ``lucid_fn`` defaults to ``torch_fn`` (for ops whose call is spelled the same in both).
    Returns the Lucid outputs.
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    lucid_fn = lucid_fn or torch_fn
    tol = dict(TOL[dtype])
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    arrays = arrays if arrays is not None else draw(shapes, dtype, seed, **draw_kwargs)
    floating = [a.dtype.kind == "f" for a in arrays]
    lx = [lucid.Tensor(a, requires_grad=grad and f) for a, f in zip(arrays, floating)]
    tx = [torch.tensor(a, requires_grad=grad and f) for a, f in zip(arrays, floating)]
    louts = _as_list(lucid_fn(*lx))
    touts = _as_list(torch_fn(*tx))
    assert len(louts) == len(touts)
    rng = np.random.default_rng(seed + 100)
    lsum = tsum = None
    for lo, to in zip(louts, touts):
        assert tuple(lo.shape) == tuple(to.shape), f"shape {lo.shape} != torch {tuple(to.shape)}"
        assert lo.dtype.name == str(to.dtype).replace("torch.", ""), \
            f"dtype {lo.dtype.name} != torch {to.dtype}"
        np.testing.assert_allclose(lo.numpy(), to.detach().numpy(), **tol, err_msg="forward")
        if grad and lo.requires_grad and to.requires_grad:
            G = rng.standard_normal(lo.shape).astype(lo.dtype.name)
            lterm = (lo * lucid.Tensor(G)).sum()
            tterm = (to * torch.tensor(G)).sum()
            lsum = lterm if lsum is None else lsum + lterm
            tsum = tterm if tsum is None else tsum + tterm
    if lsum is not None:
        lsum.backward()
        tsum.backward()
        for i, (l, t) in enumerate(zip(lx, tx)):
            if not t.requires_grad:
                continue
            if t.grad is None:
                assert l.grad is None or not np.any(l.grad), f"input {i}: torch has no grad"
                continue
            assert l.grad is not None, f"input {i}: no gradient reached it"
            assert l.grad.shape == tuple(t.grad.shape)
            np.testing.assert_allclose(l.grad, t.grad.numpy(), **tol,
                                       err_msg=f"gradient of input {i}")
    return louts


def check_numeric(fn, arrays, trials=2, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0):
    """Directional derivative of ``fn`` at float64 ``arrays`` vs central differences."""
    inputs = [lucid.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    return numerical_directional_check(fn, inputs, eps=eps, atol=atol, rtol=rtol, trials=trials,
                                       seed=seed)


def copy_torch_state(lucid_module, torch_module):
    """Load ``torch_module``'s weights into ``lucid_module``, asserting the state_dict keys agree,
    in the same order (the same parameter layout)."""
    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    assert list(state) == list(lucid_module.state_dict())
    lucid_module.load_state_dict(state)
