"""The backend layer: the only code in Lucid that imports NumPy or CuPy.

A ``Backend`` stands for one device. It owns the array module ``xp`` that op bodies compute with
(NumPy for ``"cpu"``, CuPy for ``"gpu"``; the two share one API, so every op is written once), and
the few things that differ between devices: moving data to and from the host, and a random
generator. Ops ask ``backend_of(array).xp`` or ``get_backend(tensor.device).xp``; they never name
numpy themselves, which the test suite proves by running every op on a backend whose arrays
refuse to be touched by plain NumPy.
"""

import numpy as np

from lucid.error import UnknownDeviceError
from lucid.backend._malloc import tune_allocator
from lucid.backend import dtypes
from lucid.backend.dtypes import default_float, to_numpy_dtype, from_numpy_dtype

__all__ = [
    "Backend", "register_backend", "get_backend", "backend_of", "xp_of", "is_array",
    "array_types", "canonical_device", "dtypes", "default_float", "to_numpy_dtype",
    "from_numpy_dtype",
]


class Backend:
    """One device: its name, its array module ``xp`` and its array type(s)."""

    def __init__(self, name, xp, array_types):
        self.name = name
        self.xp = xp
        self.array_types = tuple(array_types)

    def asarray(self, data, dtype=None):
        """An array of this device holding ``data`` (host data, or an array of any device)."""
        if not isinstance(data, self.array_types) and is_array(data):  # another device's array
            data = to_host(data)
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        """A host NumPy array with the values of ``array`` (may share memory on the cpu)."""
        return np.asarray(array)

    def rng(self, seed):
        """A random generator of this device, seeded with ``seed`` (None: from the OS)."""
        return self.xp.random.default_rng(seed)

    def __repr__(self):
        return f"Backend({self.name!r})"


class CupyBackend(Backend):
    """The ``"gpu"`` device: CuPy on an NVIDIA GPU."""

    def to_numpy(self, array):
        return self.xp.asnumpy(array)


_BACKENDS = {"cpu": Backend("cpu", np, [np.ndarray])}
ALLOCATOR_TUNED = tune_allocator()  # see _malloc.py: large temporaries reuse freed memory
_BY_ARRAY_TYPE = {np.ndarray: _BACKENDS["cpu"]}
_ALIASES = {"cuda": "gpu", "cuda:0": "gpu", "gpu:0": "gpu"}


def register_backend(backend):
    """Make ``backend`` answer to ``backend.name`` (CuPy's, and the test suite's second one)."""
    _BACKENDS[backend.name] = backend
    for array_type in backend.array_types:
        _BY_ARRAY_TYPE[array_type] = backend
    return backend


def _load_gpu():
    try:
        import cupy
    except ImportError as exc:
        raise ImportError(
            "device 'gpu' needs CuPy: install it with `pip install lucid[gpu]` "
            "(or the cupy-cudaXXx wheel matching your CUDA)") from exc
    return register_backend(CupyBackend("gpu", cupy, [cupy.ndarray]))


def canonical_device(device):
    """The backend name for ``device`` ("cuda" means "gpu"); raises UnknownDeviceError."""
    name = str(device) if device is not None else "cpu"
    name = _ALIASES.get(name, name)
    if name not in _BACKENDS and name != "gpu":
        raise UnknownDeviceError(
            f"unknown device {device!r}; known devices are {sorted(set(_BACKENDS) | {'gpu'})}")
    return name


def get_backend(device):
    """The Backend of a device name."""
    backend = _BACKENDS.get(device)
    if backend is not None:
        return backend
    name = canonical_device(device)
    if name == "gpu" and name not in _BACKENDS:
        return _load_gpu()
    return _BACKENDS[name]


def backend_of(array):
    """The Backend that owns ``array`` (an array of some registered backend; a NumPy scalar,
    which 0-d NumPy arithmetic returns, belongs to the cpu)."""
    backend = _BY_ARRAY_TYPE.get(type(array))
    if backend is None and isinstance(array, np.generic):
        return _BACKENDS["cpu"]
    if backend is None:
        raise TypeError(f"expected an array of a Lucid backend, got {type(array).__name__}")
    return backend


def xp_of(array):
    """The array module that computes on ``array`` (Chainer's get_array_module)."""
    return backend_of(array).xp


def array_types():
    """The array classes of every registered backend."""
    return tuple(_BY_ARRAY_TYPE)


def is_array(obj):
    return type(obj) in _BY_ARRAY_TYPE


def is_raw(obj):
    """An array of some backend, or a NumPy scalar (what 0-d NumPy arithmetic returns)."""
    return type(obj) in _BY_ARRAY_TYPE or isinstance(obj, np.generic)


def to_host(array):
    """A NumPy copy of a backend array (used to move data between devices)."""
    return backend_of(array).to_numpy(array)
