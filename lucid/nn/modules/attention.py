"""Attention layers and positional embeddings.

``MultiHeadAttention`` takes Lucid's batch-first input (N, L, E) and returns one Tensor (or
(output, weights) with ``need_weights=True``). Its parameters are laid out as in
``torch.nn.MultiheadAttention(batch_first=True)`` (``in_proj_weight``/``in_proj_bias``, or
``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when kdim or vdim differ from embed_dim,
``bias_k``/``bias_v``, ``out_proj``), so weights and state_dicts copy over 1:1. Heads are split by
reshaping (N, L, E) to (N, L, H, D) and moving H forward; Lucid 2.7 reshaped straight to
(N, H, L, D), which mixes tokens across heads.
"""

import math

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional._attention import _attention
from lucid.nn.module import Module
from lucid.nn.modules.linear import Linear
from lucid.nn.parameter import Parameter
from lucid.ops import concatenate, empty, reshape, swapaxes, zeros

__all__ = ["ScaledDotProductAttention", "MultiHeadAttention", "MultiheadAttention",
           "SinusoidalPositionalEmbedding", "LearnedPositionalEmbedding",
           "RotaryPositionalEmbedding", "SinusoidalPosEmbedding", "LearnedPosEmbedding",
           "RotaryPosEmbedding"]


