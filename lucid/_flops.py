"""FLOP counting: ``with lucid.count_flops(): ...`` and ``t.flops``.

The count is read off the autograd graph after the fact, so ``Function.apply`` does no extra
work, counting or not. ``count_flops`` only records which stretch of node creation numbers
(``Function._seq``, already given to every graph node) fell inside the block; ``t.flops`` then
walks ``t``'s graph (each node once) and adds up the estimate of every node created inside some
``count_flops`` block. Nodes made outside any block count 0, as in Lucid 2.

Estimates, in floating-point operations (a multiply-add is 2):

- matmul ``(..., n, k) @ (..., k, m)``: ``2 * numel(out) * k``; ``F.linear``: ``2 * numel(out) *
  in_features`` plus ``numel(out)`` for the bias; ``einsum``: ``2 * prod(every letter's size)``.
- convolution: ``2 * numel(out) * (C_in / groups) * prod(kernel)``; transposed convolution:
  ``2 * numel(x) * (C_out / groups) * prod(kernel)`` (its cost scales with the input).
- shape, indexing, copy and cast ops: 0.
- everything else (elementwise ops, reductions, activations, norms, losses): one per element of
  its largest operand (the output, or the input of a reduction).

A Function subclass may define ``flops(ctx, out)`` (``out``: one output Tensor; the inputs are
``ctx.parents``) to give its own estimate.

Limits, by design of "read it off the graph": only ops that record a graph count (some input
requires grad and grad mode is on; under ``no_grad`` there is no graph and ``t.flops`` is 0, use
``lucid.utils.summary`` for inference FLOPs), and ``backward()`` frees the graph it walks, so
read ``t.flops`` before it (or call ``backward(retain_graph=True)``).
"""

import functools

from lucid.autograd import function as _function

__all__ = ["count_flops", "flops_enabled", "graph_flops"]

# [first creation number inside, first one after (None while the block is open)], one per block
_windows = []
_depth = [0]


def _next_seq():
    # Taking a number leaves a gap in the sequence, which only orders nodes: harmless.
    return next(_function._sequence)


class count_flops:
    """Count the FLOPs of the ops run inside the block (a context manager and a decorator);
    read the total with ``tensor.flops``. Blocks may nest."""

    def __enter__(self):
        self._window = [_next_seq(), None]
        _windows.append(self._window)
        _depth[0] += 1
        return self

    def __exit__(self, *exc):
        self._window[1] = _next_seq()
        _depth[0] -= 1
        _merge_closed()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with count_flops():
                return fn(*args, **kwargs)
        return wrapper


def flops_enabled():
    """True inside a ``count_flops`` block."""
    return _depth[0] > 0


def _merge_closed():
    # Keep the window list short when blocks are opened many times (one per training step, say):
    # windows nested inside another or touching it become one.
    if _depth[0]:
        return
    _windows.sort(key=lambda w: w[0])
    merged = []
    for w in _windows:
        if merged and w[0] <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], w[1])
        else:
            merged.append(w)
    _windows[:] = merged


def _counted(seq):
    for start, end in _windows:
        if start <= seq and (end is None or seq < end):
            return True
    return False


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _estimates():
    """{Function class: estimate(node, out)} for the ops whose cost is not one per element."""
    # (the ops package re-exports functions named like its modules: take the modules)
    from lucid.ops import _elementwise as elementwise, _index as index, _matmul as matmul
    from lucid.ops import _shape as shape
    from lucid.nn.functional import _conv, _linear

    def mm(node, out):
        a = node.parents[0]
        return 2 * _numel(out.shape) * a.shape[-1]

    def linear(node, out):
        x = node.parents[0]
        bias = len(node.parents) > 2 and node.parents[2] is not None
        return _numel(out.shape) * (2 * x.shape[-1] + int(bias))

    def einsum(node, out):
        sizes = {}
        for sub, p in zip(node.inputs, node.parents):
            sizes.update(zip(sub, p.shape))
        n = _numel(sizes.values())
        return 2 * n if len(node.parents) > 1 else n

    def conv(node, out):
        w = node.parents[1]
        bias = len(node.parents) > 2 and node.parents[2] is not None
        return _numel(out.shape) * (2 * _numel(w.shape[1:]) + int(bias))

    def conv_transpose(node, out):
        x, w = node.parents[0], node.parents[1]
        bias = len(node.parents) > 2 and node.parents[2] is not None
        return 2 * _numel(x.shape) * _numel(w.shape[1:]) + int(bias) * _numel(out.shape)

    def free(node, out):
        return 0

    table = {matmul.MatMul: mm, matmul.Einsum: einsum, _linear.Linear: linear,
             _conv.ConvNd: conv, _conv.ConvTransposeNd: conv_transpose}
    for module in (shape, index):  # moving values around computes nothing
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, _function.Function):
                table.setdefault(obj, free)
    for cls in (elementwise.Cast, elementwise.Clone, elementwise.ToDevice):
        table[cls] = free
    return table


_table = []


def _estimate(node, out):
    own = getattr(type(node), "flops", None)
    if own is not None:
        return int(own(node, out))
    if not _table:
        _table.append(_estimates())
    rule = _table[0].get(type(node))
    if rule is not None:
        return int(rule(node, out))
    n = _numel(out.shape)
    for p in node.parents:
        if p is not None and _numel(p.shape) > n:
            n = _numel(p.shape)
    return n


def graph_flops(tensor):
    """The FLOPs of the ops in ``tensor``'s graph that ran inside a ``count_flops`` block."""
    if not _windows or tensor._node is None:
        return 0
    total = 0
    seen = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        node = t._node
        if node is None or node._freed or id(node) in seen:
            continue
        seen.add(id(node))
        if _counted(node._seq):
            total += _estimate(node, t)
        for p in node.parents:
            if p is not None and p._node is not None:
                stack.append(p)
    return total
