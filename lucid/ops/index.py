"""Indexing ops: ``t[index]``, ``t[index] = v``, gather / scatter, sort, top-k and friends.

``t[index]`` takes what NumPy takes (ints, slices, ``...``, ``None``, integer arrays, boolean
masks, and Tensors of those). Its backward scatters the gradient back into a zero tensor,
*adding* where an integer array repeats an index (``x[[0, 0]]`` gives x[0] twice the gradient).
That scatter is an op too (``IndexAdd``), whose own backward is the gather, so indexing can be
differentiated twice.
"""

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.autograd.grad_mode import records
from lucid.backend import xp_of
from lucid.error import DeviceMismatchError
from lucid.ops._util import normalize_axis, axis_arg, sum_to, promote, non_differentiable

__all__ = [
    "getitem", "setitem", "index_put", "index_add", "gather", "scatter", "scatter_add",
    "index_select", "take_along_axis", "masked_fill", "sort", "argsort", "topk", "nonzero",
    "unique", "histogram", "histogram2d", "histogramdd", "take", "searchsorted",
]


def _raw_index(index, xp, op="getitem", owner=None):
    """The index with Tensors and lists replaced by arrays of the right backend (an index
    Tensor on another device than ``owner`` raises DeviceMismatchError)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for item in index:
        if isinstance(item, Tensor):
            if owner is not None:
                _same_device(owner, item, op)
            item = _index_data(item, owner)
        elif isinstance(item, list):
            item = xp.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be integer or bool")
        elif type(item).__module__ == "numpy" and hasattr(item, "ndim") and xp.__name__ != "numpy":
            item = xp.asarray(item)
        out.append(item)
    return tuple(out)


def _consumed(item):
    """How many axes of the indexed tensor one index item uses up."""
    if item is None or item is Ellipsis:
        return 0
    return item.ndim if _is_bool(item) else 1


def _check_bounds(shape, index):
    """IndexError for an index that does not fit: too many items, an int or an integer array
    out of range, a boolean mask of the wrong shape."""
    used = sum(_consumed(item) for item in index)
    if used > len(shape):
        raise IndexError(f"too many indices ({used}) for a tensor of {len(shape)} dimensions")
    axis = 0
    for item in index:
        if item is Ellipsis:
            axis += len(shape) - used
            continue
        if item is None or isinstance(item, slice):
            axis += 0 if item is None else 1
            continue
        if _is_bool(item):
            if tuple(item.shape) != tuple(shape[axis:axis + item.ndim]):
                raise IndexError(f"boolean index of shape {tuple(item.shape)} does not match the "
                                 f"indexed shape {tuple(shape[axis:axis + item.ndim])}")
            axis += item.ndim
            continue
        n = shape[axis]
        if isinstance(item, int):
            bad = None if -n <= item < n else item
        elif hasattr(item, "dtype") and item.dtype.kind in "iu":
            bad = None
            if item.size:
                lo, hi = int(item.min()), int(item.max())
                bad = hi if hi >= n else (lo if lo < -n else None)
        else:
            raise IndexError(f"unsupported index {item!r}")
        if bad is not None:
            raise IndexError(f"index {bad} is out of range for axis {axis} of size {n}")
        axis += 1


def _is_bool(item):
    return hasattr(item, "dtype") and item.dtype.kind == "b"


class GetItem(Function):
    """out = x[index]; the gradient is scattered back (adding at repeated indices)."""

    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    def backward(ctx, grad):
        return IndexAdd.apply(grad, shape=ctx.in_shape, index=ctx.index)


class IndexAdd(Function):
    """zeros(shape) with ``v`` added at ``index`` (repeats add up); the backward is v's gather."""

    def forward(ctx, v, shape, index):
        ctx.index = index
        xp = ctx.xp
        out = xp.zeros(shape, dtype=v.dtype)
        if _is_basic(index):
            out[index] = v
        elif _one_row_index(index, v):
            _add_rows(xp, out, index[0], v)  # rows picked by one index array (embeddings)
        else:
            xp.add.at(out, index, v)
        return out

    def backward(ctx, grad):
        return grad[ctx.index]


def _add_rows(xp, out, rows, values):
    """out[rows[i]] += values[i] for every i, repeated rows adding up: ``add.at``'s meaning, which
    NumPy runs element by element (about 5x slower than this on embedding-sized rows). Each
    round adds the first remaining occurrence of every row in one vectorised step (the rows of
    a round are distinct); a row repeated many times (a padding index) ends summed at once."""
    rows = rows % out.shape[0]  # -1 and n - 1 are one row
    while rows.size:
        distinct, first = xp.unique(rows, return_index=True)
        if distinct.size <= 8 and rows.size > 4 * distinct.size:  # a few rows, many repeats
            for row in distinct.tolist():
                out[row] += values[rows == row].sum(axis=0)
            return
        out[distinct] += values[first]
        rest = xp.ones(rows.size, dtype=bool)
        rest[first] = False
        rows, values = rows[rest], values[rest]


