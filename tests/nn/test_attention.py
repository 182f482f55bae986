"""Attention against torch (scaled_dot_product_attention with each kind of mask, and
MultiheadAttention(batch_first=True) with the same weights copied in), second derivatives,
and the positional embeddings against their formulas."""

import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.autograd.gradcheck import gradgradcheck
from lucid.nn import functional as F
from helpers import TOL, check_op, copy_torch_state, needs_torch, torch

N, HEADS, L, S, E = 2, 3, 4, 5, 6


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------- sdpa
def _sdpa_inputs(dtype, seed=0, length=L, source=S):
    rng = _rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in
            [(N, HEADS, length, E), (N, HEADS, source, E), (N, HEADS, source, 7)]]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ["none", "bool", "bool_broadcast", "float", "causal",
                                  "causal_rect", "scale"])
def test_sdpa_against_torch(case, dtype):
    rng = _rng(1)
    kwargs, source = {}, S
    if case == "bool":
        kwargs["attn_mask"] = rng.random((L, S)) < 0.7
    elif case == "bool_broadcast":
        kwargs["attn_mask"] = rng.random((N, 1, L, S)) < 0.7
    elif case == "float":
        kwargs["attn_mask"] = rng.standard_normal((HEADS, L, S)).astype(dtype)
    elif case == "causal":
        kwargs["is_causal"], source = True, L
    elif case == "causal_rect":
        kwargs["is_causal"] = True
    elif case == "scale":
        kwargs["scale"] = 0.37
    mask = kwargs.pop("attn_mask", None)

    def run(lib, wrap):
        def fn(q, k, v):
            m = None if mask is None else wrap(mask)
            return lib.scaled_dot_product_attention(q, k, v, attn_mask=m, **kwargs)
        return fn

    check_op(None, run(torch.nn.functional, torch.tensor), run(F, lucid.Tensor), dtype=dtype,
             arrays=_sdpa_inputs(dtype, source=source))


@needs_torch
def test_sdpa_float_mask_gradient_and_fully_masked_rows():
    # a learnable float bias gets its gradient; a query with no key attended gives 0, as torch
    rng = _rng(2)
    bias = rng.standard_normal((L, S))
    keep = rng.random((L, S)) < 0.6
    keep[2] = False
    check_op(None,
             lambda q, k, v, b: torch.nn.functional.scaled_dot_product_attention(
                 q, k, v, attn_mask=b.masked_fill(~torch.tensor(keep), -math.inf)),
             lambda q, k, v, b: F.scaled_dot_product_attention(
                 q, k, v, attn_mask=lucid.where(keep, b, -math.inf)),
             arrays=_sdpa_inputs("float64") + [bias])
    out = check_op(None,
                   lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
                       q, k, v, attn_mask=torch.tensor(keep)),
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep),
                   arrays=_sdpa_inputs("float64"))[0]
    assert np.all(out.numpy()[:, :, 2] == 0)


@needs_torch
def test_sdpa_causal_with_mask_is_both():
    keep = _rng(3).random((L, L)) < 0.8
    check_op(None,
             lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
                 q, k, v, attn_mask=torch.tensor(keep & np.tri(L, dtype=bool))),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep,
                                                            is_causal=True),
             arrays=_sdpa_inputs("float64", source=L))


@needs_torch
def test_sdpa_grouped_query():
    rng = _rng(4)
    arrays = [rng.standard_normal((N, 4, L, E)), rng.standard_normal((N, 2, S, E)),
              rng.standard_normal((N, 2, S, E))]
    check_op(None,
             lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
                 q, k, v, enable_gqa=True),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
             arrays=arrays)


