"""``lucid.einops``: tensor reshaping written as readable patterns, as in the einops library.

A pattern names the axes of the input and of the output::

    rearrange(x, "b c h w -> b (h w) c")            # flatten the image, channels last
    rearrange(x, "b (h w) c -> b c h w", h=16)      # and back: w is inferred from the length
    reduce(x, "b c (h 2) (w 2) -> b c h w", "max")  # 2x2 max-pooling
    repeat(x, "h w -> h w c", c=3)                  # a new axis of length 3
    einsum("batch i d, batch j d -> batch i j", q, k)

The grammar of one side of a pattern:

- a name (a Python identifier that does not start or end with ``_``) is one axis;
- ``(a b c)`` is one axis of the tensor made of the elementary axes a, b, c, row-major (the last
  varies fastest): its length is len(a) * len(b) * len(c). ``()`` is an axis of length 1;
- ``1`` is an axis of length 1 (inside a group it contributes nothing);
- a number n > 1 is an *anonymous* axis of length n: in ``reduce`` it is reduced over on the left,
  in ``repeat`` it is a new axis of that length on the right. Every number names a different
  axis, so a number on the left never matches a number on the right;
- ``...`` stands for all the axes not named; on the right it may sit inside a group.

Axis lengths come from the input's shape and from the keyword arguments; within one group of the
input at most one length may be unknown, and it is inferred by division (``"(h w)"`` of length 12
with ``h=3`` gives w = 4; Lucid 2 could not do this). Every transformation is composed from
``reshape``, ``transpose``, a reduction and ``broadcast_to``, so gradients (and gradients of
gradients) come from those ops. Raw backend arrays stay raw (the ops' dual mode), anything else
that is not a Tensor (a list, a number) becomes one, and a list of Tensors is stacked on a new
first axis, as einops does.

Bad patterns, sizes that do not fit the shape, and groups with two unknown lengths raise
``EinopsError``, a ``ValueError`` whose message names the pattern and the shape.
"""

import functools
import keyword
import string

from lucid._tensor import Tensor
from lucid.backend import is_array
from lucid.ops import reduce as _reductions
from lucid.ops.matmul import einsum as _letter_einsum
from lucid.ops.shape import broadcast_to, reshape, stack, transpose

__all__ = ["rearrange", "reduce", "repeat", "einsum", "EinopsError"]


class EinopsError(ValueError):
    """A pattern that cannot be parsed or does not fit the tensor it is applied to."""


_ELLIPSIS = "…"  # one character standing for "...", so a pattern can be scanned char by char

_REDUCTIONS = {
    "sum": _reductions.sum, "mean": _reductions.mean, "max": _reductions.max,
    "min": _reductions.min, "prod": _reductions.prod, "any": _reductions.any,
    "all": _reductions.all,
}


class _Anonymous:
    """A numbered axis such as the ``2`` in ``"(h 2)"``; no two instances are equal."""

    __slots__ = ("length",)

    def __init__(self, length):
        self.length = length

    def __repr__(self):
        return str(self.length)


# ------------------------------------------------------------------------------- parsing
def _check_name(name, pattern):
    if not name.isidentifier():
        raise EinopsError(f"pattern {pattern!r}: {name!r} is not a valid axis name "
                          "(names are Python identifiers, or numbers for anonymous axes)")
    if name.startswith("_") or name.endswith("_"):
        raise EinopsError(f"pattern {pattern!r}: axis name {name!r} must not start or end "
                          "with an underscore")
    if keyword.iskeyword(name):
        raise EinopsError(f"pattern {pattern!r}: axis name {name!r} is a Python keyword")


