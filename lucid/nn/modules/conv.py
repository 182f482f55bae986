"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, ``Unfold``, ``Fold``.

Each is a thin module around one fused op of ``lucid.nn.functional`` (im2col + one batched GEMM;
the math is written in ``functional/_conv.py``). Weights start as PyTorch's:
W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and b ~ the same
bound, with fan_in = weight.shape[1] * prod(kernel_size).
"""

from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional._conv import _conv_padding, ntuple
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import empty

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "Unfold", "Fold"]


class _ConvBase(Module):
    """What convolutions and transposed convolutions share: checked sizes, the parameters, the
    init and the repr. ``_n`` is the number of spatial axes."""

    _n = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, output_padding=0, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._n
        for label, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {label} must be a positive int, got {value!r}")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        modes = ("zeros",) if self._transposed else _PADDING_MODES
        if padding_mode not in modes:
            raise ValueError(f"{name}: padding_mode must be one of {modes}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, n, "kernel_size")
        self.stride = ntuple(stride, n, "stride")
        self.dilation = ntuple(dilation, n, "dilation")
        if any(v <= 0 for v in self.kernel_size + self.stride + self.dilation):
            raise ValueError(f"{name}: kernel_size {self.kernel_size}, stride {self.stride} and "
                             f"dilation {self.dilation} must be positive")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == "same" and not self._transposed and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1, got {self.stride}")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding")
        self.output_padding = ntuple(output_padding, n, "output_padding")
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        device = device or "cpu"
        self.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.init_linear_like_(self.weight, self.bias)  # U(±1/sqrt(fan_in)), PyTorch's default

    def _check_channels(self, x):
        n = self._n
        if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expected input (B, {self.in_channels}, "
                             f"{_spatial(n)}) with {self.in_channels} channels, got shape "
                             f"{tuple(x.shape)}")

    def extra_repr(self):
        n = self._n
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"  # (unquoted, as PyTorch prints it)
        return text


# PyTorch's padding modes for a convolution (a transposed one has only zeros); the others pad
# with F.pad's modes of those names, then convolve unpadded
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _spatial(n):
    return ", ".join(("D", "H", "W")[3 - n:])


class _ConvNd(_ConvBase):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, 0, padding_mode, device, dtype)

    def forward(self, x):
        self._check_channels(x)
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._n - 1]
        padding = self.padding
        if self.padding_mode != "zeros":
            pairs = _conv_padding(padding, self.kernel_size, self.stride, self.dilation, self._n,
                                  type(self).__name__)
            amounts = tuple(v for pair in reversed(pairs) for v in pair)  # last axis first
            x = F.pad(x, amounts, mode=self.padding_mode)
            padding = 0
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution: (B, C_in, L) -> (B, C_out, L_out), L_out = floor((L + 2p - d(k-1) - 1)/s)
    + 1; weight (C_out, C_in/groups, k), bias (C_out,). See ``Conv2d``."""

    _n = 1


class Conv2d(_ConvNd):
    """2-D convolution: y[b,o,h,w] = b_o + sum_{c,i,j} W[o,c,i,j] x_pad[b, c, hs + id, ws + jd].

    x: (B, C_in, H, W) or (C_in, H, W) -> (B, C_out, H_out, W_out) with
    H_out = floor((H + 2p - d(kH - 1) - 1)/s) + 1. weight: (C_out, C_in/groups, kH, kW); bias:
    (C_out,). ``padding``: int, pair, "same" (stride 1) or "valid"; ``groups`` splits channels
    into independent convolutions (groups = C_in is depthwise). W and b start from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in/groups * kH * kW, as in PyTorch. A wrong
    channel count raises ValueError naming the expected and the actual size.
    """

    _n = 2


class Conv3d(_ConvNd):
    """3-D convolution: (B, C_in, D, H, W) -> (B, C_out, D_out, H_out, W_out); weight
    (C_out, C_in/groups, kD, kH, kW). See ``Conv2d``."""

    _n = 3


class _ConvTransposeNd(_ConvBase):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding, padding_mode, device, dtype)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if not 0 <= op < max(s, d):
                raise ValueError(f"{type(self).__name__}: output_padding {self.output_padding} "
                                 f"must be smaller than stride {self.stride} or dilation "
                                 f"{self.dilation}")

    def forward(self, x, output_size=None):
        self._check_channels(x)
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._n - 1]
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                    self.groups, self.dilation, output_size=output_size)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (B, C_in, L) -> (B, C_out, L_out),
    L_out = (L - 1) s - 2p + d(k - 1) + output_padding + 1; weight (C_in, C_out/groups, k).
    See ``ConvTranspose2d``."""

    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution, the gradient of ``Conv2d`` with respect to its input.

    x: (B, C_in, H, W) -> (B, C_out, H_out, W_out), H_out = (H - 1) s - 2p + d(kH - 1) +
    output_padding + 1; weight: (C_in, C_out/groups, kH, kW); bias: (C_out,). Init as PyTorch's
    (fan_in = C_out/groups * kH * kW). Arguments in PyTorch's order (..., output_padding, groups,
    bias, dilation); Lucid 2 put dilation before groups, so pass those by keyword.
    ``forward(x, output_size=None)`` may pick the output size as in PyTorch.
    """

    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (B, C_in, D, H, W) -> (B, C_out, D_out, H_out, W_out); weight
    (C_in, C_out/groups, kD, kH, kW). See ``ConvTranspose2d``."""

    _n = 3


class Unfold(Module):
    """Sliding blocks (im2col): (B, C, *S) -> (B, C * prod(kernel_size), L). Lucid's argument
    order (kernel_size, stride, padding, dilation); PyTorch's puts dilation second, so pass
    those by keyword."""

    def __init__(self, kernel_size, stride=1, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.dilation = padding, dilation

    def forward(self, x):
        return F.unfold(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """The adjoint of ``Unfold`` (col2im): (B, C * prod(kernel_size), L) -> (B, C, *output_size),
    overlapping entries added."""

    def __init__(self, output_size, kernel_size, stride=1, padding=0, dilation=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x):
        return F.fold(x, self.output_size, self.kernel_size, self.stride, self.padding,
                      self.dilation)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
