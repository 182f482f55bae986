"""Embedding against torch.nn.Embedding with copied weights: lookups, the weight gradient under a
random upstream gradient (repeated indices, padding_idx, scale_grad_by_freq), max_norm's in-place
renormalisation, init, from_pretrained, and bad indices."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from helpers import needs_torch, torch

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _pair(dtype, **kwargs):
    layer = nn.Embedding(12, 5, dtype=dtype, **kwargs)
    tlayer = torch.nn.Embedding(12, 5, dtype=getattr(torch, dtype), **kwargs)
    w = np.random.default_rng(0).standard_normal((12, 5)).astype(dtype)
    if kwargs.get("padding_idx") is not None:
        w[kwargs["padding_idx"]] = 0
    layer.weight.data = w.copy()
    with torch.no_grad():
        tlayer.weight.copy_(torch.tensor(w))
    return layer, tlayer


CASES = [{}, {"padding_idx": 3}, {"padding_idx": -2}, {"scale_grad_by_freq": True},
         {"padding_idx": 0, "scale_grad_by_freq": True}, {"max_norm": 1.5},
         {"max_norm": 2.0, "norm_type": 1.0}, {"max_norm": 1.0, "padding_idx": 4}]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", CASES, ids=[str(sorted(c.items())) for c in CASES])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 2), ()])
def test_embedding_matches_torch(shape, kwargs, dtype):
    layer, tlayer = _pair(dtype, **kwargs)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 12, shape)
    if idx.size > 2:  # repeats and the padding row
        idx.reshape(-1)[:3] = [3, 3, 10]
    for train in (True, False):
        layer.train(train)
        tlayer.train(train)
        layer.weight.grad = None
        tlayer.weight.grad = None
        out = layer(lucid.Tensor(idx))
        tout = tlayer(torch.tensor(idx))
        assert out.shape == tuple(tout.shape) and out.dtype.name == dtype
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **TOL[dtype])
        G = rng.standard_normal(out.shape).astype(dtype)
        (out * lucid.Tensor(G)).sum().backward()
        (tout * torch.tensor(G)).sum().backward()
        np.testing.assert_allclose(layer.weight.grad, tlayer.weight.grad.numpy(), **TOL[dtype])
        # max_norm changed both tables the same way
        np.testing.assert_allclose(layer.weight.numpy(), tlayer.weight.detach().numpy(),
                                   **TOL[dtype])


@needs_torch
def test_functional_embedding_matches_torch():
    w = np.random.default_rng(0).standard_normal((6, 4))
    idx = np.array([[0, 5, 5], [2, 1, 0]])
    lw, tw = lucid.Tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = F.embedding(lucid.Tensor(idx), lw, padding_idx=5)
    tout = torch.nn.functional.embedding(torch.tensor(idx), tw, padding_idx=5)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy())
    G = np.random.default_rng(1).standard_normal(out.shape)
    (out * lucid.Tensor(G)).sum().backward()
    (tout * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(lw.grad, tw.grad.numpy(), rtol=1e-12)
    assert not np.any(lw.grad[5])


def test_embedding_double_backward():
    w = lucid.Tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    idx = lucid.Tensor([1, 1, 4])
    assert lucid.autograd.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, [w])


def test_default_init_is_standard_normal_with_a_zero_padding_row():
    lucid.random.seed(0)
    layer = nn.Embedding(2000, 50, padding_idx=7)
    w = layer.weight.numpy()
    assert not np.any(w[7])
    others = np.delete(w, 7, axis=0)
    assert abs(others.mean()) < 0.01 and abs(others.std() - 1) < 0.01
    assert layer.weight.dtype == lucid.Float32
    assert repr(layer) == "Embedding(2000, 50, padding_idx=7)"
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_from_pretrained_and_weight_argument():
    table = lucid.Tensor(np.arange(12.0).reshape(4, 3))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(lucid.Tensor([2])).numpy(), [[6.0, 7.0, 8.0]])
    table._data[0, 0] = 100.0  # a copy, not a view
    assert frozen.weight.numpy()[0, 0] == 0.0
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad
    given = nn.Embedding(4, 3, _weight=lucid.ones(4, 3))
    np.testing.assert_array_equal(given.weight.numpy(), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        nn.Embedding(4, 2, _weight=lucid.ones(4, 3))


def test_bad_indices_raise():
    layer = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 .* 5 embeddings"):
        layer(lucid.Tensor([0, 5]))
    with pytest.raises(IndexError, match="index -1"):
        layer(lucid.Tensor([[-1, 2]]))
    with pytest.raises(TypeError, match="integers"):
        layer(lucid.Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(lucid.Tensor([0]), layer.weight, padding_idx=-6)
    with pytest.raises(ValueError, match="2-D"):
        F.embedding(lucid.Tensor([0]), lucid.ones(5))
    before = layer.weight.numpy().copy()
    with pytest.raises(IndexError):
        nn.Embedding(5, 2, max_norm=0.1)(lucid.Tensor([9]))
    np.testing.assert_array_equal(layer.weight.numpy(), before)


@pytest.mark.parametrize("case", ["random", "one row repeated", "few rows", "negative", "empty"])
def test_row_scatter_adds_like_add_at(case):
    # the embedding / x[idx] backward adds rows in rounds (ops.index._add_rows): the same sums
    # as NumPy's element-by-element add.at, repeats included
    from lucid.ops.index import _add_rows
    rng = np.random.default_rng(2)
    n, num, dim = {"random": (500, 300, 7), "one row repeated": (400, 50, 3),
                   "few rows": (300, 3, 4), "negative": (60, 9, 2), "empty": (0, 5, 3)}[case]
    rows = rng.integers(-num if case == "negative" else 0, num, n)
    if case == "one row repeated":
        rows[:350] = 7  # a padding index: one row summed 350 times
    values = rng.standard_normal((n, dim))
    got = np.zeros((num, dim))
    _add_rows(np, got, rows, values)
    want = np.zeros((num, dim))
    np.add.at(want, (rows,), values)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@needs_torch
def test_embedding_backward_with_a_heavy_padding_row_matches_torch():
    layer, tlayer = _pair("float64")
    idx = np.random.default_rng(3).integers(0, 12, (16, 40))
    idx[:, 20:] = 3  # half the positions are one row
    G = np.random.default_rng(4).standard_normal((16, 40, 5))
    (layer(lucid.Tensor(idx)) * lucid.Tensor(G)).sum().backward()
    (tlayer(torch.tensor(idx)) * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, tlayer.weight.grad.numpy(), **TOL["float64"])


def test_indices_changed_in_place_before_backward_raise():
    # backward reads the indices: a write into their tensor is caught (as in PyTorch), never
    # a gradient sent to the new rows
    layer = nn.Embedding(5, 2)
    idx = lucid.Tensor([0, 1, 1])
    out = layer(idx)
    idx.copy_(lucid.Tensor([2, 2, 2]))
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()
    assert layer.weight.grad is None
