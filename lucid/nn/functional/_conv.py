"""Convolution: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, ``unfold`` and ``fold``.

Every convolution here is one large matrix product on *columns* (im2col). For an input x of
shape (B, C, *S), a kernel of shape k = (k_1, ..., k_n), stride s, dilation d and padding p,
the columns are the strided view

    cols[b, c, j_1..j_n, o_1..o_n] = x_pad[b, c, o_1 s_1 + j_1 d_1, ..., o_n s_n + j_n d_n]

of shape (B, C, *k, *O) with O_i = floor((S_i + p_lo + p_hi - d_i (k_i - 1) - 1) / s_i) + 1.
It costs nothing to make (``as_strided``) and one copy to lay out as a (C*prod(k), B*L) matrix,
L = prod(O), with the batch folded into the columns. With the weight W (C_out, C/g, *k) seen as
(g, C_out/g, C/g*prod(k)) for g groups and G = dL/dy laid out (g, C_out/g, B*L),

    conv:            y = W @ cols                                  one GEMM per group
    d/dW:           dW = (cols @ G^T)^T                            one GEMM per group
    d/dx:           dx = col2im(W^T @ G)                           the transposed convolution

(for stride 1, dx is computed as the convolution of G with the flipped kernel instead: one more
im2col copy and GEMM, cheaper than the prod(k) slice adds of col2im). Few, large BLAS calls
matter when BLAS runs threads: each call wakes and joins them.

``col2im`` (``fold``) is the adjoint of im2col: it adds every column entry back onto the input
position it was read from (a loop over the prod(k) kernel offsets, each a strided slice add).
A transposed convolution is exactly the gradient of a convolution with respect to its input, so
``conv_transpose`` is ``col2im(W^T @ x)`` and its gradients are again im2col + GEMMs.

``Im2col`` and ``Col2im`` are Functions that are each other's gradient, and the conv Functions
write their backward with them and with ``@``, so double backward works (under
``create_graph`` the columns are built as a differentiable op).
"""

import itertools
import threading
from collections import namedtuple

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.ops._util import promote

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


# ---------------------------------------------------------------------------- geometry
Geometry = namedtuple("Geometry", ["kernel", "stride", "padding", "dilation"])
Geometry.__doc__ = """A window geometry: ``kernel``, ``stride``, ``dilation`` (one int per spatial
axis) and ``padding`` (one (low, high) pair per spatial axis)."""


