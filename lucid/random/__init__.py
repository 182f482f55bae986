"""``lucid.random``: seeded random tensors from Lucid's own generators.

Every draw comes from a ``Generator`` (one per device, made lazily from its seed), never from
NumPy's global legacy state, so ``lucid.random.seed(0)`` makes a program reproducible without
touching other libraries' randomness. Functions take an optional ``generator=`` for an
independent stream.
"""

import secrets

from lucid._tensor import Tensor
from lucid.backend import get_backend, canonical_device, to_numpy_dtype, default_float

__all__ = ["Generator", "seed", "manual_seed", "get_seed", "default_generator", "rand", "randn",
           "randint", "uniform", "normal", "bernoulli", "permutation", "get_rng_state",
           "set_rng_state"]


class Generator:
    """A seeded source of random numbers; one underlying bit generator per device."""

    def __init__(self, seed=None, device="cpu"):
        self.device = canonical_device(device)
        self.manual_seed(secrets.randbits(63) if seed is None else seed)

    def manual_seed(self, seed):
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"a seed must be a non-negative int, got {seed!r}")
        self._seed = seed
        self._streams = {}
        return self

    seed = manual_seed

    def initial_seed(self):
        return self._seed

    def stream(self, device):
        """The device's random generator (NumPy/CuPy ``Generator`` API)."""
        backend = get_backend(device)
        rng = self._streams.get(backend.name)
        if rng is None:
            rng = self._streams[backend.name] = backend.rng(self._seed)
        return rng

    def get_state(self):
        """The state of every stream used so far (picklable, for checkpoints)."""
        return {"seed": self._seed,
                "streams": {name: rng.bit_generator.state for name, rng in self._streams.items()}}

    def set_state(self, state):
        self.manual_seed(state["seed"])
        for name, bit_state in state["streams"].items():
            self.stream(name).bit_generator.state = bit_state


default_generator = Generator(0)


def seed(s):
    """Seed Lucid's default generator (affects every lucid.random function and nn init)."""
    default_generator.manual_seed(s)


manual_seed = seed


def get_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def _finish(array, dtype, requires_grad, keep_grad, device):
    backend = get_backend(canonical_device(device))
    t = Tensor._make(array.astype(dtype, copy=False), backend, False, None, 0)
    t.keep_grad = keep_grad
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rng(generator, device):
    return (generator or default_generator).stream(canonical_device(device))


def _float(dtype):
    return default_float() if dtype is None else to_numpy_dtype(dtype)


def rand(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu", generator=None):
    """Uniform samples in [0, 1)."""
    shape = _shape(shape)
    return _finish(_rng(generator, device).random(shape), _float(dtype), requires_grad,
                   keep_grad, device)


def randn(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu", generator=None):
    """Standard normal samples."""
    shape = _shape(shape)
    return _finish(_rng(generator, device).standard_normal(shape), _float(dtype), requires_grad,
                   keep_grad, device)


def uniform(low=0.0, high=1.0, size=1, dtype=None, requires_grad=False, keep_grad=False,
            device="cpu", generator=None):
    """Uniform samples in [low, high)."""
    if high < low:
        raise ValueError(f"uniform: high {high} is less than low {low}")
    size = (size,) if isinstance(size, int) else tuple(size)
    return _finish(_rng(generator, device).uniform(low, high, size), _float(dtype),
                   requires_grad, keep_grad, device)


def normal(mean=0.0, std=1.0, size=1, dtype=None, requires_grad=False, keep_grad=False,
           device="cpu", generator=None):
    """Normal samples with the given mean and standard deviation."""
    if std < 0:
        raise ValueError(f"normal: std must be non-negative, got {std}")
    size = (size,) if isinstance(size, int) else tuple(size)
    return _finish(_rng(generator, device).normal(mean, std, size), _float(dtype),
                   requires_grad, keep_grad, device)


def randint(low, high=None, size=1, dtype=None, requires_grad=False, keep_grad=False,
            device="cpu", generator=None):
    """Integers in [low, high) (or [0, low) when ``high`` is None), int64 by default."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high {high} must be greater than low {low}")
    size = (size,) if isinstance(size, int) else tuple(size)
    np_dtype = to_numpy_dtype(dtype or "int64")
    return _finish(_rng(generator, device).integers(low, high, size), np_dtype, requires_grad,
                   keep_grad, device)


def bernoulli(probs, dtype=None, requires_grad=False, keep_grad=False, device=None,
              generator=None):
    """1 with probability ``probs`` (a tensor or number), else 0."""
    if isinstance(probs, Tensor):
        device = device or probs.device
        p = probs._data
        shape = p.shape
    else:
        p, shape, device = probs, (), device or "cpu"
    draws = _rng(generator, device).random(shape)
    dtype = _float(dtype) if dtype is not None or not isinstance(probs, Tensor) else probs._data.dtype
    return _finish(draws < p, dtype, requires_grad, keep_grad, device)


def permutation(n, dtype=None, requires_grad=False, keep_grad=False, device="cpu",
                generator=None):
    """A random ordering of 0 .. n-1."""
    return _finish(_rng(generator, device).permutation(n), to_numpy_dtype(dtype or "int64"),
                   requires_grad, keep_grad, device)
