"""``lucid.nn.init``: fill a tensor in place with an initial distribution.

PyTorch's names (trailing underscore, returning the tensor) and Lucid's (no underscore). Draws
come from ``lucid.random``'s default generator (or ``generator=``), so ``lucid.random.seed``
makes initialisation reproducible. For a weight of shape (out, in, *kernel):
fan_in = in * prod(kernel), fan_out = out * prod(kernel).
"""

import math

import lucid
from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain", "calculate_fan_in_and_fan_out", "uniform_", "normal_", "constant_",
    "ones_", "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "trunc_normal_", "uniform", "normal", "constant",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
]


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for a nonlinearity (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not isinstance(slope, (int, float)) or isinstance(slope, bool):
            raise ValueError(f"negative_slope {slope} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight laid out (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape "
                         f"{tuple(tensor.shape)}")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init functions take a Tensor, got {type(tensor).__name__}")
    with no_grad():
        tensor._data[...] = values._data.astype(tensor._data.dtype, copy=False)
        tensor._bump_version()
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    return _fill(tensor, lucid.random.uniform(a, b, tensor.shape, device=tensor.device,
                                              dtype="float64", generator=generator))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    return _fill(tensor, lucid.random.normal(mean, std, tensor.shape, device=tensor.device,
                                             dtype="float64", generator=generator))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) conditioned on [a, b]: draws outside are redrawn (rejection
    sampling, exact in distribution)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    values = lucid.random.normal(mean, std, tensor.shape, dtype="float64", device=tensor.device,
                                 generator=generator)
    outside = (values < a) | (values > b)
    for _ in range(1000):
        if not outside.any().item():
            break
        redraw = lucid.random.normal(mean, std, tensor.shape, dtype="float64",
                                     device=tensor.device, generator=generator)
        values = lucid.where(outside, redraw, values)
        outside = (values < a) | (values > b)
    return _fill(tensor, lucid.clip(values, a, b))


def constant_(tensor, val):
    return _fill(tensor, lucid.full(tensor.shape, val, dtype="float64", device=tensor.device))


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """The identity matrix (2-D tensors)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_ needs a 2-D tensor, got shape {tuple(tensor.shape)}")
    return _fill(tensor, lucid.eye(*tensor.shape, dtype="float64", device=tensor.device))


def dirac_(tensor, groups=1):
    """The identity convolution: weight[g*o + i, i, centre] = 1 for each group."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_ needs a 3-, 4- or 5-D tensor, got shape {tuple(tensor.shape)}")
    out_per_group = tensor.shape[0] // groups
    n = min(out_per_group, tensor.shape[1])
    values = lucid.zeros(tensor.shape, dtype="float64", device=tensor.device)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for i in range(n):
            values._data[(g * out_per_group + i, i) + centre] = 1.0
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain sqrt(3 / fan) (He et al.; gain from ``nonlinearity`` and ``a``)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def init_linear_like_(weight, bias=None):
    """PyTorch's default init of a Linear or convolution layer, in place: W by
    ``kaiming_uniform_(a=sqrt(5))``, which is exactly U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
    the bias (if not None) from the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in of W's
    (out, in, *kernel) layout; a layer with fan_in 0 gets a zero bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw (signs fixed so
    the distribution is uniform), scaled by ``gain``; higher-D tensors are flattened to 2-D."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got shape "
                         f"{tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = lucid.random.normal(0.0, 1.0, (rows, cols), dtype="float64", device=tensor.device,
                               generator=generator)
    xp = flat._backend.xp
    a = flat._data.T if rows < cols else flat._data
    q, r = xp.linalg.qr(a)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    values = Tensor._make((gain * q).reshape(tensor.shape), flat._backend, False, None, 0)
    return _fill(tensor, values)


# Lucid's names: no underscore, no return value
def uniform(tensor, a=0.0, b=1.0):
    uniform_(tensor, a, b)


def normal(tensor, mean=0.0, std=1.0):
    normal_(tensor, mean, std)


def constant(tensor, val):
    constant_(tensor, val)


def xavier_uniform(tensor, gain=1.0):
    xavier_uniform_(tensor, gain)


def xavier_normal(tensor, gain=1.0):
    xavier_normal_(tensor, gain)


def kaiming_uniform(tensor, mode="fan_in"):
    """Lucid's form: bound sqrt(6 / fan), i.e. the ReLU gain."""
    kaiming_uniform_(tensor, 0.0, mode, "relu")


def kaiming_normal(tensor, mode="fan_in"):
    kaiming_normal_(tensor, 0.0, mode, "relu")