class _Side:
    """One side of a pattern.

    ``groups`` holds one entry per axis of the tensor: a list of elementary axes (names,
    ``_Anonymous`` objects, or ``_ELLIPSIS`` inside a group), or ``_ELLIPSIS`` itself for a bare
    ``...`` (which stands for any number of tensor axes). ``identifiers`` is the set of every
    elementary axis on this side.
    """

    def __init__(self, text, pattern):
        self.groups = []
        self.identifiers = set()
        self.has_ellipsis = False
        self.ellipsis_in_group = False
        if "." in text:
            if text.count("...") != 1 or text.count(".") != 3:
                raise EinopsError(f"pattern {pattern!r}: a side may hold one '...' and no other "
                                  "dots")
            text = text.replace("...", _ELLIPSIS)
        group = None  # the open parenthesised group, if any
        token = ""
        for char in text + " ":
            if char.isalnum() or char in "_" + _ELLIPSIS:
                token += char
                continue
            if token:
                self._add(token, group, pattern)
                token = ""
            if char == "(":
                if group is not None:
                    raise EinopsError(f"pattern {pattern!r}: groups cannot be nested")
                group = []
            elif char == ")":
                if group is None:
                    raise EinopsError(f"pattern {pattern!r}: ')' without a matching '('")
                self.groups.append(group)
                group = None
            elif not char.isspace():
                raise EinopsError(f"pattern {pattern!r}: unexpected character {char!r}")
        if group is not None:
            raise EinopsError(f"pattern {pattern!r}: '(' without a matching ')'")

    def _add(self, token, group, pattern):
        if token == _ELLIPSIS:
            self.has_ellipsis = True
            self.identifiers.add(_ELLIPSIS)
            if group is None:
                self.groups.append(_ELLIPSIS)
            else:
                self.ellipsis_in_group = True
                group.append(_ELLIPSIS)
            return
        if token.isdecimal():
            length = int(token)
            if length == 0:
                raise EinopsError(f"pattern {pattern!r}: an anonymous axis must have a "
                                  "positive length, not 0")
            if length == 1:  # a unit axis: an empty group alone, nothing inside a group
                if group is None:
                    self.groups.append([])
                return
            axis = _Anonymous(length)
        else:
            _check_name(token, pattern)
            if token in self.identifiers:
                raise EinopsError(f"pattern {pattern!r}: axis {token!r} appears twice on one "
                                  "side")
            axis = token
        self.identifiers.add(axis)
        if group is None:
            self.groups.append([axis])
        else:
            group.append(axis)

    @property
    def has_anonymous(self):
        return any(isinstance(axis, _Anonymous) for axis in self.identifiers)


def _show(group):
    """A group as it is written in a pattern: ``h`` or ``(h w)``."""
    if group == _ELLIPSIS:
        return "..."
    names = ["..." if axis == _ELLIPSIS else str(axis) for axis in group]
    return names[0] if len(names) == 1 else "(" + " ".join(names) + ")"


def _names(axes):
    """``axis 'w'`` or ``axes 'h', 'w'``, for error messages."""
    axes = sorted(axes, key=str)
    return ("axis " if len(axes) == 1 else "axes ") + ", ".join(
        repr("..." if a == _ELLIPSIS else str(a)) for a in axes)


def _product(values):
    result = 1
    for v in values:
        result *= v
    return result