def _one_row_index(index, values):
    """Is ``index`` a single 1-D integer array picking whole rows, one per row of values?"""
    if len(index) != 1:
        return False
    rows = index[0]
    return (getattr(rows, "ndim", 0) == 1 and rows.dtype.kind in "iu"
            and values.shape[:1] == rows.shape)


def _is_basic(index):
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index)


def getitem(a, index):
    if isinstance(a, Tensor):
        raw = _raw_index(index, a._backend.xp, "getitem", a)
    else:
        raw = _raw_index(index, xp_of(a))
    _check_bounds(a.shape, raw)
    return GetItem.apply(a, index=raw)


class IndexPut(Function):
    """out = x with out[index] = v (v broadcast); x's gradient is zero where v was written."""

    def forward(ctx, x, v, index):
        x, v = promote(x, v)
        out = x.copy()
        out[index] = v
        ctx.index = index
        ctx.v_shape = getattr(v, "shape", ())
        ctx.written_shape = out[index].shape
        return out

    def backward(ctx, grad):
        need_x, need_v = ctx.needs_input_grad
        grad_x = grad_v = None
        if need_x:
            grad_x = grad * IndexAdd.apply(grad[ctx.index] * 0 + 1, shape=grad.shape,
                                           index=ctx.index).__rsub__(1)
        if need_v:
            grad_v = sum_to(grad[ctx.index], ctx.v_shape)
        return grad_x, grad_v


def index_put(a, index, value):
    """A copy of ``a`` with ``value`` written at ``index`` (differentiable in both)."""
    raw = _raw_index(index, a._backend.xp, "index_put", a)
    _check_bounds(a.shape, raw)
    return IndexPut.apply(a, value, index=raw)


def setitem(a, index, value):
    """``a[index] = value`` in place (differentiable through ``a``'s new node)."""
    if isinstance(value, Tensor) and value.device != a.device:
        value = value.to(a.device)
    a._inplace(index_put(a, index, value))


def index_add(a, axis, index, source):
    """a + source added into the rows ``index`` along ``axis`` (repeats add up)."""
    index = _as_raw(index, a, "index_add")
    (axis,) = normalize_axis(axis, a.ndim)
    full = (slice(None),) * axis + (index,)
    return a + IndexAdd.apply(source, shape=tuple(a.shape), index=full)


def _same_device(a, index, op):
    if index._backend is not a._backend:
        raise DeviceMismatchError(
            f"{op}: the tensor is on '{a.device}' but its index is on '{index.device}'; move "
            "them with .to(device)")


def _as_raw(index, a, op="index"):
    if isinstance(index, Tensor):
        _same_device(a, index, op)
        return _index_data(index, a)
    return a._backend.xp.asarray(index)


def _index_data(index, a):
    """The array of an index tensor used on ``a``. When the op records a graph it is a copy:
    backward then reads the indices forward used, even if the tensor is written in place in
    between (PyTorch raises there; the indices reach the op as a keyword, which no version
    counter watches)."""
    if records(a):
        return index._data.copy()
    return index._data


class TakeAlongAxis(Function):
    """out[..., i, ...] = x[..., index[..., i, ...], ...] along ``axis``; backward adds back."""

    def forward(ctx, x, index, axis):
        ctx.in_shape, ctx.index, ctx.axis = x.shape, index, axis
        return ctx.xp.take_along_axis(x, index, axis=axis)

    def backward(ctx, grad):
        return PutAlongAxis.apply(grad, shape=ctx.in_shape, index=ctx.index, axis=ctx.axis)


class PutAlongAxis(Function):
    """zeros(shape) with ``v`` added at ``index`` along ``axis``; backward is take_along_axis."""

    def forward(ctx, v, shape, index, axis):
        xp = ctx.xp
        ctx.index, ctx.axis = index, axis
        out = xp.zeros(shape, dtype=v.dtype)
        grids = xp.indices(index.shape, sparse=True)
        full = tuple(index if i == axis else g for i, g in enumerate(grids))
        xp.add.at(out, full, v)
        return out

    def backward(ctx, grad):
        return TakeAlongAxis.apply(grad, index=ctx.index, axis=ctx.axis)


