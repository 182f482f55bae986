"""Transformer layers, stacks and the full model against torch.nn with the same weights copied
in (post- and pre-norm, eval mode and train mode with dropout 0, each kind of mask), and the
einops layers."""

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn import functional as F
from helpers import TOL, copy_torch_state, needs_torch, torch

N, L, T, D, HEADS, FF = 2, 5, 4, 8, 2, 16


def _rng(seed=0):
    return np.random.default_rng(seed)


def _compare(lm, tm, arrays, dtype, call, seed=0):
    """call(module, tensors, wrap) runs a module; outputs, input and parameter grads agree."""
    tol = TOL[dtype]
    copy_torch_state(lm, tm)
    lx = [lucid.Tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    lout = call(lm, lx, lucid.Tensor)
    tout = call(tm, tx, torch.tensor)
    np.testing.assert_allclose(lout.numpy(), tout.detach().numpy(), **tol, err_msg="forward")
    G = _rng(seed + 1).standard_normal(lout.shape).astype(dtype)
    (lout * lucid.Tensor(G)).sum().backward()
    (tout * torch.tensor(G)).sum().backward()
    for i, (a, b) in enumerate(zip(lx, tx)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol, err_msg=f"grad of input {i}")
    tparams = dict(tm.named_parameters())
    names = [name for name, _ in lm.named_parameters()]
    assert names == list(tparams)
    for name, p in lm.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")
    return lout


def _modes(lm, tm, train):
    lm.train(train)
    tm.train(train)


def _masks(kind, rng, length, source, batch=N):
    """(lucid kwargs, torch kwargs) of one mask kind for a layer's self-attention."""
    if kind == "none":
        return {}, {}
    if kind == "bool":
        m = rng.random((length, source)) < 0.3
        m[:, 0] = False
        return dict(src_mask=m), dict(src_mask=m)
    if kind == "float":
        m = rng.standard_normal((length, source))
        return dict(src_mask=m), dict(src_mask=m)
    if kind == "padding":
        m = rng.random((batch, source)) < 0.3
        m[:, 0] = False
        return dict(src_key_padding_mask=m), dict(src_key_padding_mask=m)
    if kind == "causal":
        causal = np.triu(np.full((length, length), -np.inf), 1)
        return dict(is_causal=True), dict(src_mask=causal, is_causal=True)
    raise AssertionError(kind)


def _wrap_kwargs(kwargs, wrap, dtype):
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            out[k] = wrap(v.astype(dtype) if v.dtype.kind == "f" else v)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------- encoder layer
@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "bool", "float", "padding", "causal"])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_against_torch(norm_first, mask, train):
    dtype = "float64"
    dropout = 0.0 if train else 0.1  # eval: dropout is off whatever its rate
    kw = dict(dim_feedforward=FF, dropout=dropout, norm_first=norm_first, batch_first=True)
    lm = nn.TransformerEncoderLayer(D, HEADS, **kw).double()
    tm = torch.nn.TransformerEncoderLayer(D, HEADS, **kw).double()
    _modes(lm, tm, train)
    lkw, tkw = _masks(mask, _rng(1), L, L)
    x = _rng(2).standard_normal((N, L, D))
    _compare(lm, tm, [x], dtype,
             lambda m, xs, wrap: m(*xs, **_wrap_kwargs(lkw if wrap is lucid.Tensor else tkw,
                                                       wrap, dtype)))


@needs_torch
@pytest.mark.parametrize("activation", ["gelu", "callable"])
def test_encoder_layer_float32_activation_no_bias(activation):
    dtype = "float32"
    act_l = "gelu" if activation == "gelu" else F.silu
    act_t = "gelu" if activation == "gelu" else torch.nn.functional.silu
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=True, bias=False, norm_first=True)
    lm = nn.TransformerEncoderLayer(D, nhead=HEADS, activation=act_l, **kw)
    tm = torch.nn.TransformerEncoderLayer(D, HEADS, activation=act_t, **kw)
    x = _rng(3).standard_normal((N, L, D)).astype(dtype)
    _compare(lm, tm, [x], dtype, lambda m, xs, wrap: m(*xs))


