"""pad, one_hot, normalize, cosine_similarity, pairwise_distance against torch.nn.functional:
values, gradients under a random upstream gradient, second derivatives, and bad input."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.autograd import gradgradcheck
from helpers import check_op, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

# (input shape, pad) pairs that PyTorch accepts for every mode
PADS = [((2, 5), (1, 2)), ((2, 3, 5), (2, 1)), ((2, 3, 4, 5), (1, 2, 3, 0)),
        ((3, 4, 5), (0, 4, 3, 1)), ((1, 2, 3, 4, 5), (1, 0, 2, 2, 1, 1))]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,amounts", PADS, ids=[str(p) for p in PADS])
def test_pad_matches_torch(shape, amounts, mode, dtype):
    check_op([shape], lambda x: TF.pad(x, amounts, mode=mode),
             lambda x: F.pad(x, amounts, mode=mode), dtype=dtype)


@needs_torch
@pytest.mark.parametrize("amounts,value", [((1, 1), 2.5), ((-1, 2), 0.0), ((2, -3, 1, 0), -1.0),
                                           ((0, 0, 0, 0, 1, 1), 7.0), ((-1, -1, -1, -1), 0.0)])
def test_constant_pad_with_value_and_cropping(amounts, value):
    check_op([(2, 4, 5)], lambda x: TF.pad(x, amounts, value=value),
             lambda x: F.pad(x, amounts, value=value))


def test_pad_reflect_pattern_and_double_backward():
    x = lucid.Tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(F.pad(x, (2, 2), "reflect").numpy(), [[3, 2, 1, 2, 3, 2, 1]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), "replicate").numpy(), [[1, 1, 1, 2, 3, 3]])
    np.testing.assert_array_equal(F.pad(x, (3, 1), "circular").numpy(), [[1, 2, 3, 1, 2, 3, 1]])
    rng = np.random.default_rng(0)
    for mode in ("constant", "reflect", "replicate", "circular"):
        t = lucid.Tensor(rng.standard_normal((2, 4)), requires_grad=True)
        assert gradgradcheck(lambda t: F.pad(t, (2, 1), mode=mode) ** 2, [t])


def test_pad_bad_input_raises():
    x = lucid.random.randn(2, 3)
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="even length"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="mode"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="less than the size 3"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="at most the size 3"):
        F.pad(x, (0, 4), mode="circular")
    with pytest.raises(ValueError, match="no fill value"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="non-negative"):
        F.pad(x, (-1, 1), mode="replicate")
    with pytest.raises(TypeError, match="ints"):
        F.pad(x, (1.5, 1))


# ---------------------------------------------------------------------------- one_hot
@needs_torch
@pytest.mark.parametrize("shape,num_classes", [((5,), -1), ((3, 4), 7), ((), 3), ((2, 0), 4)])
def test_one_hot_matches_torch(shape, num_classes):
    idx = np.random.default_rng(0).integers(0, 3, shape)
    got = F.one_hot(lucid.Tensor(idx), num_classes)
    want = TF.one_hot(torch.tensor(idx), num_classes)
    assert got.dtype == lucid.Int64 and got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_one_hot_dtype_and_errors():
    assert F.one_hot(lucid.Tensor([0, 1]), 3, dtype=lucid.Float32).dtype == lucid.Float32
    with pytest.raises(IndexError, match="class index 3 .* 3 classes"):
        F.one_hot(lucid.Tensor([0, 3]), 3)
    with pytest.raises(IndexError, match="-1"):
        F.one_hot(lucid.Tensor([0, -1]))
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(lucid.Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(lucid.Tensor(np.zeros(0, dtype=np.int64)))


# ---------------------------------------------------------------------------- norms
@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ord,axis", [(2, 1), (1, 1), (3.0, -1), (float("inf"), 0), (2, 2)])
def test_normalize_matches_torch(ord, axis, dtype):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(dtype)
    x[0, :, 0] = 0.0  # a zero vector along axis 1: divided by eps, gradient finite
    check_op(None, lambda t: TF.normalize(t, p=ord, dim=axis),
             lambda t: F.normalize(t, ord, axis), dtype=dtype, arrays=[x])
    check_op(None, lambda t: TF.normalize(t, p=ord, dim=axis),
             lambda t: F.normalize(t, p=ord, dim=axis), dtype=dtype, arrays=[x])


def test_normalize_gives_unit_vectors_and_double_backward():
    x = lucid.Tensor(np.random.default_rng(1).standard_normal((4, 6)), requires_grad=True)
    np.testing.assert_allclose(np.linalg.norm(F.normalize(x).numpy(), axis=1), 1.0)
    assert gradgradcheck(lambda t: F.normalize(t, axis=1), [x])


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes,axis", [(((4, 5), (4, 5)), 1), (((3, 4, 5), (1, 4, 5)), 1),
                                         (((3, 4, 5), (4, 5)), -1), (((6,), (6,)), 0)])
def test_cosine_similarity_matches_torch(shapes, axis, dtype):
    rng = np.random.default_rng(0)
    x1, x2 = (rng.standard_normal(s).astype(dtype) for s in shapes)
    if x1.ndim == 2:
        x1[0] = 0.0  # a zero vector: the eps floor
        x2[1] = 1e-10
    check_op(None, lambda a, b: TF.cosine_similarity(a, b, dim=axis),
             lambda a, b: F.cosine_similarity(a, b, axis), dtype=dtype, arrays=[x1, x2])


def test_cosine_similarity_values():
    a = lucid.Tensor([[1.0, 0.0], [1.0, 1.0]])
    b = lucid.Tensor([[0.0, 2.0], [3.0, 3.0]])
    np.testing.assert_allclose(F.cosine_similarity(a, b).numpy(), [0.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(F.cosine_similarity(a, b, dim=0).numpy(),
                               [1 / np.sqrt(2), 3 / np.sqrt(13)], rtol=1e-6)
    x = lucid.Tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    y = lucid.Tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    assert gradgradcheck(lambda p, q: F.cosine_similarity(p, q), [x, y])


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3.0, False)])
def test_pairwise_distance_matches_torch(p, keepdim, dtype):
    check_op([(4, 6), (4, 6)], lambda a, b: TF.pairwise_distance(a, b, p, keepdim=keepdim),
             lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim), dtype=dtype)
