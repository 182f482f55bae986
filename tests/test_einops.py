"""lucid.einops: rearrange / reduce / repeat / einsum.

Values are checked against references written with plain NumPy reshape/transpose (and against the
einops library itself when it is installed), gradients against the equivalent PyTorch ops through
``check_op``, and every kind of bad pattern against its error message.
"""

import numpy as np
import pytest

import lucid
from lucid.einops import EinopsError, einsum, rearrange, reduce, repeat

from helpers import check_numeric, check_op, torch


def _x(*shape, dtype="float64"):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


def _run(fn, x, *args, **kwargs):
    return fn(lucid.Tensor(x), *args, **kwargs).numpy()


# ---------------------------------------------------------------------------- rearrange values
X4 = _x(2, 3, 4, 6)  # b c h w


REARRANGE_CASES = [
    # (pattern, lengths, input, NumPy reference)
    ("b c h w -> b h w c", {}, X4, lambda x: x.transpose(0, 2, 3, 1)),
    ("b c h w -> b (c h w)", {}, X4, lambda x: x.reshape(2, -1)),
    ("b c h w -> (b c) h w", {}, X4, lambda x: x.reshape(6, 4, 6)),
    ("b c h w -> b (h w c)", {}, X4, lambda x: x.transpose(0, 2, 3, 1).reshape(2, -1)),
    ("b c h w -> w h c b", {}, X4, lambda x: x.transpose(3, 2, 1, 0)),
    # split one axis: the second length inferred from the first, and the other way round
    ("b c h (w1 w2) -> b c h w1 w2", {"w1": 2}, X4, lambda x: x.reshape(2, 3, 4, 2, 3)),
    ("b c h (w1 w2) -> b c h w1 w2", {"w2": 2}, X4, lambda x: x.reshape(2, 3, 4, 3, 2)),
    ("b c h (w1 w2) -> b c h w2 w1", {"w1": 3},
     X4, lambda x: x.reshape(2, 3, 4, 3, 2).transpose(0, 1, 2, 4, 3)),
    ("b c h (w1 w2) -> b c h w1 w2", {"w1": 2, "w2": 3}, X4, lambda x: x.reshape(2, 3, 4, 2, 3)),
    # ViT patches: (b, c, h*p, w*p) -> (b, h*w, p*p*c)
    ("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", {"p1": 2, "p2": 3}, X4,
     lambda x: x.reshape(2, 3, 2, 2, 2, 3).transpose(0, 2, 4, 3, 5, 1).reshape(2, 4, 18)),
    # and back, every length but one per group given
    ("b (h w) (p1 p2 c) -> b c (h p1) (w p2)", {"h": 2, "p1": 2, "p2": 3},
     _x(2, 4, 18), lambda x: x.reshape(2, 2, 2, 2, 3, 3).transpose(0, 5, 1, 3, 2, 4)
     .reshape(2, 3, 4, 6)),
    # a batch of images tiled into one grid image
    ("(b1 b2) h w -> (b1 h) (b2 w)", {"b1": 2}, _x(6, 2, 3),
     lambda x: x.reshape(2, 3, 2, 3).transpose(0, 2, 1, 3).reshape(4, 9)),
    # ellipsis: leading, trailing, in the middle, grouped on the right, empty
    ("... h w -> ... w h", {}, X4, lambda x: x.swapaxes(-1, -2)),
    ("b ... w -> w b ...", {}, X4, lambda x: x.transpose(3, 0, 1, 2)),
    ("b ... -> b (...)", {}, X4, lambda x: x.reshape(2, -1)),
    ("b ... -> (...) b", {}, X4, lambda x: x.transpose(1, 2, 3, 0).reshape(-1, 2)),
    ("b c h w ... -> b c h w ...", {}, X4, lambda x: x),
    ("b c h w ... -> (b ...) c h w", {}, X4, lambda x: x),
    # unit axes: 1 and () add or remove axes of length 1, and 1 inside a group is ignored
    ("b c h w -> b 1 c h w", {}, X4, lambda x: x[:, None]),
    ("b c h w -> b () c h w 1", {}, X4, lambda x: x[:, None, ..., None]),
    ("b 1 c -> b c", {}, _x(3, 1, 4), lambda x: x[:, 0]),
    ("b () c -> (c 1 b)", {}, _x(3, 1, 4), lambda x: x[:, 0].T.reshape(-1)),
    # 0-d and empty tensors
    (" -> ", {}, _x(), lambda x: x),
    (" -> 1 1", {}, _x(), lambda x: x.reshape(1, 1)),
    ("b (h w) -> b h w", {"h": 2}, _x(0, 6), lambda x: x.reshape(0, 2, 3)),
    # long names, digits in names
    ("batch chan h2 w2 -> batch (w2 h2) chan", {}, X4,
     lambda x: x.transpose(0, 3, 2, 1).reshape(2, 24, 3)),
]