@needs_torch
def test_sdpa_double_backward_against_torch():
    arrays = _sdpa_inputs("float64", seed=5)
    rng = _rng(6)
    G = rng.standard_normal((N, HEADS, L, 7))
    Hq = rng.standard_normal((N, HEADS, L, E))
    keep = rng.random((L, S)) < 0.7
    keep[:, 0] = True
    grads = []
    for lib, wrap, fn in ((lucid, lucid.Tensor, F.scaled_dot_product_attention),
                          (torch, torch.tensor, torch.nn.functional.scaled_dot_product_attention)):
        q, k, v = [wrap(a, requires_grad=True) for a in arrays]
        out = fn(q, k, v, attn_mask=wrap(keep))
        first = (out * wrap(G)).sum()
        (gq,) = lib.autograd.grad(first, q, create_graph=True)
        ((gq * wrap(Hq)).sum()).backward()
        grads.append([t.grad if lib is lucid else t.grad.numpy() for t in (q, k, v)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, **TOL["float64"])


def test_sdpa_gradgradcheck_numeric():
    arrays = [a[:1, :1] for a in _sdpa_inputs("float64", seed=7)]
    inputs = [lucid.Tensor(a, requires_grad=True) for a in arrays]
    assert gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                         inputs)


def test_sdpa_bad_input():
    q, k, v = [lucid.Tensor(a) for a in _sdpa_inputs("float64")]
    with pytest.raises(ValueError, match="feature size"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="same length"):
        F.scaled_dot_product_attention(q, k, v[..., :2, :])
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 5\)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), dtype=bool))
    with pytest.raises(ValueError, match="grouped"):
        F.scaled_dot_product_attention(q, k[:, :2], v[:, :2], enable_gqa=True)


def test_sdpa_module_dropout_only_in_training():
    q, k, v = [lucid.Tensor(a) for a in _sdpa_inputs("float64")]
    m = nn.ScaledDotProductAttention(dropout_p=0.5, is_causal=True).eval()
    np.testing.assert_array_equal(
        m(q, k, v).numpy(), F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy())
    m.train()
    assert not np.allclose(m(q, k, v).numpy(),
                           F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy())
    with pytest.raises(ValueError, match="dropout_p"):
        nn.ScaledDotProductAttention(dropout_p=2.0)


def test_sdpa_dropout_is_unbiased():
    # inverted dropout on the weights: E[output] is the output without dropout
    q, k, v = [lucid.Tensor(a[:1, :1]) for a in _sdpa_inputs("float64", seed=8)]
    exact = F.scaled_dot_product_attention(q, k, v).numpy()
    draws = np.mean([F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
                     for _ in range(2000)], axis=0)
    assert not np.allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy(), exact)
    np.testing.assert_allclose(draws, exact, atol=0.08)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy()
    np.testing.assert_array_equal(zero, 0)


# ---------------------------------------------------------------------------- multi-head
EMBED, NUM_HEADS = 8, 2


def _mha_pair(dtype, **kwargs):
    tm = torch.nn.MultiheadAttention(EMBED, NUM_HEADS, batch_first=True, **kwargs)
    tm = tm.to(getattr(torch, dtype))
    lm = nn.MultiHeadAttention(EMBED, NUM_HEADS, **kwargs).to(dtype=dtype)
    copy_torch_state(lm, tm)
    return lm, tm