def ntuple(value, n, name):
    """``value`` (an int or a sequence of n ints) as a tuple of n ints."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if isinstance(value, int):
        return (value,) * n
    try:
        values = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(values) == 1 and n > 1:
        values = values * n
    if len(values) != n:
        raise ValueError(f"{name} must have {n} values (one per spatial axis), got {value!r}")
    return values


def out_size(size, geom):
    """The number of window positions along each spatial axis."""
    return tuple((m + lo + hi - d * (k - 1) - 1) // s + 1
                 for m, (lo, hi), k, s, d in zip(size, geom.padding, geom.kernel, geom.stride,
                                                 geom.dilation))


def window_view(xp, x, geom, out, pad_value=0):
    """The strided view (B, C, *k, *out) of x padded with ``pad_value`` (no copy but the pad)."""
    if any(lo or hi for lo, hi in geom.padding):
        x = xp.pad(x, ((0, 0), (0, 0)) + tuple(geom.padding), mode="constant",
                   constant_values=pad_value)
    st = x.strides
    shape = tuple(x.shape[:2]) + tuple(geom.kernel) + tuple(out)
    strides = (tuple(st[:2]) + tuple(a * d for a, d in zip(st[2:], geom.dilation))
               + tuple(a * s for a, s in zip(st[2:], geom.stride)))
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def im2col(xp, x, geom):
    """The columns (B, C, *k, *out) of x as a contiguous array (the one im2col copy)."""
    view = window_view(xp, x, geom, out_size(x.shape[2:], geom))
    return xp.ascontiguousarray(view)


def col2im(xp, cols, geom, size):
    """The adjoint of ``im2col``: sum columns (B, C, *k, *out) back onto an input of spatial
    shape ``size``. One strided slice add per kernel offset (no scatter, no ``add.at``)."""
    n = len(size)
    lead = (slice(None), slice(None))
    slabs = (cols[lead + offset] for offset in itertools.product(*(range(k) for k in geom.kernel)))
    return add_windows(xp, slabs, geom, size, tuple(cols.shape[:2]) + tuple(cols.shape[2 + n:]),
                       cols.dtype)


def add_windows(xp, slabs, geom, size, shape, dtype):
    """col2im from ``slabs``: one (B, C, *out) array per kernel offset, in row-major offset
    order, each added onto the input positions that offset reads. ``shape`` is (B, C, *out)."""
    out = shape[2:]
    padded = tuple(max(m + lo + hi, (o - 1) * s + d * (k - 1) + 1)
                   for m, (lo, hi), o, s, d, k in zip(size, geom.padding, out, geom.stride,
                                                      geom.dilation, geom.kernel))
    acc = xp.zeros(tuple(shape[:2]) + padded, dtype=dtype)
    lead = (slice(None), slice(None))
    for offset, slab in zip(itertools.product(*(range(k) for k in geom.kernel)), slabs):
        dst = lead + tuple(slice(j * d, j * d + s * (o - 1) + 1, s)
                           for j, d, s, o in zip(offset, geom.dilation, geom.stride, out))
        acc[dst] += slab
    if all(lo == 0 and p == m for (lo, _), p, m in zip(geom.padding, padded, size)):
        return acc
    crop = lead + tuple(slice(lo, lo + m) for (lo, _), m in zip(geom.padding, size))
    return xp.ascontiguousarray(acc[crop])


class Im2col(Function):
    """x (B, C, *S) -> columns (B, C, *k, *out); the gradient is ``Col2im``."""

    def forward(ctx, x, geom):
        ctx.geom, ctx.size = geom, tuple(x.shape[2:])
        return im2col(ctx.xp, x, geom)

    def backward(ctx, grad):
        return Col2im.apply(grad, geom=ctx.geom, size=ctx.size)


class Col2im(Function):
    """columns (B, C, *k, *out) -> the sum onto (B, C, *size); the gradient is ``Im2col``."""

    def forward(ctx, cols, geom, size):
        ctx.geom = geom
        return col2im(ctx.xp, cols, geom, size)

    def backward(ctx, grad):
        return Im2col.apply(grad, geom=ctx.geom)


# ---------------------------------------------------------------------------- convolution
def _channels_first(n):
    """The axis order (B, C, *k, *out) -> (C, *k, B, *out)."""
    return (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))


def _batch_first(n):
    """The axis order (C, *k, B, *out) -> (B, C, *k, *out)."""
    return (n + 1, 0) + tuple(range(1, n + 1)) + tuple(range(n + 2, 2 * n + 2))


def columns(xp, x, geom):
    """The im2col matrix laid out (C, *k, B, *out): with the batch inside the columns, a
    convolution is one GEMM per group for the whole batch (few large BLAS calls).

    It is written into this thread's reusable workspace, so it is dead once the call that asked
    for it returns (a fresh 100 MB array costs as much in page faults as the copy). Columns are
    never kept from forward to backward: they take prod(k) times the input's memory (9x for a
    3x3 kernel), and backward rebuilds them in one copy, as PyTorch keeps none either.
    """
    view = window_view(xp, x, geom, out_size(x.shape[2:], geom))
    view = view.transpose(_channels_first(len(geom.kernel)))
    cols = _workspace(xp, view.shape, view.dtype)
    xp.copyto(cols, view)
    return cols


_SCRATCH = threading.local()


def _workspace(xp, shape, dtype):
    """A C-contiguous array of ``shape`` in a buffer kept per thread and array module, grown to
    the largest request seen. Only for arrays that are dead when the requesting call returns."""
    nbytes = _prod(shape) * dtype.itemsize
    key = xp.__name__
    buf = getattr(_SCRATCH, key, None)
    if buf is None or buf.nbytes < nbytes:
        buf = xp.empty(max(nbytes, 1), dtype=xp.uint8)
        setattr(_SCRATCH, key, buf)
    return buf[:nbytes].view(dtype).reshape(shape)


def _columns_op(x, geom, groups):
    """``columns`` as a differentiable op (for create_graph), shaped (g, C/g * K, B * L)."""
    n = len(geom.kernel)
    cols = Im2col.apply(x, geom=geom).transpose(_channels_first(n))
    rows = x.shape[1] // groups * _prod(geom.kernel)
    return cols.reshape((groups, rows, x.shape[0] * _prod(cols.shape[n + 2:])))


def _to_groups(t, groups):
    """(B, C, *S) -> (g, C/g, B * L): channels first, the batch folded into the columns."""
    batch, ch, length = t.shape[0], t.shape[1], _prod(t.shape[2:])
    t = t.reshape((batch, groups, ch // groups, length)).transpose((1, 2, 0, 3))
    return t.reshape((groups, ch // groups, batch * length))


def _from_groups(t, batch, spatial):
    """(g, C/g, B * L) -> (B, C, *spatial), the inverse of ``_to_groups``."""
    ch = t.shape[0] * t.shape[1]
    t = t.reshape((ch, batch, _prod(spatial))).swapaxes(0, 1)
    return t.reshape((batch, ch) + tuple(spatial))


class ConvNd(Function):
    """y = W * x + b for any number of spatial axes (see the module docstring for the math).

    Columns (g, C/g * K, B * L); y = W (g, C_out/g, C/g * K) @ columns: one GEMM per group.
    """

    def forward(ctx, x, weight, bias=None, geom=None, groups=1):
        x, weight = promote(x, weight)
        xp = ctx.xp
        batch, out_ch, g = x.shape[0], weight.shape[0], groups
        n = len(geom.kernel)
        cols = columns(xp, x, geom)  # (C, *k, B, *out)
        spatial = tuple(cols.shape[n + 2:])
        cols = cols.reshape((g, x.shape[1] // g * _prod(geom.kernel), batch * _prod(spatial)))
        w2 = weight.reshape((g, out_ch // g, -1))
        out = _from_groups(xp.matmul(w2, cols), batch, spatial)
        if bias is not None:
            out += bias.reshape((out_ch,) + (1,) * n)
        ctx.save_for_backward(x, weight)
        ctx.geom, ctx.groups = geom, g
        return out

    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        geom, g = ctx.geom, ctx.groups
        batch, out_ch, n = grad.shape[0], grad.shape[1], len(geom.kernel)
        w2 = weight.reshape((g, out_ch // g, -1))
        flipped = _flipped_geometry(geom) if need_x else None
        if need_w or (need_x and flipped is None):
            g2 = _to_groups(grad, g)  # (g, C_out/g, B * L)
        grad_x = grad_w = grad_b = None
        if need_x:
            if flipped is not None:
                # stride 1: dx is the convolution of G with the flipped, channel-swapped kernel
                # (one im2col copy + one GEMM, cheaper than a GEMM + a col2im of prod(k) adds)
                grad_x = ConvNd.apply(grad, _flipped_weight(weight, g), geom=flipped, groups=g)
            else:
                dcols = w2.swapaxes(-1, -2) @ g2  # (g, C/g * K, B * L)
                dcols = dcols.reshape((x.shape[1],) + tuple(geom.kernel) + (batch,)
                                      + tuple(grad.shape[2:]))
                grad_x = Col2im.apply(dcols.transpose(_batch_first(n)), geom=geom,
                                      size=tuple(x.shape[2:]))
        if need_w:
            # create_graph: the columns must be a differentiable op
            if isinstance(x, Tensor):
                cols = _columns_op(x, geom, g)
            else:  # rebuilt (see columns), after grad_x, which used the workspace too
                cols = columns(ctx.xp, x, geom)
                cols = cols.reshape((g, x.shape[1] // g * _prod(geom.kernel), -1))
            # dW^T = cols @ G^T: the long B*L axis is the inner axis of both row-major operands
            # (OpenBLAS threads the other order, G @ cols^T, very badly: 5x slower on 2 threads)
            grad_w = (cols @ g2.swapaxes(-1, -2)).swapaxes(-1, -2).reshape(tuple(weight.shape))
        if need_b:
            grad_b = grad.sum(axis=(0,) + tuple(range(2, 2 + n)))
        return (grad_x, grad_w, grad_b)[:len(ctx.needs_input_grad)]


def _flipped_geometry(geom):
    """For a stride-1 convolution, the geometry whose convolution of G gives dx (padding
    d(k-1) - p on each side), or None when that would need a negative padding."""
    if any(s != 1 for s in geom.stride):
        return None
    pads = tuple((d * (k - 1) - lo, d * (k - 1) - hi)
                 for (lo, hi), k, d in zip(geom.padding, geom.kernel, geom.dilation))
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        return None
    return Geometry(geom.kernel, geom.stride, pads, geom.dilation)


def _flipped_weight(weight, groups):
    """W (C_out, C_in/g, *k) -> W' (C_in, C_out/g, *k) with W'[c, o, j] = W[o, c, k - 1 - j]
    within each group: the kernel of the transposed (input-gradient) convolution."""
    out_ch, in_g = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    w = weight.reshape((groups, out_ch // groups, in_g) + kernel).swapaxes(1, 2)
    w = w.reshape((groups * in_g, out_ch // groups) + kernel)
    return w[(slice(None), slice(None)) + (slice(None, None, -1),) * len(kernel)]


class ConvTransposeNd(Function):
    """y = col2im(W^T @ x) + b: the gradient of a convolution with respect to its input.

    x: (B, C_in, *S), W: (C_in, C_out/g, *k) -> y: (B, C_out, *size). Its input gradient is the
    convolution of G with W (W @ columns(G)), its weight gradient x @ columns(G)^T.
    """

    def forward(ctx, x, weight, bias=None, geom=None, groups=1, size=None):
        x, weight = promote(x, weight)
        xp = ctx.xp
        batch, in_ch, g = x.shape[0], x.shape[1], groups
        n = len(geom.kernel)
        out_ch = weight.shape[1] * g
        w2 = weight.reshape((g, in_ch // g, -1))
        cols = xp.matmul(w2.swapaxes(-1, -2), _to_groups(x, g))  # (g, C_out/g * K, B * L)
        cols = cols.reshape((out_ch,) + tuple(geom.kernel) + (batch,) + tuple(x.shape[2:]))
        out = col2im(xp, cols.transpose(_batch_first(n)), geom, size)
        if bias is not None:
            out += bias.reshape((out_ch,) + (1,) * n)
        ctx.save_for_backward(x, weight)
        ctx.geom, ctx.groups = geom, g
        return out

    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = (tuple(ctx.needs_input_grad) + (False,))[:3]
        geom, g = ctx.geom, ctx.groups
        batch, in_ch, n = x.shape[0], x.shape[1], len(geom.kernel)
        if isinstance(grad, Tensor):  # create_graph: differentiable columns
            gcols = _columns_op(grad, geom, g)
        else:
            rows = grad.shape[1] // g * _prod(geom.kernel)
            gcols = columns(ctx.xp, grad, geom)
            gcols = gcols.reshape((g, rows, batch * _prod(x.shape[2:])))
        w2 = weight.reshape((g, in_ch // g, -1))
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = _from_groups(w2 @ gcols, batch, tuple(x.shape[2:]))
        if need_w:
            grad_w = (gcols @ _to_groups(x, g).swapaxes(-1, -2)).swapaxes(-1, -2)
            grad_w = grad_w.reshape(tuple(weight.shape))
        if need_b:
            grad_b = grad.sum(axis=(0,) + tuple(range(2, 2 + n)))
        return (grad_x, grad_w, grad_b)[:len(ctx.needs_input_grad)]


def _prod(values):
    result = 1
    for v in values:
        result *= int(v)
    return result


# ---------------------------------------------------------------------------- argument checks
def _positive(values, name, fn):
    if any(v <= 0 for v in values):
        raise ValueError(f"{fn}: {name} must be positive, got {values}")


def _batched(input_, n, fn):
    """(input with a batch axis, whether one was added); unbatched (C, *S) input is accepted."""
    if input_.ndim == n + 1:
        return input_.reshape((1,) + tuple(input_.shape)), True
    if input_.ndim != n + 2:
        raise ValueError(f"{fn}: expected a {n + 2}-D input (B, C, {_axes(n)}) or a {n + 1}-D "
                         f"unbatched one, got shape {tuple(input_.shape)}")
    return input_, False


def _axes(n):
    return ", ".join(("D", "H", "W")[3 - n:]) if n <= 3 else "*S"


def _conv_padding(padding, kernel, stride, dilation, n, fn):
    """Padding as (low, high) pairs; "same" splits d(k-1) as PyTorch does (extra on the high
    side), "valid" is no padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{fn}: padding='same' needs stride 1, got stride {stride}")
            pairs = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ValueError(f"{fn}: padding must be an int, a tuple, 'same' or 'valid', got "
                         f"{padding!r}")
    pads = ntuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise ValueError(f"{fn}: padding must be non-negative, got {pads}")
    return tuple((p, p) for p in pads)


