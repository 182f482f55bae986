"""The public surface, name by name: every name of API.md §1.1 to §1.6, plus the PyTorch names
issues 2 to 4 ask for, exists where a user looks for it, is callable, and takes the documented
arguments (``axis=``/``keepdims=``, the ``dim=``/``keepdim=`` aliases, Lucid's parameter names).

The name lists are written out here on purpose (not read from the package): a name that goes
missing fails its own parametrized case, which names it. Values are checked against NumPy where a
call is made, so a renamed argument that silently does something else fails too.
"""

import inspect

import numpy as np
import pytest

import lucid
import lucid.data
import lucid.datasets
import lucid.einops
import lucid.linalg
import lucid.nn as nn
import lucid.nn.functional as F
import lucid.nn.init as init
import lucid.optim as optim
import lucid.optim.lr_scheduler as lr_scheduler
import lucid.random
import lucid.transforms
from lucid import Tensor


def _names(text):
    return text.split()


# ============================================================================ §1.1 top level
TOP_BINARY = _names("add sub multiply div minimum maximum power dot inner outer matmul tensordot")
TOP_UNARY = _names("""exp log log2 sqrt sin cos tan arcsin arccos arctan sinh cosh tanh clip abs
    sign reciprocal square cube transpose sum mean var min max trace swapaxes round floor ceil
    cumprod cumsum""")
TOP_CREATION = _names("zeros ones empty zeros_like ones_like empty_like eye diag arange linspace "
                      "full full_like")
TOP_SHAPE = _names("""reshape squeeze unsqueeze expand_dims ravel stack hstack vstack concatenate
    pad repeat tile flatten meshgrid split tril triu broadcast_to chunk masked_fill roll unbind
    sort nonzero unique topk argsort histogramdd histogram histogram2d where argmin argmax
    diagonal""")
TOP_MISC_CALLABLE = _names("""Tensor tensor to_tensor no_grad grad_enabled count_flops
    flops_enabled shape register_model save load""")
TOP_DTYPES = _names("Int Int8 Int16 Int32 Int64 Float Float16 Float32 Float64 Complex Complex64 "
                    "Numeric")
TOP_ERRORS = _names("BackwardError DeviceMismatchError UnknownDeviceError")
# auto-imported submodules (API.md §1 table): `import lucid` alone makes them attributes
TOP_SUBMODULES = _names("linalg random einops nn types port error")

TOP_FUNCTIONS = TOP_BINARY + TOP_UNARY + TOP_CREATION + TOP_SHAPE + TOP_MISC_CALLABLE


@pytest.mark.parametrize("name", TOP_FUNCTIONS)
def test_top_level_callable(name):
    assert hasattr(lucid, name), f"lucid.{name} is missing"
    assert callable(getattr(lucid, name)), f"lucid.{name} is not callable"


@pytest.mark.parametrize("name", TOP_BINARY + TOP_UNARY + TOP_SHAPE)
def test_top_level_ops_take_the_tensor_positionally(name):
    # "the top-level functions name it `a` and take tensors position-only" (API.md §1.1)
    params = list(inspect.signature(getattr(lucid, name)).parameters.values())
    assert params[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                              inspect.Parameter.VAR_POSITIONAL), (
        f"lucid.{name}: first parameter {params[0].name!r} is {params[0].kind.description}")


@pytest.mark.parametrize("name", TOP_DTYPES)
def test_top_level_dtype_names(name):
    assert isinstance(getattr(lucid, name), type) or hasattr(getattr(lucid, name), "name") or (
        name in ("Int", "Float", "Complex", "Numeric")), f"lucid.{name} is not a dtype"


@pytest.mark.parametrize("name", TOP_ERRORS)
def test_top_level_error_classes(name):
    cls = getattr(lucid, name)
    assert isinstance(cls, type) and issubclass(cls, Exception)
    assert getattr(lucid.error, name) is cls


