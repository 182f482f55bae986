"""Activations: pointwise nonlinearities, and the fused softmax / log-softmax.

Each pointwise activation is one ``Function``: its forward computes on raw arrays with ``ctx.xp``
(numerically stable forms, no overflow in an unused branch), and its backward is the chain rule
written with Lucid ops (``where``, ``exp``, ``sigmoid``, ...), so that under
``create_graph=True`` the backward records a graph of its own and second derivatives work.
Derivatives at the kinks (x = 0 for ReLU-like functions, the clip edges of hardtanh) are
PyTorch's, so gradients agree everywhere, not just almost everywhere.

Softmax along ``axis``: y = exp(x - max x) / sum exp(x - max x), with the vector-Jacobian
product dx = y * (g - sum(g * y)). Log-softmax: y = x - max x - log sum exp(x - max x), with
dx = g - exp(y) * sum(g). Both are single nodes (one pass forward, one backward) instead of the
five nodes of the composite form, which the tests keep as their oracle.

GELU: ``gelu(x, approximate="none")`` is the exact x * Phi(x) = x/2 * erfc(-x / sqrt 2), PyTorch's
default; ``approximate="tanh"`` is x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), which was
Lucid 2's only form (its gelu(1) = 0.841192 against the exact 0.841345). NumPy has no erf, so
``erf``/``erfc`` below are W. J. Cody's rational Chebyshev approximations (float64-accurate);
in single precision erfc (and so GELU) uses the cheaper Numerical Recipes erfcc.
"""

import math

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.backend import default_float
from lucid.ops import exp, relu as _relu, sigmoid, tanh, where, abs as _abs, split
from lucid.ops._util import axis_arg, normalize_axis

__all__ = [
    "relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "swish",
    "mish", "sigmoid", "tanh", "softmax", "log_softmax", "softmin", "softplus", "softsign",
    "hardtanh", "hardsigmoid", "hardswish", "glu", "logsigmoid", "tanhshrink", "threshold",
    "hardshrink", "softshrink",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# ---------------------------------------------------------------------------- erf and erfc
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
# 631-638, as in his CALERF routine (netlib specfun): relative error below 1e-18 in exact
# arithmetic, so the result is float64-accurate. Three intervals of |x|:
#   |x| <= 0.46875:      erf(x)    = x A(x^2) / B(x^2)
#   0.46875 < |x| <= 4:  erfc(|x|) = exp(-x^2) C(|x|) / D(|x|)
#   |x| > 4:             erfc(|x|) = exp(-x^2) / |x| * (1/sqrt(pi) - z P(z) / Q(z)),  z = 1/x^2
_CODY_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
           3.20937758913846947e03, 1.85777706184603153e-1)
_CODY_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
           2.84423683343917062e03)
_CODY_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_CODY_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_CODY_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_CODY_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 0.56418958354775628695


def _rational(t, num, den):
    """N(t) / D(t) in Cody's nested (Horner) order: N's leading coefficient is num[-1], D is
    monic, and num[n], den[n] (n = len(den) - 1) are the constant terms. Updated in place:
    two temporaries however long the polynomials."""
    n = len(den) - 1
    top = t * num[-1]
    bottom = t.copy()
    for i in range(n):
        top += num[i]
        top *= t
        bottom += den[i]
        bottom *= t
    top += num[n]
    bottom += den[n]
    top /= bottom
    return top


def _erfc_tail(xp, y):
    """erfc(y) for y > 0.46875 (Cody's second and third intervals, each evaluated only on its
    own elements). NaN stays NaN; y >= 26.543 (Cody's XBIG) gives 0."""
    yc = xp.minimum(y, 27.0)  # erfc(27) < 1e-318: the cap keeps inf from meeting inf - inf
    tail = xp.empty_like(yc)
    middle = yc <= 4.0
    ym = yc[middle]
    tail[middle] = _rational(ym, _CODY_C, _CODY_D)
    far = ~middle
    yf = yc[far]
    z = 1.0 / (yf * yf)
    tail[far] = (_INV_SQRT_PI - z * _rational(z, _CODY_P, _CODY_Q)) / yf
    # exp(-y^2) = exp(-r^2) exp(-(y - r)(y + r)) with r = y truncated to 1/16: r^2 is exact, so
    # the rounding error of y^2 (which exp would amplify) never arises
    r = xp.trunc(yc * 16.0) / 16.0
    tail *= xp.exp(-r * r)
    tail *= xp.exp(-(yc - r) * (yc + r))
    tail[y >= 26.543] = 0.0
    return tail


