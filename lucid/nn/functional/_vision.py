"""Resampling and spatial transforms: ``interpolate``, ``pixel_shuffle``, ``pixel_unshuffle``,
``affine_grid``, ``grid_sample`` and Lucid's ``rotate``.

**interpolate** is separable: every mode (nearest, nearest-exact, linear/bilinear/trilinear,
bicubic) resamples one spatial axis at a time by a linear map y[r] = sum_t w_t[r] x[i_t[r]]
with T taps per output (1 nearest, 2 linear, 4 cubic), whose indices and weights follow
PyTorch's source-index rules exactly:

    align_corners=True:   src = r (m - 1) / (o - 1)
    align_corners=False:  src = (r + 1/2) / scale - 1/2   (scale = scale_factor, or o / m)

linear: i0 = floor(src) (src clamped at 0), i1 = min(i0 + 1, m - 1), w = (1 - f, f), f = src - i0;
cubic: i0 - 1 .. i0 + 2 clamped to the edge, Keys' weights with A = -0.75; nearest:
min(floor(r / scale), m - 1) in float32 arithmetic, as PyTorch computes it. ``area`` is
``adaptive_avg_pool``. A map's gradient is the transposed map (again a gather with taps), so the
backward is as fast as the forward and double backward works. Lucid 2's bilinear truncated its
indices in place (every output was a copy of a corner) and its area mode raised IndexError.

**grid_sample** reads x at the points of a normalised grid (-1 .. 1 spans the input), each a
weighted sum of its 2^n neighbours (bilinear) or the nearest one; it is composed from lucid ops,
so it is differentiable in both the input and the grid. **affine_grid** maps the output's
normalised coordinates through theta; **rotate** is the two together.
"""

import array
import itertools
import math

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.nn.functional._pool import _adaptive_avg
from lucid.ops import (abs as _abs, arange, clip, floor, linspace, logical_and, matmul, ones,
                       stack, take, where, zeros)
from lucid.ops import round as round_half_even

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "affine_grid",
           "grid_sample", "rotate"]

_MODE_NDIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


# ---------------------------------------------------------------------------- separable maps
class Taps:
    """A linear map along one axis of length ``in_len``: y[r] = sum_t w[t][r] x[idx[t][r]].

    ``idx`` and ``weights`` are lists of T lists of ``out_len`` entries (``weights=None``: all
    ones). ``transposed()`` is the adjoint map, again written as taps (gathers, not scatters).
    """

    def __init__(self, idx, weights, in_len):
        self.idx, self.weights, self.in_len = idx, weights, in_len
        self.out_len = len(idx[0])
        self._arrays = {}
        self._transposed = None

    def arrays(self, xp, dtype):
        key = (xp.__name__, str(dtype))
        if key not in self._arrays:
            idx = xp.asarray(self.idx, dtype=xp.int64)
            w = None if self.weights is None else xp.asarray(self.weights, dtype=dtype)
            self._arrays[key] = (idx, w)
        return self._arrays[key]

    def transposed(self):
        if self._transposed is None:
            into = [dict() for _ in range(self.in_len)]
            for t, row in enumerate(self.idx):
                for r, i in enumerate(row):
                    w = 1.0 if self.weights is None else self.weights[t][r]
                    into[i][r] = into[i].get(r, 0.0) + w
            width = max(1, max(len(d) for d in into))
            idx = [[0] * self.in_len for _ in range(width)]
            weights = [[0.0] * self.in_len for _ in range(width)]
            for i, d in enumerate(into):
                for t, (r, w) in enumerate(sorted(d.items())):
                    idx[t][i], weights[t][i] = r, w
            self._transposed = Taps(idx, weights, self.out_len)
            self._transposed._transposed = self
        return self._transposed


