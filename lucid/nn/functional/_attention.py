"""Attention and positional embeddings.

Scaled dot-product attention, for q: (..., L, E), k: (..., S, E), v: (..., S, E_v):

    attention(q, k, v) = softmax(q k^T * scale + M) v,   scale = 1 / sqrt(E) by default,

with M from the masks: a boolean mask keeps the scores where it is True (``True`` = attend, as in
``torch.nn.functional.scaled_dot_product_attention``) and sets the others to -inf; a float mask
is added. ``is_causal`` keeps key j for query i only where j <= i (the top-left triangle). A query
whose every key is masked gets all-zero weights (output 0, gradient 0) instead of the NaN that
softmax over -inf would give; ``_SafeSoftmax`` below is the softmax that does that.

Everything here is composed of differentiable ops (matmul, where, the fused safe softmax, whose
backward reads only its own output), so second derivatives through attention work.

Positional embeddings: ``sinusoidal_pos_embedding`` (Vaswani et al. 2017) and
``rotary_pos_embedding`` (RoPE, Su et al. 2021).
"""

import math

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.backend import canonical_device, default_float, get_backend, to_numpy_dtype, xp_of
from lucid.ops import (arange, concatenate, cos, matmul, repeat, reshape, sin, stack, swapaxes,
                       where)

__all__ = ["scaled_dot_product_attention", "sinusoidal_pos_embedding", "rotary_pos_embedding"]


class _SafeSoftmax(Function):
    """Softmax over the last axis that gives 0 (not NaN) on a row that is all -inf.

    y = exp(x - m) / sum exp(x - m), m = max x (m = 0 on an all -inf row, whose sum is then 0 and
    is divided as 1). Backward: dx = y (g - sum(g y)), written with the output only, so it is
    differentiable again.
    """

    def forward(ctx, x):
        xp = ctx.xp
        m = x.max(axis=-1, keepdims=True)
        m[~xp.isfinite(m)] = 0
        e = xp.exp(x - m)
        s = e.sum(axis=-1, keepdims=True)
        s[s == 0] = 1
        e /= s
        ctx.save_for_backward(e)
        return e

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(axis=-1, keepdims=True))


def _raw(mask):
    return mask._data if isinstance(mask, Tensor) else mask


def _is_bool(mask):
    return _raw(mask).dtype.kind == "b"


def _check_mask(mask, scores_shape, name):
    shape = tuple(mask.shape)
    if len(shape) > len(scores_shape) or any(
            a != 1 and a != b for a, b in zip(shape[::-1], scores_shape[::-1])):
        raise ValueError(f"{name} of shape {shape} does not broadcast to the attention scores' "
                         f"shape {tuple(scores_shape)}")


def _masked_scores(scores, attn_mask, is_causal):
    """scores with the boolean masks applied (-inf where not attended) and float masks added."""
    xp = scores._backend.xp if isinstance(scores, Tensor) else xp_of(scores)
    target, length, source = tuple(scores.shape), scores.shape[-2], scores.shape[-1]
    keep = None
    if is_causal:
        keep = xp.tril(xp.ones((length, source), dtype=bool))
    if attn_mask is not None:
        _check_mask(attn_mask, target, "attn_mask")
        if _is_bool(attn_mask):
            raw = _raw(attn_mask)
            keep = raw if keep is None else keep & raw
        else:
            scores = scores + attn_mask
    if keep is not None:
        scores = where(keep, scores, -math.inf)
    return scores


