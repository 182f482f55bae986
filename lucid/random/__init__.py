"""``lucid.random``: seeded random tensors from Lucid's own generators.

Every draw comes from a ``Generator`` (one stream per device, made lazily from its seed), never
from NumPy's global legacy state: ``lucid.random.seed(0)`` makes a program reproducible without
touching other libraries' randomness, and ``np.random.seed`` does not change Lucid's draws
(Lucid 2 shared NumPy's global state; this is a conscious difference). Every function takes an
optional ``generator=`` for an independent stream, and ``requires_grad``, ``keep_grad``,
``device`` as in Lucid.

Draws are made in float64 and then cast to the requested dtype (float32 by default), so one seed
gives the same values, up to rounding, whatever the dtype. Only the methods every backend's
generator shares are used (``random``, ``standard_normal``, ``integers``), so the code is the same
on the GPU.
"""

import operator
import secrets

from lucid._tensor import Tensor
from lucid.backend import canonical_device, default_float, get_backend, to_numpy_dtype

__all__ = ["Generator", "seed", "manual_seed", "get_seed", "default_generator", "rand", "randn",
           "randint", "uniform", "normal", "bernoulli", "permutation", "get_rng_state",
           "set_rng_state"]


def _check_seed(seed):
    """``seed`` as a Python int (NumPy integers accepted), or ValueError."""
    if isinstance(seed, bool):
        raise ValueError(f"a seed must be a non-negative int, got {seed!r}")
    try:
        seed = operator.index(seed)
    except TypeError:
        raise ValueError(f"a seed must be a non-negative int, got {seed!r}") from None
    if seed < 0:
        raise ValueError(f"a seed must be a non-negative int, got {seed}")
    return seed


class Generator:
    """A seeded source of random numbers, with one underlying stream per device.

    ``Generator(seed=None)`` (None: a seed from the OS). Two generators with the same seed give
    the same draws; draws from one never move the other. ``get_state()`` / ``set_state(state)``
    save and restore the position of every stream (for checkpoints).
    """

    def __init__(self, seed=None, device="cpu"):
        self.device = canonical_device(device)
        self.manual_seed(secrets.randbits(63) if seed is None else seed)

    def manual_seed(self, seed):
        """Restart every stream from ``seed``; returns the generator."""
        self._seed = _check_seed(seed)
        self._streams = {}
        return self

    seed = manual_seed

    def initial_seed(self):
        return self._seed

    def stream(self, device):
        """The device's random generator (the NumPy/CuPy ``Generator`` API)."""
        backend = get_backend(device)
        rng = self._streams.get(backend.name)
        if rng is None:
            rng = self._streams[backend.name] = backend.rng(self._seed)
        return rng

    def get_state(self):
        """The seed and the state of every stream used so far (a picklable dict)."""
        streams = {}
        for name, rng in self._streams.items():
            try:
                streams[name] = rng.bit_generator.state
            except AttributeError:
                raise RuntimeError(f"the random stream of device {name!r} cannot report its "
                                   "state") from None
        return {"seed": self._seed, "streams": streams}

    def set_state(self, state):
        """Restore a ``get_state()`` result; a malformed state raises and changes nothing."""
        if not isinstance(state, dict) or set(state) != {"seed", "streams"} \
                or not isinstance(state["streams"], dict):
            raise ValueError("set_state expects a dict {'seed': int, 'streams': {device: state}} "
                             f"as returned by get_state(), got {state!r}")
        seed = _check_seed(state["seed"])
        streams = {}
        for name, bit_state in state["streams"].items():
            backend = get_backend(name)
            rng = backend.rng(seed)
            try:
                rng.bit_generator.state = bit_state
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise ValueError(f"set_state: the state of device {name!r} does not fit its "
                                 f"generator ({exc})") from None
            streams[backend.name] = rng
        self._seed, self._streams = seed, streams

    def __repr__(self):
        return f"Generator(seed={self._seed})"


default_generator = Generator(0)


def seed(s):
    """Seed Lucid's default generator (every lucid.random function and nn init draw from it)."""
    default_generator.manual_seed(s)


manual_seed = seed


def get_seed():
    """The seed the default generator was last seeded with (an int)."""
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