def _compare_mha(lm, tm, arrays, dtype, lucid_kwargs, torch_kwargs, seed=0):
    tol = TOL[dtype]
    lx = [lucid.Tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    lout, lw = lm(*lx, need_weights=True, **lucid_kwargs)
    tout, tw = tm(*tx, need_weights=True, **torch_kwargs)
    np.testing.assert_allclose(lout.numpy(), tout.detach().numpy(), **tol, err_msg="output")
    np.testing.assert_allclose(lw.numpy(), tw.detach().numpy(), **tol, err_msg="weights")
    rng = _rng(seed + 1)
    G = rng.standard_normal(lout.shape).astype(dtype)
    Gw = rng.standard_normal(lw.shape).astype(dtype)
    ((lout * lucid.Tensor(G)).sum() + (lw * lucid.Tensor(Gw)).sum()).backward()
    ((tout * torch.tensor(G)).sum() + (tw * torch.tensor(Gw)).sum()).backward()
    for i, (a, b) in enumerate(zip(lx, tx)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol, err_msg=f"grad of input {i}")
    tparams = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")


def _qkv(dtype, kdim=EMBED, vdim=EMBED, seed=0, batched=True, self_attention=False):
    rng = _rng(seed)
    lead = (N,) if batched else ()
    q = rng.standard_normal(lead + (L, EMBED)).astype(dtype)
    if self_attention:
        return [q, q.copy(), q.copy()]
    return [q, rng.standard_normal(lead + (S, kdim)).astype(dtype),
            rng.standard_normal(lead + (S, vdim)).astype(dtype)]


MHA_OPTIONS = [{}, dict(add_bias_kv=True), dict(add_zero_attn=True), dict(kdim=3, vdim=5),
               dict(bias=False), dict(add_bias_kv=True, add_zero_attn=True, kdim=4)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", MHA_OPTIONS,
                         ids=["plain", "bias_kv", "zero_attn", "kvdim", "no_bias", "all"])
def test_mha_against_torch_with_masks(options, dtype):
    lm, tm = _mha_pair(dtype, **options)
    rng = _rng(10)
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 0] = False  # no query loses every key (torch gives NaN there)
    am = rng.random((L, S)) < 0.3
    kwargs = dict(key_padding_mask=kpm, attn_mask=am)
    arrays = _qkv(dtype, options.get("kdim", EMBED), options.get("vdim", EMBED))
    _compare_mha(lm, tm, arrays, dtype,
                 {k: lucid.Tensor(v) for k, v in kwargs.items()},
                 {k: torch.tensor(v) for k, v in kwargs.items()})


@needs_torch
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("case", ["none", "float_attn", "float_kpm", "mixed", "attn_3d",
                                  "per_head_weights", "self_attention", "causal"])
def test_mha_mask_kinds(case):
    dtype = "float64"
    lm, tm = _mha_pair(dtype)
    rng = _rng(11)
    lucid_kw, torch_kw = {}, {}
    arrays = _qkv(dtype, self_attention=case in ("self_attention", "causal"))
    if case == "float_attn":
        m = rng.standard_normal((L, S))
        lucid_kw["attn_mask"], torch_kw["attn_mask"] = lucid.Tensor(m), torch.tensor(m)
    elif case == "float_kpm":
        m = rng.standard_normal((N, S))
        lucid_kw["key_padding_mask"] = lucid.Tensor(m)
        torch_kw["key_padding_mask"] = torch.tensor(m)
    elif case == "mixed":  # bool attention mask with a float padding mask
        a, k = rng.random((L, S)) < 0.3, rng.standard_normal((N, S))
        a[:, 1] = False
        lucid_kw = dict(attn_mask=lucid.Tensor(a), key_padding_mask=lucid.Tensor(k))
        torch_kw = dict(attn_mask=torch.tensor(a), key_padding_mask=torch.tensor(k))
    elif case == "attn_3d":
        a = rng.random((N * NUM_HEADS, L, S)) < 0.3
        a[..., 2] = False
        lucid_kw["attn_mask"], torch_kw["attn_mask"] = lucid.Tensor(a), torch.tensor(a)
    elif case == "per_head_weights":
        lucid_kw["average_attn_weights"] = torch_kw["average_attn_weights"] = False
    elif case == "causal":
        # torch's is_causal is only a hint that attn_mask is the causal mask; Lucid's makes it
        causal = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
        torch_kw = dict(attn_mask=causal, is_causal=True)
        lucid_kw = dict(is_causal=True)
    _compare_mha(lm, tm, arrays, dtype, lucid_kw, torch_kw)


@needs_torch
def test_mha_unbatched_and_train_mode_without_dropout():
    lm, tm = _mha_pair("float64", add_bias_kv=True)
    kpm = np.zeros(S, dtype=bool)
    kpm[3] = True
    _compare_mha(lm.train(), tm.train(), _qkv("float64", batched=False), "float64",
                 dict(key_padding_mask=lucid.Tensor(kpm)),
                 dict(key_padding_mask=torch.tensor(kpm)))