@pytest.fixture(scope="module")
def fresh_import_modules():
    """The submodule attributes a fresh ``import lucid`` gives (here the test module has already
    imported them all, so a new interpreter is asked, once)."""
    import subprocess
    import sys
    code = ("import lucid, types; print(' '.join(n for n in dir(lucid) "
            "if isinstance(getattr(lucid, n), types.ModuleType)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-500:]
    return set(run.stdout.split())


@pytest.mark.parametrize("name", TOP_SUBMODULES)
def test_submodules_auto_imported(name, fresh_import_modules):
    assert name in fresh_import_modules, f"`import lucid` does not give lucid.{name}"


def test_top_level_constants():
    assert lucid.newaxis is None
    assert lucid.pi == np.pi and lucid.inf == np.inf
    assert hasattr(lucid, "MODELS_REGISTRY_PATH")
    assert lucid.MODELS_REGISTRY_PATH is None  # the registry lives in memory, no file


def test_dtype_semantics():
    assert lucid.Float32.name == "float32" and isinstance(lucid.Float32, lucid.Numeric)
    assert lucid.zeros(2, dtype=lucid.Float64).dtype == lucid.Float64
    assert lucid.zeros(2, dtype=lucid.Int8).dtype == lucid.Int8
    # Lucid 2's bit-free names raise when used as a dtype; here they are the defaults
    # (Float32, Int64, Complex64), which is what the name asks for and cannot mislead
    for implicit in (lucid.Int, lucid.Float, lucid.Complex):
        assert isinstance(implicit, lucid.Numeric)
    assert lucid.zeros(2, dtype=lucid.Float).dtype == lucid.Float32


def test_grad_mode_names():
    assert lucid.grad_enabled() is True
    with lucid.no_grad():
        assert lucid.grad_enabled() is False
    assert lucid.grad_enabled() is True

    @lucid.no_grad()
    def f():
        return lucid.grad_enabled()

    assert f() is False


def test_shape_helper():
    assert lucid.shape(lucid.zeros(2, 3)) == (2, 3)


# ---------------------------------------------------------------------------- §1.1 signatures
@pytest.fixture
def arr():
    return np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7 - 1.0


REDUCTIONS = ["sum", "mean", "var", "min", "max", "argmin", "argmax"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_axis_keepdims(name, axis, keepdims, arr):
    if name.startswith("arg") and isinstance(axis, tuple):
        return  # NumPy's argmin/argmax take one axis
    x = Tensor(arr)
    expected = getattr(np, name)(arr, axis=axis, keepdims=keepdims)  # var: population (ddof=0)
    got = getattr(lucid, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    # the same through the Tensor method, and through PyTorch's spelling
    np.testing.assert_allclose(getattr(x, name)(axis=axis, keepdims=keepdims).numpy(), expected,
                               rtol=1e-12)
    if axis is not None:
        np.testing.assert_allclose(getattr(lucid, name)(x, dim=axis, keepdim=keepdims).numpy(),
                                   expected, rtol=1e-12)
        np.testing.assert_allclose(getattr(x, name)(dim=axis, keepdim=keepdims).numpy(),
                                   expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["std", "prod"])
def test_tensor_std_prod_axis_and_dim(name, arr):
    x = Tensor(arr)
    expected = getattr(np, name)(arr, axis=1, keepdims=True)
    np.testing.assert_allclose(getattr(x, name)(axis=1, keepdims=True).numpy(), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(getattr(x, name)(dim=1, keepdim=True).numpy(), expected,
                               rtol=1e-12)


def _top_level_cases():
    """(id, lucid call, NumPy expectation) over a (2, 3, 4) float64 array ``a``."""
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7 - 1.0
    m = np.arange(9, dtype=np.float64).reshape(3, 3) - 4.0
    v = np.array([3.0, 1.0, 2.0, 1.0, 5.0])
    T = Tensor
    return [
        ("div floor", lambda: lucid.div(T(a), T(a[0] + 2), floor=True), np.floor(a / (a[0] + 2))),
        ("tensordot axes", lambda: lucid.tensordot(T(a), T(a), axes=([1, 2], [1, 2])),
         np.tensordot(a, a, axes=([1, 2], [1, 2]))),
        ("tensordot int axes", lambda: lucid.tensordot(T(m), T(m), axes=1),
         np.tensordot(m, m, axes=1)),
        ("clip min/max", lambda: lucid.clip(T(a), min_value=-0.5, max_value=0.5),
         np.clip(a, -0.5, 0.5)),
        ("clip min only", lambda: lucid.clip(T(a), min_value=0.0), np.maximum(a, 0.0)),
        ("transpose default", lambda: lucid.transpose(T(a)), a.transpose()),
        ("transpose axes", lambda: lucid.transpose(T(a), axes=(1, 0, 2)),
         a.transpose(1, 0, 2)),
        ("swapaxes", lambda: lucid.swapaxes(T(a), 0, 2), a.swapaxes(0, 2)),
        ("round decimals", lambda: lucid.round(T(a), decimals=1), np.round(a, 1)),
        ("trace", lambda: lucid.trace(T(m)), np.trace(m)),
        ("cumsum default axis -1", lambda: lucid.cumsum(T(a)), np.cumsum(a, axis=-1)),
        ("cumsum axis", lambda: lucid.cumsum(T(a), axis=0), np.cumsum(a, axis=0)),
        ("cumprod default axis -1", lambda: lucid.cumprod(T(a)), np.cumprod(a, axis=-1)),
        ("cumprod dim", lambda: lucid.cumprod(T(a), dim=1), np.cumprod(a, axis=1)),
        ("cube", lambda: lucid.cube(T(a)), a ** 3),
        ("reshape varargs", lambda: lucid.reshape(T(a), 6, 4), a.reshape(6, 4)),
        ("reshape tuple", lambda: lucid.reshape(T(a), (4, -1)), a.reshape(4, -1)),
        ("reshape shape=", lambda: lucid.reshape(T(a), shape=(4, 6)), a.reshape(4, 6)),
        ("squeeze axis", lambda: lucid.squeeze(T(a[:1]), axis=0), a[0]),
        ("unsqueeze axis", lambda: lucid.unsqueeze(T(a), axis=1), a[:, None]),
        ("expand_dims axis", lambda: lucid.expand_dims(T(a), axis=-1), a[..., None]),
        ("ravel", lambda: lucid.ravel(T(a)), a.ravel()),
        ("stack axis", lambda: lucid.stack((T(m), T(m + 1)), axis=1),
         np.stack((m, m + 1), axis=1)),
        ("hstack", lambda: lucid.hstack((T(m), T(m))), np.hstack((m, m))),
        ("vstack", lambda: lucid.vstack((T(m), T(m))), np.vstack((m, m))),
        ("concatenate axis", lambda: lucid.concatenate((T(a), T(a)), axis=2),
         np.concatenate((a, a), axis=2)),
        ("pad pad_width", lambda: lucid.pad(T(m), pad_width=((1, 0), (0, 2))),
         np.pad(m, ((1, 0), (0, 2)))),
        ("repeat axis", lambda: lucid.repeat(T(m), repeats=2, axis=0), np.repeat(m, 2, axis=0)),
        ("repeat flat", lambda: lucid.repeat(T(v), 2), np.repeat(v, 2)),
        ("tile reps", lambda: lucid.tile(T(v), reps=2), np.tile(v, 2)),
        ("flatten start/end", lambda: lucid.flatten(T(a), start_axis=1, end_axis=2),
         a.reshape(2, 12)),
        ("flatten all", lambda: lucid.flatten(T(a)), a.ravel()),
        ("meshgrid ij", lambda: lucid.meshgrid(T(v), T(v[:2]), indexing="ij")[0],
         np.meshgrid(v, v[:2], indexing="ij")[0]),
        ("meshgrid xy", lambda: lucid.meshgrid(T(v), T(v[:2]), indexing="xy")[1],
         np.meshgrid(v, v[:2], indexing="xy")[1]),
        ("split sections", lambda: lucid.split(T(a), 2, axis=2)[1],
         np.split(a, 2, axis=2)[1]),
        ("split sizes", lambda: lucid.split(T(v), size_or_sections=[2, 3])[1], v[2:]),
        ("tril k", lambda: lucid.tril(T(m), k=-1), np.tril(m, -1)),
        ("triu", lambda: lucid.triu(T(m)), np.triu(m)),
        ("broadcast_to", lambda: lucid.broadcast_to(T(v), (2, 5)), np.broadcast_to(v, (2, 5))),
        ("chunk axis", lambda: lucid.chunk(T(a), chunks=3, axis=1)[2], a[:, 2:3]),
        ("masked_fill", lambda: lucid.masked_fill(T(m), T(m > 0), 9.0), np.where(m > 0, 9.0, m)),
        ("roll shifts/axis", lambda: lucid.roll(T(a), shifts=1, axis=2), np.roll(a, 1, axis=2)),
        ("roll flat", lambda: lucid.roll(T(v), 2), np.roll(v, 2)),
        ("unbind axis", lambda: lucid.unbind(T(a), axis=1)[2], a[:, 2]),
        ("sort values", lambda: lucid.sort(T(v))[0], np.sort(v)),
        ("sort descending", lambda: lucid.sort(T(v), axis=-1, descending=True)[0],
         np.sort(v)[::-1]),
        ("sort indices", lambda: lucid.sort(T(v), stable=True)[1], np.argsort(v, kind="stable")),
        ("argsort", lambda: lucid.argsort(T(v), stable=True), np.argsort(v, kind="stable")),
        ("argsort descending", lambda: lucid.argsort(T(a[0, 0]), descending=True),
         np.argsort(-a[0, 0])),
        ("nonzero", lambda: lucid.nonzero(T(m)), np.stack(np.nonzero(m), axis=-1)),
        ("unique sorted", lambda: lucid.unique(T(v)), np.unique(v)),
        ("unique inverse", lambda: lucid.unique(T(v), return_inverse=True)[1],
         np.unique(v, return_inverse=True)[1]),
        ("topk values", lambda: lucid.topk(T(v), k=2)[0], np.array([5.0, 3.0])),
        ("topk indices", lambda: lucid.topk(T(v), k=2, axis=-1)[1], np.array([4, 0])),
        ("topk smallest", lambda: lucid.topk(T(m), 1, axis=0, largest=False)[0], m[:1]),
        ("histogram counts", lambda: lucid.histogram(T(v), bins=4, range=(0, 8))[0],
         np.histogram(v, bins=4, range=(0, 8))[0]),
        ("histogram edges", lambda: lucid.histogram(T(v), bins=4)[1],
         np.histogram(v, bins=4)[1]),
        ("histogram density", lambda: lucid.histogram(T(v), bins=3, density=True)[0],
         np.histogram(v, bins=3, density=True)[0]),
        ("histogram2d", lambda: lucid.histogram2d(T(v), T(v[::-1]), bins=2)[0],
         np.histogram2d(v, v[::-1], bins=2)[0]),
        ("histogramdd", lambda: lucid.histogramdd(T(m), bins=2)[0], np.histogramdd(m, bins=2)[0]),
        ("where", lambda: lucid.where(T(m > 0), T(m), T(-m)), np.abs(m)),
        ("argmin keepdims", lambda: lucid.argmin(T(a), axis=1, keepdims=True),
         np.argmin(a, axis=1, keepdims=True)),
        ("argmax flat", lambda: lucid.argmax(T(v)), np.argmax(v)),
        ("diagonal offset/axes", lambda: lucid.diagonal(T(a), offset=1, axis1=1, axis2=2),
         np.diagonal(a, offset=1, axis1=1, axis2=2)),
        ("dot", lambda: lucid.dot(T(m), T(m)), m @ m),
        ("inner", lambda: lucid.inner(T(v), T(v)), np.inner(v, v)),
        ("outer", lambda: lucid.outer(T(v), T(v[:2])), np.outer(v, v[:2])),
        ("power", lambda: lucid.power(T(m), 2), m ** 2),
        # creation
        ("zeros varargs", lambda: lucid.zeros(2, 3), np.zeros((2, 3))),
        ("zeros tuple", lambda: lucid.zeros((2, 3)), np.zeros((2, 3))),
        ("ones", lambda: lucid.ones(3), np.ones(3)),
        ("empty shape", lambda: lucid.empty(2, 3) * 0, np.zeros((2, 3))),
        ("zeros_like", lambda: lucid.zeros_like(T(m)), np.zeros_like(m)),
        ("ones_like", lambda: lucid.ones_like(T(m)), np.ones_like(m)),
        ("empty_like shape", lambda: lucid.empty_like(T(m)) * 0, np.zeros_like(m)),
        ("eye N", lambda: lucid.eye(3), np.eye(3)),
        ("eye N M k", lambda: lucid.eye(3, 4, 1), np.eye(3, 4, 1)),
        ("diag vector k", lambda: lucid.diag(T(v[:3]), 1), np.diag(v[:3], 1)),
        ("diag matrix", lambda: lucid.diag(T(m)), np.diag(m)),
        ("arange stop", lambda: lucid.arange(5), np.arange(5)),
        ("arange start stop step", lambda: lucid.arange(1, 7, 2), np.arange(1, 7, 2)),
        ("linspace num", lambda: lucid.linspace(0, 1, 5), np.linspace(0, 1, 5)),
        ("full", lambda: lucid.full((2, 2), 3.5), np.full((2, 2), 3.5)),
        ("full_like", lambda: lucid.full_like(T(m), fill_value=2.0), np.full_like(m, 2.0)),
    ]


_CASES = _top_level_cases()


@pytest.mark.parametrize("case", _CASES, ids=[c[0] for c in _CASES])
def test_top_level_signatures_against_numpy(case):
    _, call, expected = case
    got = call()
    assert isinstance(got, Tensor), f"returned {type(got).__name__}, not a Tensor"
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert got.shape == np.shape(expected)


def test_creation_keyword_arguments():
    for make in (lambda **kw: lucid.zeros(2, 3, **kw), lambda **kw: lucid.ones((2,), **kw),
                 lambda **kw: lucid.eye(2, **kw), lambda **kw: lucid.full((2,), 1.0, **kw),
                 lambda **kw: lucid.linspace(0, 1, 3, **kw), lambda **kw: lucid.arange(3.0, **kw),
                 lambda **kw: lucid.zeros_like(lucid.ones(2), **kw),
                 lambda **kw: lucid.full_like(lucid.ones(2), 2.0, **kw)):
        t = make(dtype=lucid.Float64, requires_grad=True, keep_grad=True, device="cpu")
        assert t.dtype == lucid.Float64 and t.requires_grad and t.keep_grad
        assert t.device == "cpu"


def test_tensor_tensor_to_tensor_arguments():
    for make in (lucid.Tensor, lucid.tensor, lucid.to_tensor):
        t = make([1.0, 2.0], requires_grad=True, keep_grad=False, dtype=lucid.Float64,
                 device="cpu")
        assert t.requires_grad and t.dtype == lucid.Float64
    src = lucid.tensor([1.0, 2.0])
    assert lucid.tensor(src) is not src and lucid.Tensor(src).tolist() == [1.0, 2.0]
    assert lucid.to_tensor(src) is src


# ============================================================================ §1.2 Tensor
TENSOR_PROPERTIES = _names("T mT shape ndim size is_leaf is_free flops")
TENSOR_INSTANCE_ATTRS = _names("data grad requires_grad keep_grad device dtype")
TENSOR_METHODS = _names("""all any astype backward broadcast_to ceil chunk clip copy_data
    copy_grad detach diagonal dot eval flatten floor free is_all_free is_cpu is_gpu item matmul
    mean mlx nonzero numpy pad ravel register_hook repeat reshape roll round sort split squeeze
    sum swapaxes tile to tolist transpose tril triu unbind unique unsqueeze var zero zero_grad""")
# issue 2 item 4 and API.md §1.2 "missing compared with torch"
TENSOR_TORCH_METHODS = _names("""exp log sqrt abs max min argmax argmin std prod pow clamp view
    permute expand contiguous clone float double long int bool cpu gpu cuda dim numel
    requires_grad_ retain_grad t maximum softmax relu sigmoid tanh cumsum where norm topk argsort
    add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_""")
TENSOR_DUNDERS = _names("""__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__
    __rtruediv__ __floordiv__ __rfloordiv__ __matmul__ __rmatmul__ __pow__ __rpow__ __eq__
    __ne__ __lt__ __le__ __gt__ __ge__ __neg__ __invert__ __and__ __or__ __getitem__
    __setitem__ __len__ __iter__ __bool__ __hash__ __deepcopy__""")


@pytest.mark.parametrize("name", TENSOR_PROPERTIES + TENSOR_INSTANCE_ATTRS)
def test_tensor_attribute(name):
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert hasattr(t, name), f"Tensor.{name} is missing"
    value = getattr(t, name)
    assert not inspect.ismethod(value), f"Tensor.{name} should be an attribute, not a method"


@pytest.mark.parametrize("name", TENSOR_METHODS + TENSOR_TORCH_METHODS + TENSOR_DUNDERS)
def test_tensor_method(name):
    assert callable(getattr(Tensor, name, None)), f"Tensor.{name} is missing or not callable"


def test_tensor_method_signatures():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = Tensor(a)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((3, 2)).shape == (3, 2)
    np.testing.assert_array_equal(x.transpose().numpy(), a.T)  # Lucid: axes=None reverses
    np.testing.assert_array_equal(x.transpose(axes=(1, 0)).numpy(), a.T)
    np.testing.assert_array_equal(x.transpose(1, 0).numpy(), a.T)  # PyTorch's two-int form
    np.testing.assert_array_equal(x.t().numpy(), a.T)
    np.testing.assert_array_equal(x.T.numpy(), a.T)
    np.testing.assert_array_equal(x.mT.numpy(), a.T)
    assert x.size == 6 and x.size(1) == 3 and x.numel() == 6 and x.dim() == 2
    assert x.to("cpu").device == "cpu"
    np.testing.assert_array_equal(x.clip(min_value=1, max_value=4).numpy(), np.clip(a, 1, 4))
    np.testing.assert_array_equal(x.clamp(min=1, max=4).numpy(), np.clip(a, 1, 4))
    np.testing.assert_array_equal(x.repeat(2, axis=1).numpy(), np.repeat(a, 2, axis=1))
    np.testing.assert_array_equal(x.flatten(start_axis=0, end_axis=1).numpy(), a.ravel())
    np.testing.assert_array_equal(x.squeeze(axis=None).numpy(), a)
    np.testing.assert_array_equal(x.unsqueeze(axis=0).numpy(), a[None])
    np.testing.assert_array_equal(x.unsqueeze(dim=0).numpy(), a[None])
    np.testing.assert_array_equal(x.split(1, axis=0)[1].numpy(), a[1:])
    np.testing.assert_array_equal(x.chunk(3, axis=1)[0].numpy(), a[:, :1])
    np.testing.assert_array_equal(x.sort(axis=0, descending=True)[0].numpy(), a[::-1])
    np.testing.assert_array_equal(x.round(decimals=0).numpy(), a)
    np.testing.assert_array_equal(x.cumsum(axis=0).numpy(), np.cumsum(a, axis=0))
    np.testing.assert_array_equal(x.cumsum().numpy(), np.cumsum(a, axis=-1))
    np.testing.assert_array_equal(x.diagonal(offset=1).numpy(), np.diagonal(a, 1))
    np.testing.assert_array_equal(x.tril(k=0).numpy(), np.tril(a))
    np.testing.assert_array_equal(x.pad(pad_width=((0, 1), (0, 0))).numpy(),
                                  np.pad(a, ((0, 1), (0, 0))))
    np.testing.assert_array_equal(x.tile(reps=(1, 2)).numpy(), np.tile(a, (1, 2)))
    np.testing.assert_array_equal(x.roll(shifts=1, axis=1).numpy(), np.roll(a, 1, axis=1))
    np.testing.assert_array_equal(x.unique().numpy(), np.unique(a))
    np.testing.assert_array_equal(x.unbind(axis=1)[2].numpy(), a[:, 2])


def test_tensor_t_rejects_more_than_two_axes():
    assert Tensor([1.0, 2.0]).t().shape == (2,)
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        lucid.zeros(2, 2, 2).t()


def test_tensor_backward_keep_grad_keyword():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = h * 3.0
    y.backward(keep_grad=True)
    np.testing.assert_array_equal(h.grad, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


def test_tensor_mlx_is_not_available():
    with pytest.raises(NotImplementedError, match="MLX"):
        Tensor([1.0]).mlx()


# ---------------------------------------------------------------------------- FLOPs
def test_count_flops_matmul_and_context():
    x = lucid.ones(4, 3, requires_grad=True)
    w = lucid.ones(3, 5, requires_grad=True)
    assert lucid.flops_enabled() is False
    with lucid.count_flops():
        assert lucid.flops_enabled() is True
        y = x @ w  # 4 x 5 outputs, 3 multiply-adds each
    assert lucid.flops_enabled() is False
    assert y.flops == 2 * 4 * 5 * 3
    assert (x @ w).flops == 0  # made outside the context: not counted


def test_count_flops_sums_the_graph_once_per_node():
    x = lucid.ones(4, 3, requires_grad=True)
    w = lucid.ones(5, 3, requires_grad=True)
    b = lucid.zeros(5, requires_grad=True)
    with lucid.count_flops():
        h = F.linear(x, w, b)  # 2*20*3 multiply-adds plus 20 bias additions
        out = (h * h).sum()  # h used twice by one node: counted once
    linear = 2 * 20 * 3 + 20
    assert h.flops == linear
    assert out.flops == linear + 20 + 20  # the product (20) and the sum over 20 inputs
    out.backward(retain_graph=True)  # a kept graph can still be read
    assert out.flops == linear + 40
    out.backward()  # this one frees the graph: read flops before it
    assert out.flops == 0


def test_count_flops_conv_and_nesting():
    x = lucid.ones(2, 3, 8, 8, requires_grad=True)
    w = lucid.ones(4, 3, 3, 3, requires_grad=True)
    with lucid.count_flops():
        with lucid.count_flops():
            y = F.conv2d(x, w, padding=1)  # (2, 4, 8, 8) outputs, 27 multiply-adds each
        assert lucid.flops_enabled() is True
    assert y.flops == 2 * (2 * 4 * 8 * 8) * 27
    with lucid.count_flops():
        z = F.conv_transpose2d(lucid.ones(1, 4, 5, 5, requires_grad=True),
                               lucid.ones(4, 2, 3, 3, requires_grad=True))
    assert z.flops == 2 * (4 * 5 * 5) * (2 * 3 * 3)  # per input element: C_out/g * k*k


def test_count_flops_as_decorator_and_shape_ops_are_free():
    @lucid.count_flops()
    def f(a):
        return a.reshape(6).transpose()[1:]

    assert f(lucid.ones(2, 3, requires_grad=True)).flops == 0
    assert lucid.ones(3).flops == 0  # no graph at all


def test_count_flops_einsum():
    a = lucid.ones(2, 3, requires_grad=True)
    b = lucid.ones(3, 4, requires_grad=True)
    with lucid.count_flops():
        c = lucid.einsum("ij,jk->ik", a, b)
    assert c.flops == 2 * 2 * 3 * 4


# ---------------------------------------------------------------------------- register_model
def test_register_model_in_memory_registry():
    from lucid import _registry

    assert "api_surface_tiny_mlp" not in lucid.models_registry()
    built = []

    @lucid.register_model
    def api_surface_tiny_mlp(num_classes=3, **kwargs):
        built.append(num_classes)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, num_classes))

    try:
        entry = lucid.models_registry()["api_surface_tiny_mlp"]
        assert built == []  # registering builds nothing
        assert entry["name"] == "api_surface_tiny_mlp" and entry["task"] is None
        assert entry["family"] == "Sequential"  # looked up: built once, with the defaults
        assert entry["param_size"] == 4 * 8 + 8 + 8 * 3 + 3
        assert built == [3]
        assert dict(entry) == {"name": "api_surface_tiny_mlp", "family": "Sequential",
                               "param_size": 67, "task": None}
        model = api_surface_tiny_mlp(num_classes=2)
        assert isinstance(model, nn.Sequential) and model(lucid.ones(1, 4)).shape == (1, 2)
        assert api_surface_tiny_mlp.__name__ == "api_surface_tiny_mlp"
        assert entry["param_size"] == 67  # a non-default build does not change the entry
        lucid.register_model(api_surface_tiny_mlp.__wrapped__)  # the same function: replaced

        def other():
            return nn.Identity()

        with pytest.raises(ValueError, match="api_surface_tiny_mlp"):
            lucid.register_model(name="api_surface_tiny_mlp")(other)
        with pytest.raises(TypeError):
            lucid.models_registry()["x"] = entry  # read-only view
    finally:
        _registry._REGISTRY.pop("api_surface_tiny_mlp", None)
    assert "api_surface_tiny_mlp" not in lucid.models_registry()


def test_register_model_task_from_module_path():
    from lucid import _registry

    def vision_net():
        return nn.Linear(2, 2)

    vision_net.__module__ = "lucid.models.imgclf.vision_net"
    try:
        lucid.register_model(vision_net)
        entry = lucid.models_registry()["vision_net"]
        assert entry["task"] == "imgclf" and entry["param_size"] == 6
        assert entry["family"] == "Linear"
    finally:
        _registry._REGISTRY.pop("vision_net", None)


def test_register_model_rejects_non_callables():
    with pytest.raises(TypeError):
        lucid.register_model(3)


# ============================================================================ §1.3 nn
NN_CLASSES = _names("""Module Sequential ModuleList ModuleDict ParameterList ParameterDict
    Parameter Buffer Identity Flatten Linear Bilinear Conv1d Conv2d Conv3d ConvTranspose1d
    ConvTranspose2d ConvTranspose3d Unfold ReLU LeakyReLU ELU SELU GELU Sigmoid Tanh Softmax
    ReLU6 HardSigmoid HardSwish Mish Swish AvgPool1d AvgPool2d AvgPool3d MaxPool1d MaxPool2d
    MaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d
    AdaptiveMaxPool2d AdaptiveMaxPool3d BatchNorm1d BatchNorm2d BatchNorm3d InstanceNorm1d
    InstanceNorm2d InstanceNorm3d LayerNorm GroupNorm GlobalResponseNorm Dropout Dropout1d
    Dropout2d Dropout3d AlphaDropout DropBlock DropPath MSELoss BCELoss BCEWithLogitsLoss
    CrossEntropyLoss NLLLoss HuberLoss ScaledDotProductAttention MultiHeadAttention Transformer
    TransformerEncoder TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer
    Embedding Upsample Rearrange ConvBNReLU1d ConvBNReLU2d ConvBNReLU3d DepthSeparableConv1d
    DepthSeparableConv2d DepthSeparableConv3d SEModule SelectiveKernel""")
# issue 3 items 1 and 2: PyTorch's names, and 2.15.9's
NN_TORCH_CLASSES = _names("""Unflatten Fold RMSNorm PReLU CELU SiLU LogSoftmax Softplus Softsign
    Hardtanh GLU L1Loss SmoothL1Loss KLDivLoss RNN LSTM GRU RNNCell LSTMCell GRUCell
    LearnedPosEmbedding SinusoidalPosEmbedding RotaryPosEmbedding PixelShuffle""")
NN_DECORATORS = _names("auto_repr set_state_dict_pass_attr")
MODULE_METHODS = _names("""add_module apply buffers children count_parameters eval extra_repr
    forward load_state_dict modules parameters register_backward_hook register_buffer
    register_forward_hook register_parameter reset_parameters setattr_raw state_dict to train""")
MODULE_TORCH_METHODS = _names("""named_parameters named_buffers named_modules named_children
    zero_grad requires_grad_ register_forward_pre_hook register_full_backward_hook float double
    half""")
NN_UTILS = _names("clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters")


@pytest.mark.parametrize("name", NN_CLASSES + NN_TORCH_CLASSES)
def test_nn_class(name):
    cls = getattr(nn, name, None)
    assert isinstance(cls, type), f"lucid.nn.{name} is missing or not a class"
    if name not in ("Parameter", "Buffer"):
        assert issubclass(cls, nn.Module), f"lucid.nn.{name} is not a Module"


@pytest.mark.parametrize("name", NN_DECORATORS)
def test_nn_decorators_exist(name):
    assert callable(getattr(nn, name, None)), f"lucid.nn.{name} is missing"


@pytest.mark.parametrize("name", MODULE_METHODS + MODULE_TORCH_METHODS)
def test_module_method(name):
    assert callable(getattr(nn.Module, name, None)), f"nn.Module.{name} is missing"


@pytest.mark.parametrize("name", NN_UTILS)
def test_nn_utils(name):
    assert callable(getattr(nn.utils, name, None)), f"lucid.nn.utils.{name} is missing"
    assert callable(nn.utils.rnn.pad_sequence)


def test_module_attributes_and_parameter_size():
    layer = nn.Linear(3, 2)
    assert layer.training is True and layer.device == "cpu"
    assert layer.parameter_size == 8 == layer.count_parameters()
    assert layer.eval().training is False


def test_auto_repr():
    @nn.auto_repr("width", "name")
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.width = 4
            self.name = "b"
            self.fc = nn.Linear(2, 2)

    text = repr(Block())
    assert text.startswith("Block(\n  width=4, name=b\n  (fc): Linear("), text
    assert repr(Block().fc).startswith("Linear(")  # only the decorated class changes


def test_set_state_dict_pass_attr():
    @nn.set_state_dict_pass_attr("cache")
    class WithCache(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("cache", lucid.zeros(3))
            self.register_buffer("kept", lucid.zeros(1))

    m = WithCache()
    assert list(m.state_dict()) == ["kept", "fc.weight", "fc.bias"]
    outer = nn.Sequential(m)
    assert list(outer.state_dict()) == ["0.kept", "0.fc.weight", "0.fc.bias"]
    fresh = nn.Sequential(WithCache())
    fresh.load_state_dict(outer.state_dict())  # strict: the passed buffer is not expected
    np.testing.assert_array_equal(fresh[0].fc.weight.numpy(), m.fc.weight.numpy())


def _param_names(obj):
    target = obj.__init__ if isinstance(obj, type) else obj
    return set(inspect.signature(target).parameters)


# name -> the argument names API.md §1.3 documents (a PyTorch alias may be accepted besides)
NN_SIGNATURES = {
    "Parameter": "data dtype device", "Buffer": "data dtype device",
    "Flatten": "start_axis end_axis", "Linear": "in_features out_features bias",
    "Bilinear": "in1_features in2_features out_features bias",
    "Conv1d": "in_channels out_channels kernel_size stride padding dilation groups bias",
    "Conv2d": "in_channels out_channels kernel_size stride padding dilation groups bias",
    "Conv3d": "in_channels out_channels kernel_size stride padding dilation groups bias",
    "ConvTranspose2d": "in_channels out_channels kernel_size stride padding output_padding "
                       "dilation groups bias",
    "Unfold": "kernel_size stride padding dilation",
    "LeakyReLU": "negative_slope", "ELU": "alpha", "Softmax": "axis",
    "AvgPool2d": "kernel_size stride padding", "MaxPool1d": "kernel_size stride padding",
    "AdaptiveAvgPool2d": "output_size", "AdaptiveMaxPool3d": "output_size",
    "BatchNorm1d": "num_features eps momentum affine track_running_stats",
    "InstanceNorm2d": "num_features eps momentum affine track_running_stats",
    "LayerNorm": "normalized_shape eps elementwise_affine bias",
    "GroupNorm": "num_groups num_channels eps affine", "GlobalResponseNorm": "channels eps",
    "Dropout": "p", "Dropout2d": "p", "AlphaDropout": "p", "DropBlock": "block_size p eps",
    "DropPath": "drop_prob scale_by_keep", "MSELoss": "reduction",
    "BCELoss": "weight reduction eps", "BCEWithLogitsLoss": "weight reduction eps",
    "CrossEntropyLoss": "weight reduction eps", "NLLLoss": "weight reduction",
    "HuberLoss": "reduction delta",
    "ScaledDotProductAttention": "attn_mask dropout_p is_causal scale",
    "MultiHeadAttention": "embed_dim num_heads dropout bias add_bias_kv add_zero_attn kdim vdim",
    "Transformer": "d_model num_heads activation norm_first",
    "TransformerEncoderLayer": "d_model num_heads dim_feedforward dropout",
    "TransformerDecoderLayer": "d_model num_heads dim_feedforward dropout",
    "TransformerEncoder": "num_layers norm", "TransformerDecoder": "num_layers norm",
    "Embedding": "num_embeddings embedding_dim padding_idx max_norm norm_type _weight",
    "Upsample": "size scale_factor mode align_corners", "Rearrange": "pattern",
    "SEModule": "in_channels reduction",
    "SelectiveKernel": "in_channels out_channels kernel_sizes stride padding groups reduction",
}
NN_DEFAULTS = {  # where API.md's default and PyTorch's agree
    ("Flatten", "start_axis"): 1, ("LeakyReLU", "negative_slope"): 0.01, ("ELU", "alpha"): 1.0,
    ("Softmax", "axis"): -1, ("Dropout", "p"): 0.5, ("DropBlock", "p"): 0.1,
    ("DropPath", "drop_prob"): 0.1, ("HuberLoss", "delta"): 1.0, ("LayerNorm", "eps"): 1e-5,
    ("BatchNorm2d", "momentum"): 0.1, ("GlobalResponseNorm", "eps"): 1e-6,
    ("BCELoss", "eps"): 1e-7, ("CrossEntropyLoss", "eps"): 1e-7, ("SEModule", "reduction"): 16,
    ("Upsample", "mode"): "nearest", ("Transformer", "d_model"): 512,
    ("Transformer", "num_heads"): 8, ("TransformerEncoderLayer", "dim_feedforward"): 2048,
}


@pytest.mark.parametrize("name", sorted(NN_SIGNATURES))
def test_nn_signature(name):
    params = _param_names(getattr(nn, name))
    missing = set(NN_SIGNATURES[name].split()) - params
    assert not missing, f"nn.{name} lacks the arguments {sorted(missing)}"


@pytest.mark.parametrize("key", sorted(NN_DEFAULTS), ids=lambda k: ".".join(k))
def test_nn_default(key):
    cls, arg = key
    default = inspect.signature(getattr(nn, cls).__init__).parameters[arg].default
    assert default == NN_DEFAULTS[key]


MODULE_SIGNATURES = {
    "buffers": "recurse", "parameters": "recurse", "count_parameters": "recurse",
    "load_state_dict": "state_dict strict", "register_buffer": "name buffer dtype",
    "state_dict": "destination prefix keep_vars", "train": "mode",
}


@pytest.mark.parametrize("name", sorted(MODULE_SIGNATURES))
def test_module_signature(name):
    missing = set(MODULE_SIGNATURES[name].split()) - _param_names(getattr(nn.Module, name))
    assert not missing, f"nn.Module.{name} lacks {sorted(missing)}"


# ============================================================================ §1.4 functional
F_NAMES = _names("""linear bilinear relu leaky_relu elu selu gelu sigmoid tanh softmax unfold
    conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d avg_pool1d avg_pool2d
    avg_pool3d max_pool1d max_pool2d max_pool3d adaptive_avg_pool1d adaptive_avg_pool2d
    adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d dropout
    dropout1d dropout2d dropout3d alpha_dropout drop_block drop_path normalize batch_norm
    instance_norm layer_norm group_norm global_response_norm mse_loss binary_cross_entropy
    binary_cross_entropy_with_logits cross_entropy nll_loss huber_loss interpolate rotate
    embedding scaled_dot_product_attention affine_grid grid_sample one_hot""")
F_TORCH_NAMES = _names("log_softmax silu pad cosine_similarity kl_div l1_loss softplus glu fold")


@pytest.mark.parametrize("name", F_NAMES + F_TORCH_NAMES)
def test_functional_name(name):
    assert callable(getattr(F, name, None)), f"lucid.nn.functional.{name} is missing"


F_SIGNATURES = {
    "softmax": "axis", "log_softmax": "axis", "normalize": "ord axis eps",
    "dropout": "p training", "drop_block": "block_size p eps", "drop_path": "p scale_by_keep",
    "cross_entropy": "weight reduction eps ignore_index",
    "binary_cross_entropy_with_logits": "weight reduction pos_weight",
    "interpolate": "size mode align_corners", "rotate": "angle center",
    "one_hot": "num_classes dtype", "huber_loss": "reduction delta",
    "conv2d": "weight bias stride padding dilation groups",
    "scaled_dot_product_attention": "attn_mask dropout_p is_causal scale",
}


@pytest.mark.parametrize("name", sorted(F_SIGNATURES))
def test_functional_signature(name):
    missing = set(F_SIGNATURES[name].split()) - _param_names(getattr(F, name))
    assert not missing, f"F.{name} lacks {sorted(missing)}"


def test_functional_axis_and_dim():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    e = np.exp(a - a.max(axis=0))
    expected = e / e.sum(axis=0)
    np.testing.assert_allclose(F.softmax(Tensor(a), axis=0).numpy(), expected)
    np.testing.assert_allclose(F.softmax(Tensor(a), dim=0).numpy(), expected)
    np.testing.assert_allclose(F.normalize(Tensor(a), ord=2, axis=1).numpy(),
                               a / np.linalg.norm(a, axis=1, keepdims=True))
    assert F.one_hot(Tensor([0, 2]), num_classes=3).tolist() == [[1, 0, 0], [0, 0, 1]]


# ============================================================================ §1.5 init, optim
INIT_NAMES = _names("""uniform normal constant xavier_uniform xavier_normal kaiming_uniform
    kaiming_normal uniform_ normal_ constant_ ones_ zeros_ eye_ dirac_ xavier_uniform_
    xavier_normal_ kaiming_uniform_ kaiming_normal_ orthogonal_ trunc_normal_ calculate_gain""")
INIT_SIGNATURES = {"uniform": "a b", "normal": "mean std", "constant": "val",
                   "xavier_uniform": "gain", "xavier_normal": "gain", "kaiming_uniform": "mode",
                   "kaiming_normal": "mode", "kaiming_uniform_": "a mode nonlinearity"}


@pytest.mark.parametrize("name", INIT_NAMES)
def test_init_name(name):
    assert callable(getattr(init, name, None)), f"lucid.nn.init.{name} is missing"


@pytest.mark.parametrize("name", sorted(INIT_SIGNATURES))
def test_init_signature(name):
    missing = set(INIT_SIGNATURES[name].split()) - _param_names(getattr(init, name))
    assert not missing, f"init.{name} lacks {sorted(missing)}"


OPTIMIZERS = {  # name -> (argument names, default lr where API.md and PyTorch agree)
    "SGD": ("lr momentum weight_decay", 1e-3),
    "ASGD": ("lr weight_decay alpha t0 lambd", None),
    "Adam": ("lr betas eps weight_decay amsgrad", 1e-3),
    "AdamW": ("lr betas eps weight_decay amsgrad", 1e-3),
    "Adamax": ("lr betas eps weight_decay", 2e-3),
    "NAdam": ("lr betas eps weight_decay momentum_decay", 2e-3),
    "RAdam": ("lr betas eps weight_decay", 1e-3),
    "RMSprop": ("lr alpha eps weight_decay momentum centered", 1e-2),
    "Rprop": ("lr etas step_sizes", 1e-2),
    "Adagrad": ("lr eps weight_decay initial_accumulator_value", 1e-2),
    "Adadelta": ("lr rho eps weight_decay", 1.0),
    "LBFGS": ("lr", None),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer(name):
    cls = getattr(optim, name, None)
    assert isinstance(cls, type) and issubclass(cls, optim.Optimizer), f"optim.{name} missing"
    args, lr = OPTIMIZERS[name]
    params = inspect.signature(cls.__init__).parameters
    missing = set(args.split()) - set(params)
    assert not missing, f"optim.{name} lacks {sorted(missing)}"
    if lr is not None:
        assert params["lr"].default == lr
    if name == "AdamW":
        assert params["weight_decay"].default == 0.01


@pytest.mark.parametrize("name", _names("step zero_grad add_param_group state_dict "
                                        "load_state_dict"))
def test_optimizer_method(name):
    assert callable(getattr(optim.Optimizer, name, None)), f"Optimizer.{name} is missing"


def test_optimizer_attributes():
    p = nn.Parameter(lucid.zeros(2))
    opt = optim.SGD([p], lr=0.1)
    assert isinstance(opt.param_groups, list) and opt.param_groups[0]["lr"] == 0.1
    assert hasattr(opt, "state")
    assert opt.step(lambda: 3.0) == 3.0  # step(closure) returns the closure's loss


SCHEDULERS = {
    "LRScheduler": "optimizer last_epoch", "StepLR": "optimizer step_size gamma",
    "MultiStepLR": "optimizer milestones gamma", "ExponentialLR": "optimizer gamma",
    "CosineAnnealingLR": "optimizer T_max eta_min",
    "CyclicLR": "optimizer base_lr max_lr step_size_up step_size_down mode gamma scale_fn "
                "cycle_momentum",
    "ReduceLROnPlateau": "optimizer mode factor patience threshold threshold_mode cooldown "
                         "min_lr eps",
    "LambdaLR": "optimizer lr_lambda",
    # issue 4 item 2
    "CosineAnnealingWarmRestarts": "optimizer", "OneCycleLR": "optimizer",
    "MultiplicativeLR": "optimizer", "LinearLR": "optimizer", "ConstantLR": "optimizer",
    "PolynomialLR": "optimizer", "SequentialLR": "optimizer", "ChainedScheduler": "",
    "NoamScheduler": "optimizer",
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler(name):
    cls = getattr(lr_scheduler, name, None)
    assert isinstance(cls, type), f"optim.lr_scheduler.{name} is missing"
    missing = set(SCHEDULERS[name].split()) - _param_names(cls)
    assert not missing, f"lr_scheduler.{name} lacks {sorted(missing)}"


@pytest.mark.parametrize("name", _names("step get_lr state_dict load_state_dict get_last_lr"))
def test_scheduler_method(name):
    assert callable(getattr(lr_scheduler.LRScheduler, name, None))


def test_scheduler_last_lr_property():
    opt = optim.SGD([nn.Parameter(lucid.zeros(1))], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert isinstance(type(sched).last_lr, property)
    assert sched.last_lr == [0.1] == sched.get_last_lr()


# ============================================================================ §1.6
SECTION_16 = {
    "data": (lucid.data, """Dataset Subset TensorDataset ConcatDataset DataLoader random_split
        IterableDataset SequentialSampler RandomSampler SubsetRandomSampler
        WeightedRandomSampler BatchSampler default_collate"""),
    "datasets": (lucid.datasets, "MNIST FashionMNIST CIFAR10 CIFAR100 Digits"),
    "transforms": (lucid.transforms, """Compose ToTensor Normalize Resize RandomHorizontalFlip
        RandomVerticalFlip RandomCrop CenterCrop RandomRotation RandomGrayscale ColorJitter
        RandomErasing Lambda"""),
    "linalg": (lucid.linalg, "inv det solve cholesky norm qr svd matrix_power pinv eig slogdet "
                             "eigh"),
    "random": (lucid.random, "seed get_seed rand randn randint uniform bernoulli permutation "
                             "normal Generator"),
    "einops": (lucid.einops, "rearrange reduce repeat einsum"),
}
_S16 = [(pkg, name) for pkg, (_, text) in SECTION_16.items() for name in text.split()]


@pytest.mark.parametrize("pkg,name", _S16, ids=[f"{p}.{n}" for p, n in _S16])
def test_section_16_name(pkg, name):
    module = SECTION_16[pkg][0]
    assert callable(getattr(module, name, None)), f"lucid.{pkg}.{name} is missing"


S16_SIGNATURES = {
    ("data", "DataLoader"): "dataset batch_size shuffle collate_fn",
    ("data", "Subset"): "dataset indices", ("data", "random_split"): "dataset lengths seed",
    ("datasets", "MNIST"): "root train download transform target_transform to_tensor",
    ("datasets", "CIFAR100"): "root train download transform target_transform to_tensor",
    ("transforms", "ToTensor"): "requires_grad keep_grad dtype",
    ("transforms", "Normalize"): "mean std", ("transforms", "Resize"): "size",
    ("transforms", "RandomHorizontalFlip"): "p", ("transforms", "RandomCrop"): "size",
    ("transforms", "CenterCrop"): "size", ("transforms", "RandomRotation"): "degrees",
    ("transforms", "RandomGrayscale"): "p",
    ("linalg", "norm"): "ord axis keepdims", ("linalg", "svd"): "full_matrices",
    ("linalg", "pinv"): "rcond", ("linalg", "matrix_power"): "n", ("linalg", "eig"): "eps",
    ("random", "seed"): "s", ("random", "randint"): "low high size requires_grad keep_grad device",
    ("random", "uniform"): "low high size requires_grad keep_grad device",
    ("random", "rand"): "requires_grad keep_grad device",
    ("random", "randn"): "requires_grad keep_grad device",
    ("random", "bernoulli"): "probs requires_grad keep_grad device",
    ("random", "permutation"): "n requires_grad keep_grad device",
    ("einops", "rearrange"): "pattern", ("einops", "reduce"): "pattern reduction",
    ("einops", "repeat"): "pattern",
}


@pytest.mark.parametrize("key", sorted(S16_SIGNATURES), ids=lambda k: ".".join(k))
def test_section_16_signature(key):
    pkg, name = key
    missing = set(S16_SIGNATURES[key].split()) - _param_names(getattr(SECTION_16[pkg][0], name))
    assert not missing, f"lucid.{pkg}.{name} lacks {sorted(missing)}"


def test_linalg_norm_axis_dim_and_einops_calls():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.testing.assert_allclose(lucid.linalg.norm(Tensor(a), ord=2, axis=1).numpy(),
                               np.linalg.norm(a, 2, axis=1))
    np.testing.assert_allclose(lucid.linalg.norm(Tensor(a), dim=1, keepdim=True).numpy(),
                               np.linalg.norm(a, axis=1, keepdims=True))
    np.testing.assert_array_equal(lucid.einops.rearrange(Tensor(a), "h w -> w h").numpy(), a.T)
    np.testing.assert_array_equal(
        lucid.einops.reduce(Tensor(a), "h w -> h", reduction="mean").numpy(), a.mean(axis=1))
    np.testing.assert_array_equal(lucid.einops.einsum("ij->ji", Tensor(a)).numpy(), a.T)
    assert lucid.random.randint(0, 5, size=(2, 3)).shape == (2, 3)


def test_reshape_shape_keyword_bad_input():
    x = lucid.zeros(2, 3)
    with pytest.raises(TypeError, match="twice"):
        lucid.reshape(x, 3, 2, shape=(6,))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        lucid.reshape(x, shape=(4, 2))
    assert lucid.reshape(x, shape=6).shape == (6,)
