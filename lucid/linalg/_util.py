"""Helpers shared by the linear-algebra ops: input checks, error translation, and small matrix
utilities written so that they work on raw arrays *and* on Tensors (backward formulas use them,
and under ``create_graph`` they must record a graph).
"""

from lucid.backend import default_float
from lucid.ops._util import raw  # noqa: F401  (re-exported: one home, in ops._util)

__all__ = ["LinAlgError", "mT", "check_square", "check_matrix", "float_input", "call",
           "diag_embed", "diag_part", "is_zero", "raw"]


class LinAlgError(ValueError, RuntimeError):
    """A linear-algebra routine failed on its input: a singular matrix, a matrix that is not
    positive definite, an iteration that did not converge.

    It subclasses both ValueError (what NumPy's ``LinAlgError`` is) and RuntimeError (what
    PyTorch's ``torch.linalg.LinAlgError`` is), so code written for either catches it.
    """


def mT(x):
    """The transpose of the last two axes (``x.mT`` in PyTorch); works on arrays and Tensors."""
    return x.swapaxes(-1, -2)


def check_matrix(name, a):
    """ValueError unless ``a`` is a (batch of) matrix: at least 2 dimensions."""
    if a.ndim < 2:
        raise ValueError(f"{name}: expected a matrix or a batch of matrices (at least 2 "
                         f"dimensions), got a tensor of shape {tuple(a.shape)}")


def check_square(name, a):
    """ValueError unless ``a`` is a (batch of) square matrix: shape (..., n, n)."""
    check_matrix(name, a)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: expected a square matrix or a batch of square matrices, got "
                         f"a tensor of shape {tuple(a.shape)} ({a.shape[-2]} x {a.shape[-1]})")


def float_input(name, a, complex_ok=False):
    """``a`` as a floating array: integers and bools become the default float dtype (as NumPy
    promotes them); float16 is refused, since LAPACK has no half-precision routines."""
    kind = a.dtype.kind
    if kind in "biu":
        return a.astype(default_float())
    if kind == "c" and not complex_ok:
        raise TypeError(f"{name}: complex input (dtype {a.dtype}) is not supported")
    if a.dtype.itemsize == 2:
        raise TypeError(f"{name}: dtype {a.dtype} is not supported by the linear-algebra "
                        "routines; convert the input with .float() first")
    return a


def call(name, what, fn, *args, **kwargs):
    """Run the array library's routine ``fn``, turning its LinAlgError into Lucid's with a
    message that names the op, what went wrong and the input shape."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        if not any(cls.__name__ == "LinAlgError" for cls in type(exc).__mro__):
            raise
        shape = tuple(args[0].shape) if args and hasattr(args[0], "shape") else "?"
        raise LinAlgError(f"{name}: {what} (input shape {shape}; the library said: {exc})") \
            from exc


def is_zero(g):
    """True when the upstream gradient ``g`` is all zeros (the engine hands zeros for an output
    that no loss used); lets backward skip terms that would divide by eigenvalue gaps."""
    return not bool(raw(g).any())


def diag_part(x, eye):
    """The diagonal of the last two axes, (..., n, n) -> (..., n), as sum_j x_ij I_ij.

    Written with ``*`` and ``sum`` (``eye`` a constant identity) so that it records a graph
    when ``x`` is a Tensor."""
    return (x * eye).sum(axis=-1)


def diag_embed(v, eye):
    """(..., n) -> (..., n, n) with ``v`` on the diagonal: v_i I_ij."""
    return v.reshape(tuple(v.shape) + (1,)) * eye
