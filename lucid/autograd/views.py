"""Writing through a view: the viewed tensor's graph follows the write (PyTorch's CopySlices).

``v = h[0]`` is a view: its array is a window into ``h``'s memory. ``v.mul_(3)`` writes into that
window, so ``h``'s values change too, and so must ``h``'s place in the graph::

    h_new = h_old outside the window, v_new inside it

    dL/dh_old = dL/dh_new with the window zeroed
    dL/dv_new = the window of dL/dh_new

After the write, ``h`` is re-pointed to a ``WriteThroughView`` node whose inputs are a stand-in
for ``h_old`` and ``v`` (at its new node). The window is found by calling the view op again, with
the arguments ``apply`` kept for it (``ctx._view_call``): on a mask in forward, on the gradient
in backward (so under ``create_graph`` the window of the gradient is itself recorded). A view of
a view repeats this one level up, until the tensor that owns the memory.
"""

from lucid.autograd.function import Function
from lucid.ops.elementwise import where

__all__ = ["views_written", "check_writable", "write_through", "WriteThroughView"]


def views_written(tensor):
    """The chain of tensors that a write into ``tensor`` also changes, innermost first: one
    ``(base, view_node, index)`` per level, where ``tensor`` (or the previous base) is output
    ``index`` of ``view_node``, a view op on ``base``. Empty when ``tensor`` views nothing."""
    chain = []
    node = tensor._node
    while node is not None and node._view_call is not None:
        base = node.parents[node._view_call[0]]
        chain.append((base, node, tensor._out_index))
        tensor, node = base, base._node
    return chain


def check_writable(chain):
    """Raise, before anything is written, if a write through ``chain`` (from
    ``views_written``) would change a leaf that requires grad (PyTorch's rule too)."""
    for base, node, _ in chain:
        if base._node is None and base.requires_grad:
            raise RuntimeError(
                f"a view (made by {type(node).__name__}) of a leaf tensor that requires grad is "
                "used in an in-place operation; wrap it in `with lucid.no_grad():`")


def write_through(chain, piece):
    """Re-point every base of ``chain`` after ``piece`` (the innermost view) was written, and
    keep each view a view of its base's new version, so a later write through it (or a read
    of it) goes through the base again."""
    for base, node, index in chain:
        if not (base.requires_grad or piece.requires_grad):
            return
        # (the old values are gone from memory: a node that saved them raises, through the
        # version counter the stand-in shares)
        base._repoint(WriteThroughView.apply(base._as_it_is(), piece, node, index))
        piece._repoint(_window(node, index, base))  # the same window, of the new base
        piece = base


def _window(view_node, index, array):
    """The window that ``view_node`` (a view op, output ``index``) cuts out of ``array``."""
    position, raw, kwargs = view_node._view_call
    args = list(raw)
    args[position] = array
    out = type(view_node).apply(*args, **kwargs)
    return out[index] if type(out) is tuple else out


class WriteThroughView(Function):
    """The base after a write through its view: ``old_base`` outside the window, ``piece``
    inside. Forward computes nothing (the write already happened in memory); it records the
    window as a mask."""

    def forward(ctx, old_base, piece, view_node, index):
        marks = ctx.xp.zeros_like(old_base)
        window = _window(view_node, index, marks)
        if not (window is marks or window.base is marks):
            raise RuntimeError(f"{type(view_node).__name__} did not give a view to write through")
        window[...] = 1
        ctx.mask = marks != 0
        ctx.view_node, ctx.index = view_node, index
        return old_base

    def backward(ctx, grad):
        return where(ctx.mask, 0.0, grad), _window(ctx.view_node, ctx.index, grad), None, None
