"""The Tensor surface: Lucid's (API.md §1.2) and the PyTorch names users reach for.

Construction and dtype rules, properties, conversion, printing, operators, methods (checked
against PyTorch where PyTorch has the same method), the dim=/keepdim= aliases, in-place ops with
their version counter, and the seed page's Linear arithmetic through Tensor ops.
"""

import copy
import pickle

import numpy as np
import pytest

import lucid
from lucid import Tensor

from helpers import needs_torch, torch


def t64(values, requires_grad=False):
    return Tensor(values, requires_grad=requires_grad, dtype=lucid.Float64)


# ---------------------------------------------------------------------------- the seed page
def test_seed_page_linear_arithmetic_through_tensor_ops():
    # y = x W^T + b; the seed page prints 75 where the math gives 63, and wrong gradients
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    W = Tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    b = Tensor([9.0, 10.0], requires_grad=True)
    y = x @ W.T + b
    assert repr(y) == "Tensor([[26., 33.],\n        [48., 63.]], grad=None)"
    y.backward()  # non-scalar: seeded with ones
    np.testing.assert_array_equal(y.numpy(), [[26, 33], [48, 63]])
    np.testing.assert_array_equal(x.grad, [[12, 14], [12, 14]])
    np.testing.assert_array_equal(W.grad, [[4, 6], [4, 6]])
    np.testing.assert_array_equal(b.grad, [2, 2])
    assert x.grad.dtype == np.float32 and type(W.grad) is np.ndarray


def test_seed_page_no_bias_example_and_repr():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    W = Tensor([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
    out = x @ W.T
    assert repr(out) == "Tensor([[32., 50.]], grad=None)"
    out.backward()
    np.testing.assert_array_equal(x.grad, [[11, 13, 15]])
    np.testing.assert_array_equal(W.grad, [[1, 2, 3], [1, 2, 3]])
    assert repr(x) == "Tensor([[1., 2., 3.]], grad=[[11., 13., 15.]])"


# ---------------------------------------------------------------------------- construction
def test_construction_from_scalars_lists_arrays_and_tensors():
    assert Tensor(2.0).dtype == lucid.Float32 and Tensor(2.0).shape == ()
    assert Tensor([1, 2]).dtype == lucid.Int64
    assert Tensor([True, False]).dtype == lucid.Bool
    assert Tensor([[1.0, 2.0]]).dtype == lucid.Float32  # Python floats: the default float
    assert Tensor(np.zeros(2, np.float64)).dtype == lucid.Float64  # arrays keep their dtype
    assert Tensor(np.zeros(2, np.int32)).dtype == lucid.Int32
    assert Tensor(np.float64(1.5)).dtype == lucid.Float64
    assert Tensor([1, 2], dtype=lucid.Float16).dtype == lucid.Float16
    assert Tensor([1, 2], dtype=float).dtype == lucid.Float64
    assert Tensor([1.5], dtype=int).dtype == lucid.Int64
    assert Tensor([1], dtype=bool).dtype == lucid.Bool
    assert Tensor([1], dtype="float64").dtype == lucid.Float64
    assert Tensor([1, 2], dtype=lucid.Complex64).dtype == lucid.Complex64
    src = Tensor([1.0, 2.0], requires_grad=True)
    copy_ = Tensor(src)
    assert copy_ is not src and not copy_.requires_grad
    copy_.data[0] = 5.0
    assert src.numpy()[0] == 1.0  # Tensor(tensor) copies the values


def test_tensor_and_to_tensor_helpers():
    a = Tensor([1.0, 2.0])
    assert lucid.tensor(a) is not a
    assert lucid.to_tensor(a) is a
    b = lucid.to_tensor([1, 2], dtype=lucid.Float64, requires_grad=True)
    assert b.dtype == lucid.Float64 and b.requires_grad
    assert lucid.to_tensor(a, dtype=lucid.Float64) is not a


def test_constructor_flags():
    t = Tensor([1.0], requires_grad=True, keep_grad=True)
    assert t.requires_grad and t.keep_grad and t.is_leaf and t.grad is None
    assert t.device == "cpu" and not t.is_free
    assert Tensor([1.0]).is_free and Tensor([1.0]).is_all_free()
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)


def test_default_dtype_can_be_changed_and_restored():
    prev = lucid.get_default_dtype()
    try:
        lucid.set_default_dtype(lucid.Float64)
        assert Tensor([1.0]).dtype == lucid.Float64
        assert lucid.zeros(2).dtype == lucid.Float64
    finally:
        lucid.set_default_dtype(prev)
    assert Tensor([1.0]).dtype == lucid.Float32 and lucid.ones(2).dtype == lucid.Float32
    with pytest.raises(TypeError):
        lucid.set_default_dtype(lucid.Int32)


# ---------------------------------------------------------------------------- dtype promotion
PROMOTION = [
    # (lhs, rhs) built as (kind, dtype): "t" a tensor, "s" a Python scalar
    (("t", "float32"), ("s", 2.5)),
    (("s", 2.5), ("t", "float32")),
    (("t", "float32"), ("s", 2)),
    (("t", "int64"), ("s", 2.5)),
    (("t", "int64"), ("s", 2)),
    (("t", "int32"), ("s", 2)),
    (("t", "int64"), ("t", "float32")),
    (("t", "int32"), ("t", "float64")),
    (("t", "float32"), ("t", "float64")),
    (("t", "float16"), ("t", "float32")),
    (("t", "int32"), ("t", "int64")),
    (("t", "bool"), ("t", "int64")),
    (("t", "bool"), ("t", "float32")),
    (("t", "bool"), ("s", 2.5)),
    (("t", "uint8"), ("t", "int64")),
]


def _operand(spec, lib):
    kind, value = spec
    if kind == "s":
        return value
    data = np.array([1, 2, 3]).astype(value)
    return Tensor(data) if lib == "lucid" else torch.tensor(data)


@needs_torch
@pytest.mark.parametrize("op", ["add", "mul", "sub", "truediv"])
@pytest.mark.parametrize("lhs, rhs", PROMOTION, ids=str)
def test_dtype_promotion_matches_torch(op, lhs, rhs):
    if op == "sub" and "bool" in (lhs[1], rhs[1]):
        pytest.skip("torch refuses - on bools")
    fn = getattr(__import__("operator"), op)
    ours = fn(_operand(lhs, "lucid"), _operand(rhs, "lucid"))
    theirs = fn(_operand(lhs, "torch"), _operand(rhs, "torch"))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float),
                               rtol=1e-6)


