"""RNN, LSTM, GRU and their cells against torch.nn with the same weights copied in: outputs,
final states, and the gradients of the input, the initial states and every parameter under a
random upstream gradient. The fused steps are also checked against their composite form."""

import math

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn import functional as F
from lucid.nn.functional._rnn import GRUStep, LSTMStep, RNNReluStep, RNNTanhStep
from helpers import TOL, check_numeric, copy_torch_state, needs_torch, torch

L, N, H_IN, H = 5, 3, 4, 6


def _compare(lucid_module, torch_module, inputs, dtype, is_lstm, seed=0):
    """Run both on ``inputs`` (x, then optional states), compare outputs and all gradients."""
    tol = TOL[dtype]
    copy_torch_state(lucid_module, torch_module)
    lx = [lucid.Tensor(a, requires_grad=True) for a in inputs]
    tx = [torch.tensor(a, requires_grad=True) for a in inputs]
    if len(inputs) == 1:
        lout, tout = lucid_module(lx[0]), torch_module(tx[0])
    elif is_lstm:
        lout = lucid_module(lx[0], (lx[1], lx[2]))
        tout = torch_module(tx[0], (tx[1], tx[2]))
    else:
        lout, tout = lucid_module(*lx), torch_module(*tx)
    flat_l, flat_t = _flatten(lout), _flatten(tout)
    rng = np.random.default_rng(seed + 1)
    lloss = tloss = 0
    for lo, to in zip(flat_l, flat_t):
        assert tuple(lo.shape) == tuple(to.shape)
        assert lo.dtype.name == dtype
        np.testing.assert_allclose(lo.numpy(), to.detach().numpy(), **tol, err_msg="forward")
        G = rng.standard_normal(lo.shape).astype(dtype)
        lloss = lloss + (lo * lucid.Tensor(G)).sum()
        tloss = tloss + (to * torch.tensor(G)).sum()
    lloss.backward()
    tloss.backward()
    for i, (l, t) in enumerate(zip(lx, tx)):
        np.testing.assert_allclose(l.grad, t.grad.numpy(), **tol, err_msg=f"grad of input {i}")
    tparams = dict(torch_module.named_parameters())
    for name, p in lucid_module.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")
    return lout


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return [out]


KINDS = [("RNN", dict(nonlinearity="tanh")), ("RNN", dict(nonlinearity="relu")),
         ("LSTM", {}), ("GRU", {})]


@needs_torch
@pytest.mark.parametrize("kind,extra", KINDS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_two_layers_against_torch_float64(kind, extra, bidirectional, batch_first, with_state):
    kwargs = dict(num_layers=2, bidirectional=bidirectional, batch_first=batch_first, **extra)
    lm = getattr(nn, kind)(H_IN, H, **kwargs).double()
    tm = getattr(torch.nn, kind)(H_IN, H, **kwargs).double()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, L, H_IN) if batch_first else (L, N, H_IN))
    inputs = [x]
    if with_state:
        D = 2 if bidirectional else 1
        inputs.append(rng.standard_normal((2 * D, N, H)))
        if kind == "LSTM":
            inputs.append(rng.standard_normal((2 * D, N, H)))
    _compare(lm, tm, inputs, "float64", kind == "LSTM")


@needs_torch
@pytest.mark.parametrize("kind,extra", KINDS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_against_torch_float32(kind, extra):
    kwargs = dict(num_layers=2, bidirectional=True, batch_first=True, **extra)
    lm = getattr(nn, kind)(H_IN, H, **kwargs)
    tm = getattr(torch.nn, kind)(H_IN, H, **kwargs)
    x = np.random.default_rng(4).standard_normal((N, L, H_IN)).astype("float32")
    _compare(lm, tm, [x], "float32", kind == "LSTM")


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_and_no_bias(kind):
    lm = getattr(nn, kind)(H_IN, H, num_layers=2, bias=False, bidirectional=True).double()
    tm = getattr(torch.nn, kind)(H_IN, H, num_layers=2, bias=False, bidirectional=True).double()
    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal((L, H_IN)), rng.standard_normal((4, H))]
    if kind == "LSTM":
        inputs.append(rng.standard_normal((4, H)))
    out = _compare(lm, tm, inputs, "float64", kind == "LSTM")
    assert tuple(out[0].shape) == (L, 2 * H)