@needs_torch
def test_encoder_layer_sequence_first():
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=False)
    lm = nn.TransformerEncoderLayer(D, HEADS, **kw).double()
    tm = torch.nn.TransformerEncoderLayer(D, HEADS, **kw).double()
    out = _compare(lm, tm, [_rng(4).standard_normal((L, N, D))], "float64",
                   lambda m, xs, wrap: m(*xs))
    assert tuple(out.shape) == (L, N, D)


# ---------------------------------------------------------------------------- decoder layer
@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("masks", ["none", "all_bool", "float_and_causal"])
def test_decoder_layer_against_torch(norm_first, train, masks):
    dtype = "float64"
    kw = dict(dim_feedforward=FF, dropout=0.0 if train else 0.1, norm_first=norm_first,
              batch_first=True)
    lm = nn.TransformerDecoderLayer(D, HEADS, **kw).double()
    tm = torch.nn.TransformerDecoderLayer(D, HEADS, **kw).double()
    _modes(lm, tm, train)
    rng = _rng(5)
    lkw = tkw = {}
    if masks == "all_bool":
        tgt_mask = rng.random((T, T)) < 0.3
        tgt_mask[:, 0] = False
        mem_mask = rng.random((T, L)) < 0.3
        mem_mask[:, 0] = False
        tgt_pad, mem_pad = rng.random((N, T)) < 0.2, rng.random((N, L)) < 0.2
        tgt_pad[:, 0] = mem_pad[:, 0] = False
        lkw = tkw = dict(tgt_mask=tgt_mask, memory_mask=mem_mask, tgt_key_padding_mask=tgt_pad,
                         memory_key_padding_mask=mem_pad)
    elif masks == "float_and_causal":
        mem_mask = rng.standard_normal((T, L))
        causal = np.triu(np.full((T, T), -np.inf), 1)
        lkw = dict(memory_mask=mem_mask, tgt_is_causal=True)
        tkw = dict(memory_mask=mem_mask, tgt_mask=causal, tgt_is_causal=True)
    arrays = [rng.standard_normal((N, T, D)), rng.standard_normal((N, L, D))]
    _compare(lm, tm, arrays, dtype,
             lambda m, xs, wrap: m(*xs, **_wrap_kwargs(lkw if wrap is lucid.Tensor else tkw,
                                                       wrap, dtype)))


# ---------------------------------------------------------------------------- stacks and model
@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_stacks(norm_first):
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    lenc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, **kw), 2,
                                 norm=nn.LayerNorm(D)).double()
    tenc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, **kw), 2,
                                       norm=torch.nn.LayerNorm(D),
                                       enable_nested_tensor=False).double()
    # the layers are independent copies
    assert lenc.layers[0].linear1.weight is not lenc.layers[1].linear1.weight
    rng = _rng(6)
    pad = rng.random((N, L)) < 0.3
    pad[:, 0] = False
    _compare(lenc, tenc, [rng.standard_normal((N, L, D))], "float64",
             lambda m, xs, wrap: m(*xs, src_key_padding_mask=wrap(pad)))
    ldec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, HEADS, **kw), 2).double()
    tdec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, HEADS, **kw),
                                       2).double()
    causal = np.triu(np.full((T, T), -np.inf), 1)
    _compare(ldec, tdec, [rng.standard_normal((N, T, D)), rng.standard_normal((N, L, D))],
             "float64", lambda m, xs, wrap: m(*xs, tgt_mask=wrap(causal)))