class Resample(Function):
    """Applies ``Taps`` along ``axis``: y = sum_t w_t * take(x, i_t, axis). Its gradient is the
    same op with the transposed taps."""

    def forward(ctx, x, taps, axis):
        xp = ctx.xp
        idx, w = taps.arrays(xp, x.dtype)
        ctx.taps, ctx.axis = taps, axis
        shape = [1] * x.ndim
        shape[axis] = taps.out_len
        out = xp.take(x, idx[0], axis=axis)
        if w is None:
            return out
        out *= w[0].reshape(shape)
        for t in range(1, idx.shape[0]):
            out += xp.take(x, idx[t], axis=axis) * w[t].reshape(shape)
        return out

    def backward(ctx, grad):
        return Resample.apply(grad, taps=ctx.taps.transposed(), axis=ctx.axis)


def _f32(value):
    """``value`` rounded to float32 (PyTorch computes nearest indices in float)."""
    return array.array("f", [value])[0]


def _nearest_taps(m, o, scale, exact):
    """PyTorch's nearest_idx / nearest_neighbor_exact_compute_source_index."""
    if not exact and o == m:
        return Taps([list(range(o))], None, m)
    if not exact and o == 2 * m:
        return Taps([[r >> 1 for r in range(o)]], None, m)
    s = _f32(1.0 / scale) if scale else _f32(_f32(m) / _f32(o))
    shift = 0.5 if exact else 0.0
    idx = [min(int(math.floor(_f32((r + shift) * s))), m - 1) for r in range(o)]
    return Taps([idx], None, m)


def _source_scale(m, o, scale, align_corners):
    if align_corners:
        return (m - 1) / (o - 1) if o > 1 else 0.0
    return 1.0 / scale if scale else m / o


def _source(r, ratio, align_corners, cubic):
    if align_corners:
        return ratio * r
    src = ratio * (r + 0.5) - 0.5
    return src if cubic or src >= 0 else 0.0


def _linear_taps(m, o, scale, align_corners):
    ratio = _source_scale(m, o, scale, align_corners)
    i0s, i1s, w0s, w1s = [], [], [], []
    for r in range(o):
        src = _source(r, ratio, align_corners, False)
        i0 = min(int(src), m - 1)
        frac = src - i0
        i0s.append(i0)
        i1s.append(i0 + (1 if i0 < m - 1 else 0))
        w0s.append(1.0 - frac)
        w1s.append(frac)
    return Taps([i0s, i1s], [w0s, w1s], m)


def _keys_near(x, a):
    """Keys' cubic convolution kernel at distance |x| <= 1 (parameter a)."""
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _keys_far(x, a):
    """Keys' cubic convolution kernel at distance 1 < |x| < 2 (parameter a)."""
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _cubic_weights(t, a=-0.75):
    """The four weights of the pixels at distances 1 + t, t, 1 - t, 2 - t (PyTorch's a)."""
    return _keys_far(t + 1, a), _keys_near(t, a), _keys_near(1 - t, a), _keys_far(2 - t, a)


def _cubic_taps(m, o, scale, align_corners):
    ratio = _source_scale(m, o, scale, align_corners)
    idx = [[] for _ in range(4)]
    weights = [[] for _ in range(4)]
    for r in range(o):
        src = _source(r, ratio, align_corners, True)
        base = math.floor(src)
        for t, w in enumerate(_cubic_weights(src - base)):
            idx[t].append(min(max(base - 1 + t, 0), m - 1))
            weights[t].append(w)
    return Taps(idx, weights, m)


def _antialias_taps(m, o, scale, align_corners, cubic):
    """PyTorch's (and PIL's) antialiased resampling along one axis: output r averages the
    inputs j around its centre c = ratio (r + 1/2) with the weights filter((j + 1/2 - c) / s),
    normalised to sum to 1, where the filter is the triangle (bilinear) or Keys' cubic with
    a = -0.5 (bicubic) and, when shrinking (ratio > 1), it is stretched by s = ratio to cover
    every input pixel (enlarging, s = 1: plain interpolation)."""
    ratio = _source_scale(m, o, scale, align_corners)
    stretch = max(ratio, 1.0)
    support = (2.0 if cubic else 1.0) * stretch
    rows = []
    for r in range(o):
        centre = ratio * (r + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), m)
        w = [_aa_filter((j + 0.5 - centre) / stretch, cubic) for j in range(lo, hi)]
        total = sum(w)
        rows.append((lo, [v / total for v in w] if total else w))
    width = max(len(w) for _, w in rows)  # shorter rows padded with zero weights
    idx = [[min(lo + t, m - 1) for lo, _ in rows] for t in range(width)]
    weights = [[w[t] if t < len(w) else 0.0 for _, w in rows] for t in range(width)]
    return Taps(idx, weights, m)


