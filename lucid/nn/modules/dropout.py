"""Dropout layers: random zeroing while ``training``, the identity in ``eval()`` mode.

Each calls the function of the same name in ``lucid.nn.functional`` with ``self.training``.
"""

from lucid.nn import functional as F
from lucid.nn.functional._dropout import _check_p
from lucid.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "DropBlock",
           "DropPath"]


class _DropoutBase(Module):
    _fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = _check_p(p, type(self).__name__)
        self.inplace = inplace

    def forward(self, x):
        return type(self)._fn(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")


class Dropout(_DropoutBase):
    """Zeroes each element with probability p while training and scales the rest by
    1/(1 - p); the identity in eval mode. (*) -> (*)."""

    _fn = staticmethod(F.dropout)


class Dropout1d(_DropoutBase):
    """Zeroes whole channels of (N, C, L) or (C, L) with probability p while training."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutBase):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) with probability p while training."""

    _fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutBase):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""

    _fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutBase):
    """Dropout that keeps a SELU network's mean 0 and variance 1 (see F.alpha_dropout)."""

    _fn = staticmethod(F.alpha_dropout)


class DropBlock(Module):
    """Zeroes blocks of ``block_size`` (per spatial axis) of each feature map of
    (N, C, *spatial) while training, about a fraction p of it, and rescales the rest."""

    def __init__(self, block_size, p=0.1, eps=1e-7):
        super().__init__()
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"DropBlock: block_size must be a positive int, got {block_size!r}")
        self.block_size, self.p, self.eps = block_size, _check_p(p, "DropBlock"), eps

    def forward(self, x):
        return F.drop_block(x, self.block_size, self.p, self.eps, self.training)

    def extra_repr(self):
        return f"block_size={self.block_size}, p={self.p}"


class DropPath(Module):
    """Stochastic depth: zeroes the whole of each sample with probability ``drop_prob`` while
    training (kept samples scaled by 1/(1 - drop_prob) when ``scale_by_keep``); the identity
    in eval mode."""

    def __init__(self, drop_prob=0.1, scale_by_keep=True):
        super().__init__()
        self.drop_prob = _check_p(drop_prob, "DropPath")
        self.scale_by_keep = scale_by_keep

    def forward(self, x):
        return F.drop_path(x, self.drop_prob, self.scale_by_keep, self.training)

    def extra_repr(self):
        return f"drop_prob={self.drop_prob}" + ("" if self.scale_by_keep else
                                                ", scale_by_keep=False")
