"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``,
``GroupNorm``, ``RMSNorm``, ``GlobalResponseNorm``.

Each is a thin module around one fused op of ``lucid.nn.functional`` (its math and gradient are
written there). Scales start at 1 and shifts at 0; running means at 0 and running variances at 1
(Lucid 2 had the two swapped, so a fresh BatchNorm in eval mapped every input to ~0).
"""

import warnings

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import ones, zeros

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "RMSNorm", "GlobalResponseNorm"]


def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(n) for n in normalized_shape)


def _register_affine(module, shape, affine, bias, device, dtype):
    """Give ``module`` its learnable scale ``weight`` (init 1) and shift ``bias`` (init 0), both
    of ``shape``, when ``affine``; ``bias=False`` keeps only the scale. What is not kept is
    registered as None (as in PyTorch), so ``layer.bias is None`` can be asked of any layer."""
    if affine:
        module.weight = Parameter(ones(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(zeros(shape, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


def _reset_affine(module):
    """weight <- 1 and bias <- 0, for those ``module`` keeps."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """What batch and instance norm share: per-channel ``weight`` (init 1) and ``bias`` (init
    0) of shape (C,) when ``affine`` (``bias=False`` keeps only the weight), and the buffers
    ``running_mean`` (init 0), ``running_var`` (init 1) and ``num_batches_tracked`` when
    ``track_running_stats``, named and ordered as in PyTorch so state_dicts match."""

    _ndims = ()  # the input ranks this layer accepts (set by each subclass)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got "
                             f"{num_features!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got "
                             f"{momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        device = device or "cpu"
        _register_affine(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked",
                                 zeros((), dtype="int64", device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean <- 0, running_var <- 1, num_batches_tracked <- 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"{type(self).__name__} expects a Tensor, got {type(x).__name__}")
        if x.ndim not in self._ndims:
            ranks = " or ".join(f"{n}-D" for n in self._ndims)
            raise ValueError(f"{type(self).__name__} expects {ranks} input, got shape "
                             f"{tuple(x.shape)}")

    def _momentum_factor(self):
        """The weight of this batch in the running averages: ``momentum``, or 1/n for the n-th
        batch when momentum is None (a cumulative average)."""
        if self.momentum is None:
            return 1.0 / (int(self.num_batches_tracked.item()) + 1)
        return self.momentum

    def _count_batch(self):
        self.num_batches_tracked._data += 1
        self.num_batches_tracked._bump_version()

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalisation, one mean and variance per channel over (N, *spatial).

    x: (N, C, *S) -> y of the same shape; y = (x - mean) / sqrt(var + eps) * weight + bias.
    In training the batch's statistics (biased variance) normalise, and the running statistics
    move towards them: running <- (1 - momentum) running + momentum batch (the unbiased variance
    for running_var); momentum=None makes that a cumulative average over all batches seen. In
    eval the running statistics normalise. With track_running_stats=False the batch's statistics
    are used in both modes.
    """

    def forward(self, x):
        self._check_input(x)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__} expected {self.num_features} channels "
                             f"(axis 1), got input of shape {tuple(x.shape)}")
        update = self.training and self.track_running_stats
        factor = self._momentum_factor() if update else 0.0
        # the batch's statistics in training, and in eval too when none are tracked
        use_batch = self.training or self.running_mean is None
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           use_batch, factor, self.eps)
        if update:  # counted only once the batch went through (a bad input changes nothing)
            self._count_batch()
        return out


class BatchNorm1d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__ + "\n    Input (N, C) or (N, C, L) (Lucid 2 rejected (N, C)).\n"
    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__ + "\n    Input (N, C, H, W).\n"
    _ndims = (4,)


class BatchNorm3d(_BatchNorm):
    __doc__ = _BatchNorm.__doc__ + "\n    Input (N, C, D, H, W).\n"
    _ndims = (5,)