def _attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """(output, weights) of scaled dot-product attention; weights are after dropout."""
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"attention needs query, key and value of at least 2 dimensions, got "
                         f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must have the same feature size, got shapes "
                         f"{tuple(query.shape)} and {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value must have the same length, got shapes "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"dropout_p must be in [0, 1], got {dropout_p}")
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    scores = matmul(query, swapaxes(key, -1, -2)) * scale
    scores = _masked_scores(scores, attn_mask, is_causal)
    weights = _SafeSoftmax.apply(scores)
    if dropout_p > 0:
        from lucid.nn.functional import dropout
        weights = dropout(weights, p=dropout_p, training=True)
    return matmul(weights, value), weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + M) v, for q: (..., L, E), k: (..., S, E), v: (..., S, E_v) ->
    (..., L, E_v).

    ``attn_mask`` broadcasts to (..., L, S): boolean (True = attend) or float (added to the
    scores). ``is_causal`` attends key j from query i only for j <= i (applied together with
    ``attn_mask`` when both are given). ``scale`` defaults to 1/sqrt(E). ``dropout_p`` drops
    attention weights (always, as PyTorch's function does: pass 0 in eval). ``enable_gqa``
    lets k and v have fewer heads (axis -3) than q, each shared by a group of query heads.
    A query with every key masked gets output 0.
    """
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if kv_heads == 0 or heads % kv_heads or value.shape[-3] != kv_heads:
            raise ValueError(f"enable_gqa: {heads} query heads cannot be grouped over key/value "
                             f"shapes {tuple(key.shape)} and {tuple(value.shape)}")
        key = repeat(key, heads // kv_heads, axis=key.ndim - 3)
        value = repeat(value, heads // kv_heads, axis=value.ndim - 3)
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale)[0]


# ---------------------------------------------------------------------------- positions
def sinusoidal_pos_embedding(seq_len, embed_dim, base=10000.0, dtype=None, device="cpu"):
    """The (seq_len, embed_dim) table of Vaswani et al.: for position p and i < embed_dim / 2,
    PE[p, 2i] = sin(p / base^(2i / embed_dim)), PE[p, 2i + 1] = cos(p / base^(2i / embed_dim)).
    (An odd embed_dim ends on a sin column.) Not differentiable: a constant."""
    if seq_len < 0 or embed_dim < 0:
        raise ValueError(f"seq_len and embed_dim must be non-negative, got {seq_len}, "
                         f"{embed_dim}")
    backend = get_backend(canonical_device(device))
    xp = backend.xp
    position = xp.arange(seq_len, dtype="float64")[:, None]
    inv_freq = base ** (-xp.arange(0, embed_dim, 2, dtype="float64") / embed_dim)
    angle = position * inv_freq
    table = xp.empty((seq_len, embed_dim), dtype="float64")
    table[:, 0::2] = xp.sin(angle)
    table[:, 1::2] = xp.cos(angle[:, :embed_dim // 2])
    np_dtype = to_numpy_dtype(dtype) if dtype is not None else default_float()
    return Tensor._make(table.astype(np_dtype), backend, False, None, 0)


def _rotary_tables(length, dim, base, offset, dtype, device, interleaved):
    """cos and sin of the angles p * base^(-2i/dim), widened to (length, dim) in the layout of
    the pairs that are rotated together."""
    inv_freq = base ** (-arange(0, dim, 2, dtype="float64", device=device) / dim)
    position = arange(offset, offset + length, dtype="float64", device=device)
    angle = reshape(position, (-1, 1)) * reshape(inv_freq, (1, -1))  # (length, dim / 2)
    if interleaved:
        angle = repeat(angle, 2, axis=1)  # a0 a0 a1 a1 ...
    else:
        angle = concatenate([angle, angle], axis=1)  # a0 a1 ... a0 a1 ...
    return cos(angle).astype(dtype), sin(angle).astype(dtype)


def rotary_pos_embedding(x, base=10000.0, seq_axis=-2, offset=0, interleaved=False):
    """Rotary position embedding (RoPE): rotates each pair of features of x by an angle that
    grows with the position, so that (R_m q) . (R_n k) depends on m - n only.

    x: (..., D) with positions along ``seq_axis`` (-2 for (N, H, L, D), 1 or -3 for
    (N, L, H, D)); D even. With theta_i = base^(-2i / D) and angle a = (offset + p) theta_i,
    the pair (x_i, x_{i + D/2}) (or (x_{2i}, x_{2i+1}) with ``interleaved``, the paper's layout)
    becomes (x_i cos a - x_{i+D/2} sin a, x_{i+D/2} cos a + x_i sin a).
    """
    dim = x.shape[-1]
    if dim % 2:
        raise ValueError(f"rotary_pos_embedding needs an even feature size, got shape "
                         f"{tuple(x.shape)}")
    axis = seq_axis % x.ndim
    if axis == x.ndim - 1:
        raise ValueError(f"seq_axis {seq_axis} is the feature axis of shape {tuple(x.shape)}")
    cos_t, sin_t = _rotary_tables(x.shape[axis], dim, base, offset, x.dtype, x.device,
                                  interleaved)
    # (L, D) -> L on seq_axis, D last, ones between
    shape = (x.shape[axis],) + (1,) * (x.ndim - 2 - axis) + (dim,)
    cos_t, sin_t = reshape(cos_t, shape), reshape(sin_t, shape)
    if interleaved:
        pairs = reshape(x, tuple(x.shape[:-1]) + (dim // 2, 2))
        rotated = reshape(stack([-pairs[..., 1], pairs[..., 0]], axis=-1), tuple(x.shape))
    else:
        half = dim // 2
        rotated = concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos_t + rotated * sin_t