@needs_torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_full_transformer_against_torch(dtype, norm_first):
    kw = dict(num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF, dropout=0.0,
              batch_first=True, norm_first=norm_first)
    lm = nn.Transformer(D, HEADS, **kw).to(dtype=dtype)
    tm = torch.nn.Transformer(D, HEADS, **kw).to(getattr(torch, dtype))
    rng = _rng(7)
    src_pad = rng.random((N, L)) < 0.3
    src_pad[:, 0] = False
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=dtype).numpy()

    def call(m, xs, wrap):
        return m(*xs, tgt_mask=wrap(tgt_mask), src_key_padding_mask=wrap(src_pad),
                 memory_key_padding_mask=wrap(src_pad))

    arrays = [rng.standard_normal((N, L, D)).astype(dtype),
              rng.standard_normal((N, T, D)).astype(dtype)]
    out = _compare(lm, tm, arrays, dtype, call)
    assert tuple(out.shape) == (N, T, D)


def test_transformer_init_and_masks():
    m = nn.Transformer(D, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF)
    assert m.nhead == 2 and m.encoder.norm is not None
    for name, p in m.named_parameters():
        if p.ndim > 1:  # xavier: bound sqrt(6 / (fan_in + fan_out))
            bound = np.sqrt(6 / sum(p.shape[:2]))
            assert np.abs(p.numpy()).max() <= bound, name
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    expected = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]], dtype="float32")
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(nn.generate_square_subsequent_mask(3).numpy(), expected)
    if torch is not None:
        np.testing.assert_array_equal(
            mask, torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())
    # eval mode is deterministic even with dropout; train mode is not
    m.eval()
    src, tgt = lucid.random.randn(1, 3, D), lucid.random.randn(1, 2, D)
    np.testing.assert_array_equal(m(src, tgt).numpy(), m(src, tgt).numpy())
    m.train()
    assert not np.allclose(m(src, tgt).numpy(), m(src, tgt).numpy())


def test_transformer_bad_input():
    with pytest.raises(TypeError, match="number of heads"):
        nn.TransformerEncoderLayer(D)
    with pytest.raises(TypeError, match="disagree"):
        nn.TransformerEncoderLayer(D, 2, nhead=4)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(D, 2, activation="swish")
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerEncoderLayer(D, 3)
    layer = nn.TransformerEncoderLayer(D, 2, dim_feedforward=FF)
    with pytest.raises(ValueError, match=r"d_model = 8.*\(2, 5, 6\)"):
        layer(lucid.zeros(2, 5, 6))
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerEncoder(layer, 0)
    m = nn.Transformer(D, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=FF)
    with pytest.raises(ValueError, match="batch sizes"):
        m(lucid.zeros(2, 3, D), lucid.zeros(3, 3, D))


# ---------------------------------------------------------------------------- einops layers
def test_rearrange_layer_patches():
    x = _rng(8).standard_normal((2, 3, 4, 6))
    layer = nn.Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=2, p2=3)
    t = lucid.Tensor(x, requires_grad=True)
    out = layer(t)
    expected = x.reshape(2, 3, 2, 2, 2, 3).transpose(0, 2, 4, 3, 5, 1).reshape(2, 4, 18)
    np.testing.assert_array_equal(out.numpy(), expected)
    G = _rng(9).standard_normal(out.shape)
    out.backward(lucid.Tensor(G))
    back = G.reshape(2, 2, 2, 2, 3, 3).transpose(0, 5, 1, 3, 2, 4).reshape(x.shape)
    np.testing.assert_array_equal(t.grad, back)
    assert "p1=2" in repr(layer)
    model = nn.Sequential(nn.Rearrange("b c h w -> b (c h w)"), nn.Linear(72, 2))
    assert tuple(model(lucid.Tensor(x.astype("float32"))).shape) == (2, 2)


def test_reduce_layer_and_errors():
    x = _rng(10).standard_normal((2, 3, 4, 4))
    out = nn.Reduce("b c (h 2) (w 2) -> b c h w", "max")(lucid.Tensor(x))
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    gap = nn.Reduce("b c h w -> b c", "mean")(lucid.Tensor(x))
    np.testing.assert_allclose(gap.numpy(), x.mean(axis=(2, 3)))
    with pytest.raises(ValueError, match="->"):
        nn.Rearrange("b c h w")
    with pytest.raises(ValueError):
        nn.Rearrange("b c h w -> b (c h w)")(lucid.zeros(2, 3))


