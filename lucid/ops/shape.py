"""Shape ops: they move values around without changing them, so each backward moves the
gradient back the same way (reshape back, transpose back, slice back, sum over copies).
"""

import builtins

from lucid.autograd.function import Function
from lucid.ops._util import normalize_axis, axis_arg, sum_to

__all__ = [
    "broadcast_to", "expand", "reshape", "view", "transpose", "permute", "swapaxes", "moveaxis",
    "squeeze", "unsqueeze", "expand_dims", "flatten", "ravel", "concatenate", "cat", "stack",
    "hstack", "vstack", "split", "chunk", "unbind", "flip", "pad", "repeat", "tile", "roll",
    "tril", "triu", "diagonal", "diag", "meshgrid", "broadcast_shapes",
]


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to, or ValueError naming them."""
    ndim = builtins.max((len(s) for s in shapes), default=0)
    result = []
    for i in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) >= -i and s[i] != 1:
                if size != 1 and s[i] != size:
                    raise ValueError(f"shapes {' and '.join(str(tuple(x)) for x in shapes)} "
                                     "cannot be broadcast together")
                size = s[i]
        result.append(size)
    return tuple(result)


class BroadcastTo(Function):
    """x repeated along new or size-1 axes; the gradient is summed back with ``sum_to``."""

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        if broadcast_shapes(x.shape, shape) != tuple(shape):
            raise ValueError(
                f"cannot broadcast a tensor of shape {x.shape} to shape {tuple(shape)}")
        return ctx.xp.broadcast_to(x, shape)

    def backward(ctx, grad):
        return sum_to(grad, ctx.in_shape)


def broadcast_to(a, shape, /):
    shape = tuple(shape)
    if tuple(a.shape) == shape:
        return a
    return BroadcastTo.apply(a, shape=shape)


def expand(a, *sizes):
    """PyTorch's expand: -1 keeps a size."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(a, shape)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {tuple(shape)}") from None

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


def reshape(a, /, *sizes, shape=None):
    """The same values in a new shape (one size may be -1): ``reshape(a, 2, 3)``,
    ``reshape(a, (2, 3))`` or Lucid's ``reshape(a, shape=(2, 3))``."""
    if shape is None:
        shape = _shape_arg(sizes)
    elif sizes:
        raise TypeError(f"reshape: shape given twice ({sizes} and shape={shape})")
    else:
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if tuple(a.shape) == shape:
        return a
    return Reshape.apply(a, shape=shape)


view = reshape


class Transpose(Function):
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    def backward(ctx, grad):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return grad.transpose(tuple(inverse))


def transpose(a, /, axes=None, *more):
    """Permute the axes (reversed when ``axes`` is None). ``transpose(a, 0, 1)`` with two ints
    swaps those two axes, as PyTorch's does."""
    if more:
        return swapaxes(a, axes, more[0])
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    axes = normalize_axis(axes, a.ndim)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"axes {axes} are not a permutation of {a.ndim} dimensions")
    return Transpose.apply(a, axes=axes)


def permute(a, /, *axes):
    return transpose(a, _shape_arg(axes))


def swapaxes(a, /, axis1, axis2):
    axes = list(range(a.ndim))
    i, j = normalize_axis((axis1, axis2), a.ndim)
    axes[i], axes[j] = axes[j], axes[i]
    return Transpose.apply(a, axes=tuple(axes))


def moveaxis(a, source, destination, /):
    source = normalize_axis(source, a.ndim)
    destination = normalize_axis(destination, a.ndim)
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return Transpose.apply(a, axes=tuple(order))


def squeeze(a, /, axis=None, *, dim=None):
    """Remove size-1 axes (all of them, or those in ``axis``; others are left alone)."""
    axis = axis_arg(axis, dim)
    axes = normalize_axis(axis, a.ndim)
    shape = tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1))
    return reshape(a, shape)