# ------------------------------------------------------------------------------- the plan
@functools.lru_cache(maxsize=1024)
def _plan(pattern, operation, shape, axes_lengths):
    """How to turn a tensor of ``shape`` into the result, as a tuple of steps.

    ``operation`` is "rearrange", "reduce" or "repeat"; ``axes_lengths`` is a sorted tuple of
    (name, length) pairs. The steps, each None when it would do nothing:

    1. ``init_shape``: reshape so that every elementary axis of the left side is a tensor axis;
    2. ``perm``: transpose them into the order of the right side, reduced axes last;
    3. ``reduced``: the trailing axes to reduce over;
    4. ``expand_shape`` / ``repeat_shape``: reshape with a 1 where each new axis goes, then
       broadcast to the new axes' lengths (repeat);
    5. ``final_shape``: reshape to the right side's groups.
    """
    where = f"{operation}({pattern!r}) on a tensor of shape {shape}"
    if pattern.count("->") != 1:
        raise EinopsError(f"{where}: a pattern needs exactly one '->' between input and output")
    left_text, right_text = pattern.split("->")
    left, right = _Side(left_text, pattern), _Side(right_text, pattern)

    # -- what each operation allows: new axes only in repeat, vanishing axes only in reduce
    if right.has_ellipsis and not left.has_ellipsis:
        raise EinopsError(f"{where}: '...' on the right side needs '...' on the left side")
    if left.ellipsis_in_group:
        raise EinopsError(f"{where}: '...' cannot be inside a group on the left side")
    only_left = left.identifiers - right.identifiers
    only_right = right.identifiers - left.identifiers
    if operation == "rearrange":
        if left.has_anonymous or right.has_anonymous:
            raise EinopsError(f"{where}: rearrange takes no numbered axes other than 1 (a "
                              "number names a new axis; use reduce or repeat)")
        if only_left or only_right:
            raise EinopsError(f"{where}: {_names(only_left | only_right)} on one side only; "
                              "rearrange must keep every axis (use reduce to remove axes, repeat "
                              "to add them)")
    elif operation == "repeat":
        if only_left:
            raise EinopsError(f"{where}: {_names(only_left)} on the left side only; repeat "
                              "cannot remove axes (use reduce)")
    elif only_right:
        raise EinopsError(f"{where}: {_names(only_right)} on the right side only; reduce "
                          "cannot create axes (use repeat)")

    # -- expand '...' into as many elementary axes as the tensor has unnamed dimensions
    named = len(left.groups) - left.has_ellipsis
    if len(shape) < named or (len(shape) != named and not left.has_ellipsis):
        expected = f"at least {named}" if left.has_ellipsis else f"{named}"
        raise EinopsError(f"{where}: the left side {left_text.strip()!r} describes {expected} "
                          f"dimensions, the tensor has {len(shape)}")
    ellipsis = [f"{_ELLIPSIS}{i}" for i in range(len(shape) - named)]

    def expand(groups):
        out = []
        for group in groups:
            if group == _ELLIPSIS:
                out.extend([axis] for axis in ellipsis)
            else:
                out.append([a for axis in group for a in (ellipsis if axis == _ELLIPSIS
                                                           else [axis])])
        return out

    left_groups, right_groups = expand(left.groups), expand(right.groups)
    left_axes = [axis for group in left_groups for axis in group]
    right_axes = [axis for group in right_groups for axis in group]

    # -- lengths: given ones, anonymous ones, then those inferred from the input's shape
    lengths = {}
    for name, length in axes_lengths:
        if name not in left.identifiers and name not in right.identifiers:
            raise EinopsError(f"{where}: axis {name!r} was given a length but is not in the "
                              "pattern")
        lengths[name] = length
    for axis in left_axes + right_axes:
        if isinstance(axis, _Anonymous):
            lengths[axis] = axis.length
    for dim, (group, length) in enumerate(zip(left_groups, shape)):
        unknown = [axis for axis in group if axis not in lengths]
        known = _product(lengths[axis] for axis in group if axis not in unknown)
        axis_text = (f"input dimension {dim}, {_show(group)}, has length {length}" if group
                     else f"input dimension {dim}, a unit axis, has length {length}")
        if len(unknown) > 1:
            raise EinopsError(
                f"{where}: {axis_text}, and the lengths of {_names(unknown)} cannot both be "
                f"inferred; give all but one of them, e.g. "
                f"{operation}(x, {pattern!r}, {unknown[0]}=...)")
        if not unknown:
            if length != known:
                sizes = " * ".join(f"{axis}={lengths[axis]}" for axis in group)
                expected = f"{sizes} = {known}" if len(group) > 1 else sizes or "1"
                raise EinopsError(f"{where}: {axis_text}, but the pattern says {expected}")
        elif known == 0 or length % known:
            sizes = " * ".join(f"{axis}={lengths[axis]}" for axis in group if axis in lengths)
            raise EinopsError(f"{where}: {axis_text}, which is not {sizes} times a whole "
                              f"length of {unknown[0]!r}")
        else:
            lengths[unknown[0]] = length // known
    missing = [axis for axis in right_axes if axis not in lengths]
    if missing:
        raise EinopsError(f"{where}: give the length of each new axis, e.g. "
                          f"{operation}(x, {pattern!r}, {missing[0]}=...); missing: "
                          f"{_names(missing)}")

    # -- the steps
    init_shape = tuple(lengths[axis] for axis in left_axes)
    left_set, right_set = set(left_axes), set(right_axes)
    kept = [axis for axis in right_axes if axis in left_set]
    reduced = [axis for axis in left_axes if axis not in right_set]
    perm = tuple(left_axes.index(axis) for axis in kept + reduced)
    expand_shape = tuple(lengths[axis] if axis in left_set else 1 for axis in right_axes)
    repeat_shape = tuple(lengths[axis] for axis in right_axes)
    final_shape = tuple(_product(lengths[axis] for axis in group) for group in right_groups)
    return (init_shape if init_shape != shape else None,
            perm if perm != tuple(range(len(perm))) else None,
            tuple(range(len(kept), len(left_axes))) or None,
            expand_shape if len(right_set) != len(kept) else None,
            repeat_shape,
            final_shape if final_shape != repeat_shape else None)


