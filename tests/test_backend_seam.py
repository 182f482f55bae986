"""The backend seam: every op of the registry runs on a second backend with no NumPy leak.

``tests/fake_backend.py`` registers the device "checked", NumPy behind a wrapper that refuses
what CuPy refuses (mixing with host arrays, NumPy functions called on device arrays). Each
registry op runs there forward and backward (and double backward where the op supports it); every
output's ``.data`` and every ``.grad`` must be a ``CheckedArray``, and the values must equal the
cpu run's. Mixing devices in one op raises ``lucid.DeviceMismatchError`` naming the op and both
devices.
"""

import numpy as np
import pytest

import lucid
from lucid.backend import get_backend

import fake_backend
from fake_backend import DEVICE, CHECKED_XP, CheckedArray, MixedArrayError
from op_registry import cases, make_inputs


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _host(array):
    return get_backend(DEVICE).to_numpy(array) if isinstance(array, CheckedArray) else array


def _run(op, arrays, device, create_graph=False):
    """Outputs, first gradients (and, with create_graph, the Hessian-vector products)."""
    xs = [lucid.Tensor(a, requires_grad=True, device=device) for a in arrays]
    outs = _as_list(op.lucid(*xs))
    rng = np.random.default_rng(7)
    weights = [lucid.Tensor(rng.standard_normal(o.shape).astype(o.dtype.name), device=device)
               for o in outs]
    total = None
    for o, w in zip(outs, weights):
        if o.requires_grad:
            term = (o * w).sum()
            total = term if total is None else total + term
    if not create_graph:
        total.backward()
        return outs, [x.grad for x in xs], None
    grads = lucid.autograd.grad(total, xs, create_graph=True, allow_unused=True)
    inner = None
    for g in grads:
        if g is not None and g.requires_grad:
            term = (g * g).sum()
            inner = term if inner is None else inner + term
    second = (lucid.autograd.grad(inner, xs, allow_unused=True) if inner is not None
              else [None] * len(xs))
    return outs, grads, second