def unsqueeze(a, /, axis=None, *, dim=None):
    """Insert size-1 axes at ``axis`` (an int or a tuple, positions in the result)."""
    axis = axis_arg(axis, dim)
    if axis is None:
        raise TypeError("unsqueeze needs an axis (axis= or dim=)")
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = a.ndim + len(axes)
    axes = normalize_axis(axes, ndim)
    shape, it = [], iter(a.shape)
    for i in range(ndim):
        shape.append(1 if i in axes else next(it))
    return reshape(a, tuple(shape))


expand_dims = unsqueeze


def flatten(a, /, start_axis=0, end_axis=-1, *, start_dim=None, end_dim=None):
    start_axis = start_axis if start_dim is None else start_dim
    end_axis = end_axis if end_dim is None else end_dim
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = normalize_axis((start_axis, end_axis), a.ndim)
    size = 1
    for n in a.shape[start:end + 1]:
        size *= n
    return reshape(a, tuple(a.shape[:start]) + (size,) + tuple(a.shape[end + 1:]))


def ravel(a, /):
    return reshape(a, (-1,))


class Concatenate(Function):
    def forward(ctx, *xs, axis=0):
        try:
            out = ctx.xp.concatenate(xs, axis=axis)
        except ValueError:
            raise ValueError(f"cannot concatenate shapes {[tuple(x.shape) for x in xs]} "
                             f"along axis {axis}") from None
        ctx.sizes = [x.shape[axis] for x in xs]  # (all of one rank now)
        ctx.axis = axis
        return out

    def backward(ctx, grad):
        grads, start = [], 0
        index = [slice(None)] * grad.ndim
        for n, need in zip(ctx.sizes, ctx.needs_input_grad):
            index[ctx.axis] = slice(start, start + n)
            grads.append(grad[tuple(index)] if need else None)
            start += n
        return tuple(grads)


def concatenate(arrays, /, axis=0, *, dim=None):
    """Join tensors along an existing axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate needs at least one tensor")
    for position, a in enumerate(arrays):
        if not getattr(a, "ndim", 0):
            raise ValueError(f"concatenate: a 0-d tensor (at position {position}) has no axis to "
                             "join along; use stack")
    (axis,) = normalize_axis(axis_arg(axis if dim is None else None, dim), arrays[0].ndim)
    return Concatenate.apply(*arrays, axis=axis)


cat = concatenate


def stack(arrays, /, axis=0, *, dim=None):
    """Join same-shaped tensors along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack needs at least one tensor")
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    axis = axis_arg(axis if dim is None else None, dim)
    return concatenate([unsqueeze(a, axis) for a in arrays], axis=axis)


def hstack(arrays, /):
    arrays = list(arrays)
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def vstack(arrays, /):
    return concatenate([a if a.ndim >= 2 else reshape(a, (1, -1)) for a in arrays], axis=0)


