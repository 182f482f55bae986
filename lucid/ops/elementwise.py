"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, comparisons, logic, casts.

Each op is a ``Function``: forward on raw arrays with ``ctx.xp`` (NumPy or CuPy), backward as the
chain rule. Unary ops with a plain derivative are rows of one table, ``y = f(x)`` and
``dy/dx = df(x, y)``, in the style of HIPS autograd. Binary ops broadcast, and their backward
sums each gradient back to its input's shape with ``sum_to``.
"""

import math as _math

from lucid.autograd.function import Function
from lucid.backend import get_backend, default_float
from lucid.ops._util import promote, sum_to, unbroadcast_pair, broadcast_error

__all__ = [
    "add", "sub", "multiply", "div", "floor_divide", "remainder", "power", "maximum", "minimum",
    "negative", "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "cube",
    "reciprocal", "abs", "sign", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arcsinh", "arccosh", "arctanh", "arctan2", "sigmoid", "relu", "floor", "ceil",
    "round", "trunc", "clip", "where", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not",
    "isnan", "isinf", "isfinite", "cast", "clone", "to_device", "nan_to_num",
]


def _shape(x):
    """The shape of an operand (a Python number has shape ())."""
    return () if type(x) in _NUMBERS else x.shape


_NUMBERS = (int, float, bool, complex)


# ---------------------------------------------------------------------------- binary arithmetic
# Add and Sub save nothing: an input that needs a gradient is a Tensor (a parent), and its
# shape, which the broadcast gradient is summed back to, is read from it.
class Add(Function):
    def forward(ctx, a, b):
        if type(a) is not type(b) or a.dtype is not b.dtype:  # else nothing to promote
            a, b = promote(a, b)
        try:
            return a + b
        except ValueError:
            raise broadcast_error("add", a, b) from None

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        a, b = ctx.parents
        return (sum_to(grad, a.shape) if need_a else None,
                sum_to(grad, b.shape) if need_b else None)


class Sub(Function):
    def forward(ctx, a, b):
        if type(a) is not type(b) or a.dtype is not b.dtype:  # else nothing to promote
            a, b = promote(a, b)
        try:
            return a - b
        except ValueError:
            raise broadcast_error("sub", a, b) from None

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        a, b = ctx.parents
        return (sum_to(grad, a.shape) if need_a else None,
                sum_to(-grad, b.shape) if need_b else None)  # (x - 0.5 negates nothing)


class Mul(Function):
    def forward(ctx, a, b):
        if type(a) is not type(b) or a.dtype is not b.dtype:  # else nothing to promote
            a, b = promote(a, b)
        # Keep only what the gradients can need: next to a Python number (which never needs a
        # gradient) the other operand's values are not needed, so y.mul_(3) may overwrite them.
        # None then also means "same shape as the output".
        ctx.save_for_backward(a if hasattr(b, "shape") else None,
                              b if hasattr(a, "shape") else None)
        try:
            return a * b
        except ValueError:
            raise broadcast_error("multiply", a, b) from None

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = grad * b if a is None else sum_to(grad * b, a.shape)
        if need_b:
            grad_b = grad * a if b is None else sum_to(grad * a, b.shape)
        return grad_a, grad_b


class Div(Function):
    def forward(ctx, a, b):
        if type(a) is not type(b) or a.dtype is not b.dtype:  # else nothing to promote
            a, b = promote(a, b)
        if getattr(a, "dtype", None) is not None and a.dtype.kind in "biu" and (
                getattr(b, "dtype", None) is None or b.dtype.kind in "biu"):
            # true division of integers gives the default float, as in PyTorch (both operands
            # cast: int32 / int64 would otherwise give float64)
            a = a.astype(default_float())
            if getattr(b, "dtype", None) is not None:
                b = b.astype(default_float())
        # a is needed only for b's gradient: not kept when b is a Python number (x.div_(2))
        ctx.save_for_backward(a if hasattr(b, "shape") else None, b)
        try:
            return a / b
        except ValueError:
            raise broadcast_error("div", a, b) from None

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b
        return ((grad_a if a is None else sum_to(grad_a, a.shape)) if need_a else None,
                sum_to(-grad_a * a / b, b.shape) if need_b else None)


class Power(Function):
    def forward(ctx, a, b):
        a, b = promote(a, b)
        try:
            out = a ** b
        except ValueError:
            raise broadcast_error("power", a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:  # d(a^b)/da = b a^(b-1)
            grad_a = sum_to(grad * b * a ** (b - 1), a.shape)
        if need_b:  # d(a^b)/db = a^b ln a: 0 where a = 0, nan where a < 0 (as in PyTorch)
            if hasattr(a, "shape"):
                safe_log = log(where(a == 0, 1.0, a))
            else:  # a Python number as the base, e.g. 2 ** x
                safe_log = _math.log(a) if a > 0 else (0.0 if a == 0 else float("nan"))
            grad_b = sum_to(grad * out * safe_log, b.shape)
        return grad_a, grad_b


class _Select(Function):
    """maximum / minimum: the gradient goes to the chosen input; a tie splits it in half."""

    def forward(ctx, a, b):
        a, b = promote(a, b)
        try:
            out = ctx.pick(ctx.xp, a, b)
        except ValueError:
            raise broadcast_error(type(ctx).__name__.lower(), a, b) from None
        ctx.save_for_backward(a, b, out)
        ctx.shapes = (_shape(a), _shape(b))
        return out

    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # 1 for the input that is the result (in grad's dtype: a float64 mask would upcast)
        wins_a = (a == out).astype(grad.dtype)
        wins_b = (b == out).astype(grad.dtype)
        share = wins_a + wins_b
        return (sum_to(grad * (wins_a / share), ctx.shapes[0]) if need_a else None,
                sum_to(grad * (wins_b / share), ctx.shapes[1]) if need_b else None)


class Maximum(_Select):
    pick = staticmethod(lambda xp, a, b: xp.maximum(a, b))


class Minimum(_Select):
    pick = staticmethod(lambda xp, a, b: xp.minimum(a, b))


class FloorDivide(Function):
    """floor(a / b): piecewise constant, so its gradient is zero."""

    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return ctx.xp.floor_divide(a, b)
        except ValueError:
            raise broadcast_error("floor_divide", a, b) from None

    def backward(ctx, grad):
        return unbroadcast_pair(ctx, grad * 0, grad * 0, *ctx.shapes)


class Remainder(Function):
    """a mod b = a - floor(a / b) b (Python's sign convention, as PyTorch's remainder)."""

    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        ctx.shapes = (_shape(a), _shape(b))  # b may be a number
        try:
            return ctx.xp.remainder(a, b)
        except ValueError:
            raise broadcast_error("remainder", a, b) from None

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = -grad * floor(a / b) if ctx.needs_input_grad[1] else grad
        return unbroadcast_pair(ctx, grad, grad_b, *ctx.shapes)


class Arctan2(Function):
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        ctx.shapes = (_shape(a), _shape(b))  # either may be a number
        try:
            return ctx.xp.arctan2(a, b)
        except ValueError:
            raise broadcast_error("arctan2", a, b) from None

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        return unbroadcast_pair(ctx, grad * b / denom, -grad * a / denom, *ctx.shapes)


def add(a, b, /):
    """a + b, broadcasting."""
    return Add.apply(a, b)


def sub(a, b, /):
    """a - b, broadcasting."""
    return Sub.apply(a, b)


def multiply(a, b, /):
    """a * b, broadcasting."""
    return Mul.apply(a, b)


def div(a, b, /, floor=False):
    """a / b (true division); ``floor=True`` gives floor(a / b)."""
    return FloorDivide.apply(a, b) if floor else Div.apply(a, b)


def floor_divide(a, b, /):
    return FloorDivide.apply(a, b)


def remainder(a, b, /):
    return Remainder.apply(a, b)


def power(a, b, /):
    """a ** b, broadcasting; d/da = b a^(b-1), d/db = a^b ln a."""
    return Power.apply(a, b)


def maximum(a, b, /):
    return Maximum.apply(a, b)


def minimum(a, b, /):
    return Minimum.apply(a, b)


def arctan2(a, b, /):
    return Arctan2.apply(a, b)


# ---------------------------------------------------------------------------- unary table
class _Unary(Function):
    """y = f(x) elementwise, dL/dx = dL/dy * df(x, y). Subclasses set ``f``, ``df``, and which of
    x and y the derivative reads (``keeps_x``, ``keeps_y``): the other is saved as None. A row
    may also write the product out as ``vjp(grad, x, y)``, when that takes fewer array ops."""

    keeps_x = keeps_y = True

    def forward(ctx, x):
        if ctx.float_only and x.dtype.kind in "biu":
            x = x.astype(default_float())
        y = ctx.f(ctx.xp, x)
        ctx.save_for_backward(x if ctx.keeps_x else None, y if ctx.keeps_y else None)
        return y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return ctx.vjp(grad, x, y)

    def vjp(ctx, grad, x, y):
        return grad * ctx.df(x, y)


def _unary(name, f, df, saves=("x",), float_only=True, doc="", vjp=None):
    attrs = {"f": staticmethod(f), "df": staticmethod(df), "keeps_x": "x" in saves,
             "keeps_y": "y" in saves, "float_only": float_only, "__doc__": doc}
    if vjp is not None:
        attrs["vjp"] = staticmethod(vjp)
    cls = type(name, (_Unary,), attrs)

    def op(a, /):
        return cls.apply(a)

    op.__name__ = op.__qualname__ = name.lower()
    op.__doc__ = doc
    return cls, op


Neg, negative = _unary("Negative", lambda xp, x: -x, lambda x, y: -1, (), False, "-x")
Exp, exp = _unary("Exp", lambda xp, x: xp.exp(x), lambda x, y: y, ("y",), doc="e^x; d/dx = e^x")
Log, log = _unary("Log", lambda xp, x: xp.log(x), lambda x, y: 1 / x, doc="ln x; d/dx = 1/x")
Log2, log2 = _unary("Log2", lambda xp, x: xp.log2(x), lambda x, y: 1 / (x * 0.6931471805599453),
                    doc="log2 x; d/dx = 1/(x ln 2)")
Log10, log10 = _unary("Log10", lambda xp, x: xp.log10(x),
                      lambda x, y: 1 / (x * 2.302585092994046), doc="log10 x")
Log1p, log1p = _unary("Log1p", lambda xp, x: xp.log1p(x), lambda x, y: 1 / (x + 1),
                      doc="ln(1 + x)")
Expm1, expm1 = _unary("Expm1", lambda xp, x: xp.expm1(x), lambda x, y: y + 1, ("y",),
                      doc="e^x - 1")
Sqrt, sqrt = _unary("Sqrt", lambda xp, x: xp.sqrt(x), lambda x, y: 0.5 / y, ("y",),
                    doc="sqrt(x); d/dx = 1/(2 sqrt(x))")
Rsqrt, rsqrt = _unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda x, y: -0.5 * y * y * y,
                      ("y",), doc="1/sqrt(x)")
Square, square = _unary("Square", lambda xp, x: x * x, lambda x, y: 2 * x, ("x",), False, "x^2")
Cube, cube = _unary("Cube", lambda xp, x: x * x * x, lambda x, y: 3 * x * x, ("x",), False, "x^3")
Reciprocal, reciprocal = _unary("Reciprocal", lambda xp, x: 1 / x, lambda x, y: -y * y, ("y",),
                                doc="1/x; d/dx = -1/x^2")
Abs, abs = _unary("Abs", lambda xp, x: xp.abs(x), lambda x, y: sign(x), ("x",), False,
                  "|x|; d/dx = sign(x) (0 at 0)")
Sign, sign = _unary("Sign", lambda xp, x: xp.sign(x), lambda x, y: 0 * y, ("y",), False,
                    "sign(x); zero gradient")
Sin, sin = _unary("Sin", lambda xp, x: xp.sin(x), lambda x, y: cos(x), doc="sin x")
Cos, cos = _unary("Cos", lambda xp, x: xp.cos(x), lambda x, y: -sin(x), doc="cos x")
Tan, tan = _unary("Tan", lambda xp, x: xp.tan(x), lambda x, y: 1 + y * y, ("y",),
                  doc="tan x; d/dx = 1 + tan^2 x")
Arcsin, arcsin = _unary("Arcsin", lambda xp, x: xp.arcsin(x),
                        lambda x, y: rsqrt(1 - x * x), doc="arcsin x")
Arccos, arccos = _unary("Arccos", lambda xp, x: xp.arccos(x),
                        lambda x, y: -rsqrt(1 - x * x), doc="arccos x")
Arctan, arctan = _unary("Arctan", lambda xp, x: xp.arctan(x), lambda x, y: 1 / (1 + x * x),
                        doc="arctan x")
Sinh, sinh = _unary("Sinh", lambda xp, x: xp.sinh(x), lambda x, y: cosh(x), doc="sinh x")
Cosh, cosh = _unary("Cosh", lambda xp, x: xp.cosh(x), lambda x, y: sinh(x), doc="cosh x")
# g - g y y is g (1 - y^2) in three array ops with no Python number (NumPy converts a number
# operand on every call, which costs as much as the op itself on a small array)
Tanh, tanh = _unary("Tanh", lambda xp, x: xp.tanh(x), lambda x, y: 1 - y * y, ("y",),
                    doc="tanh x; d/dx = 1 - tanh^2 x", vjp=lambda g, x, y: g - g * y * y)
Arcsinh, arcsinh = _unary("Arcsinh", lambda xp, x: xp.arcsinh(x),
                          lambda x, y: rsqrt(x * x + 1), doc="arcsinh x")
Arccosh, arccosh = _unary("Arccosh", lambda xp, x: xp.arccosh(x),
                          lambda x, y: rsqrt(x * x - 1), doc="arccosh x")
Arctanh, arctanh = _unary("Arctanh", lambda xp, x: xp.arctanh(x),
                          lambda x, y: 1 / (1 - x * x), doc="arctanh x")
Floor, floor = _unary("Floor", lambda xp, x: xp.floor(x), lambda x, y: 0 * y, ("y",), False,
                      "floor x; zero gradient")
Ceil, ceil = _unary("Ceil", lambda xp, x: xp.ceil(x), lambda x, y: 0 * y, ("y",), False,
                    "ceil x; zero gradient")
Trunc, trunc = _unary("Trunc", lambda xp, x: xp.trunc(x), lambda x, y: 0 * y, ("y",), False,
                      "x rounded toward zero; zero gradient")


def _sigmoid(xp, x):
    # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: neither branch overflows
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


Sigmoid, sigmoid = _unary("Sigmoid", _sigmoid, lambda x, y: y * (1 - y), ("y",),
                          doc="1/(1 + e^-x); d/dx = s(1 - s)")


class Relu(Function):
    """max(x, 0); the gradient passes where x > 0 (0 at x = 0, as PyTorch)."""

    def forward(ctx, x):
        out = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


def relu(a, /):
    return Relu.apply(a)


class Round(Function):
    def forward(ctx, x, decimals=0):
        return ctx.xp.round(x, decimals)

    def backward(ctx, grad):
        return grad * 0


def round(a, /, decimals=0):
    """Round half to even to ``decimals`` places (NumPy's rule); zero gradient."""
    return Round.apply(a, decimals=decimals)


class Clip(Function):
    """min(max(x, lo), hi); the gradient passes where lo <= x <= hi."""

    def forward(ctx, x, lo=None, hi=None):
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: min {lo} is greater than max {hi}")
        if x.dtype.kind in "biu" and (isinstance(lo, float) or isinstance(hi, float)):
            x = x.astype(default_float())  # int clamped to float bounds: the default float
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        out = x
        if lo is not None:
            out = ctx.xp.maximum(out, lo)
        if hi is not None:
            out = ctx.xp.minimum(out, hi)
        return out

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        inside = None  # a bool mask: grad * mask keeps grad's dtype
        if ctx.lo is not None:
            inside = x >= ctx.lo
        if ctx.hi is not None:
            inside = x <= ctx.hi if inside is None else inside & (x <= ctx.hi)
        return grad if inside is None else grad * inside


def clip(a, /, min_value=None, max_value=None):
    """Clamp every value into [min_value, max_value] (either may be None)."""
    return Clip.apply(a, lo=min_value, hi=max_value)


class Where(Function):
    """cond ? a : b, broadcasting all three; the gradient goes to the branch that was taken."""

    def forward(ctx, cond, a, b):
        a, b = promote(a, b)
        cond = cond.astype(bool) if cond.dtype.kind != "b" else cond
        ctx.save_for_backward(cond)  # (saved, so that an in-place write into it is caught)
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return ctx.xp.where(cond, a, b)
        except ValueError:
            raise broadcast_error("where", cond, a, b) from None

    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        zero = grad * 0
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                sum_to(where(cond, grad, zero), ctx.shapes[0]) if need_a else None,
                sum_to(where(cond, zero, grad), ctx.shapes[1]) if need_b else None)