@pytest.mark.parametrize("pattern, lengths, x, ref", REARRANGE_CASES,
                         ids=[c[0] + str(c[1]) for c in REARRANGE_CASES])
def test_rearrange_values(pattern, lengths, x, ref):
    out = rearrange(lucid.Tensor(x), pattern, **lengths)
    assert isinstance(out, lucid.Tensor)
    expected = ref(x)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_rearrange_infers_one_unknown_per_group():
    # Lucid 2 raised "Size for token 'w' must be provided" here
    x = _x(2, 3, 12)
    for h in (1, 2, 3, 4, 6, 12):
        out = rearrange(lucid.Tensor(x), "b c (h w) -> b c h w", h=h)
        np.testing.assert_array_equal(out.numpy(), x.reshape(2, 3, h, 12 // h))
    out = rearrange(lucid.Tensor(x), "b c (h w d) -> b c d h w", h=2, d=3)
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, 3, 2, 2, 3).transpose(0, 1, 4, 2, 3))


def test_rearrange_keeps_dtype_and_device_and_caches_per_shape():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    out = rearrange(lucid.Tensor(x), "a b c -> c (a b)")
    assert out.dtype == lucid.Int32 and out.device == "cpu"
    np.testing.assert_array_equal(out.numpy(), x.transpose(2, 0, 1).reshape(4, 6))
    # the same pattern on another shape must not reuse the first plan
    y = np.arange(30).reshape(5, 3, 2)
    np.testing.assert_array_equal(rearrange(lucid.Tensor(y), "a b c -> c (a b)").numpy(),
                                  y.transpose(2, 0, 1).reshape(2, 15))


def test_rearrange_inputs_other_than_a_tensor():
    x = _x(2, 3)
    # a raw array stays raw (the ops' dual mode)
    out = rearrange(x, "a b -> b a")
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, x.T)
    # a list of Tensors is stacked on a new first axis, as in einops
    parts = [lucid.Tensor(x[i]) for i in range(2)]
    out = rearrange(parts, "n c -> c n")
    np.testing.assert_array_equal(out.numpy(), x.T)
    # a nested list becomes a Tensor
    out = rearrange([[1.0, 2.0], [3.0, 4.0]], "a b -> (b a)")
    np.testing.assert_array_equal(out.numpy(), np.array([1.0, 3.0, 2.0, 4.0], np.float32))


def test_rearrange_method_chain_records_one_graph():
    x = lucid.Tensor(_x(2, 6), requires_grad=True)
    y = rearrange(rearrange(x, "a (b c) -> c a b", c=2), "c a b -> a (b c)")
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.numpy())


# ---------------------------------------------------------------------------- reduce values
REDUCE_CASES = [
    ("b c h w -> b c", "mean", {}, lambda x: x.mean(axis=(2, 3))),
    ("b c h w -> b c 1 1", "mean", {}, lambda x: x.mean(axis=(2, 3), keepdims=True)),
    ("b c h w -> () c () ()", "sum", {}, lambda x: x.sum(axis=(0, 2, 3), keepdims=True)),
    ("b c h w -> c", "sum", {}, lambda x: x.sum(axis=(0, 2, 3))),
    ("b c h w -> ", "max", {}, lambda x: x.max()),
    ("b c h w -> w h", "min", {}, lambda x: x.min(axis=(0, 1)).T),
    ("b c h w -> b w", "prod", {}, lambda x: x.prod(axis=(1, 2))),
    # 2x2 max-pooling, with anonymous axes and with named ones
    ("b c (h 2) (w 2) -> b c h w", "max", {},
     lambda x: x.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5))),
    ("b c (h h2) (w w2) -> b c h w", "max", {"h2": 2, "w2": 2},
     lambda x: x.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5))),
    # adaptive pooling: the output grid is given, the window inferred
    ("b c (h1 h2) (w1 w2) -> b c h1 w1", "mean", {"h1": 2, "w1": 3},
     lambda x: x.reshape(2, 3, 2, 2, 3, 2).mean(axis=(3, 5))),
    # reduce and rearrange at once
    ("b c (h 2) w -> w (b h)", "sum", {},
     lambda x: x.reshape(2, 3, 2, 2, 6).sum(axis=(1, 3)).transpose(2, 0, 1).reshape(6, 4)),
    ("b ... -> b", "sum", {}, lambda x: x.sum(axis=(1, 2, 3))),
    ("... w -> w", "max", {}, lambda x: x.max(axis=(0, 1, 2))),
    ("b c h w -> b c h w", "sum", {}, lambda x: x),  # nothing to reduce
]


