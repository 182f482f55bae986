"""The Transformer of Vaswani et al. (2017): encoder and decoder layers, their stacks, and the
full encoder-decoder model.

Parameter names and the order of operations are PyTorch's (``self_attn``, ``multihead_attn``,
``linear1``, ``linear2``, ``norm1``..``norm3``), so weights copy from ``torch.nn.Transformer*``
1:1. Lucid is batch-first: inputs are (N, L, E) unless ``batch_first=False`` is given, in which
case (L, N, E) is accepted and returned. Masks follow ``MultiHeadAttention`` (PyTorch's
convention: a boolean True marks a position NOT attended, a float mask is added); ``is_causal``
(or ``tgt_is_causal``) masks future positions itself, no mask needed.

A post-norm layer (``norm_first=False``, the paper's) computes
    x = norm1(x + dropout1(self_attn(x))),  x = norm2(x + dropout2(ff(x))),
a pre-norm layer (``norm_first=True``)
    x = x + dropout1(self_attn(norm1(x))),  x = x + dropout2(ff(norm2(x))),
with ff(x) = linear2(dropout(activation(linear1(x)))). A decoder layer adds cross-attention to
``memory`` (norm2, dropout2) between the two, and its feed-forward block uses norm3/dropout3.
"""

import copy

from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.containers import ModuleList
from lucid.nn.module import Module
from lucid.nn.modules import dropout as _dropout, norm as _norm
from lucid.nn.modules.attention import MultiHeadAttention
from lucid.nn.modules.linear import Linear
from lucid.ops import full, swapaxes, triu

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(size, dtype=None, device="cpu"):
    """The (size, size) float causal mask: 0 on and below the diagonal, -inf above it (added
    to the scores, it stops position i from attending to any j > i)."""
    if size < 0:
        raise ValueError(f"mask size must be non-negative, got {size}")
    return triu(full((size, size), float("-inf"), dtype=dtype, device=device), 1)


def _activation(activation):
    if callable(activation):
        return activation
    table = {"relu": F.relu, "gelu": F.gelu}
    if activation not in table:
        raise ValueError(f"activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return table[activation]


def _heads(num_heads, nhead):
    """Lucid's ``num_heads`` or PyTorch's ``nhead``: one of them, given once."""
    if nhead is not None:
        if num_heads is not None and num_heads != nhead:
            raise TypeError(f"num_heads={num_heads} and nhead={nhead} disagree; give one")
        return nhead
    if num_heads is None:
        raise TypeError("the number of heads is required (num_heads=, or nhead= as in PyTorch)")
    return num_heads


def _seq_first(x, batch_first):
    """Swap (L, N, E) <-> (N, L, E) when the module was built with batch_first=False."""
    return x if batch_first or x.ndim < 3 else swapaxes(x, 0, 1)


class _Layer(Module):
    """What encoder and decoder layers share: the settings, self-attention, the feed-forward
    block and one LayerNorm and one Dropout per sub-layer (2 for the encoder; the decoder,
    ``_cross_attention = True``, adds cross-attention to ``memory`` and a third pair).

    Sub-modules are created in PyTorch's order, so parameters() and state_dict() list them as
    PyTorch does.
    """

    _cross_attention = False

    def __init__(self, d_model, num_heads=None, dim_feedforward=2048, dropout=0.1,
                 activation=F.relu, layer_norm_eps=1e-5, batch_first=True, norm_first=False,
                 bias=True, device=None, dtype=None, *, nhead=None):
        super().__init__()
        num_heads = _heads(num_heads, nhead)
        if d_model <= 0 or dim_feedforward <= 0:
            raise ValueError(f"d_model and dim_feedforward must be positive, got {d_model} and "
                             f"{dim_feedforward}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.d_model, self.num_heads = d_model, num_heads
        self.batch_first, self.norm_first = batch_first, norm_first
        self.activation = _activation(activation)
        attn_kw = dict(dropout=dropout, bias=bias, device=device, dtype=dtype)
        self.self_attn = MultiHeadAttention(d_model, num_heads, **attn_kw)
        if self._cross_attention:
            self.multihead_attn = MultiHeadAttention(d_model, num_heads, **attn_kw)
        linear_kw = dict(bias=bias, device=device, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, **linear_kw)
        self.dropout = _dropout.Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, **linear_kw)
        norm_kw = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm1 = _norm.LayerNorm(d_model, **norm_kw)
        self.norm2 = _norm.LayerNorm(d_model, **norm_kw)
        if self._cross_attention:
            self.norm3 = _norm.LayerNorm(d_model, **norm_kw)
        self.dropout1 = _dropout.Dropout(dropout)
        self.dropout2 = _dropout.Dropout(dropout)
        if self._cross_attention:
            self.dropout3 = _dropout.Dropout(dropout)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                           is_causal=is_causal)
        return self.dropout1(x)

    def _ff_block(self, x, last_dropout):
        return last_dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _check(self, x, name):
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"{type(self).__name__}: expected {name} with d_model = "
                             f"{self.d_model} features in its last axis, got shape "
                             f"{tuple(x.shape)}")

    def extra_repr(self):
        return f"norm_first={self.norm_first}, batch_first={self.batch_first}"


