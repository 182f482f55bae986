"""Dropout family: keep-rate and scaling statistics, channel / sample / block structure, the
identity in eval mode, gradient = mask * scale, seeding, and bad probabilities."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F


def _within(fraction, p, n, sigmas=5):
    return abs(fraction - p) <= sigmas * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_keep_rate_scaling_and_gradient(p, dtype):
    x = lucid.Tensor(np.random.default_rng(0).uniform(1, 2, (200, 500)), dtype=dtype,
                     requires_grad=True)
    y = F.dropout(x, p)
    assert y.dtype == x.dtype and y.shape == x.shape
    out, xin = y.numpy(), x.numpy()
    kept = out != 0
    assert _within(1 - kept.mean(), p, x.numel())
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out[kept], xin[kept] / (1 - p), rtol=tol)
    G = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    (y * lucid.Tensor(G)).sum().backward()
    np.testing.assert_allclose(x.grad, G * kept / (1 - p), rtol=tol)


def test_dropout_is_identity_in_eval_and_for_p_zero():
    x = lucid.random.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert not np.array_equal(layer(x).numpy(), x.numpy())


def test_p_one_gives_zeros_and_zero_gradients():
    x = lucid.random.randn(3, 4, 5, requires_grad=True)
    for fn in (F.dropout, F.dropout2d, F.alpha_dropout, lambda t, p: F.drop_path(t, p)):
        y = fn(x, 1.0)
        assert not np.any(y.numpy()) and np.all(np.isfinite(y.numpy()))
        x.grad = None
        y.sum().backward()
        assert not np.any(x.grad)


def test_masks_follow_the_seed():
    x = lucid.ones(50, 50)
    lucid.random.seed(7)
    a = F.dropout(x, 0.5).numpy()
    lucid.random.seed(7)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("fn,shape,lead", [
    (F.dropout1d, (40, 30, 7), 2), (F.dropout1d, (300, 7), 1),
    (F.dropout2d, (40, 30, 4, 5), 2), (F.dropout2d, (300, 4, 5), 1),
    (F.dropout3d, (20, 30, 2, 3, 4), 2), (F.dropout3d, (300, 2, 3, 4), 1),
])
def test_channel_dropout_drops_whole_channels(fn, shape, lead):
    p = 0.3
    x = lucid.Tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    y = fn(x, p)
    out = y.numpy().reshape(int(np.prod(shape[:lead])), -1)
    zero_rows = np.all(out == 0, axis=1)
    kept_rows = np.all(out != 0, axis=1)
    assert np.all(zero_rows | kept_rows), "a channel was partly dropped"
    assert _within(zero_rows.mean(), p, len(zero_rows))
    np.testing.assert_allclose(out[kept_rows],
                               x.numpy().reshape(out.shape)[kept_rows] / (1 - p), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.reshape(out.shape)[kept_rows], 1 / (1 - p), rtol=1e-6)
    assert not np.any(x.grad.reshape(out.shape)[zero_rows])


@pytest.mark.parametrize("layer,fn", [(nn.Dropout1d, F.dropout1d), (nn.Dropout2d, F.dropout2d),
                                      (nn.Dropout3d, F.dropout3d)])
def test_channel_dropout_rejects_wrong_rank(layer, fn):
    with pytest.raises(ValueError, match="shape"):
        fn(lucid.random.randn(2, 3, 4, 5, 6, 7), 0.5)
    m = layer(0.2)
    m.eval()
    x = lucid.random.randn(*([2, 3] + [4] * int(layer.__name__[-2])))
    assert m(x) is x


def test_alpha_dropout_keeps_mean_and_variance():
    x = lucid.Tensor(np.random.default_rng(0).standard_normal(400_000), dtype="float64",
                     requires_grad=True)
    for p in (0.1, 0.5):
        y = F.alpha_dropout(x, p)
        out = y.numpy()
        assert abs(out.mean()) < 0.01 and abs(out.var() - 1) < 0.01
        a = 1 / math.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
        dropped = np.isclose(out, a * 1.7580993408473766 * (p - 1))
        assert _within(dropped.mean(), p, x.numel())
        x.grad = None
        y.sum().backward()
        np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, a), rtol=1e-12)
    layer = nn.AlphaDropout(0.2)
    layer.eval()
    assert layer(x) is x


def test_drop_path_drops_whole_samples_and_is_identity_in_eval():
    x = lucid.Tensor(np.random.default_rng(0).uniform(1, 2, (400, 3, 4)), requires_grad=True)
    y = F.drop_path(x, 0.25)
    out = y.numpy().reshape(400, -1)
    zero, kept = np.all(out == 0, axis=1), np.all(out != 0, axis=1)
    assert np.all(zero | kept)
    assert _within(zero.mean(), 0.25, 400)
    np.testing.assert_allclose(out[kept], x.numpy().reshape(400, -1)[kept] / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.reshape(400, -1)[kept], 1 / 0.75, rtol=1e-6)
    unscaled = F.drop_path(x, 0.25, scale_by_keep=False).numpy().reshape(400, -1)
    rows = np.all(unscaled != 0, axis=1)
    np.testing.assert_array_equal(unscaled[rows], x.numpy().reshape(400, -1)[rows])
    # Lucid 2's DropPath kept dropping in eval mode (API.md §4 #9)
    layer = nn.DropPath(0.5)
    layer.eval()
    for _ in range(5):
        assert layer(x) is x
    assert F.drop_path(x, 0.5, training=False) is x


def test_drop_block_drops_blocks_at_about_rate_p():
    lucid.random.seed(3)
    x = lucid.Tensor(np.ones((8, 16, 24, 24)), requires_grad=True)
    y = F.drop_block(x, 5, p=0.1)
    out = y.numpy()
    dropped = out == 0
    assert 0.05 < dropped.mean() < 0.15
    kept_value = out[~dropped]
    np.testing.assert_allclose(kept_value, dropped.size / (~dropped).sum(), rtol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, out, rtol=1e-6)  # gradient = mask * scale
    layer = nn.DropBlock(5, 0.1)
    layer.eval()
    assert layer(x) is x


def test_drop_block_blocks_are_squares_around_seeds():
    from lucid.nn.functional._dropout import _dilate
    seeds = np.zeros((1, 1, 7, 7), dtype=bool)
    seeds[0, 0, 3, 3] = True
    seeds[0, 0, 0, 6] = True
    got = _dilate(np, seeds, 3, (2, 3))
    want = np.zeros((7, 7), dtype=bool)
    want[2:5, 2:5] = True
    want[0:2, 5:7] = True  # clipped at the border
    np.testing.assert_array_equal(got[0, 0], want)
    even = _dilate(np, seeds[..., 2:5, 2:5].copy(), 2, (2, 3))[0, 0]
    np.testing.assert_array_equal(even, [[True, True, False], [True, True, False],
                                         [False, False, False]])


def test_bad_probabilities_raise():
    x = lucid.random.randn(2, 3, 4, 4)
    for fn in (F.dropout, F.dropout2d, F.alpha_dropout, F.drop_path):
        for p in (-0.1, 1.5):
            with pytest.raises(ValueError, match="between 0 and 1"):
                fn(x, p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.drop_block(x, 3, 1.2)
    for make in (lambda: nn.Dropout(2.0), lambda: nn.DropPath(-1), lambda: nn.AlphaDropout(3)):
        with pytest.raises(ValueError, match="between 0 and 1"):
            make()
    with pytest.raises(ValueError, match="block_size"):
        nn.DropBlock(0)
    with pytest.raises(ValueError, match="spatial"):
        F.drop_block(lucid.random.randn(4, 5), 3)


def test_reprs():
    assert repr(nn.Dropout(0.1)) == "Dropout(p=0.1)"
    assert repr(nn.Dropout2d(0.3, inplace=True)) == "Dropout2d(p=0.3, inplace=True)"
    assert repr(nn.DropPath(0.2)) == "DropPath(drop_prob=0.2)"


def test_inplace_dropout_overwrites_a_non_leaf():
    x = lucid.Tensor(np.ones((20, 20)), requires_grad=True)
    h = x * 1
    out = nn.Dropout(0.5, inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_allclose(x.grad, h.numpy())
