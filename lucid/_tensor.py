"""``lucid.Tensor``: an array of one device, plus what reverse-mode autograd needs.

A Tensor holds ``data`` (a NumPy or CuPy array), ``grad`` (a raw array of the same backend, or
None, as in Lucid), ``requires_grad``, and, when an op made it, ``_node``: the ``Function``
instance that computed it, through which ``backward`` walks. Every arithmetic operator and method
below delegates to a function of ``lucid.ops``; the Tensor itself only stores and forwards.

The class sits below ``lucid.autograd`` and ``lucid.ops`` (they build and return Tensors); its
methods reach those layers through module attributes read at call time (``_ops.exp``), so the
import graph stays a tree at import time.
"""

from lucid import backend as _backend
from lucid.backend import dtypes as _dtypes

__all__ = ["Tensor", "tensor", "to_tensor"]

# The version cell of a tensor never written in place: (version, write count of the last write).
# Shared and immutable, so new tensors allocate nothing; the first write gives a tensor its own.
_FRESH = (0, 0)

# How many in-place writes the process has made so far. While it has not moved since a node
# saved its inputs, none of them can have changed, and backward skips the per-tensor check.
INPLACE_WRITES = [0]


class _Size(int):
    """``t.size``: the element count (Lucid), also callable as ``t.size(dim)`` (PyTorch)."""

    def __new__(cls, shape):
        n = 1
        for d in shape:
            n *= d
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim=None):
        if dim is None:
            return self._shape
        return self._shape[dim]


def _infer_array(data, dtype, backend):
    """A new array of ``backend`` from Python data or an array (whose values are copied, as
    ``torch.tensor`` does), with PyTorch's dtype inference."""
    if dtype is not None:
        return _owned(backend.asarray(data, dtype=_dtypes.to_numpy_dtype(dtype)), data)
    if _backend.is_array(data):
        return _owned(backend.asarray(data), data)
    if hasattr(data, "__array__") or hasattr(data, "__array_namespace__"):  # host NumPy etc.
        array = _owned(backend.asarray(data), data)
        if array.dtype not in _dtypes._BY_NUMPY:
            raise TypeError(f"unsupported dtype {array.dtype}")
        return array
    array = backend.asarray(data)
    kind = array.dtype.kind
    if kind == "f":  # Python floats: the default float dtype, not float64
        return array.astype(_dtypes.default_float(), copy=False)
    if kind in "iu":
        return array.astype("int64", copy=False)
    if kind in "bc":
        return array
    raise TypeError(f"cannot make a Tensor from {type(data).__name__} (dtype {array.dtype})")


def _owned(array, source):
    """``array``, copied if it is (or views) the caller's ``source`` array."""
    if array is source or getattr(array, "base", None) is not None:
        return array.copy()
    return array


