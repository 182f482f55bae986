"""Activation layers: each wraps the function of the same name in ``lucid.nn.functional``.

All are shape-preserving, (*) -> (*), except ``GLU`` which halves one axis. Lucid's names
(``HardSigmoid``, ``HardSwish``, ``Swish``) and PyTorch's (``Hardsigmoid``, ``Hardswish``,
``SiLU``) are both here. ``GELU`` defaults to the exact form as PyTorch's does; Lucid 2's gelu was
the tanh approximation, which ``GELU(approximate="tanh")`` gives.
"""

from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import empty
from lucid.ops._util import axis_arg

__all__ = [
    "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish",
    "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin", "Softplus", "Softsign", "Hardtanh",
    "ReLU6", "HardSigmoid", "Hardsigmoid", "HardSwish", "Hardswish", "GLU", "LogSigmoid",
    "Tanhshrink", "Threshold", "Hardshrink", "Softshrink",
]


def _inplace_str(inplace, first=False):
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Inplace(Module):
    """An activation with PyTorch's ``inplace`` flag (overwrite the input instead of a copy)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _inplace_str(self.inplace, first=True)


class ReLU(_Inplace):
    """max(x, 0)."""

    def forward(self, x):
        return F.relu(x, self.inplace)


class ReLU6(_Inplace):
    """min(max(x, 0), 6)."""

    def forward(self, x):
        return F.relu6(x, self.inplace)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class PReLU(Module):
    """x for x > 0, a x otherwise, with a learned slope a.

    ``weight`` has shape (num_parameters,): one slope shared by every channel (1, the default)
    or one per channel, where the channel axis is axis 1 of the input (N, C, *). Starts at
    ``init`` (0.25), as in PyTorch.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be at least 1, got {num_parameters}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, dtype=dtype, device=device or "cpu"))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class SELU(_Inplace):
    """scale * elu(x, alpha) with alpha = 1.6733, scale = 1.0507 (self-normalising)."""

    def forward(self, x):
        return F.selu(x, self.inplace)


class CELU(Module):
    """x for x > 0, alpha (e^(x/alpha) - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.celu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class GELU(Module):
    """x Phi(x): exact (``approximate="none"``, PyTorch's default) or the tanh approximation
    (``"tanh"``, which was Lucid 2's gelu)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(_Inplace):
    """x sigmoid(x)."""

    def forward(self, x):
        return F.silu(x, self.inplace)


class Swish(SiLU):
    """x sigmoid(x) (Lucid's name for SiLU)."""


class Mish(_Inplace):
    """x tanh(softplus(x))."""

    def forward(self, x):
        return F.mish(x, self.inplace)


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x):
        return F.tanh(x)


class _AlongAxis(Module):
    def __init__(self, axis=-1, *, dim=None):
        super().__init__()
        self.axis = axis_arg(axis if dim is None else None, dim)

    @property
    def dim(self):
        return self.axis

    def extra_repr(self):
        return f"axis={self.axis}"


class Softmax(_AlongAxis):
    """exp(x_i) / sum_j exp(x_j) along ``axis`` (default -1, Lucid's; ``dim=`` also accepted)."""

    def forward(self, x):
        return F.softmax(x, self.axis)


class LogSoftmax(_AlongAxis):
    """log softmax(x) along ``axis``."""

    def forward(self, x):
        return F.log_softmax(x, self.axis)


class Softmin(_AlongAxis):
    """softmax(-x) along ``axis``."""

    def forward(self, x):
        return F.softmin(x, self.axis)


class GLU(_AlongAxis):
    """a * sigmoid(b) for the two halves a, b of the input along ``axis``: (*, 2n, *) ->
    (*, n, *)."""

    def forward(self, x):
        return F.glu(x, self.axis)


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, x):
        return F.softsign(x)


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is greater than max_val {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class HardSigmoid(_Inplace):
    """clip(x/6 + 1/2, 0, 1)."""

    def forward(self, x):
        return F.hardsigmoid(x, self.inplace)


class HardSwish(_Inplace):
    """x relu6(x + 3) / 6."""

    def forward(self, x):
        return F.hardswish(x, self.inplace)


Hardsigmoid = HardSigmoid
Hardswish = HardSwish


class LogSigmoid(Module):
    """log sigmoid(x)."""

    def forward(self, x):
        return F.logsigmoid(x)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, x):
        return F.tanhshrink(x)


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd sign(x) where |x| > lambd, else 0."""

    def forward(self, x):
        return F.softshrink(x, self.lambd)
