"""Lucid's dtypes: one interned ``Numeric`` per NumPy dtype.

A ``Numeric`` names a scalar type (``lucid.Float32``, ``lucid.Int64``, ...) and carries the NumPy
dtype that both backends use (CuPy shares NumPy's dtypes). ``t.dtype`` is looked up in a dict, so
it costs one hash. A ``Numeric`` compares equal to itself, to its NumPy dtype, to its name
("float32") and, for ``Bool``, to Python's ``bool``.

The default float dtype is float32 (Lucid 2 used float64; float32 halves memory and doubles BLAS
speed), the default integer dtype is int64, as in PyTorch.
"""

import numpy as np

__all__ = [
    "Numeric", "to_numpy_dtype", "from_numpy_dtype", "default_float", "set_default_dtype",
    "get_default_dtype", "Float16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64",
    "UInt8", "Bool", "Complex64", "Complex128", "Float", "Int", "Complex",
]


class Numeric:
    """A scalar type: ``name``, ``bits`` and the NumPy dtype ``base_dtype`` it stands for."""

    __slots__ = ("name", "base_dtype", "bits")

    def __init__(self, np_dtype):
        self.base_dtype = np.dtype(np_dtype)
        self.name = self.base_dtype.name
        self.bits = self.base_dtype.itemsize * 8

    @property
    def is_floating_point(self):
        return self.base_dtype.kind == "f"

    @property
    def is_complex(self):
        return self.base_dtype.kind == "c"

    @property
    def itemsize(self):
        return self.base_dtype.itemsize

    def __repr__(self):
        return f"lucid.{self.name}"

    def __eq__(self, other):
        if isinstance(other, Numeric):
            return self is other
        if other is bool:
            return self.name == "bool"
        try:
            return self.base_dtype == to_numpy_dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.base_dtype)


_BY_NUMPY = {}


def _intern(np_dtype):
    numeric = Numeric(np_dtype)
    _BY_NUMPY[numeric.base_dtype] = numeric
    return numeric


Float16 = _intern(np.float16)
Float32 = _intern(np.float32)
Float64 = _intern(np.float64)
Int8 = _intern(np.int8)
Int16 = _intern(np.int16)
Int32 = _intern(np.int32)
Int64 = _intern(np.int64)
UInt8 = _intern(np.uint8)
Bool = _intern(np.bool_)
Complex64 = _intern(np.complex64)
Complex128 = _intern(np.complex128)
for _extra in (np.uint16, np.uint32, np.uint64):
    _intern(_extra)

Float, Int, Complex = Float32, Int64, Complex64

_default_float = [np.dtype(np.float32)]

# Python types and the strings users write, mapped as PyTorch maps them.
_PY_TYPES = {float: np.float64, int: np.int64, bool: np.bool_, complex: np.complex128}


def to_numpy_dtype(dtype):
    """The NumPy dtype for ``dtype`` (a Numeric, NumPy dtype, Python type or name), or TypeError."""
    if isinstance(dtype, Numeric):
        return dtype.base_dtype
    if dtype in _PY_TYPES:
        return np.dtype(_PY_TYPES[dtype])
    if isinstance(dtype, str):
        dtype = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                 "int": "int32"}.get(dtype, dtype)
    try:
        np_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"unknown dtype {dtype!r}; use one of lucid.Float32, lucid.Int64, ...") from None
    if np_dtype not in _BY_NUMPY:
        raise TypeError(f"unsupported dtype {np_dtype.name!r}")
    return np_dtype


def from_numpy_dtype(np_dtype):
    """The interned Numeric of a NumPy dtype."""
    return _BY_NUMPY[np_dtype]


def default_float():
    """The NumPy dtype new float tensors get (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(dtype):
    np_dtype = to_numpy_dtype(dtype)
    if np_dtype.kind != "f":
        raise TypeError(f"the default dtype must be a float dtype, got {np_dtype.name}")
    _default_float[0] = np_dtype


def get_default_dtype():
    return _BY_NUMPY[_default_float[0]]
