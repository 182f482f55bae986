"""Dropout family: random masks that zero parts of the input while training.

Every function takes ``training`` (default True in the functional form; the modules pass their
own ``self.training``) and is the identity when it is False, or when p = 0. Masks are drawn from
``lucid.random``'s seeded generator on the input's device, so ``lucid.random.seed`` makes them
reproducible. The output is x * m with a constant mask m (kept entries scaled by 1/(1 - p), so
the expected value is unchanged), hence the gradient is grad * m and double backward is free.
p = 1 drops everything and gives zeros (and zero gradients), as in PyTorch.

- ``dropout``: each element kept with probability 1 - p.
- ``dropout1d/2d/3d``: whole channels, the mask is (N, C, 1, ...) for input (N, C, *spatial)
  or (C, 1, ...) for an unbatched (C, *spatial) input.
- ``alpha_dropout``: for SELU networks, keeps mean 0 and variance 1 of its input.
- ``drop_block``: contiguous square (cube) blocks of each feature map (Ghiasi et al., 2018).
- ``drop_path``: whole samples of a residual branch (stochastic depth, Huang et al., 2016).
"""

from lucid.autograd.function import Function
from lucid.nn.functional._activation import _run
from lucid.random import rand

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "drop_block",
           "drop_path"]

_SELU_NEG = 1.7580993408473766  # -scale * alpha of SELU: the value a dropped unit takes


def _check_p(p, name="dropout"):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{name} probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def _keep_mask(input_, shape, p):
    """A raw boolean array of ``shape``, True with probability 1 - p (float64 draws, so that
    rounding to float32 never turns a draw into 1.0)."""
    draws = rand(shape, dtype="float64", device=input_.device)._data
    return draws >= p


class Masked(Function):
    """x * m for a constant array m (broadcasting up to x's shape); the gradient is grad * m.
    Unlike a general product it saves nothing of x, so it may overwrite x in place."""

    def forward(ctx, x, mask):
        ctx.mask = mask
        return x * mask

    def backward(ctx, grad):
        return grad * ctx.mask


def _apply_mask(input_, keep, scale, inplace):
    mask = keep.astype(input_._data.dtype) * scale
    return _run(input_, lambda t: Masked.apply(t, mask=mask), inplace)


def dropout(input_, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1 - p). (*) -> (*)."""
    p = _check_p(p)
    if not training or p == 0:
        return input_
    keep = _keep_mask(input_, tuple(input_.shape), p)
    return _apply_mask(input_, keep, 0.0 if p == 1 else 1.0 / (1.0 - p), inplace)


def _channel_dropout(name, spatial, input_, p, training, inplace):
    p = _check_p(p)
    if input_.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{name} expects a {spatial + 2}-D (N, C, ...) or {spatial + 1}-D "
                         f"(C, ...) input, got shape {tuple(input_.shape)}")
    if not training or p == 0:
        return input_
    lead = input_.ndim - spatial  # (N, C) or (C,)
    shape = tuple(input_.shape[:lead]) + (1,) * spatial
    keep = _keep_mask(input_, shape, p)
    return _apply_mask(input_, keep, 0.0 if p == 1 else 1.0 / (1.0 - p), inplace)


def dropout1d(input_, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p; scale the rest by
    1/(1 - p)."""
    return _channel_dropout("dropout1d", 1, input_, p, training, inplace)