def _cody(xp, x, complement):
    """erf(x), or erfc(x) when ``complement``, of a float array, accurate to the last bits of
    its dtype. Each of Cody's intervals is evaluated on its own elements only."""
    y = xp.abs(x)
    out = xp.empty_like(y)
    small = y <= 0.46875
    xs = x[small]
    erf_small = xs * _rational(xs * xs, _CODY_A, _CODY_B)
    out[small] = 1.0 - erf_small if complement else erf_small
    big = ~small
    xb = x[big]
    tail = _erfc_tail(xp, xp.abs(xb))
    if complement:
        out[big] = xp.where(xb < 0, 2.0 - tail, tail)
    else:
        one_minus = (0.5 - tail) + 0.5
        out[big] = xp.where(xb < 0, -one_minus, one_minus)
    return out


# Single precision (float32, float16) needs only 7 digits: Numerical Recipes' erfcc, a
# Chebyshev fit erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), relative error < 1.2e-7 for
# all z >= 0 (Press et al., Numerical Recipes, 2nd ed., section 6.2). One branch-free pass of
# in-place Horner steps: about half the work of Cody's three intervals. exp(-z^2) is split as
# in _erfc_tail, so the float32 rounding of z^2 is not amplified.
_ERFCC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
          -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc_single(xp, x):
    z = xp.minimum(xp.abs(x), 11.0)  # erfc(11) = 1e-54 underflows to 0 in float32
    t = 0.5 * z
    t += 1.0
    t = 1.0 / t
    p = t * _ERFCC[9]
    for c in _ERFCC[8:0:-1]:
        p += c
        p *= t
    p += _ERFCC[0]
    r = xp.trunc(z * 16.0)
    r *= 1.0 / 16.0
    p -= (z - r) * (z + r)
    out = xp.exp(p)
    out *= t
    out *= xp.exp(-(r * r))
    # erfc(-z) = 2 - erfc(z), written as out + neg (2 - 2 out) to stay in place
    neg = (x < 0).astype(out.dtype)
    out += neg * (2.0 - 2.0 * out)
    return out


def _erfc(xp, x):
    """erfc(x): Cody's approximation in float64, erfcc in single precision."""
    if x.dtype.itemsize < 4:  # float16: computed in float32
        return _erfc_single(xp, x.astype("float32")).astype(x.dtype)
    if x.dtype.itemsize == 4:
        return _erfc_single(xp, x)
    return _cody(xp, x, complement=True)


class Erf(Function):
    """erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt; d/dx = 2/sqrt(pi) exp(-x^2)."""

    def forward(ctx, x):
        if x.dtype.kind in "biu":
            x = x.astype(default_float())
        ctx.save_for_backward(x)
        return _cody(ctx.xp, x, complement=False)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (_TWO_OVER_SQRT_PI * exp(-(x * x)))


