"""Lucid's compound blocks: ``ConvBNReLU1d/2d/3d``, ``DepthSeparableConv1d/2d/3d``, ``SEModule``,
``SelectiveKernel``.

Each is a small composition of ``Conv``, ``BatchNorm``, ``Linear`` and activations, with
Lucid's sub-module names (``conv``/``bn``/``relu``, ``depthwise``/``pointwise``, ``fc1``/``fc2``,
``branches``/``attention``) so their state_dicts keep Lucid's keys. Their speed comes from the
fused layers inside (im2col conv, fused batch norm).
"""

import lucid
from lucid.nn.module import Module
from lucid.nn.containers import ModuleList, Sequential
from lucid.nn.modules.activation import ReLU, Sigmoid
from lucid.nn.modules.conv import Conv1d, Conv2d, Conv3d
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from lucid.nn.modules.pool import AdaptiveAvgPool2d

__all__ = ["ConvBNReLU1d", "ConvBNReLU2d", "ConvBNReLU3d", "DepthSeparableConv1d",
           "DepthSeparableConv2d", "DepthSeparableConv3d", "SEModule", "SelectiveKernel"]

_CONV = {1: Conv1d, 2: Conv2d, 3: Conv3d}
_BN = {1: BatchNorm1d, 2: BatchNorm2d, 3: BatchNorm3d}


class _ConvBNReLU(Module):
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, conv_bias=True, eps=1e-5, momentum=0.1, bn_affine=True,
                 track_running_stats=True):
        super().__init__()
        self.conv = _CONV[self._n](in_channels, out_channels, kernel_size, stride, padding,
                                   dilation, groups, conv_bias)
        self.bn = _BN[self._n](out_channels, eps, momentum, bn_affine, track_running_stats)
        self.relu = ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class ConvBNReLU1d(_ConvBNReLU):
    """relu(BatchNorm1d(Conv1d(x))): (B, C_in, L) -> (B, C_out, L_out). The conv takes the
    ``Conv1d`` arguments (``conv_bias`` is its ``bias``), the norm ``eps``, ``momentum``,
    ``bn_affine`` and ``track_running_stats``."""

    _n = 1


class ConvBNReLU2d(_ConvBNReLU):
    """relu(BatchNorm2d(Conv2d(x))): (B, C_in, H, W) -> (B, C_out, H_out, W_out), the standard
    CNN stage. The conv takes the ``Conv2d`` arguments (``conv_bias`` is its ``bias``), the norm
    ``eps``, ``momentum``, ``bn_affine`` (its ``affine``) and ``track_running_stats``."""

    _n = 2


class ConvBNReLU3d(_ConvBNReLU):
    """relu(BatchNorm3d(Conv3d(x))): (B, C_in, D, H, W) -> (B, C_out, D', H', W')."""

    _n = 3


