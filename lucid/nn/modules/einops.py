"""einops patterns as layers: ``Rearrange`` and ``Reduce`` (as ``einops.layers`` has them), so a
pattern can sit inside a ``Sequential``: ``Sequential(Conv2d(3, 8, 3), Rearrange("b c h w ->
b (c h w)"), Linear(...))``. The pattern grammar is ``lucid.einops``'s."""

from lucid import einops
from lucid.nn.module import Module

__all__ = ["Rearrange", "Reduce"]


def _repr(pattern, axes_lengths, extra=""):
    text = repr(pattern) + extra
    for name, length in axes_lengths.items():
        text += f", {name}={length}"
    return text


class Rearrange(Module):
    """``einops.rearrange(x, pattern, **axes_lengths)`` as a layer (no parameters).

    A pattern without ``->`` is rejected when the layer is built; the rest of the pattern is
    checked against the input's shape at each call.
    """

    def __init__(self, pattern, **axes_lengths):
        super().__init__()
        if not isinstance(pattern, str) or "->" not in pattern:
            raise einops.EinopsError(f"Rearrange needs a pattern 'left -> right', got "
                                     f"{pattern!r}")
        self.pattern, self.axes_lengths = pattern, dict(axes_lengths)

    def forward(self, x):
        return einops.rearrange(x, self.pattern, **self.axes_lengths)

    def extra_repr(self):
        return _repr(self.pattern, self.axes_lengths)


class Reduce(Module):
    """``einops.reduce(x, pattern, reduction, **axes_lengths)`` as a layer (no parameters):
    ``Reduce("b c h w -> b c", "mean")`` is global average pooling."""

    def __init__(self, pattern, reduction, **axes_lengths):
        super().__init__()
        if not isinstance(pattern, str) or "->" not in pattern:
            raise einops.EinopsError(f"Reduce needs a pattern 'left -> right', got {pattern!r}")
        self.pattern, self.reduction = pattern, reduction
        self.axes_lengths = dict(axes_lengths)

    def forward(self, x):
        return einops.reduce(x, self.pattern, self.reduction, **self.axes_lengths)

    def extra_repr(self):
        return _repr(self.pattern, self.axes_lengths, f", {self.reduction!r}")