def _aa_filter(x, cubic):
    """The antialiasing filter: the triangle, or Keys' cubic with a = -0.5 (PIL's)."""
    x = abs(x)
    if not cubic:
        return max(0.0, 1.0 - x)
    if x < 1:
        return _keys_near(x, -0.5)
    return _keys_far(x, -0.5) if x < 2 else 0.0


def _output_size(fn, x, size, scale_factor, recompute_scale_factor):
    n = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}: give exactly one of size and scale_factor (got size={size!r}, "
                         f"scale_factor={scale_factor!r})")
    if size is not None:
        size = (size,) * n if isinstance(size, int) else tuple(int(s) for s in size)
        if len(size) != n:
            raise ValueError(f"{fn}: size {size} must have {n} values for input of shape "
                             f"{tuple(x.shape)}")
        if any(s <= 0 for s in size):
            raise ValueError(f"{fn}: size must be positive, got {size}")
        return size, (None,) * n
    factors = ((float(scale_factor),) * n if isinstance(scale_factor, (int, float))
               else tuple(float(s) for s in scale_factor))
    if len(factors) != n:
        raise ValueError(f"{fn}: scale_factor {scale_factor} must have {n} values for input of "
                         f"shape {tuple(x.shape)}")
    if any(f <= 0 for f in factors):
        raise ValueError(f"{fn}: scale_factor must be positive, got {scale_factor}")
    size = tuple(int(math.floor(m * f)) for m, f in zip(x.shape[2:], factors))
    if any(s <= 0 for s in size):
        raise ValueError(f"{fn}: scale_factor {scale_factor} gives an empty output {size} for "
                         f"input of shape {tuple(x.shape)}")
    return size, ((None,) * n if recompute_scale_factor else factors)


