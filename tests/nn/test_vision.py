"""Resampling and spatial transforms against torch: every interpolate mode with size and
scale_factor, align_corners on and off (values and input gradients, float32 and float64);
Upsample / PixelShuffle modules; affine_grid and grid_sample (gradients of input and grid);
Lucid's rotate; double backward; bad input."""

import math

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



SIZES = [dict(size=(13, 4)), dict(size=(14, 20)), dict(scale_factor=1.7),
         dict(scale_factor=(0.5, 2.5)), dict(scale_factor=3, recompute_scale_factor=True),
         dict(size=(1, 1)), dict(size=(7, 10))]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("mode, align_corners", [
    ("nearest", None), ("nearest-exact", None), ("area", None), ("bilinear", False),
    ("bilinear", True), ("bicubic", False), ("bicubic", True)])
def test_interpolate_2d_matches_torch(mode, align_corners, kw, dtype):
    check_op([(2, 3, 7, 10)],
             lambda x: TF.interpolate(x, mode=mode, align_corners=align_corners, **kw),
             lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, **kw),
             dtype=dtype)


AA_SIZES = [dict(size=(3, 4)), dict(size=(5, 23)), dict(scale_factor=0.37), dict(size=(30, 9)),
            dict(scale_factor=(0.5, 2.5)), dict(size=(1, 1))]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AA_SIZES)
@pytest.mark.parametrize("mode, align_corners", [("bilinear", False), ("bilinear", True),
                                                 ("bicubic", False), ("bicubic", True)])
def test_interpolate_antialias_matches_torch(mode, align_corners, kw, dtype):
    # shrinking averages every input pixel under the stretched filter (PIL's resampling)
    check_op([(2, 3, 17, 11)],
             lambda x: TF.interpolate(x, mode=mode, align_corners=align_corners, antialias=True,
                                      **kw),
             lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, antialias=True,
                                     **kw),
             dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_interpolate_1d_3d_match_torch(dtype):
    for mode, ac in (("linear", True), ("linear", False), ("nearest", None), ("area", None)):
        check_op([(2, 3, 9)], lambda x: TF.interpolate(x, 17, mode=mode, align_corners=ac),
                 lambda x: F.interpolate(x, 17, mode=mode, align_corners=ac), dtype=dtype)
        check_op([(2, 3, 9)], lambda x: TF.interpolate(x, scale_factor=0.6, mode=mode,
                                                       align_corners=ac),
                 lambda x: F.interpolate(x, scale_factor=0.6, mode=mode, align_corners=ac),
                 dtype=dtype)
    for mode, ac in (("trilinear", False), ("trilinear", True), ("nearest", None)):
        check_op([(1, 2, 4, 5, 6)],
                 lambda x: TF.interpolate(x, (7, 3, 9), mode=mode, align_corners=ac),
                 lambda x: F.interpolate(x, (7, 3, 9), mode=mode, align_corners=ac),
                 dtype=dtype)


@needs_torch
def test_interpolate_nearest_index_rounding_is_torchs():
    # PyTorch computes nearest indices in float32; sizes whose ratio is not representable
    # exercise that rounding
    for m, o in [(10, 6), (7, 3), (5, 7), (9, 12), (13, 21), (33, 100)]:
        x = np.arange(m, dtype="float64").reshape(1, 1, m)
        out = F.interpolate(lucid.Tensor(x), o, mode="nearest").numpy()
        np.testing.assert_array_equal(out, TF.interpolate(torch.tensor(x), o).numpy())
        out = F.interpolate(lucid.Tensor(x), scale_factor=o / m, mode="nearest").numpy()
        np.testing.assert_array_equal(out, TF.interpolate(torch.tensor(x),
                                                          scale_factor=o / m).numpy())


