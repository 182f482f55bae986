"""Recurrent cells as fused ops, and the loop that runs one layer of them over a sequence.

A recurrent layer spends its time in two places: the input projection, which does not depend on
the recurrence and is done for all L timesteps in ONE matrix product (``linear`` on the whole
(L, N, H_in) sequence), and the recurrence itself, which must go step by step. Each step is one
fused ``Function`` (gates from the precomputed input part plus h W_hh^T, nonlinearities, new
state) with a hand-written backward, so a layer is O(L) graph nodes of low overhead.

Gate layouts follow PyTorch, so weights copy over 1:1 (H = hidden size, W_hh: (G H, H)):

- RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),                        act = tanh or relu
- LSTM: (i, f, g, o) = (sig, sig, tanh, sig)(x W_ih^T + b_ih + h W_hh^T + b_hh)
        c' = f * c + i * g,   h' = o * tanh(c')                 (then h' W_hr^T with proj_size)
- GRU:  r = sig(x W_ir^T + b_ir + h W_hr^T + b_hr),  z = sig(... same with z ...)
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),   h' = (1 - z) * n + z * h

The cell backwards are written with operators, array methods and lucid functions, so under
``create_graph`` they record a graph of their own (double backward, as for every op). The gate
activations forward saved are intermediates, which would enter that graph as constants: then
they are computed again from the inputs with lucid ops (``_lstm_gates``, ``_gru_gates``), so the
second derivative also flows through them.
"""

from lucid.autograd.function import Function
from lucid.nn.functional._linear import linear
from lucid.ops import concatenate, sigmoid, stack, tanh, where

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


# ---------------------------------------------------------------------------- fused steps
class RNNTanhStep(Function):
    """h' = tanh(xg + h W^T), xg: (N, H) the input part (bias included), h: (N, H), W: (H, H)."""

    def forward(ctx, xg, h, w_hh):
        out = h @ w_hh.T
        out = out + xg  # not in place: xg may be of a wider dtype than h
        ctx.xp.tanh(out, out=out)
        ctx.save_for_backward(h, w_hh, out)
        return out

    def backward(ctx, grad):
        h, w_hh, out = ctx.saved_tensors  # (out is the output: under create_graph, a Tensor)
        da = grad * (1 - out * out)
        return _step_grads(ctx, da, h, w_hh)


class RNNReluStep(Function):
    """h' = relu(xg + h W^T), xg: (N, H) the input part (bias included), h: (N, H), W: (H, H)."""

    def forward(ctx, xg, h, w_hh):
        out = h @ w_hh.T
        out = out + xg
        ctx.xp.maximum(out, 0, out=out)
        ctx.save_for_backward(h, w_hh, out)
        return out

    def backward(ctx, grad):
        h, w_hh, out = ctx.saved_tensors
        da = grad * (out > 0)
        return _step_grads(ctx, da, h, w_hh)


def _step_grads(ctx, da, h, w_hh):
    """Gradients of (xg, h, W_hh) given dL/d(pre-activation) ``da`` of a = xg + h W^T."""
    need_x, need_h, need_w = ctx.needs_input_grad
    return (da if need_x else None, da @ w_hh if need_h else None,
            da.T @ h if need_w else None)