def _as_input(a):
    """A Tensor or raw backend array as it is; a list of Tensors stacked; anything else a Tensor."""
    if isinstance(a, Tensor) or is_array(a):
        return a
    if isinstance(a, (list, tuple)) and a and all(isinstance(t, Tensor) for t in a):
        return stack(list(a))
    return Tensor(a)


def _lengths(axes_lengths):
    items = []
    for name, length in sorted(axes_lengths.items()):
        if isinstance(length, bool) or not hasattr(length, "__index__") or int(length) < 0:
            raise EinopsError(f"the length of axis {name!r} must be a non-negative int, "
                              f"got {length!r}")
        items.append((name, int(length)))
    return tuple(items)


def _apply(a, pattern, operation, reduction, axes_lengths):
    if not isinstance(pattern, str):
        raise TypeError(f"{operation}: the pattern must be a str, got {type(pattern).__name__}")
    x = _as_input(a)
    init_shape, perm, reduced, expand_shape, repeat_shape, final_shape = _plan(
        pattern, operation, tuple(x.shape), _lengths(axes_lengths))
    if init_shape is not None:
        x = reshape(x, init_shape)
    if perm is not None:
        x = transpose(x, perm)
    if reduced is not None:
        x = reduction(x, reduced)
    if expand_shape is not None:
        x = broadcast_to(reshape(x, expand_shape), repeat_shape)
    if final_shape is not None:
        x = reshape(x, final_shape)
    return x


# ------------------------------------------------------------------------------- the API
def rearrange(a, /, pattern, **axes_lengths):
    """Reorder, split and merge axes: ``rearrange(x, "b c h w -> b h w c")``.

    Every axis of the left side appears on the right side and vice versa; only the layout
    changes (transpose, reshape), so the result holds the same values as ``a``. Lengths of split
    axes come from ``axes_lengths`` (one unknown per group is inferred). The gradient is the
    inverse rearrangement of the upstream gradient.
    """
    return _apply(a, pattern, "rearrange", None, axes_lengths)


def reduce(a, /, pattern, reduction="sum", **axes_lengths):
    """Rearrange, then reduce the axes that are missing on the right side.

    ``reduction`` is "sum", "mean", "max", "min", "prod", "any", "all", or a callable
    ``f(tensor, axes) -> tensor``. ``reduce(x, "b c (h 2) (w 2) -> b c h w", "max")`` is a 2x2
    max-pool; ``reduce(x, "b c h w -> b c 1 1", "mean")`` keeps unit axes. The gradient is that of
    the reduction (max/min share it among ties) routed back through the rearrangement.
    """
    if callable(reduction):
        reducer = reduction
    elif reduction in _REDUCTIONS:
        fn = _REDUCTIONS[reduction]
        reducer = lambda x, axes: fn(x, axis=axes)
    else:
        raise EinopsError(f"reduce: unknown reduction {reduction!r}; expected one of "
                          f"{sorted(_REDUCTIONS)} or a callable f(tensor, axes)")
    return _apply(a, pattern, "reduce", reducer, axes_lengths)


def repeat(a, /, pattern, **axes_lengths):
    """Rearrange, then add new axes by repeating values: ``repeat(x, "h w -> h w c", c=3)``.

    Axes that only the right side names are new; their lengths come from ``axes_lengths`` or are
    numbers in the pattern (``"h w -> h (w 2)"`` repeats each element twice along w). The values
    are broadcast (the result may be a read-only view when no final reshape is needed), and the
    gradient sums over the copies.
    """
    return _apply(a, pattern, "repeat", None, axes_lengths)