def test_interpolate_defaults_and_the_documented_example():
    # Lucid's default mode is bilinear; its docs' align_corners example, with the correct row
    x = lucid.Tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = F.interpolate(x, (4, 4), align_corners=True).numpy()
    np.testing.assert_allclose(out[0, 0, 0], [1, 4 / 3, 5 / 3, 2], rtol=1e-6)
    # PyTorch's positional (size, scale_factor, mode) form is recognised
    y = F.interpolate(x, None, 2, "nearest")
    np.testing.assert_array_equal(y.numpy()[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4],
                                                    [3, 3, 4, 4]])
    assert F.interpolate(lucid.randn(1, 1, 3, 3), scale_factor=2).dtype == lucid.Float32


def test_interpolate_gradients_numeric_and_double_backward():
    x = lucid.Tensor(draw([(1, 2, 4, 5)], seed=1)[0], requires_grad=True)
    for mode in ("bilinear", "bicubic", "nearest", "area"):
        def fn(t, mode=mode):
            return F.interpolate(t, (7, 3), mode=mode)
        assert gradcheck(fn, [x], atol=1e-6, rtol=1e-4)
        assert gradgradcheck(lambda t, fn=fn: fn(t) * fn(t), [x], atol=1e-5, rtol=1e-4,
                             trials=1)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_upsample_and_pixel_shuffle_modules_match_torch(dtype):
    for make in (lambda L: L.Upsample(scale_factor=2),
                 lambda L: L.Upsample(size=(5, 7), mode="bilinear", align_corners=True),
                 lambda L: L.Upsample(scale_factor=1.5, mode="bicubic"),
                 lambda L: L.UpsamplingNearest2d(scale_factor=3),
                 lambda L: L.UpsamplingBilinear2d(size=(6, 6))):
        check_op([(2, 3, 4, 3)], lambda x: make(torch.nn)(x), lambda x: make(nn)(x),
                 dtype=dtype)
    check_op([(2, 8, 3, 4)], lambda x: torch.nn.PixelShuffle(2)(x),
             lambda x: nn.PixelShuffle(2)(x), dtype=dtype)
    check_op([(2, 3, 4, 6)], lambda x: torch.nn.PixelUnshuffle(2)(x),
             lambda x: nn.PixelUnshuffle(2)(x), dtype=dtype)
    check_op([(2, 9, 2, 2)], lambda x: TF.pixel_shuffle(x, 3), lambda x: F.pixel_shuffle(x, 3),
             dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_matches_torch(align_corners, dtype):
    check_op([(2, 2, 3)], lambda t: TF.affine_grid(t, (2, 3, 5, 4), align_corners=align_corners),
             lambda t: F.affine_grid(t, (2, 3, 5, 4), align_corners=align_corners), dtype=dtype)
    check_op([(2, 3, 4)],
             lambda t: TF.affine_grid(t, (2, 1, 4, 5, 3), align_corners=align_corners),
             lambda t: F.affine_grid(t, (2, 1, 4, 5, 3), align_corners=align_corners),
             dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    x, g = draw([(2, 3, 7, 10), (2, 5, 6, 2)], dtype, seed=3)
    # points inside and outside -1 .. 1; for reflection as far as 3.5 (several mirrors)
    g = (np.tanh(g) * (3.5 if padding_mode == "reflection" else 1.2)).astype(dtype)
    if mode != "nearest":
        # (bicubic's grid gradient sums 16 terms of size ~10: float32 cancels to ~1e-5)
        atol = 1e-4 if mode == "bicubic" and dtype == "float32" else None
        check_op(None, lambda a, b: TF.grid_sample(a, b, mode, padding_mode, align_corners),
                 lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
                 dtype=dtype, arrays=[x, g], atol=atol)
    else:  # the nearest value does not depend on the grid (PyTorch returns a zero gradient)
        check_op(None, lambda a: TF.grid_sample(a, torch.tensor(g), mode, padding_mode,
                                                align_corners),
                 lambda a: F.grid_sample(a, lucid.Tensor(g), mode, padding_mode, align_corners),
                 dtype=dtype, arrays=[x])


@needs_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "reflection"])
def test_grid_sample_3d_matches_torch(padding_mode):
    x, g = draw([(1, 2, 4, 5, 6), (1, 3, 2, 4, 3)], seed=4)
    g = np.tanh(g) * (2.5 if padding_mode == "reflection" else 1.0)
    check_op(None, lambda a, b: TF.grid_sample(a, b, "bilinear", padding_mode, False),
             lambda a, b: F.grid_sample(a, b, "bilinear", padding_mode, False), arrays=[x, g])