@pytest.mark.parametrize("pattern, reduction, lengths, ref", REDUCE_CASES,
                         ids=[c[0] + "|" + c[1] for c in REDUCE_CASES])
def test_reduce_values(pattern, reduction, lengths, ref):
    out = reduce(lucid.Tensor(X4), pattern, reduction, **lengths)
    expected = ref(X4)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_reduce_default_is_sum_and_callable_reductions():
    x = lucid.Tensor(X4)
    np.testing.assert_allclose(reduce(x, "b c h w -> b").numpy(), X4.sum(axis=(1, 2, 3)))
    seen = []

    def l2(t, axes):
        seen.append(axes)
        return lucid.sqrt((t * t).sum(axis=axes))

    out = reduce(x, "b c h w -> c b", l2)
    assert seen == [(2, 3)]  # the reduced axes, moved last
    np.testing.assert_allclose(out.numpy(), np.sqrt((X4 ** 2).sum(axis=(2, 3))).T)


def test_reduce_logical_and_integer_inputs():
    m = np.array([[True, False, True], [True, True, True]])
    np.testing.assert_array_equal(_run(reduce, m, "a b -> a", "all"), [False, True])
    np.testing.assert_array_equal(_run(reduce, m, "a b -> b", "any"), [True, True, True])
    i = np.arange(12).reshape(3, 4)
    out = reduce(lucid.Tensor(i), "a (b 2) -> a b", "max")
    assert out.dtype == lucid.Int64
    np.testing.assert_array_equal(out.numpy(), i.reshape(3, 2, 2).max(axis=2))


# ---------------------------------------------------------------------------- repeat values
X2 = _x(3, 4)

REPEAT_CASES = [
    ("h w -> h w c", {"c": 3}, lambda x: np.repeat(x[..., None], 3, axis=-1)),
    ("h w -> c h w", {"c": 2}, lambda x: np.stack([x, x])),
    ("h w -> (h 2) w", {}, lambda x: np.repeat(x, 2, axis=0)),  # each row twice
    ("h w -> (2 h) w", {}, lambda x: np.tile(x, (2, 1))),  # the whole block twice
    ("h w -> h (w k)", {"k": 3}, lambda x: np.repeat(x, 3, axis=1)),
    ("h w -> (h h2) (w w2)", {"h2": 2, "w2": 2},
     lambda x: np.repeat(np.repeat(x, 2, axis=0), 2, axis=1)),
    ("h w -> w 1 h 3", {}, lambda x: np.repeat(x.T[:, None, :, None], 3, axis=3)),
    ("h w -> h w", {}, lambda x: x),
    ("... -> b ...", {"b": 2}, lambda x: np.stack([x, x])),
    ("(h h2) w -> h (h2 w 2)", {"h2": 3}, lambda x: np.repeat(x.reshape(1, 12), 2, axis=1)),
]


@pytest.mark.parametrize("pattern, lengths, ref", REPEAT_CASES,
                         ids=[c[0] + str(c[1]) for c in REPEAT_CASES])
def test_repeat_values(pattern, lengths, ref):
    out = repeat(lucid.Tensor(X2), pattern, **lengths)
    expected = ref(X2)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_repeat_a_scalar_and_a_given_length_that_is_checked():
    out = repeat(lucid.Tensor(np.float64(2.5)), " -> n m", n=2, m=3)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 2.5))
    with pytest.raises(ValueError, match=r"input dimension 0, h, has length 3.*h=5"):
        repeat(lucid.Tensor(X2), "h w -> h w c", h=5, c=2)