class TransformerEncoderLayer(_Layer):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm
    (after the residual add, or before the block with ``norm_first=True``).

    src: (N, L, d_model) -> (N, L, d_model). ``num_heads`` (PyTorch: ``nhead``) heads; ``dropout``
    on the attention weights, after each block and inside the feed-forward block; ``activation``
    "relu", "gelu" or a callable.

    ``TransformerEncoderLayer(d_model, num_heads, dim_feedforward=2048, dropout=0.1,
    activation=F.relu, layer_norm_eps=1e-5, batch_first=True, norm_first=False, bias=True,
    device=None, dtype=None, *, nhead=None)``.
    """

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        self._check(src, "src")
        x = _seq_first(src, self.batch_first)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x), self.dropout2)
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x, self.dropout2))
        return _seq_first(x, self.batch_first)


class TransformerDecoderLayer(_Layer):
    """Masked self-attention, cross-attention to the encoder's ``memory``, then a feed-forward
    block; each with a residual connection and LayerNorm (post- or pre-norm).

    tgt: (N, T, d_model), memory: (N, S, d_model) -> (N, T, d_model). Arguments as in
    ``TransformerEncoderLayer``.
    """

    _cross_attention = True

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, key_padding_mask=key_padding_mask,
                                attn_mask=attn_mask, is_causal=is_causal)
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        self._check(tgt, "tgt")
        self._check(memory, "memory")
        x, memory = _seq_first(tgt, self.batch_first), _seq_first(memory, self.batch_first)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   bool(tgt_is_causal))
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x), self.dropout3)
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              bool(tgt_is_causal)))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x, self.dropout3))
        return _seq_first(x, self.batch_first)


def _clones(layer, num_layers):
    if not isinstance(layer, Module):
        raise TypeError(f"expected a layer Module to copy, got {type(layer).__name__}")
    if num_layers <= 0:
        raise ValueError(f"num_layers must be positive, got {num_layers}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """``num_layers`` independent deep copies of ``encoder_layer`` applied in turn, then the
    optional ``norm``. src: (N, L, d_model) -> (N, L, d_model); the masks go to every layer."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn, then the optional
    ``norm``. tgt: (N, T, d_model), memory: (N, S, d_model) -> (N, T, d_model)."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """The encoder-decoder Transformer: memory = encoder(src), out = decoder(tgt, memory).

    src: (N, S, d_model), tgt: (N, T, d_model) -> (N, T, d_model). ``num_encoder_layers``
    encoder and ``num_decoder_layers`` decoder layers, each stack ending in a LayerNorm, as in
    PyTorch; every weight matrix starts Xavier-uniform (PyTorch's ``_reset_parameters``).
    ``custom_encoder``/``custom_decoder`` replace the stacks.
    """

    def __init__(self, d_model=512, num_heads=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=True, norm_first=False,
                 bias=True, device=None, dtype=None, *, nhead=None):
        super().__init__()
        num_heads = nhead if nhead is not None else num_heads
        layer_kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                        norm_first=norm_first, bias=bias, device=device, dtype=dtype)
        norm_kw = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, num_heads, **layer_kw), num_encoder_layers,
                _norm.LayerNorm(d_model, **norm_kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, num_heads, **layer_kw), num_decoder_layers,
                _norm.LayerNorm(d_model, **norm_kw))
        self.d_model, self.num_heads, self.batch_first = d_model, num_heads, batch_first
        self.nhead = num_heads
        self.reset_parameters()

    def reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise ValueError(f"Transformer: src and tgt have different batch sizes, shapes "
                             f"{tuple(src.shape)} and {tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: src and tgt need d_model = {self.d_model} features, "
                             f"got shapes {tuple(src.shape)} and {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(size, device="cpu", dtype=None):
        """The (size, size) float causal mask (see the module-level function)."""
        return generate_square_subsequent_mask(size, dtype=dtype, device=device)