class ScaledDotProductAttention(Module):
    """softmax(q k^T * scale + M) v as a module (see ``F.scaled_dot_product_attention``).

    The mask, dropout rate, causality and scale are fixed at construction (``forward`` may pass
    another ``attn_mask``); dropout acts in training mode only. q: (..., L, E), k: (..., S, E),
    v: (..., S, E_v) -> (..., L, E_v). Boolean masks: True = attend.
    """

    def __init__(self, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        super().__init__()
        if not 0 <= dropout_p <= 1:
            raise ValueError(f"dropout_p must be in [0, 1], got {dropout_p}")
        self.attn_mask, self.dropout_p = attn_mask, dropout_p
        self.is_causal, self.scale = is_causal, scale

    def forward(self, query, key, value, attn_mask=None):
        mask = self.attn_mask if attn_mask is None else attn_mask
        return F.scaled_dot_product_attention(query, key, value, mask,
                                              self.dropout_p if self.training else 0.0,
                                              self.is_causal, self.scale)

    def extra_repr(self):
        return f"dropout_p={self.dropout_p}, is_causal={self.is_causal}, scale={self.scale}"


class MultiHeadAttention(Module):
    """Multi-head attention: out = concat_h(attention(q W_q^h, k W_k^h, v W_v^h)) W_o^T + b_o.

    query: (N, L, E), key: (N, S, kdim), value: (N, S, vdim) (or unbatched (L, E), ...)
    -> (N, L, E), E = embed_dim split into num_heads heads of D = E / num_heads. With
    ``need_weights=True`` it returns (out, weights), weights (N, L, S) averaged over heads
    (or (N, H, L, S) with ``average_attn_weights=False``), after dropout as in PyTorch.

    Masks follow ``torch.nn.MultiheadAttention``: a boolean ``attn_mask`` (L, S) or
    (N * H, L, S) and a boolean ``key_padding_mask`` (N, S) mark with True the positions NOT
    attended; float masks are added to the scores. ``is_causal=True`` masks future keys (on top
    of ``attn_mask`` if one is given). A query whose every key is masked gets output b_o (zero
    attention) where PyTorch gives NaN. ``add_bias_kv`` appends learned bias_k, bias_v to the key
    and value sequences, ``add_zero_attn`` a zero one. Init as PyTorch: Xavier-uniform input
    projections, zero input and output biases.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=True, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be positive, got {embed_dim} and "
                             f"{num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        if not batch_first:
            raise ValueError("Lucid's MultiHeadAttention is batch-first: (N, L, E) inputs")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.add_zero_attn, self.batch_first = dropout, add_zero_attn, True
        device = device or "cpu"

        def new(*shape):
            return Parameter(empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = new(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = new(embed_dim, embed_dim)
            self.k_proj_weight = new(embed_dim, self.kdim)
            self.v_proj_weight = new(embed_dim, self.vdim)
        if bias:
            self.in_proj_bias = new(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device)
        if add_bias_kv:
            self.bias_k = new(1, 1, embed_dim)
            self.bias_v = new(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.reset_parameters()

    def reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ------------------------------------------------------------------ forward
    def _projection(self, k):
        """Weight and bias of the k-th input projection (0: query, 1: key, 2: value)."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            weight = self.in_proj_weight[k * e:(k + 1) * e]
        else:
            weight = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[k]
        bias = None if self.in_proj_bias is None else self.in_proj_bias[k * e:(k + 1) * e]
        return weight, bias

    def _heads(self, x):
        """(N, L, E) -> (N, H, L, D): split the features, then move the heads forward."""
        n, length = x.shape[0], x.shape[1]
        return swapaxes(reshape(x, (n, length, self.num_heads, self.head_dim)), 1, 2)

    def _check(self, query, key, value):
        name = type(self).__name__
        for t, what in ((query, "query"), (key, "key"), (value, "value")):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: {what} must be a Tensor, got {type(t).__name__}")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: query, key and value must all be (N, L, E) or all "
                             f"unbatched (L, E); got shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)}, {tuple(value.shape)}")
        for t, what, size in ((query, "query", self.embed_dim), (key, "key", self.kdim),
                              (value, "value", self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"{name}: expected {what} with {size} features in its last "
                                 f"axis, got shape {tuple(t.shape)}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"{name}: key and value must have the same batch and length, got "
                             f"shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if query.ndim == 3 and query.shape[0] != key.shape[0]:
            raise ValueError(f"{name}: query and key have different batch sizes, shapes "
                             f"{tuple(query.shape)} and {tuple(key.shape)}")

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None, is_causal=False,
                need_weights=False, average_attn_weights=True):
        if isinstance(attn_mask, bool):
            raise TypeError("attn_mask got a bool: Lucid's forward order is (query, key, value, "
                            "key_padding_mask, attn_mask, is_causal); pass need_weights= by "
                            "keyword")
        self._check(query, key, value)
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0) if isinstance(
                    key_padding_mask, Tensor) else key_padding_mask[None]
        n, length, source = query.shape[0], query.shape[1], key.shape[1]
        heads = self.num_heads

        q, k, v = (self._heads(F.linear(x, *self._projection(i)))
                   for i, x in enumerate((query, key, value)))
        extra = 0  # key positions appended after the sequence, always attended
        if self.bias_k is not None:
            shape = (1, heads, 1, self.head_dim)
            k = concatenate([k, reshape(self.bias_k, shape).broadcast_to((n,) + shape[1:])], 2)
            v = concatenate([v, reshape(self.bias_v, shape).broadcast_to((n,) + shape[1:])], 2)
            extra += 1
        if self.add_zero_attn:
            pad = zeros(n, heads, 1, self.head_dim, dtype=k.dtype, device=k.device)
            k, v = concatenate([k, pad], 2), concatenate([v, pad], 2)
            extra += 1

        mask = self._merge_masks(attn_mask, key_padding_mask, is_causal, n, length, source,
                                 extra, q._data.dtype, batched)
        out, weights = _attention(q, k, v, mask, self.dropout if self.training else 0.0)
        out = reshape(swapaxes(out, 1, 2), (n, length, self.embed_dim))
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(0)
        if not need_weights:
            return out
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights if batched else weights.squeeze(0))

    def _merge_masks(self, attn_mask, key_padding_mask, is_causal, n, length, source, extra,
                     dtype, batched):
        """One mask of (N, H, L, S + extra) layout in the SDPA convention (bool True = attend,
        or float added) from PyTorch-style masks (bool True = masked out)."""
        name = type(self).__name__
        masks = []
        if is_causal:
            xp = self.out_proj.weight._backend.xp
            masks.append(xp.triu(xp.ones((length, source), dtype=bool), 1))
        if attn_mask is not None:
            shape = tuple(attn_mask.shape)
            if shape == (length, source):
                pass
            elif len(shape) == 3 and shape == ((n if batched else 1) * self.num_heads, length,
                                               source):
                attn_mask = reshape(attn_mask, (n, self.num_heads, length, source))
            else:
                raise ValueError(f"{name}: attn_mask should have shape ({length}, {source}) or "
                                 f"({n * self.num_heads}, {length}, {source}), got {shape}")
            masks.append(attn_mask)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, source):
                raise ValueError(f"{name}: key_padding_mask should have shape ({n}, {source}), "
                                 f"got {tuple(key_padding_mask.shape)}")
            masks.append(reshape(key_padding_mask, (n, 1, 1, source)))
        if not masks:
            return None
        raw = [m._data if isinstance(m, Tensor) else m for m in masks]
        if all(r.dtype.kind == "b" for r in raw):
            masked = raw[0]
            for r in raw[1:]:
                masked = masked | r
            keep = ~masked
            return _pad_last(keep, extra, True)
        total = None
        for m, r in zip(masks, raw):
            if r.dtype.kind == "b":  # True = masked out: -inf there, 0 elsewhere
                xp = _xp(r)
                m = xp.where(r, -math.inf, 0.0).astype(dtype)
            total = m if total is None else total + m
        return _pad_last(total, extra, 0.0)


def _xp(array):
    from lucid.backend import xp_of
    return xp_of(array)