class Erfc(Function):
    """erfc(x) = 1 - erf(x), computed without cancellation; d/dx = -2/sqrt(pi) exp(-x^2)."""

    def forward(ctx, x):
        if x.dtype.kind in "biu":
            x = x.astype(default_float())
        ctx.save_for_backward(x)
        return _erfc(ctx.xp, x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (-_TWO_OVER_SQRT_PI * exp(-(x * x)))


def erf(input_):
    """The error function, elementwise (Cody's approximation; float64-accurate)."""
    return Erf.apply(input_)


def erfc(input_):
    """The complementary error function 1 - erf(x), accurate also where erf(x) is near 1."""
    return Erfc.apply(input_)


# ---------------------------------------------------------------------------- pointwise table
class _Pointwise(Function):
    """y = f(x; params) elementwise. A subclass gives ``f(xp, x, **params)`` (forward on raw
    arrays), ``vjp(grad, x, y, **params)`` (dL/dx from dL/dy, with Lucid ops) and ``saves``
    (which of "x", "y" the vjp reads). With ``keeps_aux``, f returns (y, aux): an intermediate
    (e.g. Phi(x) for GELU) that the vjp receives as ``aux=`` in a plain backward instead of
    recomputing it; while building a higher-order graph it gets aux=None and recomputes it with
    recorded ops."""

    saves = ("x",)
    keeps_aux = False

    def forward(ctx, x, **params):
        if x.dtype.kind in "biu":  # integer input: computed in the default float dtype
            x = x.astype(default_float())
        ctx.params = params
        y = ctx.f(ctx.xp, x, **params)
        if ctx.keeps_aux:
            y, ctx.aux = y
        ctx.save_for_backward(*[x if s == "x" else y for s in ctx.saves])
        return y

    def backward(ctx, grad):
        saved = ctx.saved_tensors
        named = dict(zip(ctx.saves, saved))
        x, y = named.get("x"), named.get("y")
        if ctx.keeps_aux:
            aux = None if isinstance(saved[0], Tensor) else ctx.aux
            return ctx.vjp(grad, x, y, aux=aux, **ctx.params)
        return ctx.vjp(grad, x, y, **ctx.params)


def _pointwise(name, f, vjp, saves=("x",), doc="", keeps_aux=False):
    return type(name, (_Pointwise,), {"f": staticmethod(f), "vjp": staticmethod(vjp),
                                      "saves": saves, "keeps_aux": keeps_aux, "__doc__": doc})


def _stable_softplus(xp, x):
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): never overflows
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _exp_branch(linear, x, negative, at_zero):
    """The vjp of an ELU-like function: ``linear`` for x > 0, ``negative`` (read from y) for
    x < 0, and at x = 0 the left derivative as a constant, so that, as in PyTorch, the first
    derivative there is the exponential branch's and the second derivative is 0."""
    return where(x > 0, linear, where(x < 0, negative, at_zero))


LeakyReLU = _pointwise(
    "LeakyReLU",
    lambda xp, x, slope: xp.where(x > 0, x, x * slope),
    lambda grad, x, y, slope: where(x > 0, grad, grad * slope),
    doc="x for x > 0, slope * x otherwise (the slope also at 0, as PyTorch)")

ELU = _pointwise(
    "ELU",
    lambda xp, x, alpha: xp.maximum(x, 0) + alpha * xp.expm1(xp.minimum(x, 0)),
    lambda grad, x, y, alpha: _exp_branch(grad, x, grad * (y + alpha), grad * alpha),
    ("x", "y"), "x for x > 0, alpha (e^x - 1) otherwise; dy/dx = y + alpha for x <= 0")

SELU = _pointwise(
    "SELU",
    lambda xp, x: _SELU_SCALE * (xp.maximum(x, 0) + _SELU_ALPHA * xp.expm1(xp.minimum(x, 0))),
    lambda grad, x, y: _exp_branch(grad * _SELU_SCALE, x,
                                   grad * (y + _SELU_SCALE * _SELU_ALPHA),
                                   grad * (_SELU_SCALE * _SELU_ALPHA)),
    ("x", "y"), "scale * elu(x, alpha) with the self-normalising constants")

CELU = _pointwise(
    "CELU",
    lambda xp, x, alpha: xp.maximum(x, 0) + alpha * xp.expm1(xp.minimum(x, 0) / alpha),
    lambda grad, x, y, alpha: _exp_branch(grad, x, grad * (y / alpha + 1), grad),
    ("x", "y"), "x for x > 0, alpha (e^(x/alpha) - 1) otherwise")


def _gelu_exact(xp, x):
    cdf = _erfc(xp, x * -_INV_SQRT_2)
    cdf *= 0.5
    return x * cdf, cdf


def _gelu_exact_vjp(grad, x, y, aux):
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    cdf = 0.5 * Erfc.apply(-x * _INV_SQRT_2) if aux is None else aux
    pdf = _INV_SQRT_2PI * exp(-0.5 * (x * x))
    return grad * (cdf + x * pdf)