def _index_array(index, a, axis=None, size=None, op="index"):
    raw = _as_raw(index, a, op)
    if raw.dtype.kind not in "iu":
        raise IndexError(f"index must be an integer tensor, got {raw.dtype}")
    if axis is not None and raw.size:
        n = a.shape[axis] if size is None else size
        lo, hi = int(raw.min()), int(raw.max())
        if lo < -n or hi >= n:
            raise IndexError(f"index {hi if hi >= n else lo} is out of range for axis {axis} "
                             f"of size {n}")
    return raw


def take_along_axis(a, indices, axis, /):
    (axis,) = normalize_axis(axis, a.ndim)
    return TakeAlongAxis.apply(a, index=_index_array(indices, a, axis, op="take_along_axis"),
                               axis=axis)


def gather(a, axis, index, *, dim=None):
    """PyTorch's gather: out[i][j] = a[index[i][j]][j] for axis 0 (index may be smaller than
    ``a`` along the other axes)."""
    axis = axis_arg(axis, dim) if dim is not None else axis
    (axis,) = normalize_axis(axis, a.ndim)
    raw = _index_array(index, a, axis, op="gather")
    if raw.ndim != a.ndim:
        raise ValueError(f"gather: index has {raw.ndim} dimensions, input has {a.ndim}")
    for d in range(a.ndim):
        if d != axis and raw.shape[d] > a.shape[d]:
            raise ValueError(f"gather: index shape {tuple(raw.shape)} exceeds input shape "
                             f"{tuple(a.shape)} at axis {d}")
    sliced = a[tuple(slice(None) if d == axis else slice(0, raw.shape[d]) for d in range(a.ndim))]
    return TakeAlongAxis.apply(sliced, index=raw, axis=axis)


class Scatter(Function):
    """out = x with out[index[i][j]][j] = src[i][j] (axis 0); ``reduce="add"`` adds instead."""

    def forward(ctx, x, src, index, axis, add=False):
        xp = ctx.xp
        x, src = promote(x, src)
        out = x.copy()
        grids = xp.indices(index.shape, sparse=True)
        full = tuple(index if i == axis else g for i, g in enumerate(grids))
        if not hasattr(src, "shape"):
            src = xp.full(index.shape, src, dtype=x.dtype)
        src = src[tuple(slice(0, n) for n in index.shape)]
        if add:
            xp.add.at(out, full, src)
        else:
            out[full] = src
        ctx.full, ctx.add, ctx.src_shape = full, add, getattr(src, "shape", ())
        ctx.src_full_shape = None
        return out

    def backward(ctx, grad):
        need_x, need_src = ctx.needs_input_grad
        grad_x = grad_src = None
        if need_x:
            if ctx.add:
                grad_x = grad
            else:
                grad_x = grad * IndexAdd.apply(grad[ctx.full] * 0 + 1, shape=grad.shape,
                                               index=ctx.full).__rsub__(1)
        if need_src:
            taken = grad[ctx.full]
            shape = ctx.parents[1].shape
            if tuple(taken.shape) != tuple(shape):
                taken = pad_to(taken, shape)
            grad_src = taken
        return grad_x, grad_src


def pad_to(g, shape):
    from lucid.ops.shape import pad
    return pad(g, [(0, n - m) for n, m in zip(shape, g.shape)])


def scatter(a, axis, index, src, reduce=None, *, dim=None, value=None):
    axis = axis_arg(axis, dim) if dim is not None else axis
    (axis,) = normalize_axis(axis, a.ndim)
    if value is not None:
        src = value
    if reduce not in (None, "add", "sum"):
        raise ValueError(f"scatter: reduce must be None or 'add', got {reduce!r}")
    raw = _index_array(index, a, axis, op="scatter")
    return Scatter.apply(a, src, index=raw, axis=axis, add=reduce is not None)


def scatter_add(a, axis, index, src, *, dim=None):
    return scatter(a, axis, index, src, reduce="add", dim=dim)


def index_select(a, axis, index, *, dim=None):
    """The slices ``index`` (1-D ints) of ``a`` along ``axis``."""
    axis = axis_arg(axis, dim) if dim is not None else axis
    (axis,) = normalize_axis(axis, a.ndim)
    raw = _index_array(index, a, axis, op="index_select")
    if raw.ndim != 1:
        raise IndexError(f"index_select needs a 1-D index, got shape {tuple(raw.shape)}")
    return GetItem.apply(a, index=(slice(None),) * axis + (raw,))


def take(a, index):
    """Elements of the flattened ``a`` at ``index``."""
    from lucid.ops.shape import reshape
    flat = reshape(a, (-1,))
    return GetItem.apply(flat, index=(_index_array(index, flat, 0, op="take"),))