def test_mha_dropout_only_in_training():
    m = nn.MultiHeadAttention(EMBED, NUM_HEADS, dropout=0.5).double()
    x = lucid.Tensor(_rng(13).standard_normal((N, L, EMBED)))
    m.eval()
    a, b = m(x, x, x), m(x, x, x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    _, w_eval = m(x, x, x, need_weights=True, average_attn_weights=False)
    m.train()
    _, w = m(x, x, x, need_weights=True, average_attn_weights=False)
    w, w_eval = w.numpy(), w_eval.numpy()
    kept = w != 0
    assert 0.3 < kept.mean() < 0.7  # dropped, and the rest rescaled by 1 / (1 - p)
    np.testing.assert_allclose(w[kept], 2 * w_eval[kept], rtol=1e-12)


def test_mha_default_output_and_init():
    m = nn.MultiHeadAttention(EMBED, NUM_HEADS)
    x = lucid.random.randn(N, L, EMBED)
    out = m(x, x, x)
    assert isinstance(out, lucid.Tensor) and tuple(out.shape) == (N, L, EMBED)
    assert nn.MultiheadAttention is nn.MultiHeadAttention
    bound = math.sqrt(6 / (EMBED + 3 * EMBED))  # xavier over the stacked (3E, E) weight
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not np.any(m.in_proj_bias.numpy()) and not np.any(m.out_proj.bias.numpy())


def test_mha_head_split_keeps_tokens_apart():
    # with identity projections, each head must attend with its own slice of features only
    m = nn.MultiHeadAttention(4, 2, bias=False).double()
    m.in_proj_weight.data = np.vstack([np.eye(4)] * 3)
    m.out_proj.weight.data = np.eye(4)
    x = _rng(12).standard_normal((1, 3, 4))
    out = m(lucid.Tensor(x), lucid.Tensor(x), lucid.Tensor(x)).numpy()
    expected = []
    for h in range(2):
        xs = x[0, :, 2 * h:2 * h + 2]
        s = xs @ xs.T / math.sqrt(2)
        p = np.exp(s - s.max(1, keepdims=True))
        expected.append(p / p.sum(1, keepdims=True) @ xs)
    np.testing.assert_allclose(out[0], np.hstack(expected), rtol=1e-12)


def test_mha_bad_input():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiHeadAttention(10, 3)
    m = nn.MultiHeadAttention(EMBED, NUM_HEADS)
    x = lucid.zeros(N, L, EMBED)
    with pytest.raises(ValueError, match=r"8 features.*\(2, 4, 7\)"):
        m(x, lucid.zeros(N, L, 7), x)
    with pytest.raises(ValueError, match="attn_mask should have shape"):
        m(x, x, x, attn_mask=lucid.zeros(3, 3, dtype="bool"))
    with pytest.raises(ValueError, match="key_padding_mask should have shape"):
        m(x, x, x, key_padding_mask=lucid.zeros(N, 3, dtype="bool"))
    with pytest.raises(TypeError, match="need_weights"):
        m(x, x, x, None, True)
    with pytest.raises(ValueError, match="batch sizes"):
        m(x, lucid.zeros(1, L, EMBED), lucid.zeros(1, L, EMBED))


# ---------------------------------------------------------------------------- positions
def _sinusoid(length, dim, base=10000.0):
    table = np.zeros((length, dim))
    for p in range(length):
        for j in range(dim):
            angle = p / base ** (2 * (j // 2) / dim)
            table[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return table


@pytest.mark.parametrize("dim", [6, 7])
def test_sinusoidal_table_formula(dim):
    t = F.sinusoidal_pos_embedding(12, dim, dtype="float64")
    np.testing.assert_allclose(t.numpy(), _sinusoid(12, dim), rtol=1e-12, atol=1e-12)
    assert F.sinusoidal_pos_embedding(3, 4).dtype.name == "float32"


def test_sinusoidal_module_adds_table():
    m = nn.SinusoidalPositionalEmbedding(6, max_len=20, base=100.0)
    assert not m.state_dict() and not list(m.parameters())
    x = _rng(13).standard_normal((2, 5, 6))
    out = m(lucid.Tensor(x), offset=3)
    assert out.dtype.name == "float64"
    np.testing.assert_allclose(out.numpy(), x + _sinusoid(20, 6, 100.0)[3:8], rtol=1e-12)
    out32 = m(lucid.Tensor(x.astype("float32")))
    assert out32.dtype.name == "float32"
    with pytest.raises(ValueError, match="max_len"):
        m(lucid.Tensor(x), offset=16)
    with pytest.raises(ValueError, match=r"\(N, L, 6\)"):
        m(lucid.zeros(2, 5, 4))
    assert nn.SinusoidalPosEmbedding is nn.SinusoidalPositionalEmbedding


def test_learned_positional_embedding():
    m = nn.LearnedPositionalEmbedding(10, 4).double()
    assert tuple(m.weight.shape) == (10, 4) and m.weight.numpy().std() < 0.05
    x = lucid.Tensor(_rng(14).standard_normal((3, 6, 4)), requires_grad=True)
    out = m(x, offset=2)
    np.testing.assert_allclose(out.numpy(), x.numpy() + m.weight.numpy()[2:8])
    out.backward(lucid.Tensor(np.ones((3, 6, 4))))
    expected = np.zeros((10, 4))
    expected[2:8] = 3
    np.testing.assert_array_equal(m.weight.grad, expected)
    with pytest.raises(ValueError, match="max_len"):
        m(lucid.zeros(7, 11, 4))


def _rope(x, base, interleaved, positions):
    """RoPE by the formula, on (..., L, D) with explicit positions."""
    d = x.shape[-1]
    out = np.empty_like(x)
    for pi, p in enumerate(positions):
        for i in range(d // 2):
            a = p * base ** (-2 * i / d)
            j, k = (2 * i, 2 * i + 1) if interleaved else (i, i + d // 2)
            xj, xk = x[..., pi, j], x[..., pi, k]
            out[..., pi, j] = xj * math.cos(a) - xk * math.sin(a)
            out[..., pi, k] = xk * math.cos(a) + xj * math.sin(a)
    return out


@pytest.mark.parametrize("interleaved", [False, True])
def test_rotary_formula_both_layouts(interleaved):
    x = _rng(15).standard_normal((2, 3, 5, 8))  # (N, H, L, D)
    m = nn.RotaryPositionalEmbedding(8, base=50.0, interleaved=interleaved)
    expected = _rope(x, 50.0, interleaved, range(2, 7))
    np.testing.assert_allclose(m(lucid.Tensor(x), offset=2).numpy(), expected, rtol=1e-12,
                               atol=1e-12)
    # the same tensor laid out (N, L, H, D), positions along axis 1
    y = m(lucid.Tensor(x.transpose(0, 2, 1, 3)), seq_axis=1, offset=2).numpy()
    np.testing.assert_allclose(y.transpose(0, 2, 1, 3), expected, rtol=1e-12, atol=1e-12)


def test_rotary_relative_property_and_gradient():
    rng = _rng(16)
    q, k = rng.standard_normal((1, 1, 1, 8)), rng.standard_normal((1, 1, 1, 8))

    def score(m, n):
        qm = F.rotary_pos_embedding(lucid.Tensor(q), offset=m).numpy().ravel()
        kn = F.rotary_pos_embedding(lucid.Tensor(k), offset=n).numpy().ravel()
        return qm @ kn

    assert abs(score(3, 1) - score(10, 8)) < 1e-10
    assert abs(score(0, 0) - q.ravel() @ k.ravel()) < 1e-12  # position 0 is the identity
    x = [rng.standard_normal((2, 4, 6))]
    assert gradgradcheck(lambda t: F.rotary_pos_embedding(t, seq_axis=1),
                         [lucid.Tensor(x[0], requires_grad=True)])


def test_rotary_bad_input():
    with pytest.raises(ValueError, match="even"):
        nn.RotaryPositionalEmbedding(5)
    with pytest.raises(ValueError, match="even feature size"):
        F.rotary_pos_embedding(lucid.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="expected 8 features"):
        nn.RotaryPositionalEmbedding(8)(lucid.zeros(2, 3, 6))