def _check_groups(groups, fn):
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")


def _check_bias(bias, out_ch, fn):
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise ValueError(f"{fn}: bias must have shape ({out_ch},), got {tuple(bias.shape)}")


def _stride_dilation(stride, dilation, n, fn):
    """``stride`` and ``dilation`` as n-tuples, both checked positive."""
    stride = ntuple(stride, n, "stride")
    dilation = ntuple(dilation, n, "dilation")
    _positive(stride, "stride", fn)
    _positive(dilation, "dilation", fn)
    return stride, dilation


def _conv(input_, weight, bias, stride, padding, dilation, groups, n):
    fn = f"conv{n}d"
    x, unbatched = _batched(input_, n, fn)
    if weight.ndim != n + 2:
        raise ValueError(f"{fn}: the weight must be {n + 2}-D (C_out, C_in/groups, {_axes(n)}), "
                         f"got shape {tuple(weight.shape)}")
    _check_groups(groups, fn)
    out_ch, kernel = weight.shape[0], tuple(weight.shape[2:])
    expected = weight.shape[1] * groups
    if x.shape[1] != expected:
        raise ValueError(f"{fn}: expected input with {expected} channels (weight shape "
                         f"{tuple(weight.shape)}, groups={groups}), got {x.shape[1]} channels "
                         f"in input of shape {tuple(input_.shape)}")
    if out_ch % groups:
        raise ValueError(f"{fn}: the weight's {out_ch} output channels are not divisible by "
                         f"groups={groups}")
    _check_bias(bias, out_ch, fn)
    stride, dilation = _stride_dilation(stride, dilation, n, fn)
    geom = Geometry(kernel, stride, _conv_padding(padding, kernel, stride, dilation, n, fn),
                    dilation)
    out = out_size(x.shape[2:], geom)
    if any(o <= 0 for o in out):
        raise ValueError(f"{fn}: the kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {tuple(x.shape[2:])} (padding {geom.padding})")
    args = (x, weight) if bias is None else (x, weight, bias)
    y = ConvNd.apply(*args, geom=geom, groups=groups)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


