"""A second backend for the test suite: NumPy under another device name, as strict as CuPy.

Lucid's op bodies compute with ``ctx.xp`` and never name NumPy. To prove it without a GPU, this
module registers the device ``"checked"``, whose arrays are ``CheckedArray`` (an ``np.ndarray``
subclass) and whose ``xp`` is ``CHECKED_XP``, a module-like wrapper around NumPy. Like CuPy:

- operators and ufuncs between CheckedArrays (and Python or NumPy scalars) work and return
  CheckedArrays, and reductions return 0-d arrays, not NumPy scalars;
- mixing a CheckedArray with a plain ``np.ndarray`` (an operand, an index, an assigned value)
  or a Python list operand of a ufunc raises ``TypeError``, and so does a NumPy function called
  on a CheckedArray (``np.concatenate([c])``). (``np.asarray(c)`` cannot be refused: NumPy
  takes an ndarray subclass as it is, without ``__array__``; Lucid code never names NumPy, and
  this backend's ``to_numpy`` is the explicit copy);
- ``CHECKED_XP.<fn>`` refuses plain ndarrays too, except the explicit host-to-device copies
  ``asarray`` / ``array``; it unwraps CheckedArrays to plain views, calls NumPy, and wraps the
  results back (also ``CHECKED_XP.random.default_rng(...)`` generators and ``CHECKED_XP.linalg``).

An op that reaches NumPy directly, or builds a host array and mixes it in, fails on this device.
"""

import types

import numpy as np

from lucid.backend import Backend, register_backend

DEVICE = "checked"


class MixedArrayError(TypeError):
    """A CheckedArray met a host ndarray (what CuPy refuses)."""


class CheckedArray(np.ndarray):
    """An ndarray of the "checked" device: refuses to be mixed with host ndarrays."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        what = f"numpy.{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__
        _refuse_sequences(inputs if method != "at" else inputs[:1] + inputs[2:], what)
        originals = {}
        args = [_unwrap(x, what, originals) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o, what, originals) for o in kwargs["out"])
        kwargs = {k: _unwrap(v, what, originals) if k != "out" else v for k, v in kwargs.items()}
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        return _wrap(result, originals)

    def __array_function__(self, func, types, args, kwargs):
        raise MixedArrayError(
            f"numpy.{func.__name__} was called on a CheckedArray: op code must compute with "
            "ctx.xp (the backend's array module), never with numpy directly")

    def __array__(self, dtype=None, copy=None):
        raise MixedArrayError(
            "implicit conversion of a CheckedArray to a host NumPy array; use the backend's "
            "to_numpy (as CuPy needs .get())")

    def __getitem__(self, index):
        _check_index(index)
        return _scalar_to_array(super().__getitem__(index))

    def __setitem__(self, index, value):
        _check_index(index)
        if _is_host(value):
            raise MixedArrayError("assigning a host ndarray into a CheckedArray")
        super().__setitem__(index, value)

    def __repr__(self):
        return f"CheckedArray({np.ndarray.__repr__(self.view(np.ndarray))})"

    __str__ = __repr__


def _refuse_sequences(operands, what):
    # CuPy's ufuncs take arrays and scalars, not Python lists (NumPy converts them silently)
    for x in operands:
        if isinstance(x, (list, tuple)):
            raise MixedArrayError(f"{what}: a CheckedArray operation was given a Python "
                                  f"{type(x).__name__} operand")


def _is_host(x):
    return isinstance(x, np.ndarray) and not isinstance(x, CheckedArray)


def _check_index(index):
    for item in index if isinstance(index, tuple) else (index,):
        if _is_host(item):
            raise MixedArrayError(
                f"indexing a CheckedArray with a host ndarray of shape {item.shape}; move the "
                "index to the device first")


def _scalar_to_array(x):
    # CuPy never hands back NumPy scalars: element access and reductions give 0-d arrays
    if isinstance(x, np.generic):
        return np.asarray(x).view(CheckedArray)
    return x


def _unwrap(x, what, originals, allow_host=False):
    """CheckedArrays (also inside lists/tuples) as plain views; host ndarrays refused."""
    if isinstance(x, CheckedArray):
        plain = x.view(np.ndarray)
        originals[id(plain)] = (plain, x)
        return plain
    if isinstance(x, np.ndarray):
        if allow_host:
            return x
        raise MixedArrayError(f"{what}: a CheckedArray operation was given a host ndarray of "
                              f"shape {x.shape} (dtype {x.dtype})")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, what, originals, allow_host) for v in x)
    return x


def _wrap(x, originals=None):
    """NumPy results back as CheckedArrays (the input object itself when NumPy returned it)."""
    if isinstance(x, np.ndarray):
        if originals:
            hit = originals.get(id(x))
            if hit is not None and hit[0] is x:
                return hit[1]
        return x.view(CheckedArray)
    if isinstance(x, np.generic):
        return np.asarray(x).view(CheckedArray)
    if isinstance(x, tuple):
        return tuple(_wrap(v, originals) for v in x)
    if isinstance(x, list):
        return [_wrap(v, originals) for v in x]
    if isinstance(x, np.random.Generator):
        return _Proxy(x, "random.Generator")
    return x


# Host-to-device copies: the only xp functions that take host ndarrays (cupy.asarray does).
_TRANSFERS = {"asarray", "array", "asanyarray", "ascontiguousarray"}


def _function(fn, name):
    allow_host = name in _TRANSFERS

    def call(*args, **kwargs):
        originals = {}
        args = [_unwrap(a, name, originals, allow_host) for a in args]
        kwargs = {k: _unwrap(v, name, originals, allow_host) for k, v in kwargs.items()}
        return _wrap(fn(*args, **kwargs), originals)

    call.__name__ = call.__qualname__ = name
    return call


class _Ufunc:
    """A NumPy ufunc whose calls and methods (``reduce``, ``at``, ...) go through the checks."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        _refuse_sequences(args, self.__name__)
        return _function(self._ufunc, self.__name__)(*args, **kwargs)

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if callable(attr):
            return _function(attr, f"{self.__name__}.{name}")
        return attr


class _Proxy:
    """A NumPy object (a random Generator) whose methods take and give CheckedArrays."""

    def __init__(self, obj, name):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, name):
        attr = getattr(self._obj, name)
        if callable(attr) and not isinstance(attr, type):
            return _function(attr, f"{self._name}.{name}")
        return attr

    def __setattr__(self, name, value):
        setattr(self._obj, name, value)


class _Module(types.ModuleType):
    """``CHECKED_XP``: NumPy's namespace, every function wrapped by ``_function``."""

    def __init__(self, module, name):
        super().__init__(name)
        self._module = module

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "ndarray":
            value = CheckedArray
        else:
            attr = getattr(self._module, name)
            if isinstance(attr, types.ModuleType):
                value = _Module(attr, f"{self.__name__}.{name}")
            elif isinstance(attr, np.ufunc):
                value = _Ufunc(attr)
            elif isinstance(attr, type) or not callable(attr):
                value = attr  # dtypes (xp.float32), constants (xp.pi, xp.newaxis)
            else:
                value = _function(attr, name)
        setattr(self, name, value)  # cache: the next lookup is a plain attribute
        return value


CHECKED_XP = _Module(np, "checked_numpy")


class CheckedBackend(Backend):
    def to_numpy(self, array):
        # the explicit device-to-host copy (CuPy's .get()); a plain view would skip the checks
        return np.array(array.view(np.ndarray))


BACKEND = register_backend(CheckedBackend(DEVICE, CHECKED_XP, [CheckedArray]))