GELU = _pointwise("GELU", _gelu_exact, _gelu_exact_vjp, keeps_aux=True,
                  doc="x Phi(x) with Phi the standard normal CDF")


def _gelu_tanh(xp, x):
    t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
    return 0.5 * x * (1 + t), t


def _gelu_tanh_vjp(grad, x, y, aux):
    t = tanh(_SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))) if aux is None else aux
    d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * (x * x))
    return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)


GELUTanh = _pointwise("GELUTanh", _gelu_tanh, _gelu_tanh_vjp, keeps_aux=True,
                      doc="x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))")

Softplus = _pointwise(
    "Softplus",
    lambda xp, x, beta, threshold: xp.where(x * beta > threshold, x,
                                            _stable_softplus(xp, x * beta) / beta),
    lambda grad, x, y, beta, threshold: where(x * beta > threshold, grad,
                                              grad * sigmoid(x * beta)),
    doc="log(1 + e^(beta x)) / beta, and x where beta x > threshold; dy/dx = sigmoid(beta x)")


def _softplus1(x):
    """log(1 + e^x) as a node whose derivative is sigmoid(x), also at x = 0."""
    return Softplus.apply(x, beta=1.0, threshold=math.inf)


def _sigmoid_raw(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _silu(xp, x):
    s = _sigmoid_raw(xp, x)
    return x * s, s


def _silu_vjp(grad, x, y, aux):
    s = sigmoid(x) if aux is None else aux
    return grad * (s * (1 + x * (1 - s)))


SiLU = _pointwise("SiLU", _silu, _silu_vjp, keeps_aux=True,
                  doc="x sigmoid(x); dy/dx = s (1 + x (1 - s))")


def _mish(xp, x):
    t = xp.tanh(_stable_softplus(xp, x))
    return x * t, t


def _mish_vjp(grad, x, y, aux):
    t = tanh(_softplus1(x)) if aux is None else aux
    return grad * (t + x * sigmoid(x) * (1 - t * t))


Mish = _pointwise("Mish", _mish, _mish_vjp, keeps_aux=True, doc="x tanh(softplus(x))")

LogSigmoid = _pointwise(
    "LogSigmoid",
    lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x))),
    lambda grad, x, y: grad * sigmoid(-x),
    doc="log sigmoid(x) = -softplus(-x); dy/dx = sigmoid(-x)")

Softsign = _pointwise(
    "Softsign",
    lambda xp, x: x / (1 + xp.abs(x)),
    lambda grad, x, y: grad / ((1 + _abs(x)) * (1 + _abs(x))),
    doc="x / (1 + |x|); dy/dx = 1 / (1 + |x|)^2")

Hardtanh = _pointwise(
    "Hardtanh",
    lambda xp, x, lo, hi: xp.minimum(xp.maximum(x, lo), hi),
    lambda grad, x, y, lo, hi: where((x > lo) & (x < hi), grad, 0.0),
    doc="x clipped to [lo, hi]; the gradient is 0 at and beyond the edges (PyTorch's rule)")

Hardsigmoid = _pointwise(
    "Hardsigmoid",
    lambda xp, x: xp.minimum(xp.maximum(x / 6 + 0.5, 0), 1),
    lambda grad, x, y: where((x > -3) & (x < 3), grad / 6, 0.0),
    doc="clip(x/6 + 1/2, 0, 1)")

Hardswish = _pointwise(
    "Hardswish",
    lambda xp, x: x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6,
    lambda grad, x, y: where(x <= -3, 0.0, where(x < 3, grad * (x / 3 + 0.5), grad)),
    doc="x relu6(x + 3) / 6; dy/dx = x/3 + 1/2 on [-3, 3]")

Threshold = _pointwise(
    "Threshold",
    lambda xp, x, threshold, value: xp.where(x > threshold, x, value),
    lambda grad, x, y, threshold, value: where(x > threshold, grad, 0.0),
    doc="x where x > threshold, else value")

