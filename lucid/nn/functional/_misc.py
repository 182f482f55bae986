"""Tensor utilities of ``lucid.nn.functional``: ``pad``, ``one_hot``, ``normalize``,
``cosine_similarity``, ``pairwise_distance``.

``pad`` follows PyTorch: the pad tuple runs from the last axis backwards, (left, right) of the
last axis first, then (top, bottom) of the one before, and so on. "constant" fills with
``value`` (a negative amount crops); "reflect" mirrors without repeating the edge
([a b c] -> [c b | a b c | b a]); "replicate" repeats the edge; "circular" wraps around.
The border copies are gathers, so their gradients are added back into the rows they were read
from, and every mode differentiates twice.
"""

from lucid._tensor import Tensor
from lucid.linalg import vector_norm
from lucid.ops import clip, concatenate, index_select, pad as _pad_constant
from lucid.ops._util import axis_arg, normalize_axis

__all__ = ["pad", "one_hot", "normalize", "cosine_similarity", "pairwise_distance"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _border_source(mode, n, left, right):
    """For a padded axis of size n: the source positions of the ``left`` and ``right`` new
    entries (as Python lists), by the rule of ``mode``."""
    positions_left = range(-left, 0)
    positions_right = range(n, n + right)
    if mode == "reflect":
        def rule(i):
            return -i if i < 0 else 2 * (n - 1) - i
    elif mode == "replicate":
        def rule(i):
            return min(max(i, 0), n - 1)
    else:  # circular
        def rule(i):
            return i % n
    return [rule(i) for i in positions_left], [rule(i) for i in positions_right]


def pad(input_, pad, mode="constant", value=None):
    """Pad ``input_`` by ``pad`` = (left_last, right_last, left_2nd_last, right_2nd_last, ...).

    Each pair pads one axis, from the last axis backwards; len(pad) / 2 <= ndim. ``mode``:
    "constant" (with ``value``, default 0; negative amounts crop), "reflect" (each amount less
    than the axis size), "replicate" (a non-empty axis), or "circular" (amounts up to the size).
    """
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input_.ndim:
        raise ValueError(f"pad: the pad tuple {pad} must have an even length of at most "
                         f"2 * ndim = {2 * input_.ndim} for input shape {tuple(input_.shape)}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in pad):
        raise TypeError(f"pad: the amounts must be ints, got {pad}")
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"pad: mode {mode!r} takes no fill value (got value={value})")
    # pairs[axis] = (before, after) for every axis
    pairs = [(0, 0)] * input_.ndim
    for k in range(len(pad) // 2):
        pairs[input_.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        return _pad_constant_mode(input_, pairs, 0 if value is None else value)
    for axis, (left, right) in enumerate(pairs):
        if left == 0 and right == 0:
            continue
        n = input_.shape[axis]
        if left < 0 or right < 0:
            raise ValueError(f"pad: mode {mode!r} needs non-negative amounts, got {pad}")
        if mode == "reflect" and max(left, right) >= n:
            raise ValueError(f"pad: reflect amounts ({left}, {right}) must be less than the size "
                             f"{n} of axis {axis} (input shape {tuple(input_.shape)})")
        if mode == "circular" and max(left, right) > n:
            raise ValueError(f"pad: circular amounts ({left}, {right}) must be at most the size "
                             f"{n} of axis {axis} (input shape {tuple(input_.shape)})")
        if mode == "replicate" and n == 0:
            raise ValueError(f"pad: replicate padding needs a non-empty axis {axis} (input shape "
                             f"{tuple(input_.shape)})")
        src_left, src_right = _border_source(mode, n, left, right)
        pieces = []
        if src_left:
            pieces.append(index_select(input_, axis, Tensor(src_left, device=input_.device)))
        pieces.append(input_)
        if src_right:
            pieces.append(index_select(input_, axis, Tensor(src_right, device=input_.device)))
        input_ = concatenate(pieces, axis=axis)
    return input_


def _pad_constant_mode(input_, pairs, value):
    # negative amounts crop first, then one constant pad of the positive amounts
    if any(v < 0 for pair in pairs for v in pair):
        index = []
        for (left, right), n in zip(pairs, input_.shape):
            start, stop = max(-left, 0), n - max(-right, 0)
            if stop < start:
                raise ValueError(f"pad: cropping {pairs} leaves a negative size for shape "
                                 f"{tuple(input_.shape)}")
            index.append(slice(start, stop))
        input_ = input_[tuple(index)]
        pairs = [(max(left, 0), max(right, 0)) for left, right in pairs]
    if all(v == 0 for pair in pairs for v in pair):
        return input_
    return _pad_constant(input_, pairs, value)


def one_hot(input_, num_classes=-1, dtype=None):
    """out[..., c] = 1 where input_[...] == c: integer (*) -> (*, num_classes), int64 unless
    ``dtype`` is given. ``num_classes=-1`` takes max(input_) + 1. No gradient."""
    if not isinstance(input_, Tensor):
        input_ = Tensor(input_)
    raw, device = input_._data, input_.device
    if raw.dtype.kind not in "iu":
        raise TypeError(f"one_hot: input must be integer class indices, got dtype {raw.dtype}")
    if num_classes == -1:
        if raw.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty input; pass it")
        num_classes = int(raw.max()) + 1
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be non-negative or -1, got {num_classes}")
    if raw.size:
        lo, hi = int(raw.min()), int(raw.max())
        if lo < 0 or hi >= num_classes:
            raise IndexError(f"one_hot: class index {hi if hi >= num_classes else lo} is out of "
                             f"range for {num_classes} classes")
    hot = raw[..., None] == input_._backend.xp.arange(num_classes)
    return Tensor(hot, dtype="int64" if dtype is None else dtype, device=device)


def normalize(input_, ord=2, axis=1, eps=1e-12, *, p=None, dim=None):
    """x / max(||x||_ord, eps) along ``axis`` (``p=`` / ``dim=`` are PyTorch's names): each
    slice along ``axis`` gets unit norm; a slice shorter than eps is divided by eps."""
    ord = ord if p is None else p
    axis = axis_arg(axis if dim is None else None, dim)
    (axis,) = normalize_axis(axis, input_.ndim)
    return input_ / clip(vector_norm(input_, ord, axis, keepdims=True), eps)


def cosine_similarity(x1, x2, axis=1, eps=1e-8, *, dim=None):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along ``axis``, after broadcasting x1
    and x2; the result drops ``axis``. As in PyTorch each vector is divided by its own norm
    first (the result stays in [-1, 1]), and the eps floor changes the value but not the
    gradient (PyTorch applies it without recording it)."""
    from lucid.ops import broadcast_shapes, broadcast_to
    axis = axis_arg(axis if dim is None else None, dim)
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    (axis,) = normalize_axis(axis, len(shape))

    def unit(x):
        norm = vector_norm(x, 2, axis, keepdims=True)
        floor = norm._data
        return x / (norm + Tensor(x._backend.xp.maximum(floor, eps) - floor))

    return (unit(x1) * unit(x2)).sum(axis=axis)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis (the eps keeps the gradient finite where the
    two are equal), as in PyTorch."""
    diff = x1 - x2 + eps
    return vector_norm(diff, p, -1, keepdims=keepdim)
