"""Bad input fails early and clearly, and leaves nothing half done.

Shape mismatches raise ValueError naming both shapes, indices out of range raise IndexError,
unknown devices raise ``lucid.UnknownDeviceError`` (a ValueError) and unknown dtypes TypeError.
After each failure the tensors involved are exactly as before: same values, same version,
same gradient, same graph.
"""

import numpy as np
import pytest

import lucid
from lucid import Tensor


def state(*tensors):
    """Everything a failed call must not change."""
    return [(t.numpy().copy(), t._version, None if t.grad is None else t.grad.copy(),
             t.requires_grad, t.grad_fn) for t in tensors]


def assert_unchanged(before, *tensors):
    for (data, version, grad, requires_grad, node), t in zip(before, tensors):
        np.testing.assert_array_equal(t.numpy(), data)
        assert t._version == version and t.requires_grad == requires_grad and t.grad_fn is node
        if grad is None:
            assert t.grad is None
        else:
            np.testing.assert_array_equal(t.grad, grad)


@pytest.fixture
def xy():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = Tensor(np.ones((2, 4)), requires_grad=True)
    (x.sum() + y.sum()).backward()  # give both a gradient that must survive the failures
    return x, y


# ---------------------------------------------------------------------------- shape mismatches
BROADCASTING = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("multiply", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("power", lambda a, b: a ** b),
    ("maximum", lambda a, b: lucid.maximum(a, b)), ("minimum", lambda a, b: lucid.minimum(a, b)),
    ("arctan2", lambda a, b: lucid.arctan2(a, b)), ("remainder", lambda a, b: a % b),
    ("floor_divide", lambda a, b: a // b), ("equal", lambda a, b: a == b),
    ("less", lambda a, b: a < b), ("where", lambda a, b: lucid.where(a > 0, a, b)),
    ("rsub", lambda a, b: 1.0 - a + b),
]


@pytest.mark.parametrize("name, fn", BROADCASTING, ids=[n for n, _ in BROADCASTING])
def test_broadcasting_mismatch_names_both_shapes(name, fn, xy):
    x, y = xy
    before = state(x, y)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 4\)|\(2, 4\).*\(3, 4\)"):
        fn(x, y)
    assert_unchanged(before, x, y)


@pytest.mark.parametrize("call, shapes", [
    (lambda a, b: a @ b, ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.matmul(a, b.T.T), ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.dot(a, b), ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.tensordot(a, b, axes=([1], [0])), ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.inner(a, b[:, :3]), ("(3, 4)", "(2, 3)")),
    (lambda a, b: lucid.concatenate([a, b[:, :3]], axis=0), ("(3, 4)", "(2, 3)")),
    (lambda a, b: lucid.concatenate([a, b[0]], axis=1), ("(3, 4)", "(4,)")),  # ranks differ
    (lambda a, b: lucid.stack([a, b]), ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.broadcast_to(a, (2, 4)), ("(3, 4)", "(2, 4)")),
    (lambda a, b: a.reshape(5, 2), ("(3, 4)", "(5, 2)")),
    (lambda a, b: a.view(-1, 5), ("(3, 4)", "(-1, 5)")),
    (lambda a, b: a.expand(2, 4), ("(3, 4)", "(2, 4)")),
    (lambda a, b: lucid.einsum("ij,jk->ik", a, b), ("4", "2")),
])
def test_shape_mismatch_names_both_shapes(call, shapes, xy):
    x, y = xy
    before = state(x, y)
    with pytest.raises(ValueError) as info:
        call(x, y)
    message = str(info.value)
    for shape in shapes:
        assert shape in message, message
    assert_unchanged(before, x, y)


def test_concatenate_of_0d_tensors():
    with pytest.raises(ValueError, match="0-d tensor .*position 1"):
        lucid.concatenate([Tensor([1.0]), Tensor(2.0)])


def test_matmul_of_a_0d_tensor():
    with pytest.raises(ValueError, match=r"\(\).*\(3,\)"):
        Tensor(2.0) @ Tensor([1.0, 2.0, 3.0])


def test_backward_with_a_gradient_of_the_wrong_shape(xy):
    x, y = xy
    before = state(x, y)
    out = x * 2
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(3, 4\)"):
        out.backward(np.ones((2, 4)))
    assert_unchanged(before, x, y)


def test_in_place_op_that_would_change_the_shape(xy):
    x, y = xy
    h = Tensor(np.zeros((1, 4)))
    before = state(h)
    with pytest.raises(ValueError, match=r"\(1, 4\).*\(3, 4\)"):
        h.add_(x.detach())
    assert_unchanged(before, h)
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(1, 4\)"):
        h.copy_(y.detach())
    assert_unchanged(before, h)


@pytest.mark.parametrize("call", [
    lambda h, y: h.add_(y),
    lambda h, y: h.mul_(y),
    lambda h, y: h.sub_(y),
    lambda h, y: h.clamp_(2.0, 1.0),
    lambda h, y: h.__setitem__(slice(None), y),
    lambda h, y: h.__setitem__(5, 1.0),
    lambda h, y: h.masked_fill_(Tensor([True, False]), 0.0),
])
def test_failed_in_place_ops_leave_the_tensor_alone(call):
    h = Tensor(np.arange(12.0).reshape(3, 4))
    y = Tensor(np.ones((2, 4)))
    before = state(h)
    with pytest.raises((ValueError, IndexError)):
        call(h, y)
    assert_unchanged(before, h)


