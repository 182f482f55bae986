"""Pooling: ``max_pool``, ``avg_pool``, ``adaptive_avg_pool`` and ``adaptive_max_pool`` in 1-D,
2-D and 3-D.

A pool reduces each window of the strided view x_pad[b, c, o*s + j*d] (see ``_conv``: no copy)
over its kernel offsets j. The loop runs over the prod(k) kernel offsets, never over output
positions: each step is one vectorised operation on an output-sized slab.

- max:  y[o] = max_j x_pad[o s + j d], with the padding filled with -inf (Lucid 2 padded with
  zeros, so an all-negative window at the border returned 0). The gradient adds G[o] at the
  first offset a[o] where window o reaches y[o] (PyTorch's tie rule), found in forward by
  comparing slabs with y when a graph is recorded and kept, as PyTorch keeps its indices
  (``WindowScatter``, the adjoint of ``WindowGather``).
- avg:  y[o] = (sum_j x_pad[o s + j]) / n[o], with n[o] PyTorch's divisor (the window clipped to
  the padded input, or to the input itself when ``count_include_pad=False``, or
  ``divisor_override``); the gradient spreads G[o] / n[o] over window o (col2im).
- adaptive: bin r of an axis of length m into o bins covers [floor(r m / o), ceil((r+1) m / o)).
  When o divides m these are plain pools with kernel = stride = m / o; otherwise the average is a
  product with one (o, m) averaging matrix per axis and the max gathers each bin's elements.

``ceil_mode`` lets the last window hang over the high edge (it must start inside the input or
the low padding); ``dilation`` spaces the kernel taps (max pool only, as in PyTorch).
"""

import itertools

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.autograd.grad_mode import records
from lucid.nn.functional._conv import (Col2im, Geometry, _batched, _positive, _prod,
                                       add_windows, ntuple, window_view)
from lucid.ops import arange, broadcast_to, matmul, swapaxes
from lucid.ops.index import PutAlongAxis
from lucid.ops._util import raw

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"]