# ------------------------------------------------------------------------------- einsum
def _is_word_pattern(pattern, operands):
    """True when ``pattern`` names axes with space-separated words (einops style).

    A term with spaces inside it ("b i j") is einops style. A pattern whose terms are single
    tokens ("bij,bjk->bik", "ij -> ji") is NumPy style (one letter per axis), unless that reading
    does not fit the operands' dimensions and the one-word-per-axis reading does
    ("batch, batch -> batch" on 1-D tensors).
    """
    inputs, _, output = pattern.partition("->")
    terms = inputs.split(",") + [output]
    if any(len(term.split()) > 1 for term in terms):
        return True
    if any(c in pattern for c in "()") or any(t.strip().isdecimal() for t in terms):
        return True
    if len(terms) - 1 != len(operands):
        return False
    fits_letters = all(len(t.strip()) == op.ndim or ("..." in t and len(t.strip()) - 3 <= op.ndim)
                       for t, op in zip(terms, operands))
    fits_words = all(len(t.split()) == op.ndim or ("..." in t and len(t.split()) - 1 <= op.ndim)
                     for t, op in zip(terms, operands))
    return not fits_letters and fits_words


def _words_to_letters(pattern, n_operands):
    """``"b i d, b j d -> b i j"`` as the NumPy subscripts ``"abc,adc->abd"``."""
    if pattern.count("->") != 1:
        raise EinopsError(f"einsum pattern {pattern!r}: an einops-style pattern needs exactly one "
                          "'->' (the output axes are always named)")
    inputs, output = pattern.split("->")
    terms = inputs.split(",")
    if len(terms) != n_operands:
        raise EinopsError(f"einsum pattern {pattern!r} names {len(terms)} operands, got "
                          f"{n_operands} tensors")
    letters = {}
    spare = iter(string.ascii_letters)

    def convert(term, is_output):
        out = ""
        seen = set()
        for token in term.split():
            if token == "...":
                if "..." in seen:
                    raise EinopsError(f"einsum pattern {pattern!r}: '...' twice in "
                                      f"{term.strip()!r}")
                seen.add(token)
                out += "..."
                continue
            if "(" in token or ")" in token:
                raise EinopsError(f"einsum pattern {pattern!r}: einsum takes no axis groups; "
                                  "rearrange the operands first")
            if token.isdecimal():
                raise EinopsError(f"einsum pattern {pattern!r}: einsum takes no numbered axes "
                                  f"({token!r})")
            _check_name(token, pattern)
            if is_output and token in seen:
                raise EinopsError(f"einsum pattern {pattern!r}: output axis {token!r} appears "
                                  "twice")
            if is_output and token not in letters:
                raise EinopsError(f"einsum pattern {pattern!r}: output axis {token!r} is in no "
                                  "input")
            seen.add(token)
            if token not in letters:
                letter = next(spare, None)
                if letter is None:
                    raise EinopsError(f"einsum pattern {pattern!r}: more than 52 axis names")
                letters[token] = letter
            out += letters[token]
        return out

    subscripts = [convert(term, False) for term in terms]
    return ",".join(subscripts) + "->" + convert(output, True)


def einsum(*args):
    """Einstein summation with named axes: ``einsum("b i d, b j d -> b i j", q, k)``.

    out[b, i, j] = sum_d q[b, i, d] k[b, j, d]: axes named on the inputs but not in the output are
    summed over. Names are words separated by spaces (einops style); a pattern without spaces
    inside its terms (``"bij,bjk->bik"``) is read one letter per axis, as ``lucid.einsum``. The
    pattern may come first (Lucid) or last (einops: ``einsum(q, k, "b i d, b j d -> b i j")``).
    Both run ``lucid.einsum``, whose gradient is an einsum of the upstream gradient with the other
    operands.
    """
    if args and isinstance(args[0], str):
        pattern, operands = args[0], args[1:]
    elif args and isinstance(args[-1], str):
        pattern, operands = args[-1], args[:-1]
    else:
        raise TypeError("einsum needs a pattern string, first or last: "
                        "einsum('b i d, b j d -> b i j', q, k)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise EinopsError(f"einsum pattern {pattern!r}: no tensors given")
    operands = tuple(op if isinstance(op, Tensor) or is_array(op) else Tensor(op)
                     for op in operands)
    if _is_word_pattern(pattern, operands):
        pattern = _words_to_letters(pattern, len(operands))
    return _letter_einsum(pattern, *operands)
