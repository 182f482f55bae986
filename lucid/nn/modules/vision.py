"""Resampling layers: ``Upsample`` (and PyTorch's ``UpsamplingNearest2d``,
``UpsamplingBilinear2d``), ``PixelShuffle``, ``PixelUnshuffle``.

Thin modules around ``lucid.nn.functional.interpolate`` and ``pixel_shuffle``, whose math (and
agreement with PyTorch) is written in ``functional/_vision.py``.
"""

from lucid.nn import functional as F
from lucid.nn.module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle"]


class Upsample(Module):
    """Resize (B, C, *S) to ``size`` or to floor(S * scale_factor) with ``F.interpolate``.

    ``mode``: "nearest" (the default, as in Lucid and PyTorch), "nearest-exact", "linear",
    "bilinear", "bicubic", "trilinear" or "area"; ``align_corners`` for the interpolating modes.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError(f"Upsample: give exactly one of size and scale_factor (got "
                             f"size={size!r}, scale_factor={scale_factor!r})")
        self.size, self.scale_factor = size, scale_factor
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        return F.interpolate(x, self.size, self.mode, self.align_corners,
                             scale_factor=self.scale_factor,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        what = (f"scale_factor={self.scale_factor}" if self.scale_factor is not None
                else f"size={self.size}")
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """PyTorch's nearest-neighbour 2-D upsampling: ``Upsample(mode="nearest")``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """PyTorch's bilinear 2-D upsampling: ``Upsample(mode="bilinear", align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(B, C r^2, H, W) -> (B, C, H r, W r): sub-pixel upsampling,
    y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(B, C, H r, W r) -> (B, C r^2, H, W): the inverse of ``PixelShuffle``."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
