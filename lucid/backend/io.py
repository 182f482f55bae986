"""Array (de)serialisation in NumPy's ``.npy`` format with pickling disabled: a file can hold
only numbers, never code. Used by ``lucid.serialization``."""

import io

import numpy as np

__all__ = ["array_to_bytes", "array_from_bytes", "host", "load_npz", "read_idx",
           "load_array_pickle", "concatenate"]


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


def load_npz(path):
    """The arrays of an .npz file (pickle disabled), as a dict of host arrays."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(data):
    """An array from the bytes of an IDX file (the MNIST format): magic 0x0000TTNN with T the
    element type and N the number of dimensions, then N big-endian int32 sizes, then the values.
    ValueError when the bytes do not hold a complete IDX file."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError("not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError("truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    count = int(np.prod(shape)) if shape else 1
    if len(data) - header != count * dtype.itemsize:
        raise ValueError(f"IDX file holds {len(data) - header} bytes of values, its header "
                         f"announces {count * dtype.itemsize}")
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


class _ArrayOnlyUnpickler:
    """Reads a pickle that may hold only plain containers, strings, numbers and NumPy arrays
    (what the CIFAR python batches hold); any other global is refused, so no code can run."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    @classmethod
    def loads(cls, data):
        import pickle

        allowed = cls._ALLOWED

        class Restricted(pickle.Unpickler):
            def find_class(self, module, name):
                if (module, name) not in allowed:
                    raise ValueError(f"refusing to unpickle {module}.{name}")
                return super().find_class(module, name)

        return Restricted(io.BytesIO(data), encoding="bytes").load()


def load_array_pickle(data):
    """A CIFAR-style pickled batch (dict of arrays and lists), read without running code."""
    return _ArrayOnlyUnpickler.loads(data)


def concatenate(arrays):
    """Host arrays joined along the first axis."""
    return np.concatenate(arrays, axis=0)