# ---------------------------------------------------------------------------- geometry
def _pool_geometry(fn, size, kernel_size, stride, padding, dilation, ceil_mode, n):
    """(Geometry with the high padding that ceil_mode needs, output size), PyTorch's rules."""
    kernel = ntuple(kernel_size, n, "kernel_size")
    stride = kernel if stride is None or stride == () or stride == [] else ntuple(stride, n,
                                                                                   "stride")
    pads = ntuple(padding, n, "padding")
    dilation = ntuple(dilation, n, "dilation")
    _positive(kernel, "kernel_size", fn)
    _positive(stride, "stride", fn)
    _positive(dilation, "dilation", fn)
    pairs, out = [], []
    for m, k, s, p, d in zip(size, kernel, stride, pads, dilation):
        span = d * (k - 1) + 1
        if p < 0 or 2 * p > span:
            raise ValueError(f"{fn}: padding {pads} must be non-negative and at most half the "
                             f"(dilated) kernel size {kernel}")
        o = (m + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= m + p:  # the last window would start in the padding
            o -= 1
        if o <= 0:
            raise ValueError(f"{fn}: the window {kernel} (dilation {dilation}, padding {pads}) "
                             f"does not fit the input of spatial size {tuple(size)}")
        out.append(o)
        pairs.append((p, max(p, (o - 1) * s + span - m - p)))
    return Geometry(kernel, stride, tuple(pairs), dilation), tuple(out)


def _offsets(geom):
    """The kernel offsets in row-major order (PyTorch's scan order, which decides ties)."""
    return itertools.product(*(range(k) for k in geom.kernel))


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


# ---------------------------------------------------------------------------- max pool
class WindowScatter(Function):
    """Adds v[b, c, o] at offset a[b, c, o] of window o: (B, C, *out) -> (B, C, *size).

    The max-pool gradient. Overlapping windows add up (col2im, one slice add per offset)."""

    def forward(ctx, v, arg, geom, size):
        ctx.arg, ctx.geom = arg, geom
        xp = ctx.xp
        # one output-sized slab per kernel offset, made as col2im consumes it
        slabs = (v * (arg == j) for j in range(_prod(geom.kernel)))
        return add_windows(xp, slabs, geom, size, tuple(v.shape), v.dtype)

    def backward(ctx, grad):
        return WindowGather.apply(grad, arg=ctx.arg, geom=ctx.geom)


class WindowGather(Function):
    """y[b, c, o] = x_pad[b, c, window o at offset a[b, c, o]] (zero padding); the adjoint of
    ``WindowScatter`` and so its gradient."""

    def forward(ctx, x, arg, geom):
        ctx.arg, ctx.geom, ctx.size = arg, geom, tuple(x.shape[2:])
        xp = ctx.xp
        out = tuple(arg.shape[2:])
        view = window_view(xp, x, geom, out)
        y = xp.zeros(tuple(arg.shape), dtype=x.dtype)
        lead = (slice(None), slice(None))
        for j, offset in enumerate(_offsets(geom)):
            y = xp.where(arg == j, view[lead + offset], y)
        return y

    def backward(ctx, grad):
        return WindowScatter.apply(grad, arg=ctx.arg, geom=ctx.geom, size=ctx.size)


class MaxPoolNd(Function):
    """y[o] = max over window o of x padded with -inf; also returns the flat input index of
    each maximum when ``return_indices`` (PyTorch's layout: per (b, c) plane, row-major).

    The forward is one ``maximum`` per kernel offset (NaN propagates, as in PyTorch). The
    gradient goes to the *first* maximum of each window in scan order (PyTorch's tie rule,
    which matters after a ReLU, where ties at 0 are common). That offset is found in forward
    when a graph is being built (``find_argmax``; inference never pays for it) and kept, as
    PyTorch keeps its indices: backward reads neither x nor y, so an in-place op on either
    afterwards (``F.silu(y, inplace=True)``) changes nothing.
    """

    def forward(ctx, x, geom, out, return_indices=False, find_argmax=True):
        xp = ctx.xp
        view = window_view(xp, x, geom, out, pad_value=_lowest(xp, x.dtype))
        lead = (slice(None), slice(None))
        offsets = list(_offsets(geom))
        best = view[lead + offsets[0]].copy()
        for offset in offsets[1:]:
            xp.maximum(best, view[lead + offset], out=best)
        ctx.geom, ctx.size = geom, tuple(x.shape[2:])
        if find_argmax or return_indices:
            ctx.arg = first_argmax(xp, view, best, geom)
        if not return_indices:
            return best
        index = _flat_index(xp, ctx.arg, geom, ctx.size)
        ctx.mark_non_differentiable(index)
        return best, index

    def backward(ctx, grad, grad_index=None):
        return WindowScatter.apply(grad, arg=ctx.arg, geom=ctx.geom, size=ctx.size)


def _matches(xp, slab, y, nan):
    """Where a window's slab equals its maximum (NaN counts as equal to NaN)."""
    hit = slab == y
    if nan:
        hit |= xp.isnan(slab) & xp.isnan(y)
    return hit


def first_argmax(xp, view, y, geom):
    """The first kernel offset (row-major) at which each window reaches its maximum y."""
    lead = (slice(None), slice(None))
    nan = y.dtype.kind == "f" and bool(xp.isnan(y).any())
    dtype = xp.int8 if _prod(geom.kernel) < 127 else xp.int64
    arg = xp.zeros(y.shape, dtype=dtype)
    pending = xp.ones(y.shape, dtype=bool)  # windows whose maximum is not found yet
    for j, offset in enumerate(_offsets(geom)):
        hit = _matches(xp, view[lead + offset], y, nan)
        hit &= pending  # only the first match counts
        pending ^= hit
        if j:  # arg += j where hit (arithmetic on the mask's bytes: a masked assignment is
            arg += hit.view(dtype) * dtype(j) if dtype is xp.int8 else hit * j  # much slower)
    return arg


def _flat_index(xp, arg, geom, size):
    """Kernel offset a of window o -> row-major index of x[o s - p + a d] in the input plane."""
    n = len(size)
    out = arg.shape[2:]
    index = xp.zeros(arg.shape, dtype=xp.int64)
    rest = arg.astype(xp.int64)
    for i in reversed(range(n)):
        j = rest % geom.kernel[i]
        rest = rest // geom.kernel[i]
        shape = [1] * (n + 2)
        shape[2 + i] = out[i]
        start = (xp.arange(out[i], dtype=xp.int64) * geom.stride[i]
                 - geom.padding[i][0]).reshape(shape)
        index += (start + j * geom.dilation[i]) * _prod(size[i + 1:])
    return index


def _max_pool(input_, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    fn = f"max_pool{n}d"
    x, unbatched = _batched(input_, n, fn)
    geom, out = _pool_geometry(fn, x.shape[2:], kernel_size, stride, padding, dilation,
                               ceil_mode, n)
    result = MaxPoolNd.apply(x, geom=geom, out=out, return_indices=return_indices,
                             find_argmax=records(x))
    if unbatched:
        if return_indices:
            return tuple(r.reshape(tuple(r.shape[1:])) for r in result)
        return result.reshape(tuple(result.shape[1:]))
    return result


def max_pool1d(input_, kernel_size=1, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: (B, C, L) -> (B, C, L_out), L_out = floor((L + 2p - d(k-1) - 1)/s) + 1
    (ceil with ``ceil_mode``). ``stride=None`` means stride = kernel_size, as in PyTorch (Lucid 2
    defaulted to 1). The padding counts as -inf. ``return_indices`` also returns the int64 index
    of each maximum within its (b, c) row."""
    return _max_pool(input_, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input_, kernel_size=1, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: y[b, c, h, w] = max_{i, j} x_pad[b, c, h s + i d, w s + j d].

    (B, C, H, W) or (C, H, W) -> (B, C, H_out, W_out), H_out = floor((H + 2p - d(kH-1) - 1)/s) + 1
    (ceil with ``ceil_mode``, the last window starting inside the input or low padding).
    ``stride=None`` means stride = kernel_size, as in PyTorch (Lucid 2 defaulted to 1); the
    padding (at most half the kernel) counts as -inf, never as a value (Lucid 2 padded with
    zeros). The gradient flows to the first maximum of each window. ``return_indices`` also
    returns the int64 flat index h*W + w of each maximum in its (b, c) plane.
    """
    return _max_pool(input_, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(input_, kernel_size=1, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling: (B, C, D, H, W) -> (B, C, D_out, H_out, W_out); the rules of
    ``max_pool2d`` on each axis (indices are d*H*W + h*W + w)."""
    return _max_pool(input_, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


# ---------------------------------------------------------------------------- average pool
class AvgPoolNd(Function):
    """y[o] = (sum of window o of the zero-padded x) / divisor[o]; backward spreads
    G[o] / divisor[o] over window o (col2im)."""

    def forward(ctx, x, geom, out, divisors):
        xp = ctx.xp
        n = len(out)
        view = window_view(xp, x, geom, out)
        lead = (slice(None), slice(None))
        offsets = list(_offsets(geom))
        total = view[lead + offsets[0]].copy()
        for offset in offsets[1:]:
            total += view[lead + offset]
        if isinstance(divisors, (int, float)):
            div = divisors
        else:  # one 1-D array per axis; their outer product is the divisor of each window
            div = xp.ones((1, 1) + tuple(out), dtype=x.dtype)
            for i, d in enumerate(divisors):
                shape = [1] * (n + 2)
                shape[2 + i] = out[i]
                div = div * xp.asarray(d, dtype=x.dtype).reshape(shape)
        ctx.div, ctx.geom, ctx.size = div, geom, tuple(x.shape[2:])
        if x.dtype.kind == "f":
            total /= div
            return total
        return total // div  # integer input: PyTorch's avg_pool is float-only; truncate

    def backward(ctx, grad):
        g = grad / ctx.div
        n = len(ctx.geom.kernel)
        expanded = g.reshape(tuple(g.shape[:2]) + (1,) * n + tuple(g.shape[2:]))
        cols = broadcast_to(expanded, tuple(g.shape[:2]) + tuple(ctx.geom.kernel)
                            + tuple(g.shape[2:]))
        return Col2im.apply(cols, geom=ctx.geom, size=ctx.size)


def _avg_divisors(size, geom, out, count_include_pad, divisor_override):
    if divisor_override is not None:
        if not divisor_override:
            raise ValueError("avg_pool: divisor_override must be non-zero")
        return divisor_override
    divisors = []
    for m, (p, _), k, s, o in zip(size, geom.padding, geom.kernel, geom.stride, out):
        column = []
        for r in range(o):
            start = r * s - p
            end = min(start + k, m + p)
            if count_include_pad:
                column.append(end - start)
            else:
                column.append(min(end, m) - max(start, 0))
        divisors.append(column)
    if all(len(set(c)) == 1 for c in divisors):
        return _prod(c[0] for c in divisors)  # every window alike: one scalar
    return divisors


def _avg_pool(input_, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n):
    fn = f"avg_pool{n}d"
    x, unbatched = _batched(input_, n, fn)
    geom, out = _pool_geometry(fn, x.shape[2:], kernel_size, stride, padding, 1, ceil_mode, n)
    div = _avg_divisors(x.shape[2:], geom, out, count_include_pad, divisor_override)
    y = AvgPoolNd.apply(x, geom=geom, out=out, divisors=div)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


def avg_pool1d(input_, kernel_size=1, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """1-D average pooling: (B, C, L) -> (B, C, L_out); ``stride=None`` means stride =
    kernel_size, as in PyTorch (Lucid 2 defaulted to 1). See ``avg_pool2d`` for the divisor."""
    return _avg_pool(input_, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 1)


def avg_pool2d(input_, kernel_size=1, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: y[b, c, h, w] = sum_{i, j} x_pad[b, c, h s + i, w s + j] / n.

    (B, C, H, W) or (C, H, W) -> (B, C, H_out, W_out), H_out = floor((H + 2p - kH)/s) + 1 (ceil
    with ``ceil_mode``). n is the window size clipped to the padded input
    (``count_include_pad=True``) or to the input alone (False), or ``divisor_override``.
    ``stride=None`` means stride = kernel_size, as in PyTorch (Lucid 2 defaulted to 1).
    """
    return _avg_pool(input_, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def avg_pool3d(input_, kernel_size=1, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling: (B, C, D, H, W) -> (B, C, D_out, H_out, W_out); the rules of
    ``avg_pool2d`` on each axis."""
    return _avg_pool(input_, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3)


# ---------------------------------------------------------------------------- adaptive pools
def _adaptive_sizes(fn, input_, output_size, n):
    x, unbatched = _batched(input_, n, fn)
    size = tuple(x.shape[2:])
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) == 1 and n > 1:
        output_size = output_size * n
    if len(output_size) != n:
        raise ValueError(f"{fn}: output_size must have {n} values, got {output_size}")
    out = tuple(m if o is None else int(o) for m, o in zip(size, output_size))
    if any(o <= 0 for o in out):
        raise ValueError(f"{fn}: output_size must be positive, got {output_size}")
    if any(m == 0 for m in size):
        raise ValueError(f"{fn}: the input's spatial size {size} has an empty axis")
    return x, unbatched, size, out


def _bins(m, o):
    """Bin r of o over an axis of m covers [floor(r m / o), ceil((r + 1) m / o))."""
    return [((r * m) // o, -((-(r + 1) * m) // o)) for r in range(o)]


def _averaging_matrix(m, o, like):
    """The (o, m) matrix A with A[r, i] = 1/|bin r| for i in bin r (built with lucid ops on the
    input's device): y = A x averages each bin."""
    device = like.device if isinstance(like, Tensor) else "cpu"
    i = arange(m, device=device).reshape((1, m))
    r = arange(o, device=device).reshape((o, 1))
    start = (r * m) // o
    end = -((-(r + 1) * m) // o)
    inside = (i >= start) & (i < end)
    return inside.astype(like.dtype) / (end - start).astype(like.dtype)


def _along(x, matrix, axis):
    """Multiply the (o, m) ``matrix`` into ``axis`` of x (length m -> o), as one batched GEMM."""
    moved = swapaxes(x, axis, -1)
    return swapaxes(matmul(moved, matrix.T), axis, -1)


def _adaptive_avg(input_, output_size, n):
    fn = f"adaptive_avg_pool{n}d"
    x, unbatched, size, out = _adaptive_sizes(fn, input_, output_size, n)
    if all(m % o == 0 for m, o in zip(size, out)):
        # even bins: a reshape splits each axis into (o, m / o) and the mean removes the m / o
        split = tuple(x.shape[:2])
        for m, o in zip(size, out):
            split += (o, m // o)
        y = x.reshape(split).mean(axis=tuple(3 + 2 * i for i in range(n)))
    else:
        y = x
        for i, (m, o) in enumerate(zip(size, out)):
            if m != o:
                y = _along(y, _averaging_matrix(m, o, x), 2 + i)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


def adaptive_avg_pool1d(input_, output_size):
    """(B, C, L) -> (B, C, o): bin r averages x[floor(r L/o) : ceil((r+1) L/o)]."""
    return _adaptive_avg(input_, output_size, 1)


def adaptive_avg_pool2d(input_, output_size):
    """(B, C, H, W) -> (B, C, oH, oW): each output averages its bin [floor(r H/oH),
    ceil((r+1) H/oH)) x [...] (None in output_size keeps that axis). Even bins are a reshape and
    a mean; uneven ones a product with an (o, m) averaging matrix per axis."""
    return _adaptive_avg(input_, output_size, 2)


def adaptive_avg_pool3d(input_, output_size):
    """(B, C, D, H, W) -> (B, C, oD, oH, oW); the bins of ``adaptive_avg_pool2d`` on each axis."""
    return _adaptive_avg(input_, output_size, 3)


class AdaptiveMaxPoolNd(Function):
    """Uneven adaptive max pool: each bin is gathered (padded to the largest bin by repeating
    its last element, which changes neither the max nor the first argmax); the gradient adds G
    back at the flat index of each maximum (bins may overlap)."""

    def forward(ctx, x, size, out):
        xp = ctx.xp
        n = len(size)
        index_arrays, widths = [], []
        for i, (m, o) in enumerate(zip(size, out)):
            bins = _bins(m, o)
            width = max(end - start for start, end in bins)
            start = xp.asarray([s for s, _ in bins]).reshape((o, 1))
            end = xp.asarray([e for _, e in bins]).reshape((o, 1))
            idx = xp.minimum(start + xp.arange(width).reshape((1, width)), end - 1)
            shape = [1] * (2 * n)
            shape[2 * i], shape[2 * i + 1] = o, width
            index_arrays.append(idx.reshape(shape))
            widths.append(width)
        windows = x[(slice(None), slice(None)) + tuple(index_arrays)]  # (B, C, o1, w1, o2, ...)
        perm = ((0, 1) + tuple(2 + 2 * i for i in range(n)) + tuple(3 + 2 * i for i in range(n)))
        windows = windows.transpose(perm).reshape(tuple(x.shape[:2]) + tuple(out) + (-1,))
        arg = windows.argmax(axis=-1)
        y = xp.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
        # the flat input index of each maximum
        flat = xp.zeros(arg.shape, dtype=xp.int64)
        rest = arg
        for i in reversed(range(n)):
            j = rest % widths[i]
            rest = rest // widths[i]
            idx = index_arrays[i].reshape((out[i], widths[i]))
            shape = [1] * (n + 2)
            shape[2 + i] = out[i]
            rows = xp.arange(out[i]).reshape(shape)
            flat += idx[rows, j] * _prod(size[i + 1:])
        ctx.save_for_backward(flat)  # (saved: a write into the returned indices is caught)
        ctx.size = size
        ctx.mark_non_differentiable(flat)
        return y, flat

    def backward(ctx, grad, grad_index=None):
        batch, ch = grad.shape[:2]
        g = grad.reshape((batch, ch, -1))
        (flat,) = ctx.saved_tensors
        index = raw(flat).reshape((batch, ch, -1))
        plane = PutAlongAxis.apply(g, shape=(batch, ch, _prod(ctx.size)), index=index, axis=2)
        return plane.reshape((batch, ch) + tuple(ctx.size))


def _adaptive_max(input_, output_size, return_indices, n):
    fn = f"adaptive_max_pool{n}d"
    x, unbatched, size, out = _adaptive_sizes(fn, input_, output_size, n)
    if all(m % o == 0 for m, o in zip(size, out)):
        kernel = tuple(m // o for m, o in zip(size, out))
        geom = Geometry(kernel, kernel, ((0, 0),) * n, (1,) * n)
        result = MaxPoolNd.apply(x, geom=geom, out=out, return_indices=return_indices,
                                 find_argmax=records(x))
    else:
        result = AdaptiveMaxPoolNd.apply(x, size=size, out=out)
        if not return_indices:
            result = result[0]
    if unbatched:
        if return_indices:
            return tuple(r.reshape(tuple(r.shape[1:])) for r in result)
        return result.reshape(tuple(result.shape[1:]))
    return result


def adaptive_max_pool1d(input_, output_size, return_indices=False):
    """(B, C, L) -> (B, C, o): bin r takes the max of x[floor(r L/o) : ceil((r+1) L/o)];
    ``return_indices`` also returns the int64 index of each maximum."""
    return _adaptive_max(input_, output_size, return_indices, 1)


def adaptive_max_pool2d(input_, output_size, return_indices=False):
    """(B, C, H, W) -> (B, C, oH, oW): the max of each bin (see ``adaptive_avg_pool2d``);
    ``return_indices`` also returns the int64 flat index h*W + w of each maximum."""
    return _adaptive_max(input_, output_size, return_indices, 2)


def adaptive_max_pool3d(input_, output_size, return_indices=False):
    """(B, C, D, H, W) -> (B, C, oD, oH, oW); the bins of ``adaptive_max_pool2d`` on each axis."""
    return _adaptive_max(input_, output_size, return_indices, 3)
