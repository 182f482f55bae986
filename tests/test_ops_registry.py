"""Every op of the registry (``tests/op_registry.py``) against PyTorch and against the math.

For each op and each of its shape cases:
- PyTorch parity in float64 and float32: shape, dtype, values, and every input's gradient under a
  random upstream gradient (``check_op``);
- the float64 directional derivative against central differences (no PyTorch needed);
- for ops marked ``second_order``: ``lucid.autograd.gradgradcheck`` (second derivatives through
  ``create_graph=True`` against central differences of the first), and the Hessian-vector
  product against PyTorch's double backward.
"""

import numpy as np
import pytest

import lucid
from lucid.autograd import gradcheck, gradgradcheck

from helpers import check_op, needs_torch
from op_registry import REGISTRY, cases, make_inputs, torch

# float32 parity tolerances: PyTorch and NumPy sum in different orders
TOL32 = dict(rtol=2e-4, atol=2e-5)


def _tensors(arrays):
    return [lucid.Tensor(a, requires_grad=True) for a in arrays]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def test_registry_is_large_and_well_formed():
    assert len(REGISTRY) >= 200
    for op in REGISTRY:
        assert op.shapes, op.name
        for shapes in op.shapes:
            assert all(isinstance(s, tuple) for s in shapes), op.name
    # the shape cases cover broadcasting, 0-d and empty inputs
    all_shapes = [s for op in REGISTRY for case in op.shapes for s in case]
    assert () in all_shapes and any(0 in s for s in all_shapes)


@needs_torch
@pytest.mark.parametrize("op, shapes", cases())
def test_parity_float64(op, shapes):
    arrays = make_inputs(op, shapes, "float64")
    check_op(shapes, op.torch, op.lucid, dtype="float64", arrays=arrays, **op.tol64)


@needs_torch
@pytest.mark.parametrize("op, shapes", cases(where=lambda op: op.float32))
def test_parity_float32(op, shapes):
    arrays = make_inputs(op, shapes, "float32")
    check_op(shapes, op.torch, op.lucid, dtype="float32", arrays=arrays,
             **{**TOL32, **op.tol32})


@pytest.mark.parametrize("op, shapes", cases(where=lambda op: op.numeric))
def test_numeric_float64(op, shapes):
    arrays = make_inputs(op, shapes, "float64", seed=1)
    assert gradcheck(op.lucid, _tensors(arrays), atol=1e-6, rtol=1e-4, trials=2)


SECOND = cases(where=lambda op: op.second_order and op.numeric)


@pytest.mark.parametrize("op, shapes", SECOND)
def test_second_order_numeric(op, shapes):
    arrays = make_inputs(op, shapes, "float64", seed=2)
    assert gradgradcheck(op.lucid, _tensors(arrays), atol=1e-5, rtol=1e-4, trials=1)


def _hvp_lucid(fn, arrays, weights, vectors):
    xs = _tensors(arrays)
    outs = _as_list(fn(*xs))
    total = sum(((o * lucid.Tensor(w)).sum() for o, w in zip(outs, weights)), lucid.Tensor(0.0,
                dtype=lucid.Float64))
    grads = lucid.autograd.grad(total, xs, create_graph=True, allow_unused=True)
    inner = None
    for g, v in zip(grads, vectors):
        if g is not None and g.requires_grad:
            term = (g * lucid.Tensor(v)).sum()
            inner = term if inner is None else inner + term
    if inner is None:  # the first derivative does not depend on the inputs: H v = 0
        return [np.zeros_like(a) for a in arrays]
    second = lucid.autograd.grad(inner, xs, allow_unused=True)
    return [np.zeros_like(a) if s is None else s.numpy() for s, a in zip(second, arrays)]


def _hvp_torch(fn, arrays, weights, vectors):
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    outs = _as_list(fn(*xs))
    total = sum((o * torch.tensor(w)).sum() for o, w in zip(outs, weights))
    grads = torch.autograd.grad(total, xs, create_graph=True, allow_unused=True)
    inner = None
    for g, v in zip(grads, vectors):
        if g is not None and g.requires_grad:
            term = (g * torch.tensor(v)).sum()
            inner = term if inner is None else inner + term
    if inner is None:
        return [np.zeros_like(a) for a in arrays]
    second = torch.autograd.grad(inner, xs, allow_unused=True)
    # PyTorch answers "zero" for some ops (sign, abs'') with a ZeroTensor it will not convert
    return [np.zeros_like(a) if s is None or s._is_zerotensor() else s.numpy()
            for s, a in zip(second, arrays)]


@needs_torch
@pytest.mark.parametrize("op, shapes", cases(where=lambda op: op.second_order))
def test_second_order_parity(op, shapes):
    """H v (the gradient of <grad, v>) agrees with PyTorch's double backward."""
    arrays = make_inputs(op, shapes, "float64", seed=3)
    rng = np.random.default_rng(4)
    with lucid.no_grad():
        outs = _as_list(op.lucid(*[lucid.Tensor(a) for a in arrays]))
    weights = [rng.standard_normal(o.shape) for o in outs]
    vectors = [rng.standard_normal(a.shape) for a in arrays]
    ours = _hvp_lucid(op.lucid, arrays, weights, vectors)
    theirs = _hvp_torch(op.torch, arrays, weights, vectors)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8, err_msg=f"H v of input {i}")