class _DepthSeparableConv(Module):
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True):
        super().__init__()
        conv = _CONV[self._n]
        self.depthwise = conv(in_channels, in_channels, kernel_size, stride, padding, dilation,
                              groups=in_channels, bias=bias)
        self.pointwise = conv(in_channels, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class DepthSeparableConv1d(_DepthSeparableConv):
    """A depthwise Conv1d (one k-tap filter per channel, groups = C_in) then a pointwise 1x1
    Conv1d mixing channels: (B, C_in, L) -> (B, C_out, L_out) with about
    C_in (k + C_out) weights instead of C_in C_out k."""

    _n = 1


class DepthSeparableConv2d(_DepthSeparableConv):
    """A depthwise Conv2d (groups = C_in) then a pointwise 1x1 Conv2d (MobileNet's block):
    (B, C_in, H, W) -> (B, C_out, H_out, W_out); C_in (kH kW + C_out) weights instead of
    C_in C_out kH kW."""

    _n = 2


class DepthSeparableConv3d(_DepthSeparableConv):
    """A depthwise Conv3d (groups = C_in) then a pointwise 1x1x1 Conv3d."""

    _n = 3


class SEModule(Module):
    """Squeeze-and-excitation (Hu et al.): y = x * sigmoid(W2 relu(W1 mean(x) + b1) + b2).

    x: (B, C, *spatial) -> same shape; the mean is over the spatial axes, W1: (C/r, C),
    W2: (C, C/r) (``fc1``, ``fc2``), r = ``reduction``. Lucid 2 took only 4-D input; any input
    with spatial axes works here.
    """

    def __init__(self, in_channels, reduction=16):
        super().__init__()
        hidden = in_channels // reduction
        if hidden < 1:
            raise ValueError(f"SEModule: in_channels // reduction must be at least 1, got "
                             f"{in_channels} // {reduction} = {hidden}")
        self.in_channels, self.reduction = in_channels, reduction
        self.fc1 = Linear(in_channels, hidden)
        self.fc2 = Linear(hidden, in_channels)
        self.relu = ReLU()
        self.sigmoid = Sigmoid()

    def forward(self, x):
        if x.ndim < 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"SEModule expected input (B, {self.in_channels}, *spatial), got "
                             f"shape {tuple(x.shape)}")
        spatial = tuple(range(2, x.ndim))
        squeezed = x.mean(axis=spatial)  # (B, C)
        scale = self.sigmoid(self.fc2(self.relu(self.fc1(squeezed))))
        return x * scale.reshape(tuple(scale.shape) + (1,) * len(spatial))


class SelectiveKernel(Module):
    """Selective kernel convolution (Li et al., SKNet), 2-D.

    Branch k convolves x with kernel size ``kernel_sizes[k]`` (padding ks // 2 unless
    ``padding`` is given, no bias): U_k (B, C_out, H', W'). The attention reads the fused
    U = sum_k U_k: s = mean over space, z = relu(BN(W_z s)) with C_out / ``reduction`` units,
    then one logit per branch *and channel*, a_k = softmax over k of (W_a z)[k, c], and the
    output is sum_k a_k * U_k. As in the paper the selection is per channel; Lucid 2 computed a
    single weight per branch (its last 1x1 conv had len(kernel_sizes) outputs, here
    len(kernel_sizes) * C_out).
    """

    def __init__(self, in_channels, out_channels, kernel_sizes, stride=1, padding=None,
                 groups=1, reduction=16):
        super().__init__()
        kernel_sizes = list(kernel_sizes)
        if not kernel_sizes:
            raise ValueError("SelectiveKernel: kernel_sizes must not be empty")
        hidden = out_channels // reduction
        if hidden < 1:
            raise ValueError(f"SelectiveKernel: out_channels // reduction must be at least 1, "
                             f"got {out_channels} // {reduction} = {hidden}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_sizes = kernel_sizes
        self.branches = ModuleList([
            Conv2d(in_channels, out_channels, ks, stride=stride,
                   padding=ks // 2 if padding is None else padding, groups=groups, bias=False)
            for ks in kernel_sizes])
        self.attention = Sequential(
            AdaptiveAvgPool2d((1, 1)),
            Conv2d(out_channels, hidden, 1, bias=False),
            BatchNorm2d(hidden),
            ReLU(),
            Conv2d(hidden, len(kernel_sizes) * out_channels, 1, bias=False),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"SelectiveKernel expected input (B, {self.in_channels}, H, W), got "
                             f"shape {tuple(x.shape)}")
        outs = lucid.stack([branch(x) for branch in self.branches], axis=1)  # (B, K, C, H, W)
        logits = self.attention(outs.sum(axis=1))  # (B, K * C, 1, 1)
        logits = logits.reshape((x.shape[0], len(self.kernel_sizes), self.out_channels, 1, 1))
        weights = lucid.nn.functional.softmax(logits, 1)
        return (outs * weights).sum(axis=1)