def _pad_last(mask, extra, value):
    """Append ``extra`` always-attended key positions to a mask's last axis."""
    if not extra:
        return mask
    shape = tuple(mask.shape[:-1]) + (extra,)
    if isinstance(mask, Tensor):
        fill = zeros(*shape, dtype=mask.dtype, device=mask.device)
        return concatenate([mask, fill], axis=-1)
    xp = _xp(mask)
    return xp.concatenate([mask, xp.full(shape, value, dtype=mask.dtype)], axis=-1)


MultiheadAttention = MultiHeadAttention


# ---------------------------------------------------------------------------- positions
class SinusoidalPositionalEmbedding(Module):
    """Adds the fixed sinusoidal table of Vaswani et al.: x + PE[offset:offset + L], with
    PE[p, 2i] = sin(p / base^(2i/E)), PE[p, 2i+1] = cos(p / base^(2i/E)).

    x: (N, L, E) or (L, E) -> same shape, positions up to ``max_len``. No parameters and no
    buffer: the rows needed are computed in float64 for each call and cast to x's dtype (L x E
    sines, little next to the layer that follows), so a float64 model gets float64 positions.
    """

    def __init__(self, embed_dim, max_len=5000, base=10000.0):
        super().__init__()
        if embed_dim <= 0 or max_len <= 0:
            raise ValueError(f"embed_dim and max_len must be positive, got {embed_dim}, "
                             f"{max_len}")
        self.embed_dim, self.max_len, self.base = embed_dim, max_len, base

    def forward(self, x, offset=0):
        length = _check_positions(self, x, offset)
        table = F.sinusoidal_pos_embedding(offset + length, self.embed_dim, self.base,
                                           dtype=x.dtype, device=x.device)
        return x + table[offset:]

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, max_len={self.max_len}, base={self.base}"


class LearnedPositionalEmbedding(Module):
    """Adds a learned embedding per position: x + W[offset:offset + L], W: (max_len, E).

    x: (N, L, E) or (L, E) -> same shape. W starts from N(0, 0.02^2) (GPT-2 / BERT's choice;
    a position table wants small values next to the token embeddings).
    """

    def __init__(self, max_len, embed_dim, dtype=None, device=None):
        super().__init__()
        if max_len <= 0 or embed_dim <= 0:
            raise ValueError(f"max_len and embed_dim must be positive, got {max_len}, "
                             f"{embed_dim}")
        self.max_len, self.embed_dim = max_len, embed_dim
        self.weight = Parameter(empty(max_len, embed_dim, dtype=dtype, device=device or "cpu"))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x, offset=0):
        length = _check_positions(self, x, offset)
        return x + self.weight[offset:offset + length]

    def extra_repr(self):
        return f"max_len={self.max_len}, embed_dim={self.embed_dim}"


def _check_positions(module, x, offset):
    name = type(module).__name__
    if x.ndim not in (2, 3) or x.shape[-1] != module.embed_dim:
        raise ValueError(f"{name}: expected input (N, L, {module.embed_dim}) or "
                         f"(L, {module.embed_dim}), got shape {tuple(x.shape)}")
    length = x.shape[-2]
    if offset < 0 or offset + length > module.max_len:
        raise ValueError(f"{name}: positions {offset}..{offset + length - 1} exceed max_len "
                         f"{module.max_len}")
    return length


class RotaryPositionalEmbedding(Module):
    """Rotary position embedding (RoPE, Su et al. 2021), applied to queries and keys.

    forward(x, seq_axis=-2, offset=0): x (N, H, L, D) (or (N, L, H, D) with seq_axis=1) ->
    same shape, each feature pair rotated by (offset + p) * base^(-2i/D); see
    ``F.rotary_pos_embedding``. ``interleaved=True`` pairs (x_2i, x_2i+1) as in the paper;
    the default pairs (x_i, x_{i+D/2}) as GPT-NeoX and LLaMA do. No parameters.
    """

    def __init__(self, dim, base=10000.0, interleaved=False):
        super().__init__()
        if dim <= 0 or dim % 2:
            raise ValueError(f"RotaryPositionalEmbedding needs a positive even dim, got {dim}")
        self.dim, self.base, self.interleaved = dim, base, interleaved

    def forward(self, x, seq_axis=-2, offset=0):
        if x.shape[-1] != self.dim:
            raise ValueError(f"RotaryPositionalEmbedding: expected {self.dim} features in the "
                             f"last axis, got shape {tuple(x.shape)}")
        return F.rotary_pos_embedding(x, self.base, seq_axis, offset, self.interleaved)

    def extra_repr(self):
        return f"dim={self.dim}, base={self.base}, interleaved={self.interleaved}"


# Lucid 2.15's names
SinusoidalPosEmbedding = SinusoidalPositionalEmbedding
LearnedPosEmbedding = LearnedPositionalEmbedding
RotaryPosEmbedding = RotaryPositionalEmbedding
