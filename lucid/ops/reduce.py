"""Reductions: sum, mean, var, std, prod, max, min, argmax, argmin, all, any, logsumexp, cumsum,
cumprod, trace, norm.

Every reduction takes Lucid's ``axis=`` (int, tuple or None for all axes) and ``keepdims=``, with
PyTorch's ``dim=`` / ``keepdim=`` as aliases. The backward of a reduction re-inserts the reduced
axes (``_expand``) and broadcasts the gradient back over them.
"""

import math

from lucid.autograd.function import Function
from lucid.backend import default_float
from lucid.ops._util import normalize_axis, axis_arg, non_differentiable

__all__ = ["sum", "mean", "var", "std", "prod", "max", "min", "argmax", "argmin", "all", "any",
           "logsumexp", "cumsum", "cumprod", "trace", "amax", "amin", "count_nonzero"]


def _expand(grad, in_shape, axes, keepdims):
    """``grad`` of a reduction over ``axes`` reshaped so it broadcasts against the input."""
    if not keepdims:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        grad = grad.reshape(tuple(shape))
    return grad


def _axes(x, axis, dim):
    axes = normalize_axis(axis_arg(axis, dim), x.ndim)
    return axes if x.ndim else ()  # a 0-d tensor accepts axis 0 or -1 (as PyTorch) and has none


class Sum(Function):
    """sum over ``axes``; every input element receives the gradient of its sum."""

    def forward(ctx, x, axes, keepdims=False):
        ctx.in_shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        if x.dtype.kind == "b":
            x = x.astype("int64")
        return ctx.xp.sum(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad):
        return broadcast_to(_expand(grad, ctx.in_shape, ctx.axes, ctx.keepdims), ctx.in_shape)


class Mean(Function):
    """mean over ``axes``: the sum divided by the count n; each element receives grad / n."""

    def forward(ctx, x, axes, keepdims=False):
        if x.dtype.kind in "biu":
            x = x.astype(default_float())
        ctx.in_shape, ctx.axes, ctx.keepdims = x.shape, axes, keepdims
        ctx.count = math.prod(x.shape[a] for a in axes)
        return ctx.xp.mean(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad):
        grad = _expand(grad, ctx.in_shape, ctx.axes, ctx.keepdims) / (ctx.count or 1)
        return broadcast_to(grad, ctx.in_shape)


class Var(Function):
    """Variance over ``axes`` with ``correction`` (0: population, Lucid's default; 1: sample).

    d var / dx_i = 2 (x_i - mean) / (n - correction).
    """

    def forward(ctx, x, axes, keepdims=False, correction=0):
        if x.dtype.kind in "biu":
            x = x.astype(default_float())
        count = math.prod(x.shape[a] for a in axes)
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdims, ctx.denom = axes, keepdims, count - correction
        return ctx.xp.var(x, axis=axes, keepdims=keepdims, ddof=correction)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(axis=ctx.axes, keepdims=True)
        # n - correction <= 0: the variance is nan, and so is its gradient (as in PyTorch)
        scale = 2.0 / ctx.denom if ctx.denom > 0 else float("nan")
        return _expand(grad, x.shape, ctx.axes, ctx.keepdims) * centered * scale


class Std(Function):
    """Standard deviation s = sqrt(var) over ``axes`` with ``correction``.

    d s / dx_i = (x_i - mean) / ((n - correction) s), taken as 0 where s = 0 (a constant
    group), as PyTorch does; sqrt(var) composed would give 0 * inf = nan there.
    """

    def forward(ctx, x, axes, keepdims=False, correction=0):
        if x.dtype.kind in "biu":
            x = x.astype(default_float())
        count = math.prod(x.shape[a] for a in axes)
        out = ctx.xp.sqrt(ctx.xp.var(x, axis=axes, keepdims=keepdims, ddof=correction))
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims, ctx.denom = axes, keepdims, count - correction
        return out

    def backward(ctx, grad):
        from lucid.ops.elementwise import where
        x, out = ctx.saved_tensors
        out = _expand(out, x.shape, ctx.axes, ctx.keepdims)
        zero = out == 0
        grad = where(zero, 0.0, _expand(grad, x.shape, ctx.axes, ctx.keepdims)
                     / where(zero, 1.0, out))
        centered = x - x.mean(axis=ctx.axes, keepdims=True)
        scale = 1.0 / ctx.denom if ctx.denom > 0 else float("nan")
        return grad * centered * scale


