"""Array (de)serialisation in NumPy's ``.npy`` format with pickling disabled: a file can hold
only numbers, never code. Used by ``lucid.serialization``."""

import io

import numpy as np

__all__ = ["array_to_bytes", "array_from_bytes", "host"]


def host(array):
    """A host (NumPy) array with the values of any backend's array."""
    from lucid.backend import to_host, is_array
    return to_host(array) if is_array(array) else np.asarray(array)


def array_to_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(host(array)), allow_pickle=False)
    return buffer.getvalue()


def array_from_bytes(data):
    """The array in ``data``; ValueError if it is not a valid pickle-free .npy payload."""
    return np.load(io.BytesIO(data), allow_pickle=False)
