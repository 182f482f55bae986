"""Vector and matrix norms: ``norm`` (NumPy's rules for ord/axis), ``vector_norm`` and
``matrix_norm`` (PyTorch's names).

Vector norms are one primitive (``VectorNorm``); matrix norms are composites of it, of ``abs``,
``sum``, ``max``/``min`` and of the singular values, so their gradients come from those ops.
"""

from lucid._tensor import Tensor
from lucid.linalg._functions import SVD, VectorNorm
from lucid.ops import abs as _abs, max as _max, min as _min, transpose
from lucid.ops._util import axis_arg, normalize_axis

__all__ = ["norm", "vector_norm", "matrix_norm"]

_INF = float("inf")
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, _INF, -_INF)


def _tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)


def _check_vector_ord(ord):
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise ValueError(f"vector norm: ord must be a number (p, inf, -inf or 0), got {ord!r}; "
                         "'fro' and 'nuc' are matrix norms (pass a 2-tuple axis)")


def vector_norm(x, ord=2, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The p-norm of ``x`` over ``axis`` (all axes when None), the axes taken as one vector.

    ||x||_p = (sum_i |x_i|^p)^(1/p); ord=inf: max |x_i|, -inf: min |x_i|, 0: the number of
    non-zero entries. Shape: x's shape without ``axis`` (kept as size 1 with ``keepdims``).
    """
    axis = axis_arg(axis, dim)
    keepdims = bool(keepdims or keepdim)
    _check_vector_ord(ord)
    axes = normalize_axis(axis, x.ndim)
    return VectorNorm.apply(_tensor(x), ord=ord, axes=axes, keepdims=keepdims)


def matrix_norm(a, ord="fro", axis=(-2, -1), keepdims=False, *, dim=None, keepdim=None):
    """A matrix norm of the matrices spanned by the two axes ``axis`` of ``a``.

    ord: 'fro' sqrt(sum a_ij^2); 'nuc' the sum of singular values; 2 / -2 the largest / smallest
    singular value; 1 / -1 the max / min column sum of |a_ij|; inf / -inf the max / min row sum
    of |a_ij|. Shape: a's shape without the two axes (kept as size 1 with ``keepdims``).
    """
    axis = axis_arg(axis, dim)
    keepdims = bool(keepdims or keepdim)
    a = _tensor(a)
    if a.ndim < 2:
        raise ValueError(f"matrix_norm: expected at least 2 dimensions, got shape "
                         f"{tuple(a.shape)}")
    if isinstance(axis, int) or len(axis) != 2:
        raise ValueError(f"matrix_norm: axis must name two axes, got {axis!r}")
    row, col = normalize_axis(axis, a.ndim)
    if row == col:
        raise ValueError(f"matrix_norm: axis names the same axis twice: {axis!r}")
    if isinstance(ord, bool) or ord not in _MATRIX_ORDS:
        raise ValueError(f"matrix_norm: ord must be one of 'fro', 'nuc', 1, -1, 2, -2, inf, "
                         f"-inf, got {ord!r}")
    kept_shape = tuple(1 if i in (row, col) else n for i, n in enumerate(a.shape))
    out_shape = tuple(n for i, n in enumerate(a.shape) if i not in (row, col))
    if ord == "fro":
        return VectorNorm.apply(a, ord=2, axes=(row, col), keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(a.ndim) if i not in (row, col)]
        s = SVD.apply(transpose(a, tuple(rest + [row, col])), full_matrices=False)[1]
        if ord == "nuc":
            out = s.sum(axis=-1)
        else:
            out = (_max if ord == 2 else _min)(s, axis=-1)
    else:
        # 1 / -1: sum over the rows, then the extreme column; inf / -inf: the other way round
        over, across = (row, col) if ord in (1, -1) else (col, row)
        pick = _max if ord > 0 else _min
        out = pick(_abs(a).sum(axis=over, keepdims=True), axis=across, keepdims=True)
    return out.reshape(kept_shape if keepdims else out_shape)


def norm(a, ord=2, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """A vector or matrix norm, with NumPy's rules for choosing between them.

    - ``axis=None``: with ``ord=None``, the 2-norm of all entries taken as one vector; else a
      1-D ``a`` gets the vector norm ``ord`` and a 2-D ``a`` the matrix norm ``ord``. So, as in
      NumPy and Lucid, the default ``ord=2`` is the *spectral* norm (largest singular value)
      of a matrix; pass ``ord=None`` or ``'fro'`` for the Frobenius norm.
    - ``axis`` an int: the vector norm ``ord`` (None: 2) along it.
    - ``axis`` a 2-tuple: the matrix norm ``ord`` (None: 'fro') of those two axes.

    ``dim=`` / ``keepdim=`` are accepted as aliases (PyTorch). ``Tensor.norm`` calls this with
    ``ord=None``.
    """
    axis = axis_arg(axis, dim)
    keepdims = bool(keepdims or keepdim)
    a = _tensor(a)
    if axis is None:
        if ord is None:
            return vector_norm(a, 2, None, keepdims)
        if a.ndim == 1:
            return vector_norm(a, ord, 0, keepdims)
        if a.ndim == 2:
            return matrix_norm(a, ord, (0, 1), keepdims)
        raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-D or 2-D tensor, got "
                         f"shape {tuple(a.shape)}; pass axis= or ord=None (the 2-norm of all "
                         "entries)")
    if isinstance(axis, int) or len(axis) == 1:
        return vector_norm(a, 2 if ord is None else ord, axis, keepdims)
    if len(axis) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, axis, keepdims)
    raise ValueError(f"norm: axis must be an int or a 2-tuple, got {axis!r}")