# ---------------------------------------------------------------------------- against einops
EINOPS_CASES = [
    ("rearrange", "b c h w -> b (w c) h", None, {}),
    ("rearrange", "b c (h h2) (w w2) -> (b h2 w2) c h w", None, {"h2": 2, "w2": 3}),
    ("rearrange", "b ... w -> (w b) ...", None, {}),
    ("rearrange", "b c h w -> b c h w 1 1", None, {}),
    ("rearrange", "b c h w -> (c b) (h w)", None, {}),
    ("reduce", "b c (h 2) (w 3) -> b c h w", "max", {}),
    ("reduce", "b c (h 2) (w 3) -> w h", "min", {}),
    ("reduce", "b c h w -> b 1 c", "mean", {}),
    ("reduce", "b c (h1 h2) w -> h1 (b w)", "sum", {"h1": 2}),
    ("reduce", "... c -> c", "prod", {}),
    ("repeat", "b c h w -> b c (h 2) (w k) n", None, {"k": 2, "n": 3}),
    ("repeat", "b c h w -> (r b) c h w", None, {"r": 2}),
    ("repeat", "b ... -> b k (...)", None, {"k": 2}),
]


@pytest.mark.parametrize("op, pattern, reduction, lengths", EINOPS_CASES,
                         ids=[c[0] + ":" + c[1] for c in EINOPS_CASES])
def test_against_einops(op, pattern, reduction, lengths):
    einops = pytest.importorskip("einops")
    x = _x(2, 3, 4, 6)
    args = (reduction,) if reduction else ()
    expected = getattr(einops, op)(x, pattern, *args, **lengths)
    out = getattr(lucid.einops, op)(lucid.Tensor(x), pattern, *args, **lengths)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("op, pattern, reduction, lengths", EINOPS_CASES,
                         ids=[c[0] + ":" + c[1] for c in EINOPS_CASES])
def test_gradients_against_einops_on_torch(op, pattern, reduction, lengths):
    einops = pytest.importorskip("einops")
    args = (reduction,) if reduction else ()
    check_op([(2, 3, 4, 6)],
             lambda t: getattr(einops, op)(t, pattern, *args, **lengths),
             lambda t: getattr(lucid.einops, op)(t, pattern, *args, **lengths))


# ---------------------------------------------------------------------------- gradients
# torch equivalents written with plain torch ops, so these run without the einops package

def test_rearrange_gradient_patchify():
    check_op([(2, 3, 4, 6)],
             lambda t: t.reshape(2, 3, 2, 2, 2, 3).permute(0, 2, 4, 3, 5, 1).reshape(2, 4, 18),
             lambda t: rearrange(t, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=2, p2=3))


def test_rearrange_gradient_float32_and_ellipsis():
    check_op([(2, 3, 5)], lambda t: t.permute(2, 0, 1).reshape(5, 6),
             lambda t: rearrange(t, "... c -> c (...)"), dtype="float32")


@pytest.mark.parametrize("reduction, torch_reduce", [
    ("sum", lambda t, axes: t.sum(dim=axes)),
    ("mean", lambda t, axes: t.mean(dim=axes)),
    ("max", lambda t, axes: t.amax(dim=axes)),
    ("min", lambda t, axes: t.amin(dim=axes)),
    ("prod", lambda t, axes: t.prod(dim=axes[1]).prod(dim=axes[0])),
])
def test_reduce_gradient_pooling(reduction, torch_reduce):
    check_op([(2, 3, 4, 6)],
             lambda t: torch_reduce(t.reshape(2, 3, 2, 2, 3, 2), (3, 5)).permute(0, 3, 2, 1),
             lambda t: reduce(t, "b c (h 2) (w 2) -> b w h c", reduction))


def test_reduce_gradient_keeps_unit_axes():
    check_op([(2, 3, 4)], lambda t: t.mean(dim=(0, 2), keepdim=True),
             lambda t: reduce(t, "b c h -> 1 c 1", "mean"))


def test_repeat_gradient_sums_the_copies():
    check_op([(3, 4)],
             lambda t: t.repeat_interleave(2, dim=0).unsqueeze(-1).expand(6, 4, 3),
             lambda t: repeat(t, "h w -> (h 2) w c", c=3))
    check_op([(3, 4)], lambda t: t.T.repeat(2, 1),
             lambda t: repeat(t, "h w -> (k w) h", k=2))