class Tensor:
    """A multi-dimensional array with reverse-mode autograd.

    ``Tensor(data, requires_grad=False, keep_grad=False, dtype=None, device="cpu")``. ``data`` may
    be a scalar, a (nested) list, a NumPy/CuPy array or a Tensor; its values are copied, so later
    changes to the caller's array never reach the tensor (``t.data = array`` shares instead).
    Python floats become float32 (the default dtype), ints int64, bools bool; arrays keep their
    dtype. ``keep_grad=True`` keeps ``.grad`` on a tensor that an op produced (``retain_grad``).
    """

    __slots__ = ("_data", "grad", "requires_grad", "_keep_grad", "_node", "_out_index",
                 "_backend", "_ver", "_hooks", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad=False, keep_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            if device is None:
                device = data.device
            data = data._data.copy()
        if device is None:
            device = _backend.backend_of(data).name if _backend.is_array(data) else "cpu"
        backend = _backend.get_backend(device)
        self._data = _infer_array(data, dtype, backend)
        self._backend = backend
        self.grad = None
        self.requires_grad = False
        self._keep_grad = bool(keep_grad)
        self._node = None
        self._out_index = 0
        self._ver = _FRESH
        self._hooks = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, backend, requires_grad, node, out_index):
        """A Tensor around an existing array (no copy, no checks). Function.apply writes the
        same assignments out for its one-output path: keep the two in step."""
        t = object.__new__(cls)
        t._data = array
        t._backend = backend
        t.grad = None
        t.requires_grad = requires_grad
        t._keep_grad = False
        t._node = node
        t._out_index = out_index
        t._ver = _FRESH
        t._hooks = None
        return t

    # ------------------------------------------------------------------ storage
    @property
    def data(self):
        """The raw array (assignable, as in Lucid: ``layer.weight.data = array``)."""
        return self._data

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        if not _backend.is_array(value) or _backend.backend_of(value) is not self._backend:
            host = _backend.to_host(value) if _backend.is_array(value) else value
            value = self._backend.asarray(host)
        self._data = value
        self._bump_version()

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return _Size(self._data.shape)

    def numel(self):
        return self._data.size

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self):
        return _dtypes._BY_NUMPY[self._data.dtype]

    @property
    def device(self):
        return self._backend.name

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def is_free(self):
        """True for a tensor outside any graph (Lucid's name)."""
        return self._node is None and not self.requires_grad

    def is_all_free(self):
        return self.is_free

    @property
    def _version(self):
        return self._ver[0]

    def _bump_version(self):
        """Record an in-place change of this tensor's values. Every write into a tensor's array
        goes through here, so a backward that saved the old values can tell (and raise)."""
        INPLACE_WRITES[0] += 1
        cell = self._ver  # [version, the write count at this tensor's last write]
        if cell is _FRESH:
            cell = self._ver = [0, 0]
        cell[0] += 1
        cell[1] = INPLACE_WRITES[0]

    def is_cpu(self):
        return self._backend.name == "cpu"

    def is_gpu(self):
        return self._backend.name == "gpu"

    @property
    def is_cuda(self):
        return self._backend.name == "gpu"

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only floating point tensors can require gradients, this one is "
                f"{self._data.dtype}")
        if not requires_grad and self._node is not None:
            raise RuntimeError(
                "requires_grad can only be turned off on a leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, keep_grad=False, retain_graph=False):
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf it depends on.

        With no ``gradient``, a non-scalar tensor is seeded with ones (Lucid's rule), so
        ``y.backward()`` is ``y.sum().backward()``. ``keep_grad=True`` also keeps ``.grad`` on
        every intermediate tensor; ``retain_graph=True`` allows a second backward.
        """
        if isinstance(gradient, bool):  # Lucid's positional form: backward(keep_grad)
            gradient, keep_grad = None, gradient
        _engine.backward(self, gradient, keep_grad, retain_graph)

    @property
    def keep_grad(self):
        """True when backward keeps ``.grad`` on this tensor even though an op made it (Lucid's
        flag, assignable; ``retain_grad()`` sets it)."""
        return self._keep_grad

    @keep_grad.setter
    def keep_grad(self, value):
        self._keep_grad = bool(value)
        if value and self._node is not None:
            self._node._keep_output(self)  # the engine writes .grad when it passes the node

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self.keep_grad = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` once per backward with this tensor's total gradient.

        ``grad`` is a Tensor; a hook may return a replacement. Returns a function that removes it.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._node is not None:
            return self._node._add_hook(self._out_index, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        hooks = self._hooks
        return lambda: hooks.remove(hook) if hook in hooks else None

    def zero_grad(self):
        self.grad = None

    def detach(self):
        """A tensor sharing this one's values, outside the graph (PyTorch's semantics)."""
        t = Tensor._make(self._data, self._backend, False, None, 0)
        if self._ver is _FRESH:  # the two share one counter: give it one to share
            self._ver = [0, 0]
        t._ver = self._ver
        return t

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def copy_data(self):
        return self._data.copy()

    def copy_grad(self):
        return None if self.grad is None else self.grad.copy()

    def free(self):
        """Cut this tensor from its graph in place (Lucid's name)."""
        return self.detach_()

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        """The values as a host NumPy array (shares memory on the cpu)."""
        if self.requires_grad and self._node is not None:
            pass  # PyTorch refuses; Lucid allows it, and so do we
        return self._backend.to_numpy(self._data)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)`` or ``to(device, dtype)``: a moved and/or cast tensor."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, str) and not _is_dtype_name(arg):
                device = arg  # a name that is no dtype is a device (an unknown one raises below)
            else:
                dtype = arg
        # check both before moving anything
        target = None if device is None else _backend.canonical_device(device)
        np_dtype = None if dtype is None else _dtypes.to_numpy_dtype(dtype)
        out = self
        if target is not None and target != self._backend.name:
            out = _ops.to_device(out, target)
        if np_dtype is not None:
            out = out.astype(np_dtype)
        return out

    def cpu(self):
        return self.to("cpu")

    def gpu(self):
        return self.to("gpu")

    cuda = gpu

    def astype(self, dtype):
        """A copy cast to ``dtype`` (unlike Lucid 2, never changes ``self``)."""
        np_dtype = _dtypes.to_numpy_dtype(dtype)
        if np_dtype == self._data.dtype:
            return self
        return _ops.cast(self, np_dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"lucid.{self.dtype.name}"
        return self.astype(dtype)

    def type_as(self, other):
        return self.astype(other.dtype)

    def float(self):
        return self.astype("float32")

    def double(self):
        return self.astype("float64")

    def half(self):
        return self.astype("float16")

    def long(self):
        return self.astype("int64")

    def int(self):
        return self.astype("int32")

    def bool(self):
        return self.astype("bool")

    def clone(self):
        return _ops.clone(self)

    def contiguous(self):
        return self

    def eval(self):
        return self

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        import numpy  # printing only: the formatting of values is NumPy's on every device

        values = numpy.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        extras = []
        implied = (_dtypes.default_float(), numpy.dtype("int64"), numpy.dtype("bool"))
        if self._data.dtype not in implied:
            extras.append(f"dtype={self.dtype.name}")
        if self._backend.name != "cpu":
            extras.append(f"device='{self._backend.name}'")
        if self.requires_grad:
            grad = self.grad
            extras.append("grad=None" if grad is None else "grad=" + numpy.array2string(
                self._backend.to_numpy(grad), separator=", "))
        return "Tensor(" + ", ".join([values] + extras) + ")"

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __deepcopy__(self, memo):
        leaf_requires_grad = self.requires_grad and self._node is None
        t = Tensor._make(self._data.copy(), self._backend, leaf_requires_grad, None, 0)
        t.keep_grad = self.keep_grad
        if self.grad is not None:
            t.grad = self.grad.copy()
        memo[id(self)] = t
        return t

    def __reduce__(self):
        grad = None if self.grad is None else self._backend.to_numpy(self.grad)
        leaf_requires_grad = self.requires_grad and self._node is None
        return (_rebuild, (self.numpy(), leaf_requires_grad, self.device, grad))

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __sub__(self, other):
        return _sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _mul(self, other)

    def __rmul__(self, other):
        return _mul(other, self)

    def __truediv__(self, other):
        return _div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    def __pow__(self, other):
        return _ops.power(self, other)

    def __rpow__(self, other):
        return _ops.power(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self) if self._data.dtype.kind == "b" else _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __rand__(self, other):
        return _ops.logical_and(other, self)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __ror__(self, other):
        return _ops.logical_or(other, self)

    def __xor__(self, other):
        return _ops.logical_xor(self, other)

    def __rxor__(self, other):
        return _ops.logical_xor(other, self)

    def __eq__(self, other):
        return _ops.equal(self, other)

    def __ne__(self, other):
        return _ops.not_equal(self, other)

    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.setitem(self, index, value)


    # ------------------------------------------------------------------ ops as methods
    # Each is the function of the same name in lucid.ops with this tensor as its first argument.
    def sum(self, axis=None, keepdims=False, **kw):
        return _ops.sum(self, axis, keepdims, **kw)

    def mean(self, axis=None, keepdims=False, **kw):
        return _ops.mean(self, axis, keepdims, **kw)

    def var(self, axis=None, keepdims=False, **kw):
        return _ops.var(self, axis, keepdims, **kw)

    def std(self, axis=None, keepdims=False, **kw):
        return _ops.std(self, axis, keepdims, **kw)

    def prod(self, axis=None, keepdims=False, **kw):
        return _ops.prod(self, axis, keepdims, **kw)

    def max(self, axis=None, keepdims=False, **kw):
        return _ops.max(self, axis, keepdims, **kw)

    def min(self, axis=None, keepdims=False, **kw):
        return _ops.min(self, axis, keepdims, **kw)

    def argmax(self, axis=None, keepdims=False, **kw):
        return _ops.argmax(self, axis, keepdims, **kw)

    def argmin(self, axis=None, keepdims=False, **kw):
        return _ops.argmin(self, axis, keepdims, **kw)

    def all(self, axis=None, keepdims=False, **kw):
        return _ops.all(self, axis, keepdims, **kw)

    def any(self, axis=None, keepdims=False, **kw):
        return _ops.any(self, axis, keepdims, **kw)

    def logsumexp(self, axis=None, keepdims=False, **kw):
        return _ops.logsumexp(self, axis, keepdims, **kw)

    def cumsum(self, axis=-1, **kw):
        return _ops.cumsum(self, axis, **kw)

    def cumprod(self, axis=-1, **kw):
        return _ops.cumprod(self, axis, **kw)

    def trace(self):
        return _ops.trace(self)

    def norm(self, ord=None, axis=None, keepdims=False, **kw):
        return _linalg.norm(self, ord, axis, keepdims, **kw)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def view_as(self, other):
        return _ops.reshape(self, other.shape)

    reshape_as = view_as

    def flatten(self, start_axis=0, end_axis=-1, **kw):
        return _ops.flatten(self, start_axis, end_axis, **kw)

    def ravel(self):
        return _ops.ravel(self)

    def squeeze(self, axis=None, **kw):
        return _ops.squeeze(self, axis, **kw)

    def unsqueeze(self, axis=None, **kw):
        return _ops.unsqueeze(self, axis, **kw)

    def transpose(self, axes=None, *more):
        return _ops.transpose(self, axes, *more)

    def permute(self, *axes):
        return _ops.permute(self, *axes)

    def swapaxes(self, axis1, axis2):
        return _ops.swapaxes(self, axis1, axis2)

    def moveaxis(self, source, destination):
        return _ops.moveaxis(self, source, destination)

    @property
    def T(self):
        return _ops.transpose(self)

    @property
    def mT(self):
        return _ops.swapaxes(self, -1, -2)

    def t(self):
        """PyTorch's ``t()``: the transpose of a tensor of at most 2 axes (0-d and 1-D: itself)."""
        if self._data.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 axes, got shape {self.shape}; "
                             "use transpose(axes) or mT")
        return self if self._data.ndim < 2 else _ops.transpose(self)

    @property
    def flops(self):
        """The FLOPs of the ops in this tensor's graph that ran inside ``lucid.count_flops()``
        (0 outside it; see ``lucid._flops`` for the estimates and limits)."""
        from lucid import _flops
        return _flops.graph_flops(self)

    def mlx(self):
        """Lucid 2's conversion to an MLX array (Apple silicon). This Lucid has no MLX backend."""
        raise NotImplementedError(
            "Tensor.mlx(): Lucid has no MLX backend (its devices are 'cpu' (NumPy) and 'gpu' "
            "(CuPy)); use .numpy() for a host array")

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.broadcast_to(self, other.shape)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)

    def repeat(self, repeats, axis=None):
        return _ops.repeat(self, repeats, axis)

    def tile(self, reps):
        return _ops.tile(self, reps)

    def roll(self, shifts, axis=None, **kw):
        return _ops.roll(self, shifts, axis, **kw)

    def flip(self, axis=None, **kw):
        return _ops.flip(self, axis, **kw)

    def tril(self, k=0, **kw):
        return _ops.tril(self, k, **kw)

    def triu(self, k=0, **kw):
        return _ops.triu(self, k, **kw)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _ops.diagonal(self, offset, axis1, axis2)

    def pad(self, pad_width, value=0):
        return _ops.pad(self, pad_width, value)

    def split(self, size_or_sections, axis=0, **kw):
        return _ops.split(self, size_or_sections, axis, **kw)

    def chunk(self, chunks, axis=0, **kw):
        return _ops.chunk(self, chunks, axis, **kw)

    def unbind(self, axis=0, **kw):
        return _ops.unbind(self, axis, **kw)

    def exp(self):
        return _exp(self)

    def log(self):
        return _ops.log(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def log1p(self):
        return _ops.log1p(self)

    def expm1(self):
        return _ops.expm1(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def square(self):
        return _ops.square(self)

    def abs(self):
        return _ops.abs(self)

    def sign(self):
        return _ops.sign(self)

    def neg(self):
        return _ops.negative(self)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def tan(self):
        return _ops.tan(self)

    def sinh(self):
        return _ops.sinh(self)

    def cosh(self):
        return _ops.cosh(self)

    def tanh(self):
        return _tanh(self)

    def arcsin(self):
        return _ops.arcsin(self)

    def arccos(self):
        return _ops.arccos(self)

    def arctan(self):
        return _ops.arctan(self)

    def sigmoid(self):
        return _sigmoid(self)

    def relu(self):
        return _relu(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def round(self, decimals=0):
        return _ops.round(self, decimals=decimals)

    def trunc(self):
        return _ops.trunc(self)

    def clip(self, min_value=None, max_value=None):
        return _ops.clip(self, min_value, max_value)

    def clamp(self, min=None, max=None):
        return _ops.clip(self, min, max)

    def pow(self, exponent):
        return _ops.power(self, exponent)

    def add(self, other):
        return _ops.add(self, other)

    def sub(self, other):
        return _ops.sub(self, other)

    def mul(self, other):
        return _ops.multiply(self, other)

    def div(self, other):
        return _ops.div(self, other)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def eq(self, other):
        return _ops.equal(self, other)

    def ne(self, other):
        return _ops.not_equal(self, other)

    def lt(self, other):
        return _ops.less(self, other)

    def le(self, other):
        return _ops.less_equal(self, other)

    def gt(self, other):
        return _ops.greater(self, other)

    def ge(self, other):
        return _ops.greater_equal(self, other)

    def isnan(self):
        return _ops.isnan(self)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def dot(self, other):
        return _ops.dot(self, other)

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def sort(self, axis=-1, descending=False, **kw):
        return _ops.sort(self, axis, descending, **kw)

    def argsort(self, axis=-1, descending=False, **kw):
        return _ops.argsort(self, axis, descending, **kw)

    def topk(self, k, axis=-1, largest=True, sorted=True, **kw):
        return _ops.topk(self, k, axis, largest, sorted, **kw)

    def nonzero(self, as_tuple=False):
        return _ops.nonzero(self, as_tuple)

    def unique(self, sorted=True, axis=None, return_inverse=False, return_counts=False):
        return _ops.unique(self, sorted, axis, return_inverse, return_counts)

    def gather(self, axis=None, index=None, **kw):
        return _ops.gather(self, axis, index, **kw)

    def scatter(self, axis=None, index=None, src=None, **kw):
        return _ops.scatter(self, axis, index, src, **kw)

    def index_select(self, axis=None, index=None, **kw):
        return _ops.index_select(self, axis, index, **kw)

    def take_along_axis(self, indices, axis):
        return _ops.take_along_axis(self, indices, axis)

    def softmax(self, axis=-1, **kw):
        from lucid.nn import functional as F
        return F.softmax(self, axis, **kw)

    def log_softmax(self, axis=-1, **kw):
        from lucid.nn import functional as F
        return F.log_softmax(self, axis, **kw)

    # ------------------------------------------------------------------ in-place ops
    def _inplace(self, result):
        """Make ``self`` hold ``result``: values written into its buffer, graph re-pointed.

        The version counter goes up, so a backward that saved the old values raises instead of
        using the new ones. Every check runs before anything is written. The op that computed
        ``result`` from self reads a stand-in for the old self; the ops that read self earlier
        still find their version (``_repoint``); and when self is a view, the tensors it views
        are re-pointed too (autograd/views.py). docs/architecture.md has the whole story.
        """
        if self._node is None and self.requires_grad and _grad_mode.grad_enabled():
            raise RuntimeError(
                "a leaf tensor that requires grad is used in an in-place operation; "
                "wrap the update in `with lucid.no_grad():`")
        # self may be a view (h[0]): the write then changes the tensors it views, whose graph
        # must follow (autograd/views.py)
        views = ()
        if self._ver is not _FRESH and _grad_mode.grad_enabled():
            views = _views.views_written(self)
            _views.check_writable(views)
        if result._data.dtype != self._data.dtype and (
                result._data.dtype.kind == "f" and self._data.dtype.kind in "iub"):
            raise TypeError(f"in-place result of dtype {result._data.dtype} cannot be stored in a "
                            f"{self._data.dtype} tensor")
        if result.shape != self.shape:
            raise ValueError(f"in-place op changed the shape from {self.shape} to {result.shape}")
        node = result._node
        if node is not None and any([p is self for p in node.parents]):
            # The op read self's old values. Its input becomes a stand-in for the old self (old
            # node), or the graph would loop through self. If its backward needs those values
            # (h.mul_(w): dL/dw = dL/dh * old h), it gets a copy of them, as PyTorch keeps the
            # original self; otherwise the stand-in shares self's memory and version counter.
            if any([a is self._data for a in node._saved]):
                old = self._as_it_is(self._data.copy())
                node._saved = tuple(old._data if a is self._data else a for a in node._saved)
            else:
                old = self._as_it_is()
            node.parents = tuple(old if p is self else p for p in node.parents)
        self._data[...] = result._data
        self._bump_version()
        if node is None:  # the new values do not depend on the graph
            if self._node is not None:
                self._node, self.requires_grad = None, False
        else:
            self._repoint(result)
        if views:
            _views.write_through(views, self)
        return self

    def _as_it_is(self, values=None):
        """A stand-in for this tensor's current version (its node and output index), for an op
        that read it before an in-place write re-points it. It shares the array and version
        counter, or holds ``values`` (a copy of the old values, for a backward that needs
        them)."""
        t = Tensor._make(self._data if values is None else values, self._backend,
                         self.requires_grad, self._node if self.requires_grad else None,
                         self._out_index)
        if values is None:
            t._ver = self._ver
        return t

    def _repoint(self, new):
        """Make this tensor stand at ``new``'s place in the graph (its values are already
        ``new``'s). The node keeps what this tensor was (``_replaces``), so the ops that read
        that version still lead to it (engine._version_read)."""
        new._node._replaces = (self._node, self._out_index)
        self._node, self._out_index, self.requires_grad = new._node, new._out_index, True
        if self._keep_grad:
            new._node._keep_output(self)

    def add_(self, other, alpha=1):
        return self._inplace(_ops.add(self, other if alpha == 1 else other * alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(_ops.sub(self, other if alpha == 1 else other * alpha))

    def mul_(self, other):
        return self._inplace(_ops.multiply(self, other))

    def div_(self, other):
        return self._inplace(_ops.div(self, other))

    def pow_(self, exponent):
        return self._inplace(_ops.power(self, exponent))

    def neg_(self):
        return self._inplace(_ops.negative(self))

    def exp_(self):
        return self._inplace(_ops.exp(self))

    def log_(self):
        return self._inplace(_ops.log(self))

    def sqrt_(self):
        return self._inplace(_ops.sqrt(self))

    def abs_(self):
        return self._inplace(_ops.abs(self))

    def clamp_(self, min=None, max=None):
        return self._inplace(_ops.clip(self, min, max))

    clip_ = clamp_

    def relu_(self):
        return self._inplace(_ops.relu(self))

    # Lucid 2.15's in-place names: the op of the same name, written back into self
    def sigmoid_(self):
        return self._inplace(_ops.sigmoid(self))

    def tanh_(self):
        return self._inplace(_ops.tanh(self))

    def log2_(self):
        return self._inplace(_ops.log2(self))

    def square_(self):
        return self._inplace(_ops.square(self))

    def cube_(self):
        return self._inplace(_ops.cube(self))

    def sin_(self):
        return self._inplace(_ops.sin(self))

    def cos_(self):
        return self._inplace(_ops.cos(self))

    def tan_(self):
        return self._inplace(_ops.tan(self))

    def sign_(self):
        return self._inplace(_ops.sign(self))

    def reciprocal_(self):
        return self._inplace(_ops.reciprocal(self))

    def round_(self, decimals=0):
        return self._inplace(_ops.round(self, decimals=decimals))

    def floor_(self):
        return self._inplace(_ops.floor(self))

    def ceil_(self):
        return self._inplace(_ops.ceil(self))

    def maximum_(self, other):
        return self._inplace(_ops.maximum(self, other))

    def minimum_(self, other):
        return self._inplace(_ops.minimum(self, other))

    power_ = pow_

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        return self._overwrite(_ops.full_like(self, value))

    def copy_(self, src):
        src = src if isinstance(src, Tensor) else Tensor(src, device=self.device)
        return self._overwrite(_ops.broadcast_to(src.to(self.device, self.dtype), self.shape))

    def _overwrite(self, values):
        """fill_ / copy_: self's values replaced by ``values``, which do not read self. In a
        graph the result stays a function of the old self (with gradient zero) and of
        ``values``, as PyTorch's fill_ and copy_ are, so self keeps requiring grad."""
        if _grad_mode.grad_enabled() and (self.requires_grad or values.requires_grad):
            everywhere = _ops.full_like(self, True, dtype=_dtypes.Bool)
            values = _ops.where(everywhere, values, self)
        return self._inplace(values)

    def masked_fill_(self, mask, value):
        return self._inplace(_ops.masked_fill(self, mask, value))

    def uniform_(self, low=0.0, high=1.0, generator=None):
        return self._inplace(_random.uniform(low, high, self.shape, dtype=self.dtype,
                                             device=self.device, generator=generator))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return self._inplace(_random.normal(mean, std, self.shape, dtype=self.dtype,
                                            device=self.device, generator=generator))

    def zero(self):
        """Lucid's name: set every value to zero, in place."""
        with _grad_mode.no_grad():
            return self.fill_(0)


def _is_dtype_name(name):
    try:
        _dtypes.to_numpy_dtype(name)
    except TypeError:
        return False
    return True


def _rebuild(array, requires_grad, device, grad):
    t = Tensor(array, requires_grad=requires_grad, device=device)
    if grad is not None:
        t.grad = t._backend.asarray(grad)
    return t


def tensor(data, requires_grad=False, keep_grad=False, dtype=None, device=None):
    """``lucid.tensor(data, ...)``: a new Tensor (copies ``data``; accepts a Tensor)."""
    return Tensor(data, requires_grad, keep_grad, dtype, device)


def to_tensor(data, requires_grad=False, keep_grad=False, dtype=None, device=None):
    """Like ``tensor``, but returns ``data`` itself when it is already a matching Tensor."""
    if isinstance(data, Tensor) and dtype is None and (device is None or device == data.device):
        if requires_grad and not data.requires_grad:
            data.requires_grad_(True)
        return data
    return Tensor(data, requires_grad, keep_grad, dtype, device)


# Late imports: these layers build on Tensor (see the module docstring).

from lucid.autograd import engine as _engine, grad_mode as _grad_mode  # noqa: E402
from lucid import ops as _ops  # noqa: E402
from lucid.ops import elementwise as _ew  # noqa: E402
from lucid.autograd import views as _views  # noqa: E402

# The hottest operators call their op's apply directly, bound once here (a classmethod is
# re-bound on every attribute access): fewer steps on every arithmetic op.
_add, _sub, _mul, _div = _ew.Add.apply, _ew.Sub.apply, _ew.Mul.apply, _ew.Div.apply
_neg, _exp, _tanh = _ew.Neg.apply, _ew.Exp.apply, _ew.Tanh.apply
_sigmoid, _relu = _ew.Sigmoid.apply, _ew.Relu.apply
from lucid import random as _random  # noqa: E402
from lucid import linalg as _linalg  # noqa: E402