@pytest.mark.parametrize("op, shapes", cases())
def test_registry_op_on_checked_backend(op, shapes):
    arrays = make_inputs(op, shapes, "float64")
    outs, grads, _ = _run(op, arrays, DEVICE)
    ref_outs, ref_grads, _ = _run(op, arrays, "cpu")
    for o, r in zip(outs, ref_outs):
        assert o.device == DEVICE
        assert type(o.data) is CheckedArray, f"output is a {type(o.data).__name__}"
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        assert g is not None, f"input {i} got no gradient"
        assert type(g) is CheckedArray, f"grad of input {i} is a {type(g).__name__}"
        np.testing.assert_allclose(_host(g), r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op, shapes", cases(where=lambda op: op.second_order))
def test_registry_double_backward_on_checked_backend(op, shapes):
    arrays = make_inputs(op, shapes, "float64")
    _, grads, second = _run(op, arrays, DEVICE, create_graph=True)
    _, ref_grads, ref_second = _run(op, arrays, "cpu", create_graph=True)
    for g, r in zip(list(grads) + list(second), list(ref_grads) + list(ref_second)):
        assert (g is None) == (r is None)
        if g is not None:
            assert type(g.data) is CheckedArray, f"a gradient is a {type(g.data).__name__}"
            np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- the fake is strict
def test_the_fake_backend_refuses_what_cupy_refuses():
    a = CHECKED_XP.asarray([[1.0, 2.0], [3.0, 4.0]])
    host = np.ones(2)
    assert type(a) is CheckedArray and type(a + a) is CheckedArray
    assert type(a.sum()) is CheckedArray and a.sum().shape == ()  # 0-d array, not a scalar
    assert type(a[0, 1]) is CheckedArray
    refused = [lambda: a + host, lambda: host * a, lambda: np.concatenate([a, a]),
               lambda: CHECKED_XP.exp(host), lambda: a[np.array([0])],
               lambda: a.__setitem__(0, host), lambda: CHECKED_XP.stack([a[0], host]),
               lambda: a + [1.0, 2.0], lambda: CHECKED_XP.maximum(a, [0.0, 1.0])]
    for fn in refused:
        with pytest.raises(MixedArrayError):
            fn()
    # host data enters only through the explicit copies
    assert type(CHECKED_XP.asarray(host)) is CheckedArray
    assert type(CHECKED_XP.random.default_rng(0).standard_normal((2,))) is CheckedArray


@pytest.mark.parametrize("body", [
    lambda xp, x: x + np.ones(x.shape),              # a host array built in the op body
    lambda xp, x: np.concatenate([x, x]),             # a NumPy function on device arrays
    lambda xp, x: xp.where(np.array([True, False]), x, 0.0),  # a host mask
])
def test_a_numpy_leak_is_caught(body):
    """An op body that reaches numpy directly fails on the checked device (the check can fail)
    while it passes on the cpu."""
    class Leaky(lucid.autograd.Function):
        def forward(ctx, x):
            return body(ctx.xp, x)

        def backward(ctx, grad):
            return grad

    with pytest.raises(MixedArrayError):
        Leaky.apply(lucid.Tensor([1.0, 2.0], device=DEVICE))
    assert type(Leaky.apply(lucid.Tensor([1.0, 2.0])).data) is np.ndarray


# ---------------------------------------------------------------------------- device handling
def test_creation_and_random_on_the_checked_device():
    made = [lucid.zeros(2, 3, device=DEVICE), lucid.ones((2,), device=DEVICE),
            lucid.full((2, 2), 1.5, device=DEVICE), lucid.eye(3, device=DEVICE),
            lucid.arange(5, device=DEVICE), lucid.linspace(0, 1, 4, device=DEVICE),
            lucid.empty(2, device=DEVICE), lucid.random.randn(2, 3, device=DEVICE),
            lucid.random.rand(4, device=DEVICE), lucid.random.randint(0, 5, (3,), device=DEVICE),
            lucid.random.uniform(-1, 1, (2,), device=DEVICE),
            lucid.random.normal(0, 1, (2,), device=DEVICE),
            lucid.random.permutation(5, device=DEVICE),
            lucid.random.bernoulli(lucid.full((3,), 0.5, device=DEVICE)),
            lucid.zeros_like(lucid.ones(2, device=DEVICE))]
    for t in made:
        assert t.device == DEVICE and type(t.data) is CheckedArray, t


def test_to_device_and_back_moves_the_gradient():
    x = lucid.Tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    y = x.to(DEVICE)
    assert y.device == DEVICE and type(y.data) is CheckedArray
    z = (y * y).sum()
    z.backward()
    assert type(x.grad) is np.ndarray
    np.testing.assert_allclose(x.grad, 2 * x.numpy())
    back = y.cpu()
    assert back.device == "cpu" and type(back.data) is np.ndarray
    np.testing.assert_array_equal(back.numpy(), x.numpy())


def test_repr_item_tolist_on_the_checked_device():
    t = lucid.Tensor([[1.0, 2.0]], device=DEVICE)
    assert repr(t) == "Tensor([[1., 2.]], device='checked')"
    assert t.sum().item() == 3.0 and t.tolist() == [[1.0, 2.0]]
    assert isinstance(t.numpy(), np.ndarray) and type(t.numpy()) is np.ndarray


@pytest.mark.parametrize("name, fn", [
    ("Add", lambda a, b: a + b),
    ("Mul", lambda a, b: b * a),
    ("MatMul", lambda a, b: a @ b),
    ("Where", lambda a, b: lucid.where(a > 0, a, b)),
    ("Concatenate", lambda a, b: lucid.concatenate([a, b])),
    ("Maximum", lambda a, b: lucid.maximum(a, b)),
])
def test_mixing_devices_raises(name, fn):
    a = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], device=DEVICE)
    with pytest.raises(lucid.DeviceMismatchError) as info:
        fn(a, b)
    message = str(info.value)
    assert name in message and "'cpu'" in message and "'checked'" in message
    assert a.grad is None


@pytest.mark.parametrize("fn", [
    lambda x, i: x[i],
    lambda x, i: x.gather(1, i),
    lambda x, i: x.index_select(0, i[0]),
    lambda x, i: lucid.take_along_axis(x, i, 1),
    lambda x, i: x.masked_fill(i == 0, 0.0),
    lambda x, i: x.scatter(1, i, x),
])
def test_an_index_on_another_device_raises(fn):
    x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], device=DEVICE, requires_grad=True)
    index = lucid.Tensor([[0, 1], [1, 0]])  # on the cpu
    with pytest.raises(lucid.DeviceMismatchError) as info:
        fn(x, index)
    assert "'cpu'" in str(info.value) and "'checked'" in str(info.value)


def test_fake_backend_is_registered_once():
    assert get_backend(DEVICE) is fake_backend.BACKEND
    assert lucid.backend.canonical_device(DEVICE) == DEVICE