def where(cond, a, b, /):
    """Elementwise ``a`` where ``cond`` is true, else ``b``."""
    return Where.apply(cond, a, b)


# ---------------------------------------------------------------------------- no-gradient ops
class _Compare(Function):
    """A comparison or logical op: a bool result, no gradient."""

    def forward(ctx, a, b=None):
        if b is None:
            out = ctx.op(ctx.xp, a)
        else:
            a, b = promote(a, b)
            try:
                out = ctx.op(ctx.xp, a, b)
            except ValueError:
                raise broadcast_error(type(ctx).__name__, a, b) from None
        out = ctx.xp.asarray(out)  # NumPy gives a scalar for 0-d inputs
        ctx.mark_non_differentiable(out)  # a mask never requires grad (as in PyTorch)
        return out

    def backward(ctx, grad):
        return (None,) * len(ctx.parents)


def _compare(name, fn):
    cls = type(name, (_Compare,), {"op": staticmethod(fn)})

    def op(a, b=None, /):
        return cls.apply(a) if b is None else cls.apply(a, b)

    op.__name__ = op.__qualname__ = name
    return op


equal = _compare("equal", lambda xp, a, b: xp.equal(a, b))
not_equal = _compare("not_equal", lambda xp, a, b: xp.not_equal(a, b))
less = _compare("less", lambda xp, a, b: xp.less(a, b))
less_equal = _compare("less_equal", lambda xp, a, b: xp.less_equal(a, b))
greater = _compare("greater", lambda xp, a, b: xp.greater(a, b))
greater_equal = _compare("greater_equal", lambda xp, a, b: xp.greater_equal(a, b))
logical_and = _compare("logical_and", lambda xp, a, b: xp.logical_and(a, b)
                       if a.dtype.kind == "b" else xp.bitwise_and(a, b))
