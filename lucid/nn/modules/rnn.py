"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Parameters carry PyTorch's names and layouts (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse``, ``weight_hr_l0`` for LSTM projections), so a state_dict or a
weight copied from ``torch.nn.LSTM`` fits as it is. All start from U(-1/sqrt(H), 1/sqrt(H)).
"""

import math

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.functional._rnn import (LSTMStep, RNNReluStep, RNNTanhStep, _input_part,
                                      _recurrent_layer)
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn.utils.rnn import PackedSequence, _pack, pad_packed_sequence
from lucid.ops import concatenate, empty, stack, zeros

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """A multi-layer recurrent network; ``RNN``, ``LSTM`` and ``GRU`` choose the cell (``mode``).

    Input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in). Each layer
    runs its cell over the sequence (both ways with ``bidirectional``, D = 2 directions, their
    outputs concatenated); layer k > 0 reads layer k-1's output, with dropout ``dropout``
    between layers in training. The input projection of a layer is one matrix product over all
    L steps; each step is one fused op. Returns (output (L, N, D H_out), h_n (num_layers D, N,
    H_out)), with h_n = (h_n, c_n) for LSTM (c_n: (num_layers D, N, H)). H_out = proj_size if
    set (LSTM only: h_t = W_hr (o_t tanh(c_t))), else hidden_size.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"unknown RNN mode {mode!r}; expected one of {sorted(_GATES)}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if hidden_size == 0 or num_layers == 0:
            raise ValueError(f"hidden_size and num_layers must be positive, got {hidden_size} "
                             f"and {num_layers}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be a number in [0, 1], got {dropout!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"proj_size is only supported by LSTM, not {mode}")
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size ({proj_size}) must be smaller than hidden_size "
                             f"({hidden_size})")
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        self._flat_weights_names = []
        device = device or "cpu"
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix,
                            Parameter(empty(*shape, dtype=dtype, device=device)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for name in self._flat_weights_names:
            init.uniform_(getattr(self, name), -bound, bound)

    def flatten_parameters(self):
        """A no-op, kept so PyTorch code that calls it runs unchanged."""

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as in PyTorch."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[k:k + per]] for k in range(0, len(names), per)]

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix), get("weight_hr" + suffix))

    # ------------------------------------------------------------------ forward
    def _check_input(self, input_):
        if not isinstance(input_, Tensor):
            raise TypeError(f"{type(self).__name__} expects a Tensor input, got "
                            f"{type(input_).__name__}")
        if input_.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: expected input of 2 (unbatched) or 3 "
                             f"dimensions, got shape {tuple(input_.shape)}")
        if input_.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input with {self.input_size} "
                             f"features in its last axis, got shape {tuple(input_.shape)}")
        if input_.shape[0 if input_.ndim == 2 or not self.batch_first else 1] == 0:
            raise ValueError(f"{type(self).__name__}: the sequence is empty (input shape "
                             f"{tuple(input_.shape)})")

    def _check_state(self, state, expected, name):
        if not isinstance(state, Tensor):
            raise TypeError(f"{type(self).__name__}: {name} must be a Tensor, got "
                            f"{type(state).__name__}")
        if tuple(state.shape) != expected:
            raise ValueError(f"{type(self).__name__}: expected {name} of shape {expected}, got "
                             f"{tuple(state.shape)}")

    def forward(self, input_, hx=None):
        """(output, h_n), or (output, (h_n, c_n)) for LSTM. ``input_`` may be a
        ``PackedSequence`` (nn.utils.rnn): the output is then one too, and each sequence's final
        state is the one after its own last step."""
        if isinstance(input_, PackedSequence):
            padded, lengths = pad_packed_sequence(input_)  # (L, B, H_in), the original order
            lengths = lengths.tolist()
            output, state = self._forward(padded, hx, time_axis=0, lengths=lengths)
            order = (list(range(len(lengths))) if input_.sorted_indices is None
                     else input_.sorted_indices.tolist())
            packed = _pack(output[:, order], [lengths[b] for b in order], input_.sorted_indices,
                           input_.unsorted_indices)
            return packed, state
        self._check_input(input_)
        return self._forward(input_, hx, 1 if input_.ndim == 3 and self.batch_first else 0)

    def _forward(self, input_, hx, time_axis, lengths=None):
        is_lstm = self.mode == "LSTM"
        batched = input_.ndim == 3
        x = input_ if batched else input_.unsqueeze(1)  # unbatched (L, H_in) -> (L, 1, H_in)
        batch = x.shape[1 - time_axis]
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size or self.hidden_size
        h_shape = (self.num_layers * directions, batch, real_hidden)
        c_shape = (self.num_layers * directions, batch, self.hidden_size)
        if not batched:
            h_shape, c_shape = (h_shape[0], h_shape[2]), (c_shape[0], c_shape[2])
        if hx is None:
            dtype = x.dtype if x.is_floating_point() else self.weight_ih_l0.dtype
            h0 = zeros(*h_shape, dtype=dtype, device=x.device)
            c0 = zeros(*c_shape, dtype=dtype, device=x.device) if is_lstm else None
        elif is_lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM expects hx = (h_0, c_0), a pair of Tensors")
            h0, c0 = hx
            self._check_state(h0, h_shape, "h_0")
            self._check_state(c0, c_shape, "c_0")
        else:
            self._check_state(hx, h_shape, "h_0")
            h0, c0 = hx, None
        if not batched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None

        h_finals, c_finals = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                state = (h0[k], c0[k]) if is_lstm else h0[k]
                out, final = _recurrent_layer(self.mode, layer_input, time_axis, state, w_ih,
                                              w_hh, b_ih, b_hh, w_hr, reverse=direction == 1,
                                              lengths=lengths)
                outs.append(out)
                if is_lstm:
                    h_finals.append(final[0])
                    c_finals.append(final[1])
                else:
                    h_finals.append(final)
            layer_input = outs[0] if directions == 1 else concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, p=self.dropout, training=True)

        output = layer_input if batched else layer_input.squeeze(1)
        h_n = stack(h_finals, axis=0)
        h_n = h_n if batched else h_n.squeeze(1)
        if not is_lstm:
            return output, h_n
        c_n = stack(c_finals, axis=0)
        return output, (h_n, c_n if batched else c_n.squeeze(1))

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    W_ih: (H, H_in), W_hh: (H, H). Shapes and options as in ``RNNBase``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: (i, f, g, o) = (sig, sig, tanh, sig)(x W_ih^T + b_ih + h W_hh^T
    + b_hh), c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (times W_hr^T with ``proj_size``).

    W_ih: (4H, H_in), W_hh: (4H, H_out), gate order i, f, g, o. forward(input, (h_0, c_0))
    returns (output, (h_n, c_n)). Shapes and options as in ``RNNBase``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r = sig(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h_t = (1 - z) n + z h_{t-1}.

    W_ih: (3H, H_in), W_hh: (3H, H), gate order r, z, n. Shapes and options as in ``RNNBase``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


# ---------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrent cell; parameters weight_ih (G H, H_in), weight_hh (G H, H),
    bias_ih, bias_hh (G H,), all from U(-1/sqrt(H), 1/sqrt(H))."""

    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        if input_size < 0 or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__} needs input_size >= 0 and hidden_size > 0, "
                             f"got ({input_size}, {hidden_size})")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        device = device or "cpu"
        gate_size = self._gates * hidden_size
        self.weight_ih = Parameter(empty(gate_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gate_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters(recurse=False):
            init.uniform_(p, -bound, bound)

    def _prepare(self, input_, states):
        """Check shapes; return (x (N, H_in), states (N, H) each or zeros, batched?)."""
        name = type(self).__name__
        if not isinstance(input_, Tensor):
            raise TypeError(f"{name} expects a Tensor input, got {type(input_).__name__}")
        if input_.ndim not in (1, 2) or input_.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input_.shape)}")
        batched = input_.ndim == 2
        x = input_ if batched else input_.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for k, s in enumerate(states):
            if s is None:
                dtype = x.dtype if x.is_floating_point() else self.weight_ih.dtype
                out.append(zeros(x.shape[0], self.hidden_size, dtype=dtype, device=x.device))
                continue
            if not isinstance(s, Tensor) or tuple(s.shape) != expected:
                got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(f"{name}: expected hidden state {k} of shape {expected}, got "
                                 f"{got}")
            out.append(s if batched else s.unsqueeze(0))
        return x, out, batched

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.

    x: (N, H_in) or (H_in,), h: (N, H) or (H,) (zeros if None) -> h': same shape as h.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input_, hx=None):
        x, (h,), batched = self._prepare(input_, (hx,))
        step = RNNTanhStep if self.nonlinearity == "tanh" else RNNReluStep
        out = step.apply(_input_part(x, self.weight_ih, self.bias_ih, self.bias_hh), h,
                         self.weight_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gate order i, f, g, o): x: (N, H_in) or (H_in,), hx = (h, c) each (N, H)
    or (H,) (zeros if None) -> (h', c'). See ``LSTM`` for the math."""

    _gates = 4

    def forward(self, input_, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell expects hx = (h, c), a pair of Tensors")
        x, (h, c), batched = self._prepare(input_, hx if hx is not None else (None, None))
        h, c = LSTMStep.apply(_input_part(x, self.weight_ih, self.bias_ih, self.bias_hh), h, c,
                              self.weight_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gate order r, z, n): x: (N, H_in) or (H_in,), h: (N, H) or (H,) (zeros if
    None) -> h'. See ``GRU`` for the math."""

    _gates = 3

    def forward(self, input_, hx=None):
        x, (h,), batched = self._prepare(input_, (hx,))
        out = F.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)