def test_scalar_never_upcasts_float32():
    x = Tensor([1.0, 2.0])
    for y in (x * 2.5, 2.5 * x, x + 1e10, x / 3.0, x ** 2.0, 2.0 ** x, x - np.float64(1.5),
              x.clamp(0.1, 0.5), lucid.maximum(x, 1.5), lucid.where(x > 1, x, 0.5)):
        assert y.dtype == lucid.Float32, y


# ---------------------------------------------------------------------------- properties
def test_shape_size_ndim_dim_numel_len():
    t = lucid.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size == 24 and t.numel() == 24 and lucid.numel(t) == 24  # Lucid: size is a count
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4  # PyTorch's call form
    assert len(t) == 2 and lucid.shape(t) == (2, 3, 4)
    with pytest.raises(TypeError):
        len(Tensor(1.0))


def test_T_and_mT():
    x = t64(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.T.numpy(), np.arange(24.0).reshape(2, 3, 4).T)
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(x.numpy(), -1, -2))


def test_is_leaf_grad_fn_and_is_cpu():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None and x.grad_fn is None
    assert x.is_cpu() and not x.is_gpu() and not x.is_cuda
    assert x.is_floating_point() and not Tensor([1]).is_floating_point()


# ---------------------------------------------------------------------------- conversion
def test_item_numpy_tolist_float_int_bool():
    assert Tensor(2.0).item() == 2.0 and isinstance(Tensor(2.0).item(), float)
    assert isinstance(Tensor(3).item(), int) and Tensor([[7]]).item() == 7
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()
    t = Tensor([[1.5, 2.0]])
    assert t.tolist() == [[1.5, 2.0]] and isinstance(t.numpy(), np.ndarray)
    assert float(Tensor([2.5])) == 2.5 and int(Tensor(3.7)) == 3
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert np.asarray(t).shape == (1, 2)
    assert [1, 2, 3][Tensor(1)] == 2  # integer tensors index Python lists


