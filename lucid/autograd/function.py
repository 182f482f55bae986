"""``Function``: one differentiable op, its forward and its gradient side by side.

An op is a subclass with two methods that read like the math::

    class Exp(Function):
        def forward(ctx, x):                 # x: a raw array (NumPy or CuPy)
            out = ctx.xp.exp(x)
            ctx.save_for_backward(out)
            return out

        def backward(ctx, grad):              # grad: dL/d(out), same shape as out
            (out,) = ctx.saved_tensors
            return grad * out                 # dL/dx, one value per forward input

``Exp.apply(t)`` runs it. ``apply`` is the one place that unwraps Tensors into arrays, checks that
all inputs live on one device, and wraps the result into a Tensor that links back to this node
(``ctx`` *is* the graph node). ``forward``/``backward`` may be written as plain methods, as above,
or as PyTorch-style ``@staticmethod``s; both are called as ``cls.forward(ctx, ...)``.

**Dual mode, and so higher-order gradients for free.** ``apply`` given no Tensor at all but a raw
array computes on raw arrays and returns a raw array. Backward formulas are written with the same
functions and operators, so when the engine walks the graph normally they run on raw arrays, and
under ``create_graph=True`` (when ``grad`` and ``ctx.saved_tensors`` are Tensors) they record a
graph of their own, which can be differentiated again. No op needs a second copy of its VJP.
"""

import weakref

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import _state
from lucid.backend import backend_of, is_array
from lucid.error import BackwardError, DeviceMismatchError

__all__ = ["Function", "FunctionCtx"]

_OUTPUT = -1  # marks a saved array that is the op's own output


class Function:
    """Base class of every differentiable op; an instance is one node of the graph."""

    # Set by apply on nodes that join a graph:
    #   parents             the positional inputs (Tensor or None for constants)
    #   needs_input_grad    one bool per positional input
    #   xp                  the array module of the inputs' device
    #   _outs               weak references to the output Tensors
    _freed = False
    _saved = ()
    _create_graph = False

    # ---------------------------------------------------------------- running an op
    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls.__new__(cls)
        backend = None
        requires_grad = False
        has_tensor = False
        raw = list(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                has_tensor = True
                raw[i] = arg._data
                if backend is None:
                    backend = arg._backend
                elif arg._backend is not backend:
                    raise DeviceMismatchError(
                        f"{cls.__name__}: inputs are on two devices, "
                        f"'{backend.name}' and '{arg._backend.name}'; move them with .to(device)")
                if arg.requires_grad:
                    requires_grad = True
            elif backend is None and is_array(arg):
                backend = backend_of(arg)
        if not has_tensor:
            if backend is None:  # plain Python values: compute on a cpu Tensor
                return cls.apply(Tensor(args[0]), *args[1:], **kwargs)
            ctx.xp = backend.xp
            return cls.forward(ctx, *raw, **kwargs)  # dual mode: raw arrays in, raw array out

        ctx.xp = xp = backend.xp
        out = cls.forward(ctx, *raw, **kwargs)
        requires_grad = requires_grad and _state["enabled"]
        if type(out) is tuple:
            outs = tuple(_wrap(o, xp, backend) for o in out)
            ctx._out_meta = [(t.shape, t._data.dtype) for t in outs]
        else:
            outs = (_wrap(out, xp, backend),)
        if requires_grad:
            ctx.parents = tuple(a if isinstance(a, Tensor) else None for a in args)
            ctx.needs_input_grad = tuple(a is not None and a.requires_grad for a in ctx.parents)
            nondiff = getattr(ctx, "_non_differentiable", ())
            for index, t in enumerate(outs):
                if not any(t._data is a for a in nondiff):
                    t.requires_grad = True
                    t._node = ctx
                    t._out_index = index
            ctx._outs = tuple(weakref.ref(t) for t in outs)
            if ctx._saved:
                ctx._link_saved(raw, outs)
        return outs if type(out) is tuple else outs[0]

    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__} defines no forward")

    def backward(ctx, *grads):
        raise NotImplementedError(f"{type(ctx).__name__} defines no backward")

    # ---------------------------------------------------------------- saving for backward
    def save_for_backward(ctx, *arrays):
        """Keep arrays (inputs or the output) for backward; read them back as ``saved_tensors``."""
        ctx._saved = arrays

    def mark_non_differentiable(ctx, *arrays):
        """Outputs (e.g. the indices of ``sort``) that never carry a gradient."""
        ctx._non_differentiable = arrays

    def _link_saved(ctx, raw_inputs, outs):
        # Remember which input (or output) each saved array is, so that (1) an in-place change
        # of it is caught at backward time, and (2) under create_graph the Tensor can be given
        # back in place of the array.
        links = []
        for array in ctx._saved:
            link = None
            for i, arg in enumerate(raw_inputs):
                if array is arg and ctx.parents[i] is not None:
                    parent = ctx.parents[i]
                    link = (i, parent._ver, parent._ver[0])
                    break
            else:
                for k, t in enumerate(outs):
                    if array is t._data:
                        link = (_OUTPUT, k, t._ver, t._ver[0])
                        break
            links.append(link)
        ctx._saved_links = links

    @property
    def saved_tensors(ctx):
        """The saved arrays; Tensors (that record a graph) while building a higher-order graph."""
        if ctx._freed:
            raise BackwardError(
                f"{type(ctx).__name__}: its saved tensors were freed by an earlier backward; "
                "call backward(retain_graph=True) the first time to backward through a graph twice")
        links = getattr(ctx, "_saved_links", None)
        if links is None:
            return ctx._saved
        result = []
        for array, link in zip(ctx._saved, links):
            if link is None:
                result.append(array)
                continue
            cell, version = link[-2], link[-1]
            if cell[0] != version:
                raise BackwardError(
                    f"one of the tensors needed by {type(ctx).__name__}.backward (shape "
                    f"{tuple(array.shape)}) was modified by an in-place operation: it is at version "
                    f"{cell[0]}, it was saved at version {version}. Use an out-of-place op "
                    "(e.g. x = x + 1 instead of x.add_(1)) or clone() the tensor first")
            if not ctx._create_graph:
                result.append(array)
            elif link[0] == _OUTPUT:
                result.append(Tensor._make(array, ctx.parents_backend(), True, ctx, link[1]))
            else:
                result.append(ctx.parents[link[0]])
        return tuple(result)

    def parents_backend(ctx):
        return next(p._backend for p in ctx.parents if p is not None)

    def release(ctx):
        """Free what backward needed (called by the engine unless retain_graph)."""
        ctx._saved = ()
        ctx._freed = True
        for name in list(vars(ctx)):
            if name not in ("parents", "needs_input_grad", "xp", "_outs", "_out_meta", "_freed",
                            "_hooks"):
                delattr(ctx, name)

    # ---------------------------------------------------------------- hooks on outputs
    def _add_hook(ctx, index, fn):
        hooks = ctx.__dict__.setdefault("_hooks", {})
        hooks.setdefault(index, []).append(fn)
        return lambda: hooks[index].remove(fn) if fn in hooks[index] else None


FunctionCtx = Function


def _wrap(array, xp, backend):
    if not is_array(array):  # NumPy reductions return scalars; Tensors always hold arrays
        array = xp.asarray(array)
    return Tensor._make(array, backend, False, None, 0)