def interpolate(input_, size=None, mode="bilinear", align_corners=None, scale_factor=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (B, C, *S) to (B, C, *size), or to floor(S * scale_factor).

    ``mode``: "nearest", "nearest-exact", "linear" (3-D input), "bilinear" and "bicubic" (4-D),
    "trilinear" (5-D) or "area" (adaptive average pooling); values match PyTorch's exactly (see
    the module docstring for the index rules). ``align_corners`` (linear and cubic modes) maps
    the corner pixels' centres onto each other. The default mode is Lucid's "bilinear"
    (PyTorch's is "nearest"); PyTorch's positional ``interpolate(x, size, scale_factor, mode)``
    is recognised, since a number is never a mode.
    """
    fn = "interpolate"
    if mode is not None and not isinstance(mode, str):  # PyTorch's positional scale_factor
        if scale_factor is not None:
            raise TypeError(f"{fn}: got two scale factors ({mode!r} and {scale_factor!r})")
        scale_factor = mode
        mode, align_corners = ((align_corners, None) if isinstance(align_corners, str)
                               else ("nearest", align_corners))
    if input_.ndim not in (3, 4, 5):
        raise ValueError(f"{fn}: expected a 3-D, 4-D or 5-D input (B, C, *spatial), got shape "
                         f"{tuple(input_.shape)}")
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise ValueError(f"{fn}: mode must be one of {modes}, got {mode!r}")
    if mode in _MODE_NDIM and input_.ndim != _MODE_NDIM[mode]:
        raise ValueError(f"{fn}: mode {mode!r} needs a {_MODE_NDIM[mode]}-D input, got shape "
                         f"{tuple(input_.shape)}")
    if align_corners is not None and mode not in _MODE_NDIM:
        raise ValueError(f"{fn}: align_corners can only be set with the interpolating modes "
                         f"linear, bilinear, bicubic and trilinear, not {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{fn}: antialias=True works with the bilinear and bicubic modes, not "
                         f"{mode!r}")
    align_corners = bool(align_corners)
    out, scales = _output_size(fn, input_, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _adaptive_avg(input_, out, input_.ndim - 2)
    y = input_
    for i, (m, o, scale) in enumerate(zip(input_.shape[2:], out, scales)):
        if antialias:
            taps = _antialias_taps(m, o, scale, align_corners, mode == "bicubic")
        elif mode in ("nearest", "nearest-exact"):
            taps = _nearest_taps(m, o, scale, mode == "nearest-exact")
        elif mode == "bicubic":
            taps = _cubic_taps(m, o, scale, align_corners)
        else:
            taps = _linear_taps(m, o, scale, align_corners)
        if taps.weights is None and taps.idx[0] == list(range(m)):
            continue  # the identity along this axis
        y = Resample.apply(y, taps=taps, axis=2 + i)
    return y


def upsample(input_, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """PyTorch's ``upsample``: ``interpolate`` with PyTorch's argument order and default mode."""
    return interpolate(input_, size, mode, align_corners, scale_factor=scale_factor)


# ---------------------------------------------------------------------------- pixel shuffle
def pixel_shuffle(input_, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]."""
    r = int(upscale_factor)
    if input_.ndim < 3 or r <= 0 or input_.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected (*, C*{r}^2, H, W) with C*{r}^2 channels "
                         f"divisible by {r * r}, got shape {tuple(input_.shape)}")
    *lead, c, h, w = input_.shape
    k = len(lead)
    x = input_.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.transpose(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input_, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if (input_.ndim < 3 or r <= 0 or input_.shape[-1] % r or input_.shape[-2] % r):
        raise ValueError(f"pixel_unshuffle: expected (*, C, H, W) with H and W divisible by {r}, "
                         f"got shape {tuple(input_.shape)}")
    *lead, c, h, w = input_.shape
    k = len(lead)
    x = input_.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.transpose(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


# ---------------------------------------------------------------------------- grids
def _device(t):
    return t.device if isinstance(t, Tensor) else "cpu"


def _base_coords(steps, align_corners, dtype, device):
    """Normalised centres of ``steps`` pixels: -1 .. 1 (align_corners) or (2i + 1)/steps - 1."""
    if steps <= 1:
        return zeros(max(steps, 0), dtype=dtype, device=device)
    if align_corners:
        return linspace(-1.0, 1.0, steps, dtype=dtype, device=device)
    return (arange(steps, device=device).astype(dtype) * 2 + 1) / steps - 1


def affine_grid(theta, size, align_corners=True):
    """Sampling grid for ``grid_sample``: grid[b, h, w] = theta[b] @ (x_w, y_h, 1).

    theta: (N, 2, 3) with size (N, C, H, W) -> (N, H, W, 2), or (N, 3, 4) with size
    (N, C, D, H, W) -> (N, D, H, W, 3); coordinates are (x, y[, z]) in -1 .. 1. Lucid's default
    is align_corners=True (PyTorch's is False). Differentiable in theta.
    """
    size = tuple(size)
    n = len(size) - 2
    if n not in (2, 3) or tuple(theta.shape) != (size[0], n, n + 1):
        raise ValueError(f"affine_grid: expected theta of shape (N, 2, 3) with size (N, C, H, W) "
                         f"or (N, 3, 4) with size (N, C, D, H, W); got theta "
                         f"{tuple(theta.shape)} and size {size}")
    dtype, device = theta.dtype, _device(theta)
    axes = [_base_coords(s, align_corners, dtype, device) for s in reversed(size[2:])]  # x, y, z
    spatial = size[2:]
    columns = []
    for i, coords in enumerate(axes):  # coordinate i varies along spatial axis n - 1 - i
        shape = [1] * n
        shape[n - 1 - i] = spatial[n - 1 - i]
        columns.append((coords.reshape(tuple(shape)) * ones(spatial, dtype=dtype,
                                                             device=device)).reshape((-1,)))
    columns.append(ones(_numel(spatial), dtype=dtype, device=device))
    base = stack(columns, axis=1)  # (P, n + 1)
    grid = matmul(base, theta.swapaxes(1, 2))  # (N, P, n)
    return grid.reshape((size[0],) + spatial + (n,))


def _numel(shape):
    result = 1
    for s in shape:
        result *= s
    return result


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, size, align_corners):
    """Pixel coordinates mirrored at the image's edges until they fall inside (PyTorch's
    reflection padding). The mirrors stand at the outer pixel centres 0 and size - 1 with
    ``align_corners``, at the outer edges -0.5 and size - 0.5 without. With d = |coord - low|
    and span = high - low, a point that crossed k = floor(d / span) mirrors sits at
    low + (d - k span) for even k and at high - (d - k span) for odd k: slope +-1."""
    low, high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
    span = high - low
    if span <= 0:  # one pixel, corners aligned: every point is that pixel
        return coord * 0
    d = _abs(coord - low)
    crossed = floor(d.detach() / span)  # piecewise constant: no gradient
    rest = d - crossed * span
    return where(crossed % 2 == 0, rest + low, high - rest)


def grid_sample(input_, grid, mode="bilinear", padding_mode="zeros", align_corners=True):
    """Sample x (N, C, H, W) at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo) (or 3-D: x (N, C, D, H, W),
    grid (N, Do, Ho, Wo, 3)).

    grid[..., 0] is x (the W axis) and grid[..., 1] is y, in -1 .. 1; a point becomes the pixel
    coordinate (g + 1)(W - 1)/2 with ``align_corners`` (Lucid's default True; PyTorch's is False)
    or ((g + 1) W - 1)/2 without. "bilinear" weighs the 2^n surrounding pixels by the
    opposite fractions; "nearest" takes the nearest (halves round to even); "bicubic" (4-D
    input) weighs the 4 x 4 pixels around by Keys' cubic (a = -0.75), padding each of them
    rather than the point, as PyTorch does. Points outside read 0 (``padding_mode="zeros"``),
    the edge (``"border"``) or the image mirrored at its edges (``"reflection"``, as many times
    as it takes). Differentiable in x and the grid.
    """
    n = input_.ndim - 2
    if n not in (2, 3) or grid.ndim != n + 2 or grid.shape[-1] != n or \
            grid.shape[0] != input_.shape[0]:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) with grid (N, Ho, Wo, 2) or "
                         f"input (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3); got input "
                         f"{tuple(input_.shape)} and grid {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{mode!r}")
    if mode == "bicubic" and n != 2:
        raise ValueError("grid_sample: mode 'bicubic' needs a 4-D input (N, C, H, W), got shape "
                         f"{tuple(input_.shape)}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    if input_.dtype != grid.dtype:
        raise TypeError(f"grid_sample: input ({input_.dtype}) and grid ({grid.dtype}) must have "
                        "the same dtype")
    batch, ch = input_.shape[:2]
    spatial = tuple(input_.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    points = _numel(out_spatial)
    flat_grid = grid.reshape((batch, points, n))
    sizes = spatial[::-1]  # coordinate i runs along W, H, D
    def padded(p, size):  # a coordinate moved inside by the padding mode (zeros: as it is)
        if padding_mode == "reflection":
            p = _reflect(p, size, align_corners)
        return p if padding_mode == "zeros" else clip(p, 0, size - 1)

    pix = [_unnormalize(flat_grid[:, :, i], sizes[i], align_corners) for i in range(n)]
    if mode != "bicubic":  # the point is padded; bicubic pads each of its 16 pixels instead
        pix = [padded(p, size) for p, size in zip(pix, sizes)]
    strides = [_numel(sizes[:i]) for i in range(n)]  # row-major: x has stride 1, y has W, ...
    # each (b, c) plane starts at (b C + c) prod(spatial) in the flattened input: one 1-D
    # gather per corner (its gradient is a 1-D scatter-add, NumPy's fast path)
    planes = (arange(batch * ch, device=_device(input_)) * _numel(spatial)).reshape(
        (batch, ch, 1))
    if mode == "nearest":
        corners = [[(round_half_even(p.detach()), None) for p in pix]]
    elif mode == "bicubic":
        lows = [floor(p.detach()) for p in pix]
        weights = [_cubic_weights(p - low) for p, low in zip(pix, lows)]
        corners = [[(padded(low + (k - 1), size), w[k])
                    for low, w, k, size in zip(lows, weights, ks, sizes)]
                   for ks in itertools.product(range(4), repeat=n)]
    else:
        lows = [floor(p.detach()) for p in pix]
        corners = []
        for bits in itertools.product((0, 1), repeat=n):
            corners.append([(low + b, (p - low) if b else (low + 1 - p))
                            for p, low, b in zip(pix, lows, bits)])
    out = None
    for corner in corners:
        valid, index, weight = None, None, None
        for i, (pos, w) in enumerate(corner):
            inside = logical_and(pos >= 0, pos <= sizes[i] - 1)
            valid = inside if valid is None else logical_and(valid, inside)
            term = clip(pos, 0, sizes[i] - 1).astype("int64") * strides[i]
            index = term if index is None else index + term
            if w is not None:
                weight = w if weight is None else weight * w
        mask = valid.astype(input_.dtype)
        weight = mask if weight is None else weight * mask
        flat_index = (planes + index.reshape((batch, 1, points))).reshape((-1,))
        gathered = take(input_, flat_index).reshape((batch, ch, points))
        term = gathered * weight.reshape((batch, 1, points))
        out = term if out is None else out + term
    return out.reshape((batch, ch) + out_spatial)


def rotate(input_, angle, center=None, mode="bilinear", padding_mode="zeros"):
    """Rotate images (N, C, H, W) by ``angle`` degrees about ``center`` = (x, y) in pixel
    indices (default: the image centre ((W - 1)/2, (H - 1)/2)).

    Output pixel p reads the input at R (p - c) + c with R = [[cos a, sin a], [-sin a, cos a]]
    (Lucid's convention: with row 0 at the top, a positive angle turns the picture clockwise).
    Built from ``affine_grid`` and ``grid_sample`` (bilinear, zeros outside); Lucid 2
    truncated the source coordinates and smeared the border, and put the default centre half a
    pixel off (W/2, H/2).
    """
    if input_.ndim != 4:
        raise ValueError(f"rotate: expected input (N, C, H, W), got shape "
                         f"{tuple(input_.shape)}")
    batch, _, h, w = input_.shape
    cx, cy = ((w - 1) / 2, (h - 1) / 2) if center is None else (float(center[0]),
                                                                float(center[1]))
    a = math.radians(float(angle))
    cos_a, sin_a = math.cos(a), math.sin(a)
    # pixel -> pixel map, then conjugated by the pixel <-> normalised map (align_corners=False:
    # x = ((u + 1) W - 1) / 2, u = (2 x + 1) / W - 1)
    rot = [[cos_a, sin_a, cx - cos_a * cx - sin_a * cy],
           [-sin_a, cos_a, cy + sin_a * cx - cos_a * cy]]
    to_pix = [[w / 2, 0.0, (w - 1) / 2], [0.0, h / 2, (h - 1) / 2]]
    to_norm = [[2 / w, 0.0, 1 / w - 1], [0.0, 2 / h, 1 / h - 1]]
    theta = _compose(to_norm, _compose(rot, to_pix))
    theta = Tensor(theta, dtype=input_.dtype, device=_device(input_)).reshape((1, 2, 3))
    theta = theta * ones((batch, 1, 1), dtype=input_.dtype, device=_device(input_))
    grid = affine_grid(theta, tuple(input_.shape), align_corners=False)
    return grid_sample(input_, grid, mode=mode, padding_mode=padding_mode, align_corners=False)


def _compose(a, b):
    """The 2x3 affine maps a after b."""
    return [[a[i][0] * b[0][j] + a[i][1] * b[1][j] + (a[i][2] if j == 2 else 0.0)
             for j in range(3)] for i in range(2)]