# ---------------------------------------------------------------------------- second backend
def _same_on_checked_backend(make, arrays, call):
    """Build, run and backpropagate on cpu and on the strict "checked" device (NumPy behind a
    wrapper that refuses what CuPy refuses): same values, and every output and parameter
    gradient stays a device array, so no op body of these layers reaches NumPy directly."""
    import fake_backend
    from lucid.backend import get_backend

    host = get_backend(fake_backend.DEVICE).to_numpy
    results = []
    for device in ("cpu", fake_backend.DEVICE):
        lucid.random.seed(0)
        m = make().double().to(device)
        xs = [lucid.Tensor(a, requires_grad=True, device=device) for a in arrays]
        outs = call(m, xs, lambda a: lucid.Tensor(a, device=device), device)
        flat = []
        for o in outs if isinstance(outs, (tuple, list)) else [outs]:
            flat += list(o) if isinstance(o, (tuple, list)) else [o]
        sum((o * (k + 1)).sum() for k, o in enumerate(flat)).backward()
        arrays_out = [o.data for o in flat] + [p.grad for p in m.parameters()]
        arrays_out += [x.grad for x in xs]
        if device != "cpu":
            assert all(isinstance(a, fake_backend.CheckedArray) for a in arrays_out)
            arrays_out = [host(a) for a in arrays_out]
        results.append(arrays_out)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_rnn_attention_transformer_on_checked_backend():
    rng = _rng(11)
    x = rng.standard_normal((L, N, 4))
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        _same_on_checked_backend(lambda: cls(4, 6, num_layers=2, bidirectional=True), [x],
                                 lambda m, xs, wrap, dev: m(*xs))
    for cls in (nn.LSTMCell, nn.GRUCell, nn.RNNCell):
        _same_on_checked_backend(lambda: cls(4, 6), [x[0]], lambda m, xs, wrap, dev: m(*xs))
    q = rng.standard_normal((N, L, D))
    pad, keep = rng.random((N, L)) < 0.3, rng.random((L, L)) < 0.7
    pad[:, 0] = False
    _same_on_checked_backend(
        lambda: nn.MultiHeadAttention(D, HEADS, add_bias_kv=True, add_zero_attn=True), [q],
        lambda m, xs, wrap, dev: m(xs[0], xs[0], xs[0], key_padding_mask=wrap(pad),
                                   attn_mask=wrap(~keep), need_weights=True))
    bias = rng.standard_normal((N, L))  # a float padding mask with a boolean attention mask
    _same_on_checked_backend(
        lambda: nn.MultiHeadAttention(D, HEADS, kdim=5, vdim=3), [q, q[..., :5], q[..., :3]],
        lambda m, xs, wrap, dev: m(*xs, key_padding_mask=wrap(bias), attn_mask=wrap(~keep),
                                   is_causal=True))
    _same_on_checked_backend(
        lambda: nn.Transformer(D, HEADS, 1, 1, FF, dropout=0.0), [q, q[:, :3]],
        lambda m, xs, wrap, dev: m(*xs, src_key_padding_mask=wrap(pad), tgt_mask=(
            nn.Transformer.generate_square_subsequent_mask(3, device=dev, dtype="float64"))))
    _same_on_checked_backend(
        lambda: nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, norm_first=True), [q],
        lambda m, xs, wrap, dev: (m(xs[0], is_causal=True),
                                  F.scaled_dot_product_attention(xs[0], xs[0], xs[0],
                                                                 attn_mask=wrap(keep))))
    _same_on_checked_backend(
        lambda: nn.LearnedPositionalEmbedding(10, D), [q],
        lambda m, xs, wrap, dev: (m(xs[0], offset=1),
                                  nn.SinusoidalPositionalEmbedding(D)(xs[0]),
                                  nn.RotaryPositionalEmbedding(D, interleaved=True)(xs[0], 1)))