def test_second_order_gradient_through_rearrange_and_reduce():
    x = lucid.Tensor(_x(2, 6), requires_grad=True)
    y = reduce(rearrange(x, "a (b c) -> c a b", c=3) ** 3, "c a b -> a", "sum")
    (g,) = lucid.autograd.grad(y.sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (gg,) = lucid.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


def test_numeric_gradient_without_torch():
    check_numeric(lambda t: reduce(t, "a (b 2) -> b a", "max") * 2.0, [_x(3, 8)])
    check_numeric(lambda t: repeat(t, "a b -> b (a k)", k=2).exp(), [_x(3, 2)])


# ---------------------------------------------------------------------------- einsum
def test_einsum_word_style_matches_numpy_and_torch():
    q, k = _x(2, 3, 5), _x(2, 4, 5)
    out = einsum("batch i dim, batch j dim -> batch i j", lucid.Tensor(q), lucid.Tensor(k))
    np.testing.assert_allclose(out.numpy(), np.einsum("bid,bjd->bij", q, k), rtol=1e-12)
    check_op([(2, 3, 5), (2, 4, 5)], lambda a, b: torch.einsum("bid,bjd->bij", a, b),
             lambda a, b: einsum("b i d, b j d -> b i j", a, b))


def test_einsum_pattern_last_ellipsis_and_sums():
    a, b = _x(2, 3, 4), _x(4, 5)
    out = einsum(lucid.Tensor(a), lucid.Tensor(b), "... i j, j k -> ... k i")
    np.testing.assert_allclose(out.numpy(), np.einsum("...ij,jk->...ki", a, b), rtol=1e-12)
    out = einsum("b i j -> ", lucid.Tensor(a))  # sum over everything
    np.testing.assert_allclose(out.numpy(), a.sum(), rtol=1e-12)
    check_op([(2, 3, 4), (4, 5)], lambda x, y: torch.einsum("...ij,jk->k", x, y),
             lambda x, y: einsum("... i j, j k -> k", x, y))


def test_einsum_numpy_style_is_lucid_einsum():
    a, b = _x(2, 3), _x(3, 4)
    for pattern in ("ij,jk->ik", "ij, jk -> ki", "ij,jk"):
        out = einsum(pattern, lucid.Tensor(a), lucid.Tensor(b))
        np.testing.assert_allclose(out.numpy(), np.einsum(pattern.replace(" ", ""), a, b),
                                   rtol=1e-12)
    # a list of operands, as lucid.einsum accepts
    np.testing.assert_allclose(einsum("ij->ji", [lucid.Tensor(a)]).numpy(), a.T)


def test_einsum_single_word_terms_on_1d_tensors_are_words():
    # "batch" read letter by letter would need a 5-D tensor; one word per axis fits 1-D ones
    u, v = _x(4), _x(4)
    out = einsum("batch, batch -> batch", lucid.Tensor(u), lucid.Tensor(v))
    np.testing.assert_allclose(out.numpy(), u * v)
    out = einsum("time, time -> ", lucid.Tensor(u), lucid.Tensor(v))
    np.testing.assert_allclose(out.numpy(), u @ v)


@pytest.mark.parametrize("args, message", [
    (("b i, b j",), "needs exactly one '->'"),
    (("b (i j) -> b",), "no axis groups"),
    (("b 2 -> b",), "no numbered axes"),
    (("b i -> b k",), "output axis 'k' is in no input"),
    (("b i -> b b",), "output axis 'b' appears twice"),
    (("a b, b c -> a c",), "names 2 operands, got 1"),
    (("b _i -> b",), "must not start or end with an underscore"),
    (("b ... i ... -> b",), "'...' twice"),
])
def test_einsum_errors(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        einsum(*args, lucid.Tensor(_x(2, 3)))


def test_einsum_without_a_pattern_or_tensors():
    with pytest.raises(TypeError, match="pattern string"):
        einsum(lucid.Tensor(_x(2)))
    with pytest.raises(ValueError, match="no tensors"):
        einsum("i -> i")


# ---------------------------------------------------------------------------- errors
ERROR_CASES = [
    # (function, pattern, lengths, shape of the input, message regex)
    (rearrange, "b c (h w) -> b c h w", {}, (2, 3, 12),
     r"input dimension 2, \(h w\), has length 12, and the lengths of axes 'h', 'w' cannot both "
     r"be inferred; give all but one of them"),
    (reduce, "(a b c) -> a", {"a": 2}, (12,), r"axes 'b', 'c' cannot both be inferred"),
    (rearrange, "b c (h w) -> b c h w", {"h": 5}, (2, 3, 12),
     r"\(h w\), has length 12, which is not h=5 times a whole length of 'w'"),
    (rearrange, "b c (h w) -> b c h w", {"h": 0}, (2, 3, 12), r"not h=0 times a whole"),
    (rearrange, "b c (h w) -> b c h w", {"h": 2, "w": 5}, (2, 3, 12),
     r"has length 12, but the pattern says h=2 \* w=5 = 10"),
    (rearrange, "b c h -> b h c", {"c": 4}, (2, 3, 12),
     r"input dimension 1, c, has length 3, but the pattern says c=4"),
    (rearrange, "b 1 h -> b h", {}, (2, 3, 12), r"a unit axis, has length 3"),
    (rearrange, "b c -> c b", {}, (2, 3, 12),
     r"on a tensor of shape \(2, 3, 12\): the left side 'b c' describes 2 dimensions, the "
     r"tensor has 3"),
    (rearrange, "b c h w ... -> b c h w ...", {}, (2, 3, 12), r"describes at least 4 dimensions"),
    (rearrange, "b c h -> b c", {}, (2, 3, 12), r"axis 'h' on one side only"),
    (rearrange, "b c h -> b c h k", {}, (2, 3, 12), r"axis 'k' on one side only"),
    (rearrange, "b ... -> b", {}, (2, 3, 12), r"axis '\.\.\.' on one side only"),
    (rearrange, "b c (h 2) -> b c h 2", {}, (2, 3, 12), r"rearrange takes no numbered axes"),
    (rearrange, "b c h -> b c h", {"k": 2}, (2, 3, 12),
     r"axis 'k' was given a length but is not in the pattern"),
    (rearrange, "b c h", {}, (2, 3, 12), r"exactly one '->'"),
    (rearrange, "b c h -> b -> c h", {}, (2, 3, 12), r"exactly one '->'"),
    (rearrange, "b c h -> b c h ...", {}, (2, 3, 12), r"'\.\.\.' on the right side needs"),
    (rearrange, "b (c ...) -> b c ...", {}, (2, 3, 12), r"cannot be inside a group on the left"),
    (rearrange, "b ... c ... -> b c", {}, (2, 3, 12), r"one '\.\.\.'"),
    (rearrange, "b c.h -> b c h", {}, (2, 3, 12), r"one '\.\.\.' and no other dots"),
    (rearrange, "b c c -> b c", {}, (2, 3, 12), r"axis 'c' appears twice on one side"),
    (rearrange, "b (c (h)) -> b c h", {}, (2, 3, 12), r"groups cannot be nested"),
    (rearrange, "b (c h -> b c h", {}, (2, 3, 12), r"'\(' without a matching '\)'"),
    (rearrange, "b c h) -> b c h", {}, (2, 3, 12), r"'\)' without a matching '\('"),
    (rearrange, "b c h -> b c h!", {}, (2, 3, 12), r"unexpected character '!'"),
    (rearrange, "b c _h -> b c _h", {}, (2, 3, 12), r"'_h' must not start or end"),
    (rearrange, "b c 2h -> b c 2h", {}, (2, 3, 12), r"'2h' is not a valid axis name"),
    (rearrange, "b c for -> b c for", {}, (2, 3, 12), r"'for' is a Python keyword"),
    (reduce, "b c (h 0) -> b c", {}, (2, 3, 12), r"positive length, not 0"),
    (reduce, "b c h -> b c k", {}, (2, 3, 12),
     r"axis 'k' on the right side only; reduce cannot create axes"),
    (reduce, "b c h -> b c 2", {}, (2, 3, 12), r"axis '2' on the right side only"),
    (repeat, "b c h -> b c", {}, (2, 3, 12),
     r"axis 'h' on the left side only; repeat cannot remove axes"),
    (repeat, "b c h -> b c h k j", {"k": 2}, (2, 3, 12),
     r"give the length of each new axis, e.g. repeat\(x, 'b c h -> b c h k j', j=\.\.\.\)"),
    (repeat, "b c h -> b c h k", {"k": -1}, (2, 3, 12), r"'k' must be a non-negative int"),
    (repeat, "b c h -> b c h k", {"k": 2.0}, (2, 3, 12), r"'k' must be a non-negative int"),
]


@pytest.mark.parametrize("fn, pattern, lengths, shape, message", ERROR_CASES,
                         ids=[c[1] + str(c[2]) for c in ERROR_CASES])
def test_errors(fn, pattern, lengths, shape, message):
    x = lucid.Tensor(np.zeros(shape), requires_grad=True)
    with pytest.raises(EinopsError, match=message):
        fn(x, pattern, **lengths)
    assert x.grad is None and x._node is None


def test_error_types():
    assert issubclass(EinopsError, ValueError)
    x = lucid.Tensor(_x(2, 3))
    with pytest.raises(ValueError, match=r"unknown reduction 'median'"):
        reduce(x, "a b -> a", "median")
    with pytest.raises(TypeError, match="pattern must be a str"):
        rearrange(x, ["a", "b"])