def test_grid_sample_identity_grid_returns_the_input():
    x = lucid.randn(2, 3, 5, 4, dtype=lucid.Float64)
    theta = lucid.Tensor(np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (2, 1, 1)))
    for ac in (True, False):
        grid = F.affine_grid(theta, (2, 3, 5, 4), align_corners=ac)
        np.testing.assert_allclose(F.grid_sample(x, grid, align_corners=ac).numpy(), x.numpy(),
                                   atol=1e-12)


def _rotate_lucid2(img, angle, cx, cy):
    """Lucid 2's pixel map, read at integer source coordinates (exact for quarter turns)."""
    n, c, h, w = img.shape
    a = -math.radians(angle)
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            sx = math.cos(a) * (x - cx) - math.sin(a) * (y - cy) + cx
            sy = math.sin(a) * (x - cx) + math.cos(a) * (y - cy) + cy
            sx, sy = int(round(sx)), int(round(sy))
            if 0 <= sx < w and 0 <= sy < h:
                out[:, :, y, x] = img[:, :, sy, sx]
    return out


def test_rotate_follows_lucids_convention():
    x = np.arange(2 * 30, dtype="float64").reshape(1, 2, 5, 6)
    for angle in (90, -90, 180, 270):
        out = F.rotate(lucid.Tensor(x), angle, center=(2, 2)).numpy()
        np.testing.assert_allclose(out, _rotate_lucid2(x, angle, 2, 2), atol=1e-9)
    # about the true centre, a half turn flips both axes exactly
    np.testing.assert_allclose(F.rotate(lucid.Tensor(x), 180).numpy(), x[:, :, ::-1, ::-1],
                               atol=1e-9)
    np.testing.assert_allclose(F.rotate(lucid.Tensor(x), 0).numpy(), x, atol=1e-9)
    # differentiable in the input
    t = lucid.Tensor(x, requires_grad=True)
    assert gradcheck(lambda a: F.rotate(a, 30), [t], atol=1e-6, rtol=1e-4)


def test_grid_sample_gradients_numeric():
    x, g = draw([(1, 2, 4, 5), (1, 3, 3, 2)], seed=5)
    ts = [lucid.Tensor(x, requires_grad=True), lucid.Tensor(np.tanh(g) * 0.9, requires_grad=True)]
    assert gradcheck(lambda a, b: F.grid_sample(a, b, align_corners=False), ts, atol=1e-6,
                     rtol=1e-4)


def test_bad_vision_arguments_raise():
    x = lucid.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x, (2, 2), scale_factor=2)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, (2, 2), mode="cubic")
    with pytest.raises(ValueError, match="needs a 4-D input"):
        F.interpolate(lucid.randn(1, 2, 4), 3, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners can only be set"):
        F.interpolate(x, (2, 2), mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="2 values"):
        F.interpolate(x, (2, 2, 2))
    with pytest.raises(ValueError, match="divisible by 4"):
        F.pixel_shuffle(lucid.randn(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match="theta"):
        F.affine_grid(lucid.randn(2, 3, 3), (2, 1, 4, 4))
    with pytest.raises(ValueError, match="grid"):
        F.grid_sample(x, lucid.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, lucid.randn(1, 3, 3, 2), padding_mode="mirror")
    with pytest.raises(ValueError, match="bicubic"):
        F.grid_sample(lucid.randn(1, 1, 2, 3, 3), lucid.randn(1, 2, 2, 2, 3), mode="bicubic")
    with pytest.raises(ValueError, match="antialias"):
        F.interpolate(x, size=(2, 2), mode="nearest", antialias=True)
    with pytest.raises(ValueError, match="size and scale_factor"):
        nn.Upsample()
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        F.rotate(lucid.randn(2, 4, 4), 30)