def test_casts():
    x = Tensor([1.7, -2.2], requires_grad=True)
    assert x.float() is x  # already float32
    assert x.double().dtype == lucid.Float64
    assert x.half().dtype == lucid.Float16
    assert x.long().dtype == lucid.Int64 and x.long().tolist() == [1, -2]
    assert x.int().dtype == lucid.Int32
    assert x.bool().dtype == lucid.Bool and x.bool().tolist() == [True, True]
    assert x.astype(lucid.Float64).dtype == lucid.Float64 and x.dtype == lucid.Float32
    assert x.to(lucid.Float64).dtype == lucid.Float64 and x.to("cpu") is x
    assert x.type() == "lucid.float32" and x.type(lucid.Int64).dtype == lucid.Int64
    assert x.type_as(Tensor([1])).dtype == lucid.Int64
    assert not x.long().requires_grad  # integer tensors carry no gradient
    y = x.double() * 2
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0]


def test_cpu_and_to_device_and_contiguous_clone_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.cpu() is x and x.to(device="cpu") is x and x.contiguous() is x
    c = x.clone()
    assert c.requires_grad and c is not x
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.data, x.data)


def test_copy_data_copy_grad_free_eval():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    data, grad = x.copy_data(), x.copy_grad()
    data[0] = 9.0
    grad[0] = 9.0
    assert x.numpy()[0] == 1.0 and x.grad[0] == 2.0
    assert x.eval() is x
    y = x * 2
    y.free()
    assert y.is_leaf and not y.requires_grad


def test_data_is_assignable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    version = x._version
    x.data = np.array([3.0, 4.0], dtype=np.float32)
    assert x.tolist() == [3.0, 4.0] and x._version == version + 1
    x.data = Tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0]


def test_requires_grad_():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_deepcopy_pickle_hash():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    c = copy.deepcopy(x)
    assert c is not x and c.requires_grad and c.grad.tolist() == [2.0, 2.0]
    assert not np.shares_memory(c.data, x.data)
    p = pickle.loads(pickle.dumps(x))
    assert p.tolist() == [1.0, 2.0] and p.requires_grad and p.grad.tolist() == [2.0, 2.0]
    assert hash(x) == id(x) and {x: 1}[x] == 1


def test_iteration_over_axis_0():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    sum(r.sum() * (i + 1) for i, r in enumerate(rows)).backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]
    with pytest.raises(TypeError):
        iter(Tensor(1.0))


# ---------------------------------------------------------------------------- printing
def test_repr_shows_values_and_grad_state():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], grad=None)"
    assert repr(Tensor(3.0, requires_grad=True)) == "Tensor(3., grad=None)"
    assert repr(Tensor([1, 2])) == "Tensor([1, 2])"
    assert repr(t64([1.5])) == "Tensor([1.5], dtype=float64)"
    assert str(Tensor([1.0])) == repr(Tensor([1.0]))


# ---------------------------------------------------------------------------- operators
@needs_torch
@pytest.mark.parametrize("expr", [
    "a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** 2", "2 ** a", "a @ b.T",
    "-a", "+a", "abs(a)", "1 - a", "3 / b", "2 * a", "a == b", "a != b", "a < b", "a <= b",
    "a > b", "a >= b", "a > 0.5",
])
def test_operators_match_torch(expr):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    B = np.abs(rng.standard_normal((3, 4))) + 0.5
    ours = eval(expr, {}, {"a": t64(A), "b": t64(B)})
    theirs = eval(expr, {}, {"a": torch.tensor(A), "b": torch.tensor(B)})
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_logical_and_bitwise_operators():
    a, b = Tensor([True, False, True]), Tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True] and (~a).tolist() == [False, True, False]
    i, j = Tensor([6, 3]), Tensor([3, 5])
    assert (i & j).tolist() == [2, 1] and (i | j).tolist() == [7, 7] and (~i).tolist() == [-7, -4]
    assert (a == Tensor([True, True, True])).dtype == lucid.Bool


def test_comparisons_do_not_require_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad and (x > 1).dtype == lucid.Bool


def test_numpy_array_on_the_left_defers_to_the_tensor():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0], dtype=np.float32) * x
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 3.0]


