"""Dense layers: ``Identity``, ``Flatten``, ``Unflatten``, ``Linear``, ``Bilinear``."""

import math

from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import empty, flatten, reshape

__all__ = ["Identity", "Flatten", "Unflatten", "Linear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged (accepts and ignores constructor arguments)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Flattens axes start_axis..end_axis into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_axis=1, end_axis=-1, *, start_dim=None, end_dim=None):
        super().__init__()
        self.start_axis = start_axis if start_dim is None else start_dim
        self.end_axis = end_axis if end_dim is None else end_dim

    def forward(self, x):
        return flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self):
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Unflatten(Module):
    """Splits axis ``axis`` into ``sizes``: (N, 12) -> (N, 3, 4) with sizes (3, 4)."""

    def __init__(self, axis, sizes):
        super().__init__()
        self.axis, self.sizes = axis, tuple(sizes)

    def forward(self, x):
        axis = self.axis % x.ndim
        return reshape(x, tuple(x.shape[:axis]) + self.sizes + tuple(x.shape[axis + 1:]))

    def extra_repr(self):
        return f"axis={self.axis}, sizes={self.sizes}"


class Linear(Module):
    """y = x W^T + b.

    x: (*, in_features) -> y: (*, out_features); W: (out_features, in_features), b:
    (out_features,). W and b start from U(-1/sqrt(in_features), 1/sqrt(in_features)), as in
    PyTorch (Lucid 2 used the output size here by mistake).
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, device=None):
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear sizes must be non-negative, got ({in_features}, "
                             f"{out_features})")
        self.in_features, self.out_features = in_features, out_features
        device = device or "cpu"
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.init_linear_like_(self.weight, self.bias)  # U(±1/sqrt(in_features)) for both

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear expected input with {self.in_features} features in its last "
                             f"axis, got shape {tuple(x.shape)}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k; W: (out, in1, in2), init U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features))
        if bias:
            self.bias = Parameter(empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x1, x2):
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
