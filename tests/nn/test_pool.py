"""Pooling: max/avg/adaptive pools in 1-D, 2-D and 3-D against torch (forward, indices and the
input gradient, float32 and float64), ceil_mode, count_include_pad, divisor_override, -inf
padding, ties, double backward, modules and bad input."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck, gradgradcheck
from helpers import check_op, draw, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

DTYPES = ["float64", "float32"]



def _check_with_indices(shapes, torch_fn, lucid_fn, dtype, arrays=None):
    """check_op on the values, then the int64 indices compared exactly."""
    outs = check_op(shapes, lambda x: torch_fn(x)[0], lambda x: lucid_fn(x)[0], dtype=dtype,
                    arrays=arrays)
    x = arrays[0] if arrays is not None else draw(shapes, dtype)[0]
    _, lidx = lucid_fn(lucid.Tensor(x))
    _, tidx = torch_fn(torch.tensor(x))
    assert lidx.dtype == lucid.Int64
    np.testing.assert_array_equal(lidx.numpy(), tidx.numpy())
    return outs


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1),  # overlapping windows add up in backward
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1), ceil_mode=True),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_matches_torch(kw, dtype):
    _check_with_indices([(2, 3, 9, 8)], lambda x: TF.max_pool2d(x, return_indices=True, **kw),
                        lambda x: F.max_pool2d(x, return_indices=True, **kw), dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool_1d_3d_and_unbatched_match_torch(dtype):
    _check_with_indices([(2, 3, 11)],
                        lambda x: TF.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
                        lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
                        dtype)
    _check_with_indices([(2, 2, 5, 6, 7)],
                        lambda x: TF.max_pool3d(x, 2, (2, 1, 2), 1, dilation=(1, 2, 1),
                                                return_indices=True),
                        lambda x: F.max_pool3d(x, 2, (2, 1, 2), 1, dilation=(1, 2, 1),
                                               return_indices=True), dtype)
    check_op([(3, 6, 7)], lambda x: TF.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2),
             dtype=dtype)


@needs_torch
def test_max_pool_ties_pick_the_first_and_padding_is_minus_infinity():
    # rounded values make ties; windows with all-negative values at the border must not see
    # the padding (Lucid 2 padded with zeros and returned 0 there)
    x = np.round(draw([(2, 2, 7, 6)])[0] * 2) / 2 - 3.0
    _check_with_indices([(2, 2, 7, 6)],
                        lambda t: TF.max_pool2d(t, 3, 1, 1, return_indices=True),
                        lambda t: F.max_pool2d(t, 3, 1, 1, return_indices=True), "float64",
                        arrays=[x])
    assert F.max_pool2d(lucid.Tensor(x), 3, 2, 1).numpy().max() < 0


@needs_torch
def test_max_pool_propagates_nan_like_torch():
    x = draw([(1, 1, 4, 4)])[0]
    x[0, 0, 1, 2] = np.nan
    out = F.max_pool2d(lucid.Tensor(x), 2).numpy()
    ref = TF.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
    dict(kernel_size=3, stride=1, padding=1),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d_matches_torch(kw, dtype):
    check_op([(2, 3, 9, 8)], lambda x: TF.avg_pool2d(x, **kw), lambda x: F.avg_pool2d(x, **kw),
             dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool_1d_3d_match_torch(dtype):
    check_op([(2, 3, 11)],
             lambda x: TF.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False),
             lambda x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False),
             dtype=dtype)
    check_op([(2, 2, 5, 6, 7)], lambda x: TF.avg_pool3d(x, 3, 2, 1, ceil_mode=True),
             lambda x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True), dtype=dtype)


ADAPTIVE = [(3, 4), (4, 3), (1, 1), (5, None), 7, (9, 8), (2, 4)]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", ADAPTIVE)
def test_adaptive_pools_2d_match_torch(size, dtype):
    check_op([(2, 3, 9, 8)], lambda x: TF.adaptive_avg_pool2d(x, size),
             lambda x: F.adaptive_avg_pool2d(x, size), dtype=dtype)
    _check_with_indices([(2, 3, 9, 8)],
                        lambda x: TF.adaptive_max_pool2d(x, size, return_indices=True),
                        lambda x: F.adaptive_max_pool2d(x, size, return_indices=True), dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_pools_1d_3d_match_torch(dtype):
    check_op([(2, 3, 11)], lambda x: TF.adaptive_avg_pool1d(x, 4),
             lambda x: F.adaptive_avg_pool1d(x, 4), dtype=dtype)
    _check_with_indices([(2, 3, 11)], lambda x: TF.adaptive_max_pool1d(x, 4, True),
                        lambda x: F.adaptive_max_pool1d(x, 4, True), dtype)
    check_op([(1, 2, 5, 6, 7)], lambda x: TF.adaptive_avg_pool3d(x, (2, 4, 3)),
             lambda x: F.adaptive_avg_pool3d(x, (2, 4, 3)), dtype=dtype)
    _check_with_indices([(1, 2, 5, 6, 7)], lambda x: TF.adaptive_max_pool3d(x, (2, 4, 3), True),
                        lambda x: F.adaptive_max_pool3d(x, (2, 4, 3), True), dtype)
    _check_with_indices([(1, 2, 4, 6, 6)], lambda x: TF.adaptive_max_pool3d(x, (2, 3, 3), True),
                        lambda x: F.adaptive_max_pool3d(x, (2, 3, 3), True), dtype)


def test_pool_numeric_and_double_backward():
    x = lucid.Tensor(draw([(1, 2, 5, 6)], seed=2)[0], requires_grad=True)
    fns = [lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
           lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
           lambda t: F.adaptive_max_pool2d(t, (3, 4)),
           lambda t: F.adaptive_avg_pool2d(t, (3, 4))]
    for fn in fns:
        assert gradcheck(fn, [x], atol=1e-6, rtol=1e-4)
        # the second derivative of a piecewise-linear map through a product is checked
        assert gradgradcheck(lambda t: fn(t) * fn(t), [x], atol=1e-5, rtol=1e-4, trials=1)


# ---------------------------------------------------------------------------- modules
@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make, shape", [
    (lambda L: L.MaxPool1d(3, 2, 1), (2, 3, 9)),
    (lambda L: L.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 8, 7)),
    (lambda L: L.MaxPool3d(2), (1, 2, 4, 5, 4)),
    (lambda L: L.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9)),
    (lambda L: L.AvgPool2d(2), (2, 3, 8, 7)),
    (lambda L: L.AvgPool3d(3, 2, 1, ceil_mode=True), (1, 2, 5, 4, 4)),
    (lambda L: L.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda L: L.AdaptiveAvgPool2d((1, 1)), (2, 3, 8, 7)),
    (lambda L: L.AdaptiveAvgPool3d((2, 3, 2)), (1, 2, 5, 4, 4)),
    (lambda L: L.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda L: L.AdaptiveMaxPool2d((3, 5)), (2, 3, 8, 7)),
    (lambda L: L.AdaptiveMaxPool3d(2), (1, 2, 5, 4, 4)),
])
def test_pool_modules_match_torch(make, shape, dtype):
    check_op([shape], lambda x: make(torch.nn)(x), lambda x: make(nn)(x), dtype=dtype)


def test_pool_module_defaults_and_repr():
    # stride defaults to kernel_size as in PyTorch (Lucid 2 used 1); kernel_size defaults to 1
    assert nn.MaxPool2d(2).stride == 2 and nn.AvgPool2d(3).stride == 3
    assert nn.MaxPool2d().kernel_size == 1
    x = lucid.randn(1, 1, 4, 4)
    np.testing.assert_array_equal(nn.MaxPool2d()(x).numpy(), x.numpy())
    assert repr(nn.MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert out.shape == (1, 1, 2, 2) and idx.shape == (1, 1, 2, 2)


def test_float32_stays_float32():
    x = lucid.randn(1, 2, 6, 6)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                F.adaptive_avg_pool2d(x, 4), F.adaptive_max_pool2d(x, 4)):
        assert out.dtype == lucid.Float32


def test_bad_pool_arguments_raise():
    x = lucid.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="does not fit"):
        F.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match="4-D input"):
        F.max_pool2d(lucid.randn(6, 6), 2)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="2 values"):
        F.adaptive_max_pool2d(x, (1, 2, 3))
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(x, 2, divisor_override=0)


@needs_torch
@pytest.mark.parametrize("pool", ["max", "adaptive max"])
def test_in_place_op_on_a_max_pool_output_keeps_the_pool_gradient(pool):
    # the pool's backward reads only the argmax it kept (as PyTorch), not x or y: silu_(y)
    # afterwards changed the gradient silently when y itself was read in backward
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    grads = []
    for lib, fn in ((lucid, F), (torch, torch.nn.functional)):
        xt = lib.tensor(x, requires_grad=True)
        y = fn.max_pool2d(xt, 2) if pool == "max" else fn.adaptive_max_pool2d(xt, 3)
        fn.silu(y, inplace=True)
        (y * lib.tensor(np.arange(54.0).reshape(2, 3, 3, 3))).sum().backward()
        grads.append(np.asarray(xt.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