def dropout2d(input_, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability p; scale the rest.
    (A 3-D input is one unbatched image, not PyTorch's legacy (N, C, L) reading.)"""
    return _channel_dropout("dropout2d", 2, input_, p, training, inplace)


def dropout3d(input_, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    return _channel_dropout("dropout3d", 3, input_, p, training, inplace)


def alpha_dropout(input_, p=0.5, training=True, inplace=False):
    """Dropout for self-normalising (SELU) networks: a dropped unit is set to SELU's negative
    saturation -alpha' = -1.7581, then a x + b restores mean 0 and variance 1, with
    a = ((1 - p)(1 + p alpha'^2))^-1/2 and b = a alpha' p. The gradient is a * mask.
    (PyTorch's functional form defaults to training=False; Lucid's to True, like dropout.)
    """
    p = _check_p(p, "alpha_dropout")
    if not training or p == 0:
        return input_
    if p == 1:
        return _apply_mask(input_, input_._backend.xp.zeros((), dtype=bool), 0.0, inplace)
    keep = _keep_mask(input_, tuple(input_.shape), p)
    a = 1.0 / ((_SELU_NEG ** 2 * p + 1) * (1 - p)) ** 0.5
    mask = keep.astype(input_._data.dtype)
    shift = (mask - 1) * (_SELU_NEG * a) + _SELU_NEG * a * p
    return _run(input_, lambda t: Masked.apply(t, mask=mask * a) + shift, inplace)


def _dilate(xp, seeds, block_size, spatial_axes):
    """True wherever a block of ``block_size`` along every spatial axis placed on a True seed
    covers the position: the block spans seed - block_size // 2 .. seed + (block_size - 1) //
    2 (centred for an odd size), clipped at the borders. The window is separable, so it is a
    running OR along one axis at a time."""
    before = block_size // 2
    after = block_size - 1 - before
    out = seeds
    for axis in spatial_axes:
        n = out.shape[axis]
        pad = [(0, 0)] * out.ndim
        pad[axis] = (after, before)
        padded = xp.pad(out, pad)
        grown = xp.zeros_like(out)
        for k in range(block_size):  # a running OR over the window: block_size shifted views
            index = [slice(None)] * out.ndim
            index[axis] = slice(k, k + n)
            grown |= padded[tuple(index)]
        out = grown
    return out


def drop_block(input_, block_size, p=0.1, eps=1e-7, training=True):
    """DropBlock: zero ``block_size``-wide blocks (squares for images) of each feature map, then
    rescale by (element count) / (kept count + eps) so the mean activation is unchanged.

    input_: (N, C, *spatial) with at least one spatial axis. Block centres are drawn with
    probability gamma = p / block_size^k * prod(S) / prod(S - block_size + 1) (k spatial axes of
    sizes S), so that about a fraction p of each map is dropped.
    """
    p = _check_p(p, "drop_block")
    if not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"drop_block: block_size must be a positive int, got {block_size!r}")
    if input_.ndim < 3:
        raise ValueError(f"drop_block expects (N, C, *spatial) input, got shape "
                         f"{tuple(input_.shape)}")
    if not training or p == 0:
        return input_
    spatial = tuple(input_.shape[2:])
    gamma = p / block_size ** len(spatial)
    for n in spatial:
        gamma *= n / max(n - block_size + 1, 1)
    seeds = ~_keep_mask(input_, tuple(input_.shape), min(gamma, 1.0))
    xp = input_._backend.xp
    dropped = _dilate(xp, seeds, block_size, range(2, input_.ndim))
    keep = ~dropped
    scale = keep.size / (float(keep.sum()) + eps)
    return Masked.apply(input_, mask=keep.astype(input_._data.dtype) * scale)


def drop_path(input_, p=0.1, scale_by_keep=True, training=True):
    """Stochastic depth: zero the whole input of each sample (axis 0) with probability p, and
    scale the kept samples by 1/(1 - p) when ``scale_by_keep``. (N, *) -> (N, *).
    Identity when not training (Lucid 2 kept dropping in eval)."""
    p = _check_p(p, "drop_path")
    if input_.ndim == 0:
        raise ValueError("drop_path expects a batch axis, got a 0-d tensor")
    if not training or p == 0:
        return input_
    keep = _keep_mask(input_, (input_.shape[0],) + (1,) * (input_.ndim - 1), p)
    scale = 1.0 / (1.0 - p) if scale_by_keep and p < 1 else 1.0
    return Masked.apply(input_, mask=keep.astype(input_._data.dtype) * scale)