Hardshrink = _pointwise(
    "Hardshrink",
    lambda xp, x, lambd: xp.where(xp.abs(x) > lambd, x, 0.0),
    lambda grad, x, y, lambd: where((x > lambd) | (x < -lambd), grad, 0.0),
    doc="x where |x| > lambd, else 0")

Softshrink = _pointwise(
    "Softshrink",
    lambda xp, x, lambd: xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0.0)),
    lambda grad, x, y, lambd: where((x > lambd) | (x < -lambd), grad, 0.0),
    doc="x - lambd sign(x) where |x| > lambd, else 0")


def _run(input_, fn, inplace):
    """``fn(input_)``, or with ``inplace`` (PyTorch's flag) that result written over
    ``input_``'s buffer (``Tensor._inplace`` keeps a copy of the old values when the op saved
    them for backward, as PyTorch does)."""
    if not inplace:
        return fn(input_)
    if not isinstance(input_, Tensor):
        raise TypeError(f"inplace=True needs a Tensor input, got {type(input_).__name__}")
    return input_._inplace(fn(input_))


# ---------------------------------------------------------------------------- public functions
# sigmoid and tanh are lucid.ops' own (imported above and re-exported here).
def relu(input_, inplace=False):
    """max(x, 0); the gradient is 0 at x = 0, as in PyTorch."""
    return _run(input_, _relu, inplace)