def _conv_transpose(input_, weight, bias, stride, padding, output_padding, groups, dilation, n,
                    output_size=None):
    fn = f"conv_transpose{n}d"
    x, unbatched = _batched(input_, n, fn)
    if weight.ndim != n + 2:
        raise ValueError(f"{fn}: the weight must be {n + 2}-D (C_in, C_out/groups, {_axes(n)}), "
                         f"got shape {tuple(weight.shape)}")
    _check_groups(groups, fn)
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"{fn}: expected input with {weight.shape[0]} channels (weight shape "
                         f"{tuple(weight.shape)}), got {x.shape[1]} channels in input of shape "
                         f"{tuple(input_.shape)}")
    if weight.shape[0] % groups:
        raise ValueError(f"{fn}: the weight's {weight.shape[0]} input channels are not divisible "
                         f"by groups={groups}")
    kernel = tuple(weight.shape[2:])
    out_ch = weight.shape[1] * groups
    _check_bias(bias, out_ch, fn)
    stride, dilation = _stride_dilation(stride, dilation, n, fn)
    if isinstance(padding, str):  # Lucid's "same": d(k-1)//2 on both sides; "valid": none
        if padding not in ("same", "valid"):
            raise ValueError(f"{fn}: padding must be an int, a tuple, 'same' or 'valid', got "
                             f"{padding!r}")
        pads = tuple(d * (k - 1) // 2 if padding == "same" else 0
                     for k, d in zip(kernel, dilation))
    else:
        pads = ntuple(padding, n, "padding")
    if any(p < 0 for p in pads):
        raise ValueError(f"{fn}: padding must be non-negative, got {pads}")
    out_pad = ntuple(output_padding, n, "output_padding")
    for op, s, d in zip(out_pad, stride, dilation):
        if not 0 <= op < max(s, d):
            raise ValueError(f"{fn}: output_padding {out_pad} must be smaller than stride "
                             f"{stride} or dilation {dilation}")
    size = tuple((m - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for m, s, p, d, k, op in zip(x.shape[2:], stride, pads, dilation, kernel,
                                              out_pad))
    if output_size is not None:  # PyTorch's output_size picks the output_padding
        wanted = tuple(output_size)[-n:]
        smallest = tuple(m - op for m, op in zip(size, out_pad))
        largest = tuple(m + max(s, d) - 1 for m, s, d in zip(smallest, stride, dilation))
        if any(not lo <= w <= hi for w, lo, hi in zip(wanted, smallest, largest)):
            raise ValueError(f"{fn}: output_size {wanted} is not reachable from input "
                             f"{tuple(x.shape[2:])}: each size must lie between {smallest} and "
                             f"{largest}")
        size = wanted
    if any(m <= 0 for m in size):
        raise ValueError(f"{fn}: the output size {size} is not positive (input "
                         f"{tuple(x.shape[2:])}, padding {pads})")
    geom = Geometry(kernel, stride, tuple((p, p) for p in pads), dilation)
    args = (x, weight) if bias is None else (x, weight, bias)
    y = ConvTransposeNd.apply(*args, geom=geom, groups=groups, size=size)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


# ---------------------------------------------------------------------------- public functions
def conv1d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as in PyTorch).

    x: (B, C_in, L) or (C_in, L); weight: (C_out, C_in/groups, k); bias: (C_out,) ->
    (B, C_out, L_out), L_out = floor((L + 2p - d(k-1) - 1)/s) + 1. ``padding`` is an int,
    "same" (stride 1 only) or "valid".
    """
    return _conv(input_, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution: y[b,o,h,w] = b_o + sum_{c,i,j} W[o,c,i,j] x_pad[b, c, hs + id, ws + jd].

    x: (B, C_in, H, W) or unbatched (C_in, H, W); weight: (C_out, C_in/groups, kH, kW); bias:
    (C_out,) -> (B, C_out, H_out, W_out), H_out = floor((H + 2p - d(kH-1) - 1)/s) + 1.
    ``stride``, ``padding``, ``dilation``: int or pair; ``padding`` may be "same" or "valid".
    ``groups`` splits the channels into independent convolutions (groups = C_in: depthwise).
    One im2col copy and one batched GEMM forward; two GEMMs and a col2im backward.
    """
    return _conv(input_, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input_, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution: x (B, C_in, D, H, W), weight (C_out, C_in/groups, kD, kH, kW) ->
    (B, C_out, D_out, H_out, W_out); the same rules as ``conv2d`` on each spatial axis."""
    return _conv(input_, weight, bias, stride, padding, dilation, groups, 3)


def conv_transpose1d(input_, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None):
    """1-D transposed convolution (the gradient of ``conv1d`` with respect to its input).

    x: (B, C_in, L); weight: (C_in, C_out/groups, k) -> (B, C_out, L_out) with
    L_out = (L - 1) s - 2p + d(k - 1) + output_padding + 1. Positional order as PyTorch's
    (output_padding, groups, dilation); Lucid 2 took (dilation, groups): pass them by keyword.
    """
    return _conv_transpose(input_, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, output_size)


def conv_transpose2d(input_, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None):
    """2-D transposed convolution ("deconvolution"): y = col2im(W^T x) + b.

    x: (B, C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias: (C_out,) ->
    (B, C_out, H_out, W_out), H_out = (H - 1) s - 2p + d(kH - 1) + output_padding + 1.
    ``output_padding`` (< stride or dilation) adds rows at the high end; ``output_size`` may pick
    it instead, as in PyTorch. ``padding="same"`` is Lucid's d(k-1)//2 on both sides.
    Positional order as PyTorch's (output_padding, groups, dilation); Lucid 2 took (dilation,
    groups): pass them by keyword to be safe in both.
    """
    return _conv_transpose(input_, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, output_size)


def conv_transpose3d(input_, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None):
    """3-D transposed convolution: x (B, C_in, D, H, W), weight (C_in, C_out/groups, kD, kH, kW)
    -> (B, C_out, D_out, H_out, W_out); the rules of ``conv_transpose2d`` on each axis."""
    return _conv_transpose(input_, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, output_size)


def unfold(input_, kernel_size, stride=1, padding=0, dilation=1, *, filter_size=None):
    """Sliding local blocks (im2col): x (B, C, *S) -> (B, C * prod(k), L), L = prod(out).

    Row c*prod(k) + j of the result holds x_pad[b, c] at kernel offset j of every window, in
    PyTorch's order. Argument order is Lucid's (kernel_size, stride, padding, dilation);
    PyTorch's is (kernel_size, dilation, padding, stride), so pass those by keyword.
    ``filter_size`` is Lucid's name for ``kernel_size``. Works for any number of spatial axes.
    """
    if filter_size is not None:
        kernel_size = filter_size
    if input_.ndim < 3:
        raise ValueError(f"unfold: expected input (B, C, *spatial), got shape "
                         f"{tuple(input_.shape)}")
    n = input_.ndim - 2
    geom = _pool_like_geometry(kernel_size, stride, padding, dilation, n, "unfold")
    out = out_size(input_.shape[2:], geom)
    if any(o <= 0 for o in out):
        raise ValueError(f"unfold: the kernel {geom.kernel} does not fit the padded input "
                         f"{tuple(input_.shape[2:])}")
    cols = Im2col.apply(input_, geom=geom)
    return cols.reshape((input_.shape[0], input_.shape[1] * _prod(geom.kernel), _prod(out)))


def fold(input_, output_size, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of ``unfold`` (col2im): (B, C * prod(k), L) -> (B, C, *output_size), adding
    overlapping entries. Argument order is Lucid's; PyTorch's puts dilation before padding and
    stride, so pass those by keyword."""
    size = tuple(output_size) if not isinstance(output_size, int) else None
    n = len(size) if size is not None else 2
    size = size if size is not None else (output_size,) * 2
    geom = _pool_like_geometry(kernel_size, stride, padding, dilation, n, "fold")
    out = out_size(size, geom)
    kprod = _prod(geom.kernel)
    if input_.ndim != 3 or input_.shape[1] % kprod or input_.shape[2] != _prod(out):
        raise ValueError(f"fold: expected input (B, C*{kprod}, {_prod(out)}) for output size "
                         f"{size} and kernel {geom.kernel}, got shape {tuple(input_.shape)}")
    cols = input_.reshape((input_.shape[0], input_.shape[1] // kprod) + geom.kernel + out)
    return Col2im.apply(cols, geom=geom, size=size)


def _pool_like_geometry(kernel_size, stride, padding, dilation, n, fn):
    kernel = ntuple(kernel_size, n, "kernel_size")
    stride = ntuple(stride, n, "stride")
    dilation = ntuple(dilation, n, "dilation")
    pads = ntuple(padding, n, "padding")
    _positive(kernel, "kernel_size", fn)
    _positive(stride, "stride", fn)
    _positive(dilation, "dilation", fn)
    if any(p < 0 for p in pads):
        raise ValueError(f"{fn}: padding must be non-negative, got {pads}")
    return Geometry(kernel, stride, tuple((p, p) for p in pads), dilation)