def test_setitem_getitem():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    x[0] = 0.0
    x[1, 1:3] = Tensor([-1.0, -2.0])
    x[x > 9] = 100.0
    assert x.tolist() == [[0, 0, 0, 0], [4, -1, -2, 7], [8, 9, 100, 100]]
    assert x[..., -1].tolist() == [0, 7, 100] and x[None].shape == (1, 3, 4)
    assert x[[0, 2], [1, 3]].tolist() == [0.0, 100.0]


# ---------------------------------------------------------------------------- methods vs torch
METHODS = [
    ("exp", (), {}), ("log", (), {}), ("sqrt", (), {}), ("abs", (), {}), ("sum", (), {}),
    ("mean", (), {}), ("prod", (), {}), ("max", (), {}), ("min", (), {}), ("argmax", (), {}),
    ("argmin", (), {}), ("sin", (), {}), ("cos", (), {}), ("tanh", (), {}),
    ("sigmoid", (), {}), ("relu", (), {}), ("floor", (), {}), ("ceil", (), {}),
    ("round", (), {}), ("neg", (), {}), ("reciprocal", (), {}), ("square", (), {}),
    ("log1p", (), {}), ("expm1", (), {}), ("rsqrt", (), {}), ("sign", (), {}),
    ("pow", (3,), {}), ("clamp", (0.6, 1.2), {}), ("clamp", (), {"min": 0.8}),
    ("sum", (), {"dim": 1, "keepdim": True}), ("mean", (), {"dim": 0}),
    ("prod", (), {"dim": 1}), ("argmax", (), {"dim": 1}), ("argmin", (), {"dim": 0}),
    ("argmax", (), {"dim": 1, "keepdim": True}), ("cumsum", (), {"dim": 0}),
    ("cumprod", (), {"dim": 1}), ("logsumexp", (), {"dim": 1}),
    ("view", (4, 3), {}), ("view", (-1,), {}), ("reshape", (2, 6), {}),
    ("reshape", ((6, 2),), {}), ("permute", (1, 0), {}), ("transpose", (0, 1), {}),
    ("flatten", (), {}), ("unsqueeze", (0,), {}), ("unsqueeze", (), {"dim": -1}),
    ("expand", (2, 3, 4), {}), ("flip", (), {"dims": (0,)}), ("tril", (), {}),
    ("triu", (1,), {}), ("roll", (1,), {"dims": 0}), ("diagonal", (), {}),
    ("matmul", "W", {}), ("maximum", "W2", {}), ("minimum", "W2", {}),
    ("add", "W2", {}), ("sub", "W2", {}), ("mul", "W2", {}), ("div", "W2", {}),
    ("eq", "W2", {}), ("gt", "W2", {}), ("le", "W2", {}), ("ne", "W2", {}),
]


@needs_torch
@pytest.mark.parametrize("name, args, kwargs", METHODS, ids=lambda v: str(v))
def test_methods_match_torch(name, args, kwargs):
    rng = np.random.default_rng(1)
    A = np.abs(rng.standard_normal((3, 4))) + 0.5
    W = rng.standard_normal((4, 2))
    W2 = np.abs(rng.standard_normal((3, 4))) + 0.5
    extra = {"W": W, "W2": W2}
    if isinstance(args, str):
        ours = getattr(t64(A, True), name)(t64(extra[args]), **kwargs)
        theirs = getattr(torch.tensor(A), name)(torch.tensor(extra[args]), **kwargs)
    else:
        x, tx = t64(A, True), torch.tensor(A, requires_grad=True)
        ours = getattr(x, name)(*args, **kwargs)
        theirs = getattr(tx, name)(*args, **kwargs)
        if ours.requires_grad:
            G = rng.standard_normal(ours.shape)
            (ours * t64(G)).sum().backward()
            (theirs * torch.tensor(G)).sum().backward()
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_std_var_lucid_meaning_and_torch_meaning():
    A = np.random.default_rng(2).standard_normal((3, 4))
    x, tx = t64(A), torch.tensor(A)
    # Lucid's var/std: the population statistics (ddof 0) unless told otherwise
    np.testing.assert_allclose(x.var().item(), A.var())
    np.testing.assert_allclose(x.std(axis=1).numpy(), A.std(axis=1))
    np.testing.assert_allclose(x.var(dim=0, unbiased=True).numpy(), tx.var(0).numpy())
    np.testing.assert_allclose(x.std(dim=1, correction=1, keepdim=True).numpy(),
                               tx.std(1, keepdim=True).numpy())


