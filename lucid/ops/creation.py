"""Creation functions: zeros, ones, empty, full, eye, arange, linspace and their ``_like`` forms.

All take ``dtype`` (default: float32 for floats), ``requires_grad``, ``keep_grad`` and
``device``. The ``_like`` forms copy shape, dtype and device from a tensor unless told otherwise.
"""

from lucid._tensor import Tensor
from lucid.backend import get_backend, canonical_device, to_numpy_dtype, default_float

__all__ = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
           "full_like", "eye", "arange", "linspace"]


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _new(array, requires_grad, keep_grad, backend):
    t = Tensor._make(array, backend, False, None, 0)
    t.keep_grad = keep_grad
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype(dtype, fallback=None):
    return to_numpy_dtype(dtype) if dtype is not None else (fallback or default_float())


def _filled(fn, shape, dtype, requires_grad, keep_grad, device, *args):
    backend = get_backend(canonical_device(device))
    array = fn(backend.xp)(shape, *args, dtype=_dtype(dtype))
    return _new(array, requires_grad, keep_grad, backend)


def zeros(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    return _filled(lambda xp: xp.zeros, _shape(shape), dtype, requires_grad, keep_grad, device)


def ones(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    return _filled(lambda xp: xp.ones, _shape(shape), dtype, requires_grad, keep_grad, device)


def empty(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    return _filled(lambda xp: xp.empty, _shape(shape), dtype, requires_grad, keep_grad, device)


def full(shape, fill_value, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    if isinstance(shape, int):
        shape = (shape,)
    if dtype is None:
        kind = type(fill_value)
        dtype = "bool" if kind is bool else ("int64" if kind is int else None)
    return _filled(lambda xp: xp.full, _shape((shape,)), dtype, requires_grad, keep_grad, device,
                   fill_value)


def _like(a, dtype, device):
    return (a.dtype if dtype is None else dtype), (a.device if device is None else device)


def zeros_like(a, dtype=None, requires_grad=False, keep_grad=False, device=None):
    dtype, device = _like(a, dtype, device)
    return zeros(a.shape, dtype=dtype, requires_grad=requires_grad, keep_grad=keep_grad,
                 device=device)


def ones_like(a, dtype=None, requires_grad=False, keep_grad=False, device=None):
    dtype, device = _like(a, dtype, device)
    return ones(a.shape, dtype=dtype, requires_grad=requires_grad, keep_grad=keep_grad,
                device=device)


def empty_like(a, dtype=None, requires_grad=False, keep_grad=False, device=None):
    dtype, device = _like(a, dtype, device)
    return empty(a.shape, dtype=dtype, requires_grad=requires_grad, keep_grad=keep_grad,
                 device=device)


def full_like(a, fill_value, dtype=None, requires_grad=False, keep_grad=False, device=None):
    dtype, device = _like(a, dtype, device)
    return full(a.shape, fill_value, dtype=dtype, requires_grad=requires_grad,
                keep_grad=keep_grad, device=device)


def eye(N, M=None, k=0, /, dtype=None, requires_grad=False, keep_grad=False, device="cpu"):
    """Ones on the k-th diagonal of an N x M matrix."""
    backend = get_backend(canonical_device(device))
    return _new(backend.xp.eye(N, M, k, dtype=_dtype(dtype)), requires_grad, keep_grad, backend)


def arange(*args, dtype=None, requires_grad=False, keep_grad=False, device="cpu", **kwargs):
    """``arange(stop)``, ``arange(start, stop[, step])``: int64 for integer arguments, the
    default float dtype otherwise (PyTorch's rule)."""
    start = kwargs.pop("start", None)
    end = kwargs.pop("end", kwargs.pop("stop", None))
    step = kwargs.pop("step", None)
    if kwargs:
        raise TypeError(f"arange got unexpected arguments {sorted(kwargs)}")
    args = list(args) + [v for v in (start, end, step) if v is not None]
    if not 1 <= len(args) <= 3:
        raise TypeError("arange takes 1 to 3 positional arguments")
    if len(args) >= 3 and args[2] == 0:
        raise ValueError("arange: step must be nonzero")
    all_int = all(isinstance(v, int) for v in args)
    np_dtype = _dtype(dtype, to_numpy_dtype("int64") if all_int else None)
    backend = get_backend(canonical_device(device))
    return _new(backend.xp.arange(*args).astype(np_dtype), requires_grad, keep_grad, backend)


def linspace(start, stop, num=50, /, dtype=None, requires_grad=False, keep_grad=False,
             device="cpu"):
    backend = get_backend(canonical_device(device))
    return _new(backend.xp.linspace(start, stop, num).astype(_dtype(dtype)), requires_grad,
                keep_grad, backend)