class LSTMStep(Function):
    """One LSTM step: (xg, h, c, W_hh) -> (h', c'), xg: (N, 4H) the input part with both biases.

    With a = xg + h W_hh^T split into (a_i, a_f, a_g, a_o), i = sig(a_i), f = sig(a_f),
    g = tanh(a_g), o = sig(a_o), c' = f c + i g, h' = o tanh(c'). Backward, from dh', dc':
    dc = dc' + dh' o (1 - tanh(c')^2);  da_i = dc g i(1-i),  da_f = dc c f(1-f),
    da_g = dc i (1-g^2),  da_o = dh' tanh(c') o(1-o);  then dxg = da, dh = da W_hh,
    dW_hh = da^T h, dc_prev = dc f.
    """

    def forward(ctx, xg, h, c, w_hh):
        hidden = c.shape[-1]
        acts = h @ w_hh.T
        acts = acts + xg
        # sig(x) = (1 + tanh(x / 2)) / 2: one tanh call over all four gates, and no overflow
        # warning from exp(-x) on large inputs
        sig_if, sig_o = acts[:, :2 * hidden], acts[:, 3 * hidden:]
        sig_if *= 0.5
        sig_o *= 0.5
        ctx.xp.tanh(acts, out=acts)
        sig_if *= 0.5
        sig_if += 0.5
        sig_o *= 0.5
        sig_o += 0.5
        i, f = acts[:, :hidden], acts[:, hidden:2 * hidden]
        g, o = acts[:, 2 * hidden:3 * hidden], acts[:, 3 * hidden:]
        c_new = f * c
        c_new += i * g
        tanh_c = ctx.xp.tanh(c_new)
        h_new = o * tanh_c
        ctx.save_for_backward(xg, h, c, w_hh, acts, tanh_c)
        return h_new, c_new

    def backward(ctx, grad_h, grad_c):
        xg, h, c, w_hh, acts, tanh_c = ctx.saved_tensors
        if ctx._create_graph:  # the gates as functions of the inputs (see the module docstring)
            acts, tanh_c = _lstm_gates(xg, h, c, w_hh)
        hidden = c.shape[-1]
        i, f = acts[:, :hidden], acts[:, hidden:2 * hidden]
        g, o = acts[:, 2 * hidden:3 * hidden], acts[:, 3 * hidden:]
        dc = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
        da = concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                          grad_h * tanh_c * o * (1 - o)], axis=-1)
        need_x, need_h, need_c, need_w = ctx.needs_input_grad
        return (da if need_x else None, da @ w_hh if need_h else None,
                dc * f if need_c else None, da.T @ h if need_w else None)


class GRUStep(Function):
    """One GRU step: (xg, h, W_hh[, b_hh]) -> h', xg: (N, 3H) = x W_ih^T + b_ih.

    hg = h W_hh^T + b_hh split into (hg_r, hg_z, hg_n); r = sig(xg_r + hg_r),
    z = sig(xg_z + hg_z), n = tanh(xg_n + r hg_n), h' = n + z (h - n). b_hh stays inside the
    cell because b_hn is multiplied by r. Backward, from dh': dz = dh'(h - n), dn = dh'(1 - z),
    da_n = dn (1 - n^2), da_r = da_n hg_n r(1-r), da_z = dz z(1-z); dxg = (da_r, da_z, da_n),
    dhg = (da_r, da_z, da_n r), dh = dh' z + dhg W_hh, dW_hh = dhg^T h, db_hh = sum dhg.
    """

    def forward(ctx, xg, h, w_hh, b_hh=None):
        hidden = h.shape[-1]
        xp = ctx.xp
        hg = h @ w_hh.T
        if b_hh is not None:
            hg += b_hh
        rz = xg[:, :2 * hidden] + hg[:, :2 * hidden]
        rz *= 0.5
        xp.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        r, z = rz[:, :hidden], rz[:, hidden:]
        hg_n = hg[:, 2 * hidden:]
        n = r * hg_n
        n += xg[:, 2 * hidden:]
        xp.tanh(n, out=n)
        out = h - n
        out *= z
        out += n
        ctx.save_for_backward(xg, h, w_hh, b_hh, rz, n, hg_n)
        return out

    def backward(ctx, grad):
        xg, h, w_hh, b_hh, rz, n, hg_n = ctx.saved_tensors
        if ctx._create_graph:  # the gates as functions of the inputs (see the module docstring)
            rz, n, hg_n = _gru_gates(xg, h, w_hh, b_hh)
        hidden = h.shape[-1]
        r, z = rz[:, :hidden], rz[:, hidden:]
        da_n = grad * (1 - z) * (1 - n * n)
        da_r = da_n * hg_n * r * (1 - r)
        da_z = grad * (h - n) * z * (1 - z)
        need = ctx.needs_input_grad + (False,) * (4 - len(ctx.needs_input_grad))
        need_x, need_h, need_w, need_b = need
        dxg = concatenate([da_r, da_z, da_n], axis=-1) if need_x else None
        dhg = concatenate([da_r, da_z, da_n * r], axis=-1)
        dh = grad * z + dhg @ w_hh if need_h else None
        dw = dhg.T @ h if need_w else None
        db = dhg.sum(axis=0) if need_b else None
        if len(ctx.needs_input_grad) == 3:
            return dxg, dh, dw
        return dxg, dh, dw, db