def test_max_min_with_axis_return_values_only():
    x = Tensor([[1.0, 5.0], [4.0, 2.0]])
    assert x.max(axis=1).tolist() == [5.0, 4.0] and x.min(dim=0).tolist() == [1.0, 2.0]
    assert x.max(axis=0, keepdims=True).shape == (1, 2)
    assert lucid.max(x).item() == 5.0


def test_lucid_methods_of_api_1_2():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.all().item() is False and x.any().item() is True
    assert x.broadcast_to((2, 2, 3)).shape == (2, 2, 3)
    assert [c.shape for c in x.chunk(2, axis=1)] == [(2, 2), (2, 1)]
    assert x.clip(1, 3).tolist() == [[1, 1, 2], [3, 3, 3]]
    assert x.diagonal().tolist() == [0.0, 4.0]
    assert x.dot(Tensor([1.0, 1.0, 1.0])).tolist() == [3.0, 12.0]
    assert x.flatten().shape == (6,) and x.ravel().shape == (6,)
    assert x.matmul(x.T).shape == (2, 2) and x.mean().item() == 2.5
    assert x.nonzero().tolist() == [[0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    assert x.pad(1).shape == (4, 5) and x.repeat(2, axis=0).shape == (4, 3)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((3, 2)).shape == (3, 2)
    assert x.roll(1, axis=1).tolist() == [[2, 0, 1], [5, 3, 4]]
    values, indices = Tensor([3.0, 1.0, 2.0]).sort()
    assert values.tolist() == [1, 2, 3] and indices.tolist() == [1, 2, 0]
    assert [s.shape for s in x.split(1, axis=0)] == [(1, 3), (1, 3)]
    assert x[None].squeeze().shape == (2, 3) and x.sum().item() == 15.0
    assert x.swapaxes(0, 1).shape == (3, 2) and x.tile((2, 1)).shape == (4, 3)
    assert x.transpose().shape == (3, 2) and x.transpose((1, 0)).shape == (3, 2)
    assert x.tril().tolist() == [[0, 0, 0], [3, 4, 0]] and x.triu().tolist()[1] == [0, 4, 5]
    assert [u.tolist() for u in x.unbind(axis=1)][0] == [0.0, 3.0]
    assert Tensor([3, 1, 3]).unique().tolist() == [1, 3]
    assert x.unsqueeze(1).shape == (2, 1, 3) and x.var().item() == pytest.approx(35 / 12)
    assert x.floor().tolist() == x.tolist() and x.ceil().tolist() == x.tolist()
    assert x.round().tolist() == x.tolist()
    y = Tensor([1.0, 2.0])
    y.zero()
    assert y.tolist() == [0.0, 0.0]
    x.sum().backward()
    x.zero_grad()
    assert x.grad is None


# ---------------------------------------------------------------------------- in-place ops
def test_in_place_ops_and_the_version_counter():
    x = Tensor([1.0, 2.0, 3.0])
    data = x.data
    steps = [lambda t: t.add_(1), lambda t: t.sub_(0.5), lambda t: t.mul_(2),
             lambda t: t.div_(4), lambda t: t.clamp_(0.5, 1.5), lambda t: t.fill_(7.0),
             lambda t: t.copy_(Tensor([1.0, 2.0, 3.0])), lambda t: t.add_(Tensor([1.0]), alpha=2),
             lambda t: t.zero_()]
    expected = [[2, 3, 4], [1.5, 2.5, 3.5], [3, 5, 7], [0.75, 1.25, 1.75], [0.75, 1.25, 1.5],
                [7, 7, 7], [1, 2, 3], [3, 4, 5], [0, 0, 0]]
    for i, (step, values) in enumerate(zip(steps, expected)):
        assert step(x) is x
        assert x._version == i + 1
        np.testing.assert_allclose(x.numpy(), values)
    assert x.data is data  # in place: the same buffer
    assert x.dtype == lucid.Float32


def test_in_place_op_on_int_tensor_refuses_a_float_result():
    x = Tensor([1, 2])
    with pytest.raises(TypeError):
        x.add_(0.5)
    assert x.tolist() == [1, 2] and x._version == 0
    x.add_(3)
    assert x.tolist() == [4, 5]


def test_in_place_op_gradient_matches_torch_semantics():
    # y = x * 2; y *= 3 in place -> dy/dx = 6;  y = x * 2; exp_ -> dy/dx = 2 e^{2x}
    x = Tensor([1.0, 3.0], requires_grad=True, dtype=lucid.Float64)
    y = x * 2
    y.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    x.zero_grad()
    y = x * 2
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.numpy()))
    # y.mul_(y) needs y's old value, which the op overwrites: backward gets a copy of it, so
    # d(4x^2)/dx = 8x (PyTorch raises here instead; tests/test_inplace.py has the rest)
    x.zero_grad()
    y = x * 2
    y.mul_(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 8 * x.numpy())