@needs_torch
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_proj_size(with_state):
    kwargs = dict(num_layers=2, bidirectional=True, proj_size=3, batch_first=True)
    lm = nn.LSTM(H_IN, H, **kwargs).double()
    tm = torch.nn.LSTM(H_IN, H, **kwargs).double()
    assert tuple(lm.weight_hr_l1_reverse.shape) == (3, H)
    assert tuple(lm.weight_ih_l1.shape) == (4 * H, 6)
    rng = np.random.default_rng(6)
    inputs = [rng.standard_normal((N, L, H_IN))]
    if with_state:
        inputs += [rng.standard_normal((4, N, 3)), rng.standard_normal((4, N, H))]
    out, (h, c) = _compare(lm, tm, inputs, "float64", True)
    assert tuple(out.shape) == (N, L, 6) and tuple(h.shape) == (4, N, 3)
    assert tuple(c.shape) == (4, N, H)


@needs_torch
def test_dropout_between_layers():
    lm = nn.LSTM(H_IN, H, num_layers=3, dropout=0.5).double()
    tm = torch.nn.LSTM(H_IN, H, num_layers=3, dropout=0.5).double().eval()
    x = np.random.default_rng(7).standard_normal((L, N, H_IN))
    lm.eval()
    _compare(lm, tm, [x], "float64", True)  # eval: no dropout, same as torch
    lm.train()
    train_out = lm(lucid.Tensor(x))[0].numpy()
    eval_out = lm.eval()(lucid.Tensor(x))[0].numpy()
    assert not np.allclose(train_out, eval_out)
    # dropout=0 in train mode is deterministic and equal to eval
    lm0 = nn.GRU(H_IN, H, num_layers=2).double().train()
    a, b = lm0(lucid.Tensor(x))[0].numpy(), lm0.eval()(lucid.Tensor(x))[0].numpy()
    np.testing.assert_array_equal(a, b)


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,extra", [("RNNCell", dict(nonlinearity="tanh")),
                                        ("RNNCell", dict(nonlinearity="relu")),
                                        ("LSTMCell", {}), ("GRUCell", {})])
def test_cells_against_torch(kind, extra, dtype):
    lm = getattr(nn, kind)(H_IN, H, **extra).to(dtype=dtype)
    tm = getattr(torch.nn, kind)(H_IN, H, **extra).to(getattr(torch, dtype))
    rng = np.random.default_rng(8)
    inputs = [rng.standard_normal((N, H_IN)), rng.standard_normal((N, H))]
    if kind == "LSTMCell":
        inputs.append(rng.standard_normal((N, H)))
    inputs = [a.astype(dtype) for a in inputs]
    _compare(lm, tm, inputs, dtype, kind == "LSTMCell")


@needs_torch
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_unbatched_no_state_no_bias(kind):
    lm = getattr(nn, kind)(H_IN, H, bias=False).double()
    tm = getattr(torch.nn, kind)(H_IN, H, bias=False).double()
    out = _compare(lm, tm, [np.random.default_rng(9).standard_normal(H_IN)], "float64",
                   kind == "LSTMCell")
    assert tuple(_flatten(out)[0].shape) == (H,)


def test_state_dict_names_and_init():
    m = nn.LSTM(H_IN, 64, num_layers=2, bidirectional=True, proj_size=5)
    names = list(m.state_dict())
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and len(names) == 20
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # uniform over the whole interval
    assert abs(values.mean()) < 0.05 * bound
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5


# ---------------------------------------------------------------------------- fused vs composite
def _sig(a):
    return lucid.sigmoid(a)