def split(a, /, size_or_sections, axis=0, *, dim=None):
    """Split along ``axis``: an int is the size of each piece (the last may be smaller), a list
    gives each piece's size (PyTorch's convention)."""
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    n = a.shape[axis]
    if isinstance(size_or_sections, int):
        if size_or_sections <= 0:
            raise ValueError(f"split size must be positive, got {size_or_sections}")
        sizes = [size_or_sections] * (n // size_or_sections)
        if n % size_or_sections:
            sizes.append(n % size_or_sections)
    else:
        sizes = list(size_or_sections)
        if builtins.sum(sizes) != n:
            raise ValueError(f"split sizes {sizes} do not add up to {n} along axis {axis}")
    pieces, start = [], 0
    index = [slice(None)] * a.ndim
    for size in sizes:
        index[axis] = slice(start, start + size)
        pieces.append(a[tuple(index)])
        start += size
    return tuple(pieces)


def chunk(a, /, chunks, axis=0, *, dim=None):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (the last may be smaller)."""
    axis = axis_arg(axis if dim is None else None, dim)
    if chunks <= 0:
        raise ValueError(f"chunks must be positive, got {chunks}")
    n = a.shape[normalize_axis(axis, a.ndim)[0]]
    return split(a, builtins.max(-(-n // chunks), 1), axis)


def unbind(a, /, axis=0, *, dim=None):
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    index = [slice(None)] * a.ndim
    pieces = []
    for i in range(a.shape[axis]):
        index[axis] = i
        pieces.append(a[tuple(index)])
    return tuple(pieces)


class Flip(Function):
    def forward(ctx, x, axes):
        ctx.axes = axes
        return ctx.xp.flip(x, axis=axes)

    def backward(ctx, grad):
        return flip(grad, ctx.axes)


def flip(a, /, axis=None, *, dims=None):
    axis = axis_arg(axis, dims)
    return Flip.apply(a, axes=normalize_axis(axis, a.ndim))


class Pad(Function):
    """Constant padding; the gradient is the centre slice."""

    def forward(ctx, x, pad_width, value=0):
        ctx.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        return ctx.xp.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(ctx, grad):
        return grad[ctx.index]


def pad(a, /, pad_width, value=0):
    """NumPy-style ``pad_width``: an int, a (before, after) pair, or one pair per axis."""
    if isinstance(pad_width, int):
        pad_width = [(pad_width, pad_width)] * a.ndim
    elif len(pad_width) == 2 and all(isinstance(p, int) for p in pad_width):
        pad_width = [tuple(pad_width)] * a.ndim
    pad_width = tuple(tuple(int(v) for v in p) for p in pad_width)
    if len(pad_width) != a.ndim or any(v < 0 for p in pad_width for v in p):
        raise ValueError(f"pad_width {pad_width} does not fit a tensor of shape {tuple(a.shape)}")
    return Pad.apply(a, pad_width=pad_width, value=value)


class Repeat(Function):
    """Each element repeated ``repeats`` times along ``axis``; the gradient sums each group."""

    def forward(ctx, x, repeats, axis):
        ctx.in_shape, ctx.repeats, ctx.axis = x.shape, repeats, axis
        return ctx.xp.repeat(x, repeats, axis=axis)

    def backward(ctx, grad):
        if ctx.axis is None:
            grad = grad.reshape(-1)
            axis, shape = 0, (-1,)
        else:
            axis, shape = ctx.axis, ctx.in_shape
        if isinstance(ctx.repeats, int):
            moved = moveaxis(grad, axis, -1)
            grouped = moved.reshape(tuple(moved.shape[:-1]) + (-1, ctx.repeats)).sum(axis=-1)
            return moveaxis(grouped, -1, axis).reshape(ctx.in_shape if ctx.axis is None else shape)
        ends = list(_cumulative(ctx.repeats))
        pieces = [grad[(slice(None),) * axis + (slice(s, e),)].sum(axis=axis, keepdims=True)
                  for s, e in zip([0] + ends[:-1], ends)]
        return concatenate(pieces, axis=axis).reshape(ctx.in_shape)


def _cumulative(values):
    total = 0
    for v in values:
        total += int(v)
        yield total


def repeat(a, /, repeats, axis=None):
    """NumPy's repeat: repeat elements (not the whole tensor; see ``tile``)."""
    if axis is not None:
        (axis,) = normalize_axis(axis, a.ndim)
    if not isinstance(repeats, int):
        repeats = [int(r) for r in repeats]
    return Repeat.apply(a, repeats=repeats, axis=axis)


def tile(a, /, reps):
    """Repeat the whole tensor ``reps`` times along each axis (broadcast + reshape, so the
    gradient sums the copies)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    ndim = builtins.max(a.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    x = reshape(a, (1,) * (ndim - a.ndim) + tuple(a.shape))
    interleaved = []
    for r, n in zip(reps, x.shape):
        interleaved += [r, n]
    expanded = broadcast_to(reshape(x, tuple(v for n in x.shape for v in (1, n))),
                            tuple(interleaved))
    return reshape(expanded, tuple(r * n for r, n in zip(reps, x.shape)))


class Roll(Function):
    def forward(ctx, x, shifts, axis):
        ctx.shifts, ctx.axis = shifts, axis
        return ctx.xp.roll(x, shifts, axis=axis)

    def backward(ctx, grad):
        negated = -ctx.shifts if isinstance(ctx.shifts, int) else tuple(-s for s in ctx.shifts)
        return roll(grad, negated, ctx.axis)


def roll(a, /, shifts, axis=None, *, dims=None):
    axis = axis_arg(axis, dims)
    return Roll.apply(a, shifts=shifts, axis=axis)


class _Triangle(Function):
    def forward(ctx, x, k=0, upper=False):
        fn = ctx.xp.triu if upper else ctx.xp.tril
        ctx.k, ctx.upper = k, upper
        return fn(x, k)

    def backward(ctx, grad):
        return _Triangle.apply(grad, k=ctx.k, upper=ctx.upper)


def tril(a, /, k=0, *, diagonal=None):
    """The lower triangle (elements j <= i + k) of the last two axes; the rest set to 0."""
    return _Triangle.apply(a, k=k if diagonal is None else diagonal, upper=False)


def triu(a, /, k=0, *, diagonal=None):
    return _Triangle.apply(a, k=k if diagonal is None else diagonal, upper=True)


class Diagonal(Function):
    def forward(ctx, x, offset=0, axis1=0, axis2=1):
        ctx.in_shape, ctx.args, ctx.dtype = x.shape, (offset, axis1, axis2), x.dtype
        return ctx.xp.diagonal(x, offset, axis1, axis2).copy()

    def backward(ctx, grad):
        # scatter the diagonal back: moveaxis the pair last, embed, move back
        offset, axis1, axis2 = ctx.args
        n1, n2 = ctx.in_shape[axis1], ctx.in_shape[axis2]
        xp = ctx.xp
        rows = xp.arange(grad.shape[-1]) + (-offset if offset < 0 else 0)
        cols = rows + offset
        eye = xp.zeros((grad.shape[-1], n1, n2), dtype=ctx.dtype)  # (grad may be a Tensor)
        eye[xp.arange(grad.shape[-1]), rows, cols] = 1
        full = _diag_embed(grad, eye)
        rest = [i for i in range(len(ctx.in_shape)) if i not in (axis1, axis2)]
        order = rest + [axis1, axis2]
        inverse = [0] * len(order)
        for i, o in enumerate(order):
            inverse[o] = i
        return full.transpose(tuple(inverse))


def _diag_embed(grad, eye):
    # grad (..., d) times eye (d, n1, n2) summed over d: a (..., n1, n2) matrix per batch entry
    from lucid.ops.matmul import matmul
    flat = eye.reshape(eye.shape[0], -1)
    return matmul(grad, flat).reshape(tuple(grad.shape[:-1]) + tuple(eye.shape[1:]))


def diagonal(a, /, offset=0, axis1=0, axis2=1):
    axis1, axis2 = normalize_axis((axis1, axis2), a.ndim)
    return Diagonal.apply(a, offset=offset, axis1=axis1, axis2=axis2)


def diag(v, k=0, /):
    """A 1-D ``v`` placed on the k-th diagonal of a square matrix, or the k-th diagonal of a
    2-D ``v``."""
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag expects a 1-D or 2-D tensor, got shape {tuple(v.shape)}")
    from lucid.ops.creation import zeros
    from lucid.ops.index import index_put

    n = v.shape[0]
    rows = [i + builtins.max(-k, 0) for i in range(n)]
    cols = [i + builtins.max(k, 0) for i in range(n)]
    size = n + builtins.abs(k)
    return index_put(zeros((size, size), dtype=v.dtype, device=v.device), (rows, cols), v)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (``indexing="ij"`` matrix order or ``"xy"`` Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"indexing must be 'ij' or 'xy', got {indexing!r}")
    sizes = [t.shape[0] for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        position = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            position = 1 - i
        shape = [1] * len(tensors)
        shape[position] = -1
        grids.append(broadcast_to(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(grids)