def test_split_and_pad_and_transpose_arguments():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"\[1, 1\].*3"):
        x.split([1, 1])
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        x.pad(((1, 1),))
    with pytest.raises(ValueError, match="permutation"):
        x.transpose((0, 0))
    with pytest.raises(ValueError, match="negative"):
        lucid.zeros(2, -1)


# ---------------------------------------------------------------------------- indices
@pytest.mark.parametrize("index", [
    3, -4, (0, 4), (slice(None), -5), [0, 3], ([0, 1], [0, 4]), (Ellipsis, 4), (0, 0, 0),
])
def test_out_of_range_index_raises_index_error(index, xy):
    x, y = xy
    before = state(x)
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError):
        x[index] = 1.0 if not isinstance(index, int) else 1.0
    assert_unchanged(before, x)


@pytest.mark.parametrize("call", [
    lambda x: x[Tensor([0, 3, 1])],
    lambda x: x[np.array([True, False])],
    lambda x: x[Tensor([[True, False, True]])],
    lambda x: x[1.5],
    lambda x: x[Tensor([0.0, 1.0])],
    lambda x: x.gather(1, Tensor([[0, 4]] * 3)),
    lambda x: x.gather(0, Tensor([[-4, 0]])),
    lambda x: x.index_select(0, Tensor([0, 3])),
    lambda x: x.index_select(1, Tensor([[0]])),
    lambda x: x.scatter(1, Tensor([[4]] * 3), 0.0),
    lambda x: lucid.take_along_axis(x, Tensor([[5]] * 3), 1),
    lambda x: lucid.take(x, Tensor([12])),
    lambda x: x.sum(axis=2),
    lambda x: x.mean(axis=-3),
    lambda x: x.squeeze(axis=5),
    lambda x: x.unsqueeze(4),
    lambda x: lucid.cumsum(x, axis=2),
    lambda x: x.argmax(axis=3),
    lambda x: x.swapaxes(0, 2),
    lambda x: x.flip(axis=2),
    lambda x: lucid.index_put(x, ([0, 5],), 1.0),
])
def test_bad_index_or_axis_raises_index_error(call, xy):
    x, y = xy
    before = state(x)
    with pytest.raises(IndexError):
        call(x)
    assert_unchanged(before, x)


def test_index_error_names_the_index_and_the_size():
    with pytest.raises(IndexError, match=r"index 3 .* size 3"):
        Tensor(np.zeros((3, 4)))[3]
    with pytest.raises(IndexError, match=r"index 7 .* size 4"):
        Tensor(np.zeros((3, 4))).gather(1, Tensor([[7, 0]] * 3))


# ---------------------------------------------------------------------------- devices, dtypes
@pytest.mark.parametrize("call", [
    lambda: Tensor([1.0], device="tpu"),
    lambda: lucid.tensor([1.0], device="npu"),
    lambda: lucid.zeros(2, device="cuda:7"),
    lambda: lucid.ones(2, device="mps"),
    lambda: lucid.full((2,), 1.0, device="xla"),
    lambda: lucid.arange(3, device="tpu"),
    lambda: lucid.random.randn(2, device="tpu"),
    lambda: Tensor([1.0]).to("tpu"),
    lambda: Tensor([1.0]).to(device="tpu"),
])
def test_unknown_device(call):
    with pytest.raises(lucid.UnknownDeviceError, match="tpu|npu|cuda:7|mps|xla") as info:
        call()
    assert isinstance(info.value, ValueError)
    assert "cpu" in str(info.value)  # the message lists the known devices


@pytest.mark.parametrize("call", [
    lambda: Tensor([1.0], dtype="float7"),
    lambda: Tensor([1.0], dtype=object),
    lambda: Tensor(["a", "b"]),
    lambda: lucid.zeros(2, dtype="complex1024"),
    lambda: lucid.ones(2, dtype=3),
    lambda: Tensor([1.0]).astype("bfloat99"),
    lambda: Tensor([1.0]).to(dtype="bfloat99"),
    lambda: lucid.set_default_dtype(lucid.Int64),
])
def test_unknown_or_unsupported_dtype(call):
    with pytest.raises(TypeError):
        call()
    assert lucid.get_default_dtype() == lucid.Float32


# ---------------------------------------------------------------------------- other values
def test_other_bad_values_raise_before_changing_anything(xy):
    x, y = xy
    before = state(x, y)
    with pytest.raises(ValueError, match="one element"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="min"):
        x.clip(3.0, 1.0)
    with pytest.raises(ValueError, match="k=5"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)  # a leaf that requires grad, outside no_grad
    with pytest.raises(TypeError, match="not both"):
        x.sum(axis=0, dim=0)
    with pytest.raises(ValueError, match="step"):
        lucid.arange(0, 3, 0)
    assert_unchanged(before, x, y)


def test_failed_op_adds_nothing_to_the_graph(xy):
    x, y = xy
    with pytest.raises(ValueError):
        x + y
    z = (x * 2).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad, np.full((3, 4), 3.0))  # 1 (fixture) + 2