def _composite_lstm(xg, h, c, w):
    a = xg + h @ w.T
    i, f, g, o = lucid.chunk(a, 4, axis=-1)
    c_new = _sig(f) * c + _sig(i) * lucid.tanh(g)
    return _sig(o) * lucid.tanh(c_new), c_new


def _composite_gru(xg, h, w, b):
    hg = h @ w.T + b
    xr, xz, xn = lucid.chunk(xg, 3, axis=-1)
    hr, hz, hn = lucid.chunk(hg, 3, axis=-1)
    r, z = _sig(xr + hr), _sig(xz + hz)
    n = lucid.tanh(xn + r * hn)
    return (1 - z) * n + z * h


COMPOSITES = {
    "tanh": (lambda xg, h, w: RNNTanhStep.apply(xg, h, w),
             lambda xg, h, w: lucid.tanh(xg + h @ w.T), [(N, H), (N, H), (H, H)]),
    "relu": (lambda xg, h, w: RNNReluStep.apply(xg, h, w),
             lambda xg, h, w: lucid.relu(xg + h @ w.T), [(N, H), (N, H), (H, H)]),
    "lstm": (lambda *a: LSTMStep.apply(*a), _composite_lstm,
             [(N, 4 * H), (N, H), (N, H), (4 * H, H)]),
    "gru": (lambda *a: GRUStep.apply(*a), _composite_gru,
            [(N, 3 * H), (N, H), (3 * H, H), (3 * H,)]),
}


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_fused_step_matches_composite(name):
    fused, composite, shapes = COMPOSITES[name]
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal(s) for s in shapes]
    results = []
    for fn in (fused, composite):
        ts = [lucid.Tensor(a, requires_grad=True) for a in arrays]
        outs = _flatten(fn(*ts))
        g = np.random.default_rng(11)
        loss = sum((o * lucid.Tensor(g.standard_normal(o.shape))).sum() for o in outs)
        loss.backward()
        results.append(([o.numpy() for o in outs], [t.grad for t in ts]))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    check_numeric(lambda *ts: _flatten(fused(*ts))[0], arrays)


@pytest.mark.parametrize("name", ["RNNTanhStep", "RNNReluStep", "LSTMStep", "GRUStep",
                                  "GRUStep no bias"])
def test_fused_steps_double_backward(name):
    # second derivatives through each fused cell (its gates recomputed as recorded ops)
    from lucid.autograd import gradgradcheck
    rng = np.random.default_rng(5)
    gates = {"RNNTanhStep": 1, "RNNReluStep": 1, "LSTMStep": 4, "GRUStep": 3,
             "GRUStep no bias": 3}[name]
    shapes = [(2, gates * 3), (2, 3)] + ([(2, 3)] if name == "LSTMStep" else []) + [
        (gates * 3, 3)] + ([(gates * 3,)] if name == "GRUStep" else [])
    op = {"RNNTanhStep": RNNTanhStep, "RNNReluStep": RNNReluStep, "LSTMStep": LSTMStep}.get(
        name, GRUStep)
    ts = [lucid.Tensor(rng.uniform(0.1, 0.9, s) * rng.choice([-1, 1], s), requires_grad=True,
                       dtype=lucid.Float64) for s in shapes]

    def f(*args):
        out = op.apply(*args)
        return sum(o.sum() * (k + 1) for k, o in enumerate(out)) if isinstance(out, tuple) \
            else out

    assert gradgradcheck(f, tuple(ts))