def _lstm_gates(xg, h, c, w_hh):
    """LSTMStep's saved intermediates, (i, f, g, o) side by side and tanh(c'), recorded."""
    hidden = c.shape[-1]
    acts = h @ w_hh.T + xg
    i, f = sigmoid(acts[:, :hidden]), sigmoid(acts[:, hidden:2 * hidden])
    g, o = tanh(acts[:, 2 * hidden:3 * hidden]), sigmoid(acts[:, 3 * hidden:])
    return concatenate([i, f, g, o], axis=-1), tanh(f * c + i * g)


def _gru_gates(xg, h, w_hh, b_hh):
    """GRUStep's saved intermediates, (r, z) side by side, n and hg_n, recorded."""
    hidden = h.shape[-1]
    hg = h @ w_hh.T if b_hh is None else h @ w_hh.T + b_hh
    rz = sigmoid(xg[:, :2 * hidden] + hg[:, :2 * hidden])
    hg_n = hg[:, 2 * hidden:]
    return rz, tanh(rz[:, :hidden] * hg_n + xg[:, 2 * hidden:]), hg_n


class Unbind(Function):
    """A tensor -> its slices along ``axis``, as ONE node (``lucid.unbind`` makes one indexing
    node per slice, each of whose backward writes a full-size array: O(L^2) for a sequence).
    Backward stacks the slices' gradients (zeros for slices that got none)."""

    def forward(ctx, x, axis=0):
        ctx.axis = axis
        index = [slice(None)] * x.ndim
        pieces = []
        for t in range(x.shape[axis]):
            index[axis] = t
            pieces.append(x[tuple(index)])
        return tuple(pieces)

    def backward(ctx, *grads):
        return stack(list(grads), axis=ctx.axis)


# ---------------------------------------------------------------------------- cells
def _check_cell(name, input_, hx, w_ih, w_hh, gates):
    if input_.ndim != 2 or input_.shape[1] != w_ih.shape[1]:
        raise ValueError(f"{name}: input should have shape (N, {w_ih.shape[1]}), got "
                         f"{tuple(input_.shape)}")
    hidden = w_hh.shape[1]
    if w_ih.shape[0] != gates * hidden or w_hh.shape[0] != gates * hidden:
        raise ValueError(f"{name}: weights of shapes {tuple(w_ih.shape)} and {tuple(w_hh.shape)} "
                         f"do not fit {gates} gates of hidden size {hidden}")
    for t in hx:
        if tuple(t.shape) != (input_.shape[0], hidden):
            raise ValueError(f"{name}: hidden state should have shape "
                             f"({input_.shape[0]}, {hidden}), got {tuple(t.shape)}")


def _input_part(input_, w_ih, b_ih, b_hh):
    """x W_ih^T + b_ih + b_hh: the part of the gates that does not depend on the state."""
    if b_ih is None:
        return linear(input_, w_ih) if b_hh is None else linear(input_, w_ih, b_hh)
    return linear(input_, w_ih, b_ih if b_hh is None else b_ih + b_hh)


