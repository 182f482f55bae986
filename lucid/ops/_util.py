"""Helpers shared by op bodies: broadcasting's gradient, type promotion, axis arguments.

Everything here works on raw arrays *and* on Tensors (they share NumPy's method names:
``sum(axis, keepdims)``, ``reshape``, ``astype``), which is what lets backward formulas record a
graph under ``create_graph``.
"""

from lucid.backend import default_float, is_array

__all__ = ["sum_to", "promote", "normalize_axis", "axis_arg", "unbroadcast_pair",
           "non_differentiable", "broadcast_error", "raw"]


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of broadcasting ``shape`` up to grad's shape.

    Leading axes that broadcasting added are summed away; axes where ``shape`` has 1 and ``grad``
    does not are summed with keepdims. E.g. grad (2, 3, 4) to shape (3, 1): sum over axes 0 and 3.
    """
    if grad.shape == shape:
        return grad
    if type(shape) is not tuple:
        shape = tuple(shape)
        if grad.shape == shape:
            return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def unbroadcast_pair(ctx, grad_a, grad_b, shape_a, shape_b):
    """(sum_to(grad_a, shape_a), sum_to(grad_b, shape_b)), skipping inputs that need no grad."""
    need_a, need_b = ctx.needs_input_grad
    return (sum_to(grad_a, shape_a) if need_a else None,
            sum_to(grad_b, shape_b) if need_b else None)


def _as_operand(x):
    # NumPy scalars (np.float64(2.0)) act like the Python numbers they hold: they never upcast
    if not is_array(x) and hasattr(x, "dtype") and hasattr(x, "item"):
        return x.item()
    return x


_PY_NUMBERS = (int, float, bool, complex)


def promote(a, b):
    """The operands of a binary op, cast as PyTorch promotes them.

    A float operand decides over an integer or bool one (NumPy would give float64 for
    int64 + float32), and a Python scalar never upcasts an array (float32 * 2.5 stays float32;
    int64 * 2.5 becomes the default float dtype).
    """
    ta, tb = type(a), type(b)
    if ta not in _PY_NUMBERS and tb not in _PY_NUMBERS and a.dtype is b.dtype:
        return a, b  # the common case: two arrays of one dtype
    if tb in _PY_NUMBERS and is_array(a):  # the next most common: x - 0.5
        if tb is float and a.dtype.kind in "biu":
            a = a.astype(default_float())
        return a, b
    if ta in _PY_NUMBERS and is_array(b):  # 1 - x
        if ta is float and b.dtype.kind in "biu":
            b = b.astype(default_float())
        return a, b
    da = getattr(a, "dtype", None)
    db = getattr(b, "dtype", None)
    if da is None or not is_array(a):
        a = _as_operand(a)
        if isinstance(a, float) and db is not None and db.kind in "biu":
            b = b.astype(default_float())
        return a, b
    if db is None or not is_array(b):
        b = _as_operand(b)
        if isinstance(b, float) and da.kind in "biu":
            a = a.astype(default_float())
        return a, b
    if da == db:
        return a, b
    float_a, float_b = da.kind in "fc", db.kind in "fc"
    if float_a and not float_b:
        b = b.astype(da)
    elif float_b and not float_a:
        a = a.astype(db)
    return a, b


def normalize_axis(axis, ndim):
    """``axis`` (an int, a tuple or None) as a tuple of non-negative ints, or IndexError."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    result = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        result.append(a % max(ndim, 1) if ndim else 0)
    return tuple(result)


def axis_arg(axis, dim):
    """Lucid's ``axis=`` with PyTorch's ``dim=`` accepted as an alias (not both)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass axis= or dim=, not both")
        return dim
    return axis


def raw(x):
    """The array behind ``x`` (a Tensor's data, or ``x`` itself): for saved integer arrays
    (indices), which stay arrays even while backward builds a graph."""
    return getattr(x, "_data", x)


def non_differentiable(ctx, out):
    """``out`` (indices, a mask) as an array marked non-differentiable: the Tensor that wraps it
    never requires grad, whatever its input did (PyTorch's argmax, argsort, all/any)."""
    out = ctx.xp.asarray(out)  # NumPy gives scalars for 0-d results; mark the array we return
    ctx.mark_non_differentiable(out)
    return out


def broadcast_error(op, *operands):
    """The ValueError for operands whose shapes do not broadcast, naming the op and every shape
    (raised from an op body's ``except ValueError``, so the check costs nothing when it passes)."""
    shapes = " and ".join(str(tuple(getattr(x, "shape", ()))) for x in operands)
    return ValueError(f"{op}: shapes {shapes} cannot be broadcast together")