# ------------------------------------------------------------------------------- helpers
def _shape(shape, fn):
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f()``."""
    if len(shape) == 1 and (shape[0] is None or isinstance(shape[0], (tuple, list))):
        shape = () if shape[0] is None else tuple(shape[0])
    return _size(shape, fn)


def _size(size, fn):
    """A ``size=`` argument (None, an int or a sequence of ints) as a shape tuple."""
    if size is None:
        return ()
    if hasattr(size, "__index__"):
        size = (size,)
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{fn}: a shape is ints, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{fn}: a shape cannot have negative sizes, got {shape}")
    return shape


def _finish(array, dtype, requires_grad, keep_grad, device):
    """The drawn array as a leaf Tensor of ``dtype`` on ``device``."""
    backend = get_backend(canonical_device(device))
    t = Tensor._make(array.astype(dtype, copy=False), backend, False, None, 0)
    t.keep_grad = bool(keep_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rng(generator, device):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a lucid.random.Generator, got "
                        f"{type(generator).__name__}")
    return (generator or default_generator).stream(canonical_device(device))


def _float(dtype, fn):
    dtype = default_float() if dtype is None else to_numpy_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{fn} draws floating point numbers; dtype {dtype} is not a float type")
    return dtype


def _number(value, name, fn):
    if isinstance(value, Tensor):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}") from None


# ------------------------------------------------------------------------------- draws
def rand(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu", generator=None):
    """Uniform samples in [0, 1): ``rand(2, 3)`` or ``rand((2, 3))``."""
    shape, dtype = _shape(shape, "rand"), _float(dtype, "rand")
    return _finish(_rng(generator, device).random(shape), dtype, requires_grad, keep_grad,
                   device)


def randn(*shape, dtype=None, requires_grad=False, keep_grad=False, device="cpu", generator=None):
    """Standard normal samples N(0, 1): ``randn(2, 3)`` or ``randn((2, 3))``."""
    shape, dtype = _shape(shape, "randn"), _float(dtype, "randn")
    return _finish(_rng(generator, device).standard_normal(shape), dtype, requires_grad,
                   keep_grad, device)


def uniform(low=0.0, high=1.0, size=1, dtype=None, requires_grad=False, keep_grad=False,
            device="cpu", generator=None):
    """Uniform samples in [low, high): low + (high - low) * U with U ~ U[0, 1)."""
    low, high = _number(low, "low", "uniform"), _number(high, "high", "uniform")
    if not high >= low:
        raise ValueError(f"uniform: high {high} is less than low {low}")
    size, dtype = _size(size, "uniform"), _float(dtype, "uniform")
    draws = _rng(generator, device).random(size)
    return _finish(low + (high - low) * draws, dtype, requires_grad, keep_grad, device)


def normal(mean=0.0, std=1.0, size=1, dtype=None, requires_grad=False, keep_grad=False,
           device="cpu", generator=None):
    """Normal samples N(mean, std^2): mean + std * Z with Z ~ N(0, 1)."""
    mean, std = _number(mean, "mean", "normal"), _number(std, "std", "normal")
    if not std >= 0:
        raise ValueError(f"normal: std must be non-negative, got {std}")
    size, dtype = _size(size, "normal"), _float(dtype, "normal")
    draws = _rng(generator, device).standard_normal(size)
    return _finish(mean + std * draws, dtype, requires_grad, keep_grad, device)


def randint(low, high=None, size=1, dtype=None, requires_grad=False, keep_grad=False,
            device="cpu", generator=None):
    """Integers uniform in [low, high) (or [0, low) when ``high`` is None), int64 by default."""
    if high is None:
        low, high = 0, low
    try:
        low, high = operator.index(low), operator.index(high)
    except TypeError:
        raise TypeError(f"randint: low and high must be ints, got {low!r} and {high!r}") from None
    if high <= low:
        raise ValueError(f"randint: high {high} must be greater than low {low}")
    size = _size(size, "randint")
    np_dtype = to_numpy_dtype(dtype or "int64")
    return _finish(_rng(generator, device).integers(low, high, size), np_dtype, requires_grad,
                   keep_grad, device)


def bernoulli(probs, dtype=None, requires_grad=False, keep_grad=False, device=None,
              generator=None):
    """1 with probability ``probs``, else 0, drawn independently for each element.

    ``probs`` is a number (one draw, a 0-d tensor) or a Tensor (one draw per element, on its
    device, in its dtype unless ``dtype`` is given). Every probability must lie in [0, 1].
    """
    if isinstance(probs, Tensor):
        device = device or probs.device
        p = probs._data
        if p.size and not bool(((p >= 0) & (p <= 1)).all()):
            raise ValueError("bernoulli: probabilities must lie in [0, 1], got values from "
                             f"{p.min().item()} to {p.max().item()}")
        shape = p.shape
        if dtype is None:
            dtype = p.dtype if p.dtype.kind == "f" else default_float()
    else:
        p = _number(probs, "probs", "bernoulli")
        if not 0 <= p <= 1:
            raise ValueError(f"bernoulli: a probability must lie in [0, 1], got {p}")
        shape, device = (), device or "cpu"
    dtype = default_float() if dtype is None else to_numpy_dtype(dtype)
    draws = _rng(generator, device).random(shape)
    return _finish(draws < p, dtype, requires_grad, keep_grad, device)


def permutation(n, dtype=None, requires_grad=False, keep_grad=False, device="cpu",
                generator=None):
    """A random ordering of 0 .. n-1 (int64), uniform over all n! orderings.

    Drawn as the argsort of n uniform numbers (ties have probability ~0 in float64), which every
    backend's generator supports.
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"permutation: n must be an int, got {n!r}") from None
    if n < 0:
        raise ValueError(f"permutation: n must be non-negative, got {n}")
    order = _rng(generator, device).random(n).argsort()
    return _finish(order, to_numpy_dtype(dtype or "int64"), requires_grad, keep_grad, device)