class Prod(Function):
    """product over ``axes``; d/dx_i = prod / x_i (computed without division where x_i = 0)."""

    def forward(ctx, x, axes, keepdims=False):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdims = axes, keepdims
        return ctx.xp.prod(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad = _expand(grad, x.shape, ctx.axes, ctx.keepdims)
        # product of all the others = exclusive cumprod from the left * from the right,
        # done on the flattened reduced axes so zeros are handled exactly
        others = _prod_of_others(x, ctx.axes)
        return grad * others


def _prod_of_others(x, axes):
    """For each element, the product of the other elements of its reduction group.

    With the group flattened to a last axis of length n: exclusive prefix product times
    exclusive suffix product. Exact when some x_i = 0, unlike prod / x_i.
    """
    from lucid.ops.shape import moveaxis, reshape, flip, concatenate

    n = len(axes)
    last = list(range(x.ndim - n, x.ndim))
    moved = moveaxis(x, list(axes), last)
    flat = reshape(moved, tuple(moved.shape[: x.ndim - n]) + (-1,))
    ones = flat[..., :1] * 0 + 1
    left = cumprod(concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = flip(cumprod(concatenate([ones, flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return moveaxis(reshape(left * right, moved.shape), last, list(axes))


class _Extreme(Function):
    """max / min over ``axes``; the gradient is shared equally by the elements that tie."""

    def forward(ctx, x, axes, keepdims=False):
        out = ctx.pick(ctx.xp, x, axes, keepdims)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out

    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        out = _expand(out, x.shape, ctx.axes, ctx.keepdims)
        hit = (x == out).astype(x.dtype)  # in x's dtype: a float64 mask would upcast
        share = hit / hit.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad, x.shape, ctx.axes, ctx.keepdims) * share


class Max(_Extreme):
    pick = staticmethod(lambda xp, x, axes, keepdims: xp.max(x, axis=axes, keepdims=keepdims))


class Min(_Extreme):
    pick = staticmethod(lambda xp, x, axes, keepdims: xp.min(x, axis=axes, keepdims=keepdims))


class _NoGrad(Function):
    def backward(ctx, grad):
        return (None,) * len(ctx.parents)


class _ArgReduce(_NoGrad):
    def forward(ctx, x, axis=None, keepdims=False, largest=True):
        fn = ctx.xp.argmax if largest else ctx.xp.argmin
        if axis is None:
            out = fn(x.reshape(-1))
            return non_differentiable(ctx, out.reshape((1,) * x.ndim) if keepdims else out)
        return non_differentiable(ctx, fn(x, axis=axis, keepdims=keepdims))


class _Logical(_NoGrad):
    def forward(ctx, x, axes, keepdims=False, every=True):
        fn = ctx.xp.all if every else ctx.xp.any
        return non_differentiable(ctx, fn(x, axis=axes, keepdims=keepdims))


def _reduce(cls, a, axis, keepdims, dim, keepdim, **kwargs):
    keepdims = keepdims or bool(keepdim)
    return cls.apply(a, axes=_axes(a, axis, dim), keepdims=keepdims, **kwargs)


def sum(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Sum over ``axis`` (all axes when None)."""
    return _reduce(Sum, a, axis, keepdims, dim, keepdim)


def mean(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Arithmetic mean over ``axis``."""
    return _reduce(Mean, a, axis, keepdims, dim, keepdim)


def var(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=0, unbiased=None):
    """Variance over ``axis``; the population variance (ddof 0) unless ``correction=1``."""
    if unbiased is not None:
        correction = int(unbiased)
    return _reduce(Var, a, axis, keepdims, dim, keepdim, correction=correction)


def std(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=0, unbiased=None):
    """Standard deviation, sqrt(var) with the same ``correction`` (gradient 0 where it is 0)."""
    if unbiased is not None:
        correction = int(unbiased)
    return _reduce(Std, a, axis, keepdims, dim, keepdim, correction=correction)


def prod(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(Prod, a, axis, keepdims, dim, keepdim)


def max(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The largest value over ``axis`` (ties share the gradient)."""
    return _reduce(Max, a, axis, keepdims, dim, keepdim)


def min(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(Min, a, axis, keepdims, dim, keepdim)


amax, amin = max, min


def argmax(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis = axis_arg(axis, dim)
    if axis is not None:
        normalize_axis(axis, a.ndim)
    return _ArgReduce.apply(a, axis=axis, keepdims=keepdims or bool(keepdim), largest=True)


def argmin(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis = axis_arg(axis, dim)
    if axis is not None:
        normalize_axis(axis, a.ndim)
    return _ArgReduce.apply(a, axis=axis, keepdims=keepdims or bool(keepdim), largest=False)


def all(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(_Logical, a, axis, keepdims, dim, keepdim, every=True)


def any(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return _reduce(_Logical, a, axis, keepdims, dim, keepdim, every=False)


def count_nonzero(a, /, axis=None):
    return sum(a != 0, axis=axis)


class LogSumExp(Function):
    """log sum exp(x) over ``axes`` (kept as size-1 axes), computed as m + log sum exp(x - m);
    d/dx = softmax(x) = exp(x - out)."""

    def forward(ctx, x, axes):
        xp = ctx.xp
        m = xp.max(x, axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
        # out is the op's own output (the caller squeezes the axes away), so under create_graph
        # saved_tensors gives it back as the Tensor that depends on x
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, grad):
        from lucid.ops.elementwise import exp
        x, out = ctx.saved_tensors
        return grad * exp(x - out)


def logsumexp(a, /, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axes = _axes(a, axis, dim)
    out = LogSumExp.apply(a, axes=axes)
    if keepdims or keepdim:
        return out
    from lucid.ops.shape import reshape
    return reshape(out, tuple(n for i, n in enumerate(a.shape) if i not in axes))


class Cumsum(Function):
    """Running sum along ``axis``; the gradient is the reversed running sum of grad."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        return ctx.xp.cumsum(x, axis=axis)

    def backward(ctx, grad):
        from lucid.ops.shape import flip
        return flip(cumsum(flip(grad, ctx.axis), ctx.axis), ctx.axis)


class Cumprod(Function):
    """Running product along ``axis``. d out_j / d x_i = out_j / x_i for j >= i (zeros handled
    by recomputing the product of the others)."""

    def forward(ctx, x, axis):
        out = ctx.xp.cumprod(x, axis=axis)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    def backward(ctx, grad):
        from lucid.ops.shape import flip
        x, out = ctx.saved_tensors
        axis = ctx.axis
        xp = ctx.xp
        raw = not hasattr(x, "_node")
        if raw and not xp.any(x == 0):
            return flip(cumsum(flip(grad * out, axis), axis), axis) / x
        # general case (zeros present, or building a higher-order graph): an O(n^2) sum over
        # the prefix products with x_i left out
        return _cumprod_grad_general(x, grad, axis)


def _cumprod_grad_general(x, grad, axis):
    from lucid.ops.shape import moveaxis, stack
    xm = moveaxis(x, axis, -1)
    gm = moveaxis(grad, axis, -1)
    n = xm.shape[-1]
    pieces = []
    for i in range(n):
        # d/dx_i sum_j g_j prod_{k<=j} x_k = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k
        before = xm[..., :i].prod(axis=-1, keepdims=True) if i else xm[..., :1] * 0 + 1
        after = cumprod(xm[..., i + 1:], axis=-1) if i + 1 < n else None
        total = gm[..., i:i + 1]
        if after is not None:
            total = total + (gm[..., i + 1:] * after).sum(axis=-1, keepdims=True)
        pieces.append((before * total)[..., 0])
    return moveaxis(stack(pieces, axis=-1), -1, axis)


def cumsum(a, /, axis=-1, *, dim=None):
    axis = axis_arg(None if dim is not None else axis, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    if a.ndim == 0:  # NumPy would give shape (1,); PyTorch keeps the 0-d value
        from lucid.ops.elementwise import clone
        return clone(a)
    return Cumsum.apply(a, axis=axis)


def cumprod(a, /, axis=-1, *, dim=None):
    axis = axis_arg(None if dim is not None else axis, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    if a.ndim == 0:
        from lucid.ops.elementwise import clone
        return clone(a)
    return Cumprod.apply(a, axis=axis)


def trace(a, /):
    """Sum of the main diagonal (over axes 0 and 1, as NumPy and Lucid)."""
    from lucid.ops.shape import diagonal
    return sum(diagonal(a), axis=-1)


# late import: broadcast_to is a shape op whose backward is sum_to
from lucid.ops.shape import broadcast_to  # noqa: E402