def test_copy_broadcasts_and_casts():
    x = lucid.zeros(2, 3)
    x.copy_(np.array([1, 2, 3]))
    assert x.tolist() == [[1, 2, 3], [1, 2, 3]] and x.dtype == lucid.Float32


# ---------------------------------------------------------------------------- dim= aliases
def test_axis_and_dim_aliases():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=1).tolist() == x.sum(axis=1).tolist() == [3.0, 12.0]
    assert lucid.sum(x, dim=0, keepdim=True).shape == (1, 3)
    assert lucid.mean(x, axis=1, keepdims=True).shape == (2, 1)
    assert x.max(dim=1, keepdim=True).shape == (2, 1)
    assert lucid.cumsum(x, dim=0).tolist() == [[0, 1, 2], [3, 5, 7]]
    assert lucid.concatenate([x, x], dim=1).shape == (2, 6)
    assert lucid.stack([x, x], dim=2).shape == (2, 3, 2)
    assert x.squeeze(dim=0).shape == (2, 3) and x.flatten(start_dim=0).shape == (6,)
    assert x.softmax(dim=1).shape == (2, 3)
    with pytest.raises(TypeError, match="not both"):
        x.sum(axis=0, dim=0)


@needs_torch
@pytest.mark.parametrize("expr", [
    "L([1, 2]) ** 2", "2 ** L([1, 2])", "L([1, 4]) ** 0.5", "2.0 ** L([1, 2])", "L([5, 7]) // 2",
    "L([5, 7]) % 3", "L([5.0, 7.0]) // 2", "L([1, 3]) < 2.5", "-L([1, 3])", "abs(L([-1, 3]))",
    "L([1, 4]).sqrt()", "L([1, 2]).sum()", "L([True, True]).sum()", "L([3, 2]).prod()",
    "L([3, 2]).cumsum(0)", "L([1, 2]).clamp(0.5, 1.5)", "L([1, 2]).clamp(0, 1)",
    "L([-3, 0, 2]).sign()", "L([[1, 2]]) @ L([[1], [2]])", "L([1, 2]).max()",
])
def test_integer_tensor_dtypes_match_torch(expr):
    ours = eval(expr, {"L": Tensor})
    theirs = eval(expr, {"L": torch.tensor})
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, reference", [
    ("sigmoid_", lambda a: 1 / (1 + np.exp(-a))), ("tanh_", np.tanh), ("square_", np.square),
    ("cube_", lambda a: a ** 3), ("sin_", np.sin), ("cos_", np.cos), ("tan_", np.tan),
    ("sign_", np.sign), ("reciprocal_", lambda a: 1 / a), ("floor_", np.floor),
    ("ceil_", np.ceil), ("round_", np.round), ("log2_", lambda a: np.log2(np.abs(a))),
])
def test_lucid_in_place_names(name, reference):
    values = np.array([[0.3, -1.7], [2.2, 0.9]])
    if name == "log2_":
        values = np.abs(values)
    t = lucid.Tensor(values)
    before = t.data
    out = getattr(t, name)()
    assert out is t and t.data is before and t._version == 1  # written into the same array
    np.testing.assert_allclose(t.numpy(), reference(values), rtol=1e-6)


def test_in_place_maximum_minimum_power():
    t = lucid.Tensor([1.0, -2.0, 3.0])
    t.maximum_(0.0)
    np.testing.assert_array_equal(t.numpy(), [1.0, 0.0, 3.0])
    t.minimum_(lucid.Tensor([0.5, 0.5, 0.5]))
    t.power_(2)
    np.testing.assert_allclose(t.numpy(), [0.25, 0.0, 0.25])