@needs_torch
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_layer_double_backward_matches_torch(kind):
    # a gradient penalty through a whole layer: d/dW of |dL/dx|^2, against PyTorch
    lm, tm = getattr(nn, kind)(H_IN, H).double(), getattr(torch.nn, kind)(H_IN, H).double()
    copy_torch_state(lm, tm)
    x = np.random.default_rng(6).standard_normal((L, N, H_IN))
    grads = []
    for lib, module in ((lucid, lm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        out = module(xt)[0]
        (gx,) = (lucid.autograd.grad if lib is lucid else torch.autograd.grad)(
            (out * out).sum(), xt, create_graph=True)
        (gx * gx).sum().backward()
        grads.append([np.asarray(getattr(module, n).grad) for n, _ in tm.named_parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_functional_cells_match_modules():
    cell = nn.LSTMCell(H_IN, H).double()
    x = lucid.Tensor(np.random.default_rng(12).standard_normal((N, H_IN)))
    h, c = cell(x)
    zero = lucid.zeros(N, H, dtype="float64")
    h2, c2 = F.lstm_cell(x, (zero, zero), cell.weight_ih, cell.weight_hh, cell.bias_ih,
                         cell.bias_hh)
    np.testing.assert_array_equal(h.numpy(), h2.numpy())
    np.testing.assert_array_equal(c.numpy(), c2.numpy())


def test_long_sequence_graph_is_linear():
    # 300 steps of a 2-layer LSTM, forward + backward: must not be quadratic or recurse
    m = nn.LSTM(3, 4, num_layers=2)
    x = lucid.random.randn(300, 2, 3, requires_grad=True)
    out, _ = m(x)
    out.sum().backward()
    assert x.grad.shape == (300, 2, 3) and np.all(np.isfinite(x.grad))


# ---------------------------------------------------------------------------- bad input
def test_bad_input_raises():
    m = nn.LSTM(H_IN, H, num_layers=2)
    with pytest.raises(ValueError, match=r"4 features.*\(5, 3, 7\)"):
        m(lucid.zeros(5, 3, 7))
    with pytest.raises(ValueError, match="2 \\(unbatched\\) or 3"):
        m(lucid.zeros(5, 3, 2, H_IN))
    with pytest.raises(ValueError, match=r"h_0 of shape \(2, 3, 6\), got \(1, 3, 6\)"):
        m(lucid.zeros(5, 3, H_IN), (lucid.zeros(1, 3, H), lucid.zeros(2, 3, H)))
    with pytest.raises(TypeError, match="pair"):
        m(lucid.zeros(5, 3, H_IN), lucid.zeros(2, 3, H))
    with pytest.raises(ValueError, match="empty"):
        m(lucid.zeros(0, 3, H_IN))
    g = nn.GRU(H_IN, H)
    with pytest.raises(ValueError, match=r"h_0 of shape \(1, 3, 6\)"):
        g(lucid.zeros(5, 3, H_IN), lucid.zeros(1, 2, H))
    with pytest.raises(ValueError, match="proj_size"):
        nn.RNNBase("GRU", 3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(3, 0)
    cell = nn.LSTMCell(H_IN, H)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        cell(lucid.zeros(3, 5))
    with pytest.raises(ValueError, match=r"hidden state 1 of shape \(3, 6\)"):
        cell(lucid.zeros(3, H_IN), (lucid.zeros(3, H), lucid.zeros(3, 5)))
    with pytest.raises(ValueError, match="lstm_cell"):
        F.lstm_cell(lucid.zeros(3, 5), (lucid.zeros(3, H), lucid.zeros(3, H)),
                    cell.weight_ih, cell.weight_hh)


# ---------------------------------------------------------------------------- packed sequences
from lucid.nn.utils import rnn as lrnn  # noqa: E402

LENGTHS = [3, 5, 1, 4]  # unsorted; one sequence of a single step


def _packed_run(lib, module, x, lengths, batch_first, enforce_sorted, state, is_lstm):
    utils = lrnn if lib is lucid else torch.nn.utils.rnn
    packed = utils.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
    out, final = module(packed) if state is None else module(packed, state)
    padded, out_lengths = utils.pad_packed_sequence(out, batch_first=batch_first)
    return padded, (final if is_lstm else (final,)), out_lengths


@needs_torch
@pytest.mark.parametrize("kind, extra", [("LSTM", {}), ("GRU", {}), ("RNN", {}),
                                         ("LSTM", {"proj_size": 3})])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("sorted_batch, with_state", [(False, True), (True, False)])
def test_packed_sequence_matches_torch(kind, extra, bidirectional, batch_first, sorted_batch,
                                       with_state):
    # outputs (padded back), final states and every gradient; each sequence's final state is
    # the one after its own last step, in the batch's original order
    kw = dict(num_layers=2, bidirectional=bidirectional, batch_first=batch_first, **extra)
    lm, tm = getattr(nn, kind)(H_IN, H, **kw).double(), getattr(torch.nn, kind)(H_IN, H, **kw)
    tm = tm.double()
    copy_torch_state(lm, tm)
    lengths = sorted(LENGTHS, reverse=True) if sorted_batch else LENGTHS
    rng = np.random.default_rng(7)
    x = rng.standard_normal((len(lengths), 5, H_IN) if batch_first else (5, len(lengths), H_IN))
    is_lstm = kind == "LSTM"
    layers = 2 * (2 if bidirectional else 1)
    states = [rng.standard_normal((layers, len(lengths), extra.get("proj_size", H)))]
    if is_lstm:
        states.append(rng.standard_normal((layers, len(lengths), H)))
    results = []
    for lib, module in ((lucid, lm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        st = [lib.tensor(s, requires_grad=True) for s in states] if with_state else []
        state = None if not with_state else (tuple(st) if is_lstm else st[0])
        padded, finals, out_lengths = _packed_run(lib, module, xt, lengths, batch_first,
                                                  sorted_batch, state, is_lstm)
        g = np.random.default_rng(8)
        loss = (padded * lib.tensor(g.standard_normal(tuple(padded.shape)))).sum()
        for f in finals:
            loss = loss + (f * lib.tensor(g.standard_normal(tuple(f.shape)))).sum()
        loss.backward()
        results.append(([np.asarray(padded.detach().numpy() if lib is torch else padded.numpy())]
                        + [np.asarray(f.detach().numpy() if lib is torch else f.numpy())
                           for f in finals],
                        [np.asarray(t.grad) for t in [xt] + st],
                        list(out_lengths.tolist())))
    (l_vals, l_grads, l_len), (t_vals, t_grads, t_len) = results
    assert l_len == t_len == list(lengths)
    for a, b in zip(l_vals + l_grads, t_vals + t_grads):
        np.testing.assert_allclose(a, b, **TOL["float64"])
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(getattr(lm, name).grad, p.grad.numpy(), **TOL["float64"],
                                   err_msg=name)


@needs_torch
def test_pack_pad_round_trip_and_pack_sequence_match_torch():
    rng = np.random.default_rng(9)
    seqs = [rng.standard_normal((n, 2)) for n in LENGTHS]
    lp = lrnn.pack_sequence([lucid.tensor(s) for s in seqs], enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(lp.data.numpy(), tp.data.numpy())
    assert lp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert lp.sorted_indices.tolist() == tp.sorted_indices.tolist()
    assert lp.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    lpad, llen = lrnn.pad_packed_sequence(lp, batch_first=True, padding_value=-1.0,
                                          total_length=7)
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=True, padding_value=-1.0,
                                                        total_length=7)
    np.testing.assert_array_equal(lpad.numpy(), tpad.numpy())
    assert llen.tolist() == tlen.tolist() == LENGTHS


def test_packing_bad_lengths_raise():
    x = lucid.randn(5, 4, 2)
    with pytest.raises(ValueError, match="not sorted"):
        lrnn.pack_padded_sequence(x, LENGTHS)
    with pytest.raises(ValueError, match="longer than the padded"):
        lrnn.pack_padded_sequence(x, [6, 5, 1, 1])
    with pytest.raises(ValueError, match="positive"):
        lrnn.pack_padded_sequence(x, [5, 3, 0, 0])
    with pytest.raises(ValueError, match="3 lengths for a batch of 4"):
        lrnn.pack_padded_sequence(x, [5, 3, 1])
    packed = lrnn.pack_padded_sequence(x, [5, 4, 2, 1])
    with pytest.raises(ValueError, match="total_length"):
        lrnn.pad_packed_sequence(packed, total_length=3)
