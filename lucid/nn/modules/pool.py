"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``.

Thin modules around ``lucid.nn.functional``'s pools (strided windows, no loop over output
positions; the math is in ``functional/_pool.py``). Lucid's defaults are kept for
``kernel_size=1`` and ``padding=0``, but ``stride=None`` means stride = kernel_size as in
PyTorch (Lucid 2 defaulted to stride 1), since code ported from PyTorch relies on it.
"""

from lucid.nn import functional as F
from lucid.nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d"]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size=1, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling: (B, C, L) -> (B, C, L_out); see ``MaxPool2d``."""

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling: y[b, c, h, w] = max_{i, j} x_pad[b, c, h s + i d, w s + j d].

    (B, C, H, W) -> (B, C, H_out, W_out), H_out = floor((H + 2p - d(k - 1) - 1)/s) + 1 (ceil
    with ``ceil_mode``). The padding counts as -inf (Lucid 2 padded with zeros). ``stride=None``
    means stride = kernel_size, as in PyTorch (Lucid 2 defaulted to 1). ``return_indices`` also
    returns each maximum's flat index h*W + w.
    """

    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling: (B, C, D, H, W) -> (B, C, D_out, H_out, W_out); see ``MaxPool2d``."""

    _fn = staticmethod(F.max_pool3d)


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size=1, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return type(self)._fn(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling: (B, C, L) -> (B, C, L_out); see ``AvgPool2d``."""

    _fn = staticmethod(F.avg_pool1d)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling: y[b, c, h, w] = sum_{i, j} x_pad[b, c, h s + i, w s + j] / n.

    (B, C, H, W) -> (B, C, H_out, W_out), H_out = floor((H + 2p - k)/s) + 1 (ceil with
    ``ceil_mode``); n counts the window within the padded input (``count_include_pad=True``) or
    within the input, or is ``divisor_override``. ``stride=None`` means stride = kernel_size, as
    in PyTorch (Lucid 2 defaulted to 1).
    """

    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling: (B, C, D, H, W) -> (B, C, D_out, H_out, W_out); see ``AvgPool2d``."""

    _fn = staticmethod(F.avg_pool3d)


class _AdaptiveAvgPoolNd(Module):
    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return type(self)._fn(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """(B, C, L) -> (B, C, output_size): bin r averages x[floor(r L/o) : ceil((r+1) L/o)]."""

    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """(B, C, H, W) -> (B, C, oH, oW): each output averages its bin [floor(r H/oH),
    ceil((r+1) H/oH)) x [...]; None in output_size keeps that axis. (1, 1) is global pooling."""

    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """(B, C, D, H, W) -> (B, C, oD, oH, oW); see ``AdaptiveAvgPool2d``."""

    _fn = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    _fn = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return type(self)._fn(x, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """(B, C, L) -> (B, C, output_size): the max of each bin (see ``AdaptiveAvgPool1d``)."""

    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """(B, C, H, W) -> (B, C, oH, oW): the max of each bin (see ``AdaptiveAvgPool2d``);
    ``return_indices`` also returns each maximum's flat index h*W + w."""

    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """(B, C, D, H, W) -> (B, C, oD, oH, oW); see ``AdaptiveMaxPool2d``."""

    _fn = staticmethod(F.adaptive_max_pool3d)