def relu6(input_, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6); gradient 0 at 0 and 6, as PyTorch)."""
    return _run(input_, lambda t: Hardtanh.apply(t, lo=0.0, hi=6.0), inplace)


def leaky_relu(input_, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    return _run(input_, lambda t: LeakyReLU.apply(t, slope=negative_slope), inplace)


def prelu(input_, weight):
    """x for x > 0, a x otherwise, with a learnable ``weight`` a of shape (1,) or (C,), where C
    is the size of axis 1 (the channel axis) of ``input_``."""
    n = weight.numel() if isinstance(weight, Tensor) else weight.size
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    if n != 1:
        channels = input_.shape[1] if input_.ndim >= 2 else 1
        if n != channels:
            raise ValueError(f"prelu: weight has {n} values but the input (shape "
                             f"{tuple(input_.shape)}) has {channels} channels on axis 1")
        weight = weight.reshape((n,) + (1,) * (input_.ndim - 2))
    return where(input_ > 0, input_, weight * input_)


def elu(input_, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return _run(input_, lambda t: ELU.apply(t, alpha=float(alpha)), inplace)


def selu(input_, inplace=False):
    """scale * (x for x > 0, alpha (e^x - 1) otherwise), alpha = 1.6733, scale = 1.0507."""
    return _run(input_, lambda t: SELU.apply(t), inplace)


def celu(input_, alpha=1.0, inplace=False):
    """x for x > 0, alpha (e^(x/alpha) - 1) otherwise."""
    if alpha == 0:
        raise ValueError("celu: alpha must be nonzero")
    return _run(input_, lambda t: CELU.apply(t, alpha=float(alpha)), inplace)


def gelu(input_, approximate="none"):
    """The Gaussian error linear unit x Phi(x).

    ``approximate="none"`` (PyTorch's default) is exact, via erf; ``"tanh"`` is
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the only form Lucid 2 had.
    """
    if approximate == "none":
        return GELU.apply(input_)
    if approximate == "tanh":
        return GELUTanh.apply(input_)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input_, inplace=False):
    """x sigmoid(x) (also called swish)."""
    return _run(input_, lambda t: SiLU.apply(t), inplace)


swish = silu


def mish(input_, inplace=False):
    """x tanh(softplus(x))."""
    return _run(input_, lambda t: Mish.apply(t), inplace)


def softplus(input_, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta; x itself where beta x > threshold (for stability)."""
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    return Softplus.apply(input_, beta=float(beta), threshold=float(threshold))


def softsign(input_):
    """x / (1 + |x|)."""
    return Softsign.apply(input_)


def hardtanh(input_, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    lo, hi = float(min_val), float(max_val)
    return _run(input_, lambda t: Hardtanh.apply(t, lo=lo, hi=hi), inplace)


def hardsigmoid(input_, inplace=False):
    """clip(x/6 + 1/2, 0, 1), a piecewise-linear sigmoid."""
    return _run(input_, lambda t: Hardsigmoid.apply(t), inplace)


def hardswish(input_, inplace=False):
    """x hardsigmoid(x) = x relu6(x + 3) / 6."""
    return _run(input_, lambda t: Hardswish.apply(t), inplace)


def logsigmoid(input_):
    """log(sigmoid(x)), computed stably as min(x, 0) - log(1 + e^-|x|)."""
    return LogSigmoid.apply(input_)


def tanhshrink(input_):
    """x - tanh(x)."""
    return input_ - tanh(input_)


def threshold(input_, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    return _run(input_, lambda t: Threshold.apply(t, threshold=threshold, value=value), inplace)


def hardshrink(input_, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return Hardshrink.apply(input_, lambd=float(lambd))


def softshrink(input_, lambd=0.5):
    """x - lambd sign(x) where |x| > lambd, else 0."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return Softshrink.apply(input_, lambd=float(lambd))


def glu(input_, axis=-1, *, dim=None):
    """The gated linear unit a * sigmoid(b), where a and b are the two halves of ``input_``
    along ``axis`` (whose size must be even): (*, 2n, *) -> (*, n, *)."""
    (axis,) = normalize_axis(axis_arg(axis if dim is None else None, dim), input_.ndim)
    n = input_.shape[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} of shape {tuple(input_.shape)} has odd size {n}; "
                         "it must split into two halves")
    a, b = split(input_, n // 2, axis)
    return a * sigmoid(b)


# ---------------------------------------------------------------------------- softmax family
def _as_float(xp, x):
    return x.astype(default_float()) if x.dtype.kind in "biu" else x


class Softmax(Function):
    """y = exp(x - max x) / sum exp(x - max x) along ``axis``; dx = y (g - sum(g y))."""

    def forward(ctx, x, axis):
        xp = ctx.xp
        x = _as_float(xp, x)
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (max of an empty axis is undefined)
            ctx.save_for_backward(x)
            return x.copy()
        out = x - x.max(axis=axis, keepdims=True)
        xp.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - max x - log sum exp(x - max x) along ``axis``; dx = g - exp(y) sum(g)."""

    def forward(ctx, x, axis):
        xp = ctx.xp
        x = _as_float(xp, x)
        ctx.axis = axis
        if x.size == 0:
            ctx.save_for_backward(x)
            return x.copy()
        out = x - x.max(axis=axis, keepdims=True)
        out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - exp(y) * grad.sum(axis=ctx.axis, keepdims=True)


def _softmax_args(input_, axis, dim, dtype):
    axis = axis_arg(axis if dim is None else None, dim)
    if dtype is not None:
        input_ = input_.astype(dtype)
    (axis,) = normalize_axis(axis, input_.ndim)
    return input_, axis


def softmax(input_, axis=-1, dtype=None, *, dim=None):
    """exp(x_i) / sum_j exp(x_j) along ``axis`` (Lucid's default -1; ``dim=`` is PyTorch's
    name). ``dtype`` casts the input first. Each slice along ``axis`` sums to 1."""
    input_, axis = _softmax_args(input_, axis, dim, dtype)
    if input_.ndim == 0:  # one value: a one-element axis
        return Softmax.apply(input_.reshape(1), axis=0).reshape(())
    return Softmax.apply(input_, axis=axis)


def log_softmax(input_, axis=-1, dtype=None, *, dim=None):
    """log softmax(x) along ``axis``, computed as x - logsumexp(x) (no log of a tiny number)."""
    input_, axis = _softmax_args(input_, axis, dim, dtype)
    if input_.ndim == 0:
        return LogSoftmax.apply(input_.reshape(1), axis=0).reshape(())
    return LogSoftmax.apply(input_, axis=axis)


def softmin(input_, axis=-1, dtype=None, *, dim=None):
    """softmax(-x) along ``axis``."""
    return softmax(-input_, axis, dtype, dim=dim)