def masked_fill(a, mask, value, /):
    """``value`` where ``mask`` is true, ``a`` elsewhere (mask broadcasts)."""
    from lucid.ops.elementwise import where
    if not isinstance(mask, Tensor):  # host data (a list, a NumPy mask) moves to a's device
        mask = a._backend.asarray(mask)
    return where(mask, value, a)  # (Where checks that the mask is on a's device)


# ---------------------------------------------------------------------------- order statistics
class _Argsort(Function):
    def forward(ctx, x, axis, descending=False, stable=False):
        if descending:
            return non_differentiable(ctx, _stable_desc(ctx.xp, x, axis))
        return non_differentiable(ctx, ctx.xp.argsort(x, axis=axis,
                                                      kind="stable" if stable else None))

    def backward(ctx, grad):
        return (None,)


def _stable_desc(xp, x, axis):
    # negate for numbers; stable so that ties keep their original order, as torch's stable sort
    if x.dtype.kind == "b":
        key = ~x
    elif x.dtype.kind == "u":
        key = x.max() - x
    else:
        key = -x
    return xp.argsort(key, axis=axis, kind="stable")


def argsort(a, /, axis=-1, descending=False, kind=None, stable=False, *, dim=None):
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    return _Argsort.apply(a, axis=axis, descending=descending, stable=stable or kind == "stable")


def sort(a, /, axis=-1, descending=False, kind=None, stable=False, *, dim=None):
    """(values, indices) sorted along ``axis``; values carry the gradient."""
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    indices = argsort(a, axis, descending, kind, stable)
    return TakeAlongAxis.apply(a, index=_index_data(indices, a), axis=axis), indices


def topk(a, /, k, axis=-1, largest=True, sorted=True, *, dim=None):
    """(values, indices) of the k largest (or smallest) entries along ``axis``."""
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, a.ndim)
    if not 0 <= k <= a.shape[axis]:
        raise ValueError(f"topk: k={k} is out of range for axis {axis} of size {a.shape[axis]}")
    order = argsort(a, axis, descending=largest, stable=True)
    indices = order[(slice(None),) * axis + (slice(0, k),)]
    return TakeAlongAxis.apply(a, index=_index_data(indices, a), axis=axis), indices


class _NoGrad(Function):
    def forward(ctx, x, fn):
        return non_differentiable(ctx, fn(ctx.xp, x))

    def backward(ctx, grad):
        return (None,)


def nonzero(a, /, as_tuple=False):
    """Indices of the nonzero entries: an (N, ndim) int64 tensor, or one 1-D tensor per axis."""
    coords = _NoGrad.apply(a, fn=lambda xp, x: xp.stack(xp.nonzero(x), axis=-1).astype("int64"))
    if as_tuple:
        return tuple(coords[:, i] for i in range(a.ndim))
    return coords


def unique(a, /, sorted=True, axis=None, return_inverse=False, return_counts=False):
    """The distinct values (sorted), optionally with the inverse map and the counts."""
    xp = a._backend.xp
    values, inverse, counts = xp.unique(a._data, return_inverse=True, return_counts=True, axis=axis)
    result = [Tensor(values, device=a.device)]
    if return_inverse:
        result.append(Tensor(inverse.reshape(a.shape if axis is None else -1).astype("int64"),
                             device=a.device))
    if return_counts:
        result.append(Tensor(counts.astype("int64"), device=a.device))
    return result[0] if len(result) == 1 else tuple(result)


def searchsorted(sorted_sequence, values, /, right=False):
    xp = sorted_sequence._backend.xp
    v = values._data if isinstance(values, Tensor) else values
    out = xp.searchsorted(sorted_sequence._data, v, side="right" if right else "left")
    return Tensor(out.astype("int64"), device=sorted_sequence.device)


def histogram(a, /, bins=10, range=None, density=False):
    """(hist, bin_edges) of the flattened values; no gradient."""
    xp = a._backend.xp
    hist, edges = xp.histogram(a._data.ravel(), bins=bins, range=range, density=density)
    return Tensor(hist, device=a.device), Tensor(edges, device=a.device)


def histogram2d(a, b, /, bins=10, range=None, density=False):
    xp = a._backend.xp
    hist, xe, ye = xp.histogram2d(a._data.ravel(), b._data.ravel(), bins=bins, range=range,
                                  density=density)
    return Tensor(hist, device=a.device), Tensor(xe, device=a.device), Tensor(ye, device=a.device)


def histogramdd(a, /, bins=10, range=None, density=False):
    xp = a._backend.xp
    hist, edges = xp.histogramdd(a._data, bins=bins, range=range, density=density)
    return Tensor(hist, device=a.device), tuple(Tensor(e, device=a.device) for e in edges)