logical_or = _compare("logical_or", lambda xp, a, b: xp.logical_or(a, b)
                      if a.dtype.kind == "b" else xp.bitwise_or(a, b))
logical_xor = _compare("logical_xor", lambda xp, a, b: xp.logical_xor(a, b)
                       if a.dtype.kind == "b" else xp.bitwise_xor(a, b))
logical_not = _compare("logical_not", lambda xp, a: xp.logical_not(a))
bitwise_not = _compare("bitwise_not", lambda xp, a: xp.invert(a))
isnan = _compare("isnan", lambda xp, a: xp.isnan(a))
isinf = _compare("isinf", lambda xp, a: xp.isinf(a))
isfinite = _compare("isfinite", lambda xp, a: xp.isfinite(a))


# ---------------------------------------------------------------------------- copies and casts
class Cast(Function):
    """x as another dtype; the gradient is cast back (and dropped for integer targets)."""

    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(ctx, grad):
        return grad.astype(ctx.in_dtype)


def cast(a, dtype, /):
    out = Cast.apply(a, dtype=dtype)
    if out.dtype.base_dtype.kind not in "fc" and out.requires_grad:
        out = out.detach()  # integer tensors cannot carry gradients
    return out


class Clone(Function):
    def forward(ctx, x):
        return x.copy()

    def backward(ctx, grad):
        return grad


def clone(a, /):
    """A copy of the values that stays in the graph (the gradient passes through)."""
    return Clone.apply(a)


class NanToNum(Function):
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.finite = ctx.xp.isfinite(x)
        return ctx.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, grad):
        return grad * ctx.finite


def nan_to_num(a, /, nan=0.0, posinf=None, neginf=None):
    return NanToNum.apply(a, nan=nan, posinf=posinf, neginf=neginf)


class ToDevice(Function):
    """The same values on another device; the gradient moves back."""

    def forward(ctx, x, device):
        from lucid.backend import backend_of, to_host

        ctx.source = backend_of(x)
        target = get_backend(device)
        return target.asarray(to_host(x))

    def backward(ctx, grad):
        return to_device(grad, ctx.source.name)


def to_device(a, device, /):
    from lucid._tensor import Tensor

    if not isinstance(a, Tensor):
        from lucid.backend import to_host
        return get_backend(device).asarray(to_host(a))
    # apply() takes its backend from the inputs; re-home the output on the target device
    out = ToDevice.apply(a, device=device)
    out._backend = get_backend(device)
    return out