def rnn_tanh_cell(input_, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh). x: (N, H_in), h: (N, H) -> h': (N, H)."""
    _check_cell("rnn_tanh_cell", input_, (hx,), w_ih, w_hh, 1)
    return RNNTanhStep.apply(_input_part(input_, w_ih, b_ih, b_hh), hx, w_hh)


def rnn_relu_cell(input_, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh). x: (N, H_in), h: (N, H) -> h': (N, H)."""
    _check_cell("rnn_relu_cell", input_, (hx,), w_ih, w_hh, 1)
    return RNNReluStep.apply(_input_part(input_, w_ih, b_ih, b_hh), hx, w_hh)


def lstm_cell(input_, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (gate order i, f, g, o). x: (N, H_in), hx = (h, c) each (N, H) -> (h', c').

    W_ih: (4H, H_in), W_hh: (4H, H), biases (4H,). See ``LSTMStep`` for the math.
    """
    h, c = hx
    _check_cell("lstm_cell", input_, (h, c), w_ih, w_hh, 4)
    return LSTMStep.apply(_input_part(input_, w_ih, b_ih, b_hh), h, c, w_hh)


def gru_cell(input_, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gate order r, z, n). x: (N, H_in), h: (N, H) -> h': (N, H).

    W_ih: (3H, H_in), W_hh: (3H, H), biases (3H,). See ``GRUStep`` for the math.
    """
    _check_cell("gru_cell", input_, (hx,), w_ih, w_hh, 3)
    xg = linear(input_, w_ih) if b_ih is None else linear(input_, w_ih, b_ih)
    if b_hh is None:
        return GRUStep.apply(xg, hx, w_hh)
    return GRUStep.apply(xg, hx, w_hh, b_hh)


# ---------------------------------------------------------------------------- one layer
def _recurrent_layer(mode, x, time_axis, state, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None,
                     reverse=False, lengths=None):
    """Run one layer in one direction over a whole sequence.

    x: (L, N, H_in) with ``time_axis`` 0, or (N, L, H_in) with 1; ``state`` is h0 (N, H_out),
    or (h0, c0) for "LSTM". Returns (output (same layout as x, last axis H_out), final state).
    The input projection is one ``linear`` over all L steps; the steps are fused cells. With
    ``lengths`` (one per sequence of the batch; a packed sequence) a sequence past its length
    keeps its state: h_t = h_t-1 where t >= length, so the final state is the one after its
    own last step (reversed, it starts from the initial state at its own last step).
    """
    if mode == "GRU":
        xg = linear(x, w_ih) if b_ih is None else linear(x, w_ih, b_ih)
    else:
        xg = _input_part(x, w_ih, b_ih, b_hh)
    steps = Unbind.apply(xg, axis=time_axis)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    if lengths is not None:  # (N, 1) masks: which sequences still run at step t
        lens = x._backend.xp.asarray(lengths)[:, None]
        running = [lens > t for t in range(len(steps))]
    outputs = [None] * len(steps)
    if mode == "LSTM":
        h, c = state
        for t in order:
            h_new, c_new = LSTMStep.apply(steps[t], h, c, w_hh)
            if w_hr is not None:
                h_new = linear(h_new, w_hr)
            if lengths is not None:
                h_new, c_new = where(running[t], h_new, h), where(running[t], c_new, c)
            h, c = h_new, c_new
            outputs[t] = h
        final = (h, c)
    else:
        h = state
        for t in order:
            if mode == "GRU":
                h_new = (GRUStep.apply(steps[t], h, w_hh) if b_hh is None
                         else GRUStep.apply(steps[t], h, w_hh, b_hh))
            elif mode == "RNN_TANH":
                h_new = RNNTanhStep.apply(steps[t], h, w_hh)
            else:
                h_new = RNNReluStep.apply(steps[t], h, w_hh)
            h = h_new if lengths is None else where(running[t], h_new, h)
            outputs[t] = h
        final = h
    return stack(outputs, axis=time_axis), final