class _InstanceNorm(_NormBase):
    """Instance normalisation: each sample's channel normalised over its own spatial positions.

    x: (N, C, *S) or unbatched (C, *S) -> same shape. Defaults follow PyTorch: affine=False,
    track_running_stats=False. With track_running_stats the running statistics follow the batch
    average of the instance statistics in training and normalise in eval. momentum=None gives a
    cumulative average, as for batch norm, and only then is num_batches_tracked counted
    (PyTorch never counts it here, and with momentum=None freezes the running statistics).
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def forward(self, x):
        self._check_input(x)
        unbatched = x.ndim == self._ndims[0]
        channels = x.shape[0] if unbatched else x.shape[1]
        if channels != self.num_features:
            message = (f"{type(self).__name__} expected {self.num_features} channels, got input "
                       f"of shape {tuple(x.shape)}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(message + " (num_features is unused without affine parameters or "
                          "running statistics)")
        if unbatched:
            x = x.reshape((1,) + tuple(x.shape))
        update = self.training and self.track_running_stats
        factor = self._momentum_factor() if update else 0.0
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, factor, self.eps)
        if update and self.momentum is None:
            self._count_batch()
        return out.reshape(tuple(out.shape[1:])) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _InstanceNorm.__doc__ + "\n    Input (N, C, L) or (C, L).\n"
    _ndims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _InstanceNorm.__doc__ + "\n    Input (N, C, H, W) or (C, H, W).\n"
    _ndims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _InstanceNorm.__doc__ + "\n    Input (N, C, D, H, W) or (C, D, H, W).\n"
    _ndims = (4, 5)


class LayerNorm(Module):
    """Layer normalisation over the trailing axes ``normalized_shape`` (D).

    x: (*, *D) -> same shape; y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over
    the D elements of each leading position (biased variance). weight (init 1) and bias (init 0)
    have shape D when ``elementwise_affine``; ``bias=False`` keeps only the scale.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, device or "cpu",
                         dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        dims = self.normalized_shape
        if x.ndim < len(dims) or tuple(x.shape[x.ndim - len(dims):]) != dims:
            raise ValueError(f"LayerNorm expected an input whose trailing shape is "
                             f"{dims}, got shape {tuple(x.shape)}")
        return F.layer_norm(x, dims, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: the C channels split into ``num_groups`` groups; each (sample,
    group) is normalised over its C/G channels and all spatial positions.

    x: (N, C, *) -> same shape; weight (init 1) and bias (init 0) of shape (C,), one per
    channel, when ``affine``. num_channels must be divisible by num_groups.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _register_affine(self, num_channels, affine, bias, device or "cpu", dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm expected an input (N, {self.num_channels}, *), got "
                             f"shape {tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing axes ``normalized_shape`` (D).

    x: (*, *D) -> same shape; y = x / sqrt(mean(x^2) + eps) * weight, no centring, no bias.
    weight (init 1) of shape D when ``elementwise_affine``. eps=None: the machine epsilon of
    the input's dtype (PyTorch's default).
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype,
                                         device=device or "cpu"))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        dims = self.normalized_shape
        if x.ndim < len(dims) or tuple(x.shape[x.ndim - len(dims):]) != dims:
            raise ValueError(f"RMSNorm expected an input whose trailing shape is "
                             f"{dims}, got shape {tuple(x.shape)}")
        return F.rms_norm(x, dims, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GlobalResponseNorm(Module):
    """Global response normalisation (ConvNeXt-V2), channels first.

    x: (N, C, *S) -> same shape. G = ||x||_2 over S per (sample, channel),
    N = G / (mean over channels of G + eps), y = gamma * (x * N) + beta + x.
    gamma and beta have shape (1, C, 1, 1) and start at 0, so the layer starts as the identity.
    """

    def __init__(self, channels, eps=1e-6, device=None, dtype=None):
        super().__init__()
        self.channels, self.eps = channels, eps
        device = device or "cpu"
        self.gamma = Parameter(zeros((1, channels, 1, 1), dtype=dtype, device=device))
        self.beta = Parameter(zeros((1, channels, 1, 1), dtype=dtype, device=device))

    def reset_parameters(self):
        init.zeros_(self.gamma)
        init.zeros_(self.beta)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"GlobalResponseNorm expected an input (N, {self.channels}, H, W), "
                             f"got shape {tuple(x.shape)}")
        return F.global_response_norm(x, self.gamma, self.beta, self.eps)

    def extra_repr(self):
        return f"{self.channels}, eps={self.eps}"
