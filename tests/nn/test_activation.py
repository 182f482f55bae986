"""Activations against torch.nn.functional / torch.nn: values, gradients under a random upstream
gradient (also exactly at the kinks), second derivatives, the fused softmax family against its
composite form, Cody's erf, modules with copied weights, reprs and bad input."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradgradcheck
from lucid.nn.functional._activation import erf, erfc
from helpers import check_op, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

# value points where activations have kinks or switch branches: the gradient there must be
# PyTorch's, not just "almost everywhere" right
KINKS = [0.0, -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, -0.5, 20.0, 25.0, -25.0, 2.0]


def _inputs(dtype, seed=0, shape=(3, 4, 5)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    flat = x.reshape(-1)
    flat[:len(KINKS)] = KINKS
    return [x.astype(dtype)]


# (name, lucid function, torch function)
POINTWISE = [
    ("relu", F.relu, lambda x: TF.relu(x)),
    ("relu6", F.relu6, lambda x: TF.relu6(x)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("elu", lambda x: F.elu(x, 1.3), lambda x: TF.elu(x, 1.3)),
    ("selu", F.selu, lambda x: TF.selu(x)),
    ("celu", lambda x: F.celu(x, 0.7), lambda x: TF.celu(x, 0.7)),
    ("gelu", F.gelu, lambda x: TF.gelu(x)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, lambda x: TF.silu(x)),
    ("swish", F.swish, lambda x: TF.silu(x)),
    ("mish", F.mish, lambda x: TF.mish(x)),
    ("sigmoid", F.sigmoid, torch.sigmoid if torch else None),
    ("tanh", F.tanh, torch.tanh if torch else None),
    ("softplus", F.softplus, lambda x: TF.softplus(x)),
    ("softplus_beta", lambda x: F.softplus(x, 2.0, 5.0), lambda x: TF.softplus(x, 2.0, 5.0)),
    ("softsign", F.softsign, lambda x: TF.softsign(x)),
    ("hardtanh", F.hardtanh, lambda x: TF.hardtanh(x)),
    ("hardtanh_range", lambda x: F.hardtanh(x, -3.0, 6.0),
     lambda x: TF.hardtanh(x, -3.0, 6.0)),
    ("hardsigmoid", F.hardsigmoid, lambda x: TF.hardsigmoid(x)),
    ("hardswish", F.hardswish, lambda x: TF.hardswish(x)),
    ("logsigmoid", F.logsigmoid, lambda x: TF.logsigmoid(x)),
    ("tanhshrink", F.tanhshrink, lambda x: TF.tanhshrink(x)),
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: TF.threshold(x, 0.5, -2.0)),
    ("hardshrink", F.hardshrink, lambda x: TF.hardshrink(x)),
    ("softshrink", lambda x: F.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0)),
    ("glu", lambda x: F.glu(x, axis=1), lambda x: TF.glu(x, dim=1)),
    ("glu_last", F.glu, lambda x: TF.glu(x)),
    ("softmax", lambda x: F.softmax(x, axis=1), lambda x: TF.softmax(x, dim=1)),
    ("softmax_last", F.softmax, lambda x: TF.softmax(x, dim=-1)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=0), lambda x: TF.log_softmax(x, dim=0)),
    ("log_softmax_last", F.log_softmax, lambda x: TF.log_softmax(x, dim=-1)),
    ("softmin", lambda x: F.softmin(x, 2), lambda x: TF.softmin(x, dim=2)),
]
IDS = [p[0] for p in POINTWISE]
PIECEWISE_LINEAR = ("relu", "relu6", "leaky_relu", "hardtanh", "hardtanh_range", "threshold",
                    "hardshrink", "softshrink", "hardsigmoid")


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,lucid_fn,torch_fn", POINTWISE, ids=IDS)
def test_pointwise_matches_torch(name, lucid_fn, torch_fn, dtype):
    shape = (3, 4, 6) if name.startswith("glu") else (3, 4, 5)
    check_op(None, torch_fn, lucid_fn, dtype=dtype, arrays=_inputs(dtype, shape=shape))


def _second_derivative(fn, x, G, H, lib):
    """d/dx <H, d/dx <G, fn(x)>>: the double backward, in Lucid or in torch."""
    if lib == "torch":
        (g,) = torch.autograd.grad((fn(x) * G).sum(), x, create_graph=True)
        (h,) = torch.autograd.grad((g * H).sum(), x)
        return g.detach().numpy(), h.numpy()
    (g,) = lucid.autograd.grad((fn(x) * G).sum(), [x], create_graph=True)
    if not g.requires_grad:  # the gradient does not depend on x: the second derivative is 0
        return g.numpy(), None
    (g * H).sum().backward()
    return g.numpy(), x.grad


@needs_torch
@pytest.mark.parametrize("name,lucid_fn,torch_fn", POINTWISE, ids=IDS)
def test_double_backward_matches_torch(name, lucid_fn, torch_fn):
    shape = (3, 4, 6) if name.startswith("glu") else (3, 4, 5)
    (x,) = _inputs("float64", seed=1, shape=shape)
    rng = np.random.default_rng(2)
    G = rng.standard_normal(np.shape(torch_fn(torch.tensor(x))))
    H = rng.standard_normal(shape)
    lg, lh = _second_derivative(lucid_fn, lucid.Tensor(x, requires_grad=True),
                                lucid.Tensor(G), lucid.Tensor(H), "lucid")
    if name in PIECEWISE_LINEAR:
        # the second derivative is zero (torch has no double backward for some of these)
        assert lh is None or not np.any(lh)
        return
    tg, th = _second_derivative(torch_fn, torch.tensor(x, requires_grad=True),
                                torch.tensor(G), torch.tensor(H), "torch")
    np.testing.assert_allclose(lg, tg, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(lh, th, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name,lucid_fn,torch_fn", POINTWISE, ids=IDS)
def test_gradgradcheck_numeric(name, lucid_fn, torch_fn):
    # away from kinks, so that central differences are meaningful
    shape = (2, 4, 6) if name.startswith("glu") else (2, 3, 5)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.2, 2.5, shape) * rng.choice([-1, 1], shape)
    assert gradgradcheck(lucid_fn, [lucid.Tensor(x, requires_grad=True)])


# ---------------------------------------------------------------------------- gelu and erf
def test_gelu_exact_and_tanh_values():
    x = lucid.tensor([1.0], dtype="float64")
    assert abs(F.gelu(x).item() - 0.8413447460685429) < 1e-15
    assert abs(F.gelu(x, approximate="tanh").item() - 0.8411919906082768) < 1e-15
    assert nn.GELU()(x).item() == F.gelu(x).item()
    assert nn.GELU("tanh")(x).item() == F.gelu(x, "tanh").item()


def test_erf_is_float64_accurate():
    x = np.concatenate([np.linspace(-8, 8, 20001), [0.46875, -0.46875, 4.0, -4.0, 26.6, 1e-300]])
    got = erf(lucid.Tensor(x)).numpy()
    got_c = erfc(lucid.Tensor(x)).numpy()
    want = np.array([math.erf(v) for v in x])
    want_c = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(got_c, want_c, rtol=2e-15, atol=1e-300)
    special = erf(lucid.Tensor([np.inf, -np.inf, np.nan])).numpy()
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])
    special_c = erfc(lucid.Tensor([np.inf, -np.inf, 30.0])).numpy()
    assert list(special_c) == [0.0, 2.0, 0.0]


def test_single_precision_erfc_is_float32_accurate():
    x = np.linspace(-9, 9, 40001).astype("float32")
    got = erfc(lucid.Tensor(x)).numpy().astype("float64")
    want = np.array([math.erfc(v) for v in x.astype("float64")])
    normal = want > 1e-37  # float32's normal range
    assert np.max(np.abs(got - want)[normal] / want[normal]) < 6e-7
    special = erfc(lucid.Tensor(np.array([np.inf, -np.inf, np.nan, 0.0], "float32"))).numpy()
    assert special[0] == 0 and special[1] == 2 and np.isnan(special[2]) and special[3] == 1
    half = erfc(lucid.Tensor(np.array([0.5, -1.0], "float16")))
    assert half.dtype == lucid.Float16
    np.testing.assert_allclose(half.numpy(), [math.erfc(0.5), math.erfc(-1.0)], rtol=1e-3)


def test_erf_gradients():
    x = np.linspace(-3, 3, 13)
    assert gradgradcheck(erf, [lucid.Tensor(x, requires_grad=True)])
    assert gradgradcheck(erfc, [lucid.Tensor(x, requires_grad=True)])


# ---------------------------------------------------------------------------- softmax family
def _composite_softmax(x, axis):
    return lucid.exp(x - lucid.logsumexp(x, axis=axis, keepdims=True))


def _composite_log_softmax(x, axis):
    return x - lucid.logsumexp(x, axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_fused_softmax_equals_composite(axis):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 3))
    G = lucid.Tensor(rng.standard_normal((4, 5, 3)))
    for fused, composite in ((F.softmax, _composite_softmax),
                             (F.log_softmax, _composite_log_softmax)):
        a = lucid.Tensor(x, requires_grad=True)
        b = lucid.Tensor(x, requires_grad=True)
        ya, yb = fused(a, axis), composite(b, axis)
        np.testing.assert_allclose(ya.numpy(), yb.numpy(), rtol=1e-12, atol=1e-14)
        (ya * G).sum().backward()
        (yb * G).sum().backward()
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-13)


def test_softmax_is_stable_for_huge_logits():
    x = lucid.tensor([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]])
    y = F.softmax(x, axis=1).numpy()
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    ly = F.log_softmax(x, axis=1).numpy()
    assert np.all(np.isfinite(ly))
    np.testing.assert_allclose(ly[0], [-math.log(2), -math.log(2), -2000 - math.log(2)],
                               rtol=1e-6)


def test_softmax_rows_sum_to_one_and_tensor_methods():
    x = lucid.random.randn(3, 7)
    np.testing.assert_allclose(F.softmax(x).numpy().sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(x.softmax(dim=0).numpy(), F.softmax(x, axis=0).numpy())
    np.testing.assert_allclose(x.log_softmax(1).numpy(), F.log_softmax(x, 1).numpy())
    assert F.softmax(x, dtype="float64").dtype == lucid.Float64
    assert F.softmax(lucid.tensor([1, 2, 3])).dtype == lucid.Float32


@needs_torch
@pytest.mark.parametrize("shape,axis", [((0, 5), 0), ((0, 5), 1), ((3, 0), 1), ((), 0), ((4,), 0)])
def test_softmax_empty_and_0d_like_torch(shape, axis):
    for lf, tf in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax),
                   (F.softmin, TF.softmin)):
        check_op([shape], lambda x: tf(x, dim=axis), lambda x: lf(x, axis))


def test_softmax_of_lucid_doc_example():
    # the doc page (axis=0) prints [0.7311, 0.2689] for the third column; the math says this
    x = lucid.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 3.1]])
    y = F.softmax(x, axis=0).numpy()
    np.testing.assert_allclose(y[:, 2], [math.exp(3) / (math.exp(3) + math.exp(3.1)),
                                         math.exp(3.1) / (math.exp(3) + math.exp(3.1))],
                               rtol=1e-6)


# ---------------------------------------------------------------------------- modules
MODULES = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1)),
    (lambda: nn.ELU(0.5), lambda: torch.nn.ELU(0.5)),
    (lambda: nn.SELU(), lambda: torch.nn.SELU()),
    (lambda: nn.CELU(2.0), lambda: torch.nn.CELU(2.0)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Swish(), lambda: torch.nn.SiLU()),
    (lambda: nn.Mish(), lambda: torch.nn.Mish()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Softmax(axis=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(), lambda: torch.nn.Softmax(dim=-1)),
    (lambda: nn.LogSoftmax(dim=1), lambda: torch.nn.LogSoftmax(dim=1)),
    (lambda: nn.Softmin(1), lambda: torch.nn.Softmin(1)),
    (lambda: nn.Softplus(2.0, 4.0), lambda: torch.nn.Softplus(2.0, 4.0)),
    (lambda: nn.Softsign(), lambda: torch.nn.Softsign()),
    (lambda: nn.Hardtanh(-2.0, 2.0), lambda: torch.nn.Hardtanh(-2.0, 2.0)),
    (lambda: nn.HardSigmoid(), lambda: torch.nn.Hardsigmoid()),
    (lambda: nn.Hardsigmoid(), lambda: torch.nn.Hardsigmoid()),
    (lambda: nn.HardSwish(), lambda: torch.nn.Hardswish()),
    (lambda: nn.GLU(axis=1), lambda: torch.nn.GLU(dim=1)),
    (lambda: nn.LogSigmoid(), lambda: torch.nn.LogSigmoid()),
    (lambda: nn.Tanhshrink(), lambda: torch.nn.Tanhshrink()),
    (lambda: nn.Threshold(0.1, 20.0), lambda: torch.nn.Threshold(0.1, 20.0)),
    (lambda: nn.Hardshrink(0.3), lambda: torch.nn.Hardshrink(0.3)),
    (lambda: nn.Softshrink(0.3), lambda: torch.nn.Softshrink(0.3)),
]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", MODULES, ids=lambda m: None)
def test_modules_match_torch(make, dtype):
    lucid_layer, torch_layer = make[0](), make[1]()
    for train in (True, False):
        lucid_layer.train(train)
        torch_layer.train(train)
        check_op(None, torch_layer, lucid_layer, dtype=dtype, arrays=_inputs(dtype, 5, (2, 4, 3)))


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("channels,shape", [(1, (4, 3, 5)), (3, (4, 3, 5)), (3, (2, 3)),
                                            (2, (2, 2, 3, 3)), (1, (7,))])
def test_prelu_matches_torch(channels, shape, dtype):
    rng = np.random.default_rng(0)
    w = rng.uniform(-0.5, 0.5, channels).astype(dtype)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    x.reshape(-1)[0] = 0.0
    G = rng.standard_normal(shape).astype(dtype)
    layer = nn.PReLU(channels, dtype=dtype)
    layer.weight.data = w.copy()
    tlayer = torch.nn.PReLU(channels, dtype=getattr(torch, dtype))
    with torch.no_grad():
        tlayer.weight.copy_(torch.tensor(w))
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ly, ty = layer(lx), tlayer(tx)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ly.numpy(), ty.detach().numpy(), **tol)
    (ly * lucid.Tensor(G)).sum().backward()
    (ty * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), **tol)
    np.testing.assert_allclose(layer.weight.grad, tlayer.weight.grad.numpy(), **tol)


def test_prelu_default_init_and_repr():
    layer = nn.PReLU(3)
    np.testing.assert_array_equal(layer.weight.numpy(), [0.25] * 3)
    assert repr(layer) == "PReLU(num_parameters=3)"
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_module_reprs_follow_torch():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.ELU(alpha=0.5, inplace=True)) == "ELU(alpha=0.5, inplace=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(axis=1)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert nn.Softmax(dim=2).dim == 2


def test_inplace_overwrites_a_non_leaf_and_keeps_the_gradient():
    x = lucid.Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    h = x * 2
    out = nn.ReLU(inplace=True)(h)
    assert out is h
    np.testing.assert_array_equal(h.numpy(), [0.0, 4.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 0.0])
    # ops whose backward reads their input still see its old values
    for name, kw in (("leaky_relu", {"negative_slope": 0.5}), ("silu", {}), ("elu", {}),
                     ("hardtanh", {"min_val": -1.5, "max_val": 1.5}), ("relu6", {})):
        fn = getattr(F, name)
        x.grad = None
        h = x * 1
        assert fn(h, inplace=True, **kw) is h
        (h * h).sum().backward()
        ref = lucid.Tensor(x.numpy(), requires_grad=True)
        out = fn(ref * 1, **kw)
        (out * out).sum().backward()
        np.testing.assert_allclose(h.numpy(), out.numpy(), err_msg=name)
        np.testing.assert_allclose(x.grad, ref.grad, rtol=1e-6, err_msg=name)


def test_integer_input_gives_float_output():
    x = lucid.tensor([-2, 0, 3])
    assert F.gelu(x).dtype == lucid.Float32
    assert F.elu(x).dtype == lucid.Float32
    want = [-2 / (1 + math.exp(2)), 0, 3 / (1 + math.exp(-3))]
    np.testing.assert_allclose(F.silu(x).numpy(), want, rtol=1e-6)


# ---------------------------------------------------------------------------- bad input
def test_bad_arguments_raise():
    x = lucid.random.randn(2, 5)
    with pytest.raises(ValueError, match="odd size 5"):
        F.glu(x)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="3 values .* 5 channels"):
        F.prelu(x, lucid.ones(3))
    with pytest.raises(ValueError, match="greater than max_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(IndexError):
        F.softmax(x, axis=2)
    with pytest.raises(IndexError):
        F.log_softmax(x, dim=-3)
    with pytest.raises(ValueError, match="alpha"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="num_parameters"):
        nn.PReLU(0)
    leaf = lucid.Tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu6(leaf, inplace=True)
