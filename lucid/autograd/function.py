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

import itertools
import weakref

from lucid._tensor import Tensor, INPLACE_WRITES
from lucid.autograd.grad_mode import _state
from lucid.backend import backend_of, is_array, is_raw
from lucid.error import BackwardError, DeviceMismatchError

__all__ = ["Function", "FunctionCtx"]

_sequence = itertools.count()  # creation order: a node is always created after its inputs' nodes


class Function:
    """Base class of every differentiable op; an instance is one node of the graph."""

    # Set by apply on nodes that join a graph:
    #   parents             the positional inputs (Tensor or None for constants)
    #   needs_input_grad    one bool per positional input
    #   xp                  the array module of the inputs' device
    #   _outs               weak references to the output Tensors
    _freed = False
    _saved = ()
    _non_differentiable = ()
    _create_graph = False
    _watch = False  # True once an output has a hook or keeps its grad (the engine then looks)
    parents = ()
    _outs = ()

    # ---------------------------------------------------------------- running an op
    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op. It is written with plain loops and inlined steps (no
        # generator expressions, no helper calls) because it runs once per op call.
        backend = None
        requires_grad = False
        raw = []
        parents = []
        versions = []
        for arg in args:
            if isinstance(arg, Tensor):
                raw.append(arg._data)
                parents.append(arg)
                versions.append(arg._ver[0])
                if backend is None:
                    backend = arg._backend
                elif arg._backend is not backend:
                    raise DeviceMismatchError(
                        f"{cls.__name__}: inputs are on two devices, "
                        f"'{backend.name}' and '{arg._backend.name}'; move them with .to(device)")
                if arg.requires_grad:
                    requires_grad = True
            else:
                raw.append(arg)
                parents.append(None)
                versions.append(0)
        ctx = cls.__new__(cls)
        if backend is None:  # no Tensor among the inputs
            for arg in args:
                if is_raw(arg):
                    backend = backend_of(arg)
                    break
            else:  # plain Python values: compute on a cpu Tensor
                return cls.apply(Tensor(args[0]), *args[1:], **kwargs)
            ctx.xp = backend.xp
            return cls.forward(ctx, *raw, **kwargs)  # dual mode: raw arrays in, raw array out

        ctx.xp = xp = backend.xp
        out = cls.forward(ctx, *raw, **kwargs)
        multi = type(out) is tuple
        if multi:
            outs = tuple([_wrap(o, xp, backend) for o in out])
            ctx._out_meta = [(t.shape, t._data.dtype) for t in outs]
            if ctx._saved:
                for o, t in zip(out, outs):
                    _resave(ctx, o, t._data)
        else:
            if type(out) not in backend.array_types and not is_array(out):
                # NumPy reductions return scalars, Tensors hold arrays (an array of another
                # backend, ToDevice's output, is kept: to_device re-homes the Tensor)
                wrapped = xp.asarray(out)
                if ctx._saved:
                    _resave(ctx, out, wrapped)
                out = wrapped
            t = _new(Tensor)
            t._data = out
            t._backend = backend
            t.grad = None
            t.requires_grad = False
            t._keep_grad = False
            t._node = None
            t._out_index = 0
            t._ver = [0]
            t._hooks = None
            outs = (t,)
        if requires_grad and _state["enabled"]:
            ctx.parents = parents
            ctx.needs_input_grad = tuple([p is not None and p.requires_grad for p in parents])
            ctx._seq = next(_sequence)
            nondiff = ctx._non_differentiable
            refs = []
            index = 0
            for t in outs:
                if not nondiff or not any([t._data is a for a in nondiff]):
                    t.requires_grad = True
                    t._node = ctx
                    t._out_index = index
                refs.append(weakref.ref(t))
                index += 1
            ctx._outs = refs
            if ctx._saved:
                ctx._saved_versions = versions
                ctx._writes = INPLACE_WRITES[0]
        return outs if multi else outs[0]

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

    def _find(ctx, array):
        """(tensor, version at save time) for a saved array that is an input or an output of this
        op, or None for an intermediate (treated as a constant)."""
        for p, version in zip(ctx.parents, ctx._saved_versions):
            if p is not None and p._data is array:
                return p, version
        for ref in ctx._outs:
            out = ref()
            # (an output changed in place since has moved to another node, and its version
            # counter says so: saved_tensors then raises instead of using the new values)
            if out is not None and out._data is array:
                return out, 0
        return None

    @property
    def saved_tensors(ctx):
        """The saved arrays; Tensors (that record a graph) while building a higher-order graph.

        Raises if one of them was changed in place since it was saved (its version counter
        moved), since the gradient would silently use the new values.
        """
        saved = ctx._saved
        versions = ctx.__dict__.get("_saved_versions")
        if versions is None:  # dual mode, nothing saved, or freed
            if ctx._freed:
                raise BackwardError(
                    f"{type(ctx).__name__}: its saved tensors were freed by an earlier backward; "
                    "call backward(retain_graph=True) the first time to backward through a graph "
                    "twice")
            return saved
        if not ctx._create_graph:  # the hot path: check versions, hand back the arrays
            if ctx._writes == INPLACE_WRITES[0]:
                return saved  # no in-place write anywhere since forward
            for array in saved:
                found = ctx._find(array)
                if found is not None and found[0]._ver[0] != found[1]:
                    ctx._raise_modified(array, *found)
            return saved
        result = []
        for array in saved:
            found = ctx._find(array)
            if found is None:
                result.append(array)
                continue
            if found[0]._ver[0] != found[1]:
                ctx._raise_modified(array, *found)
            result.append(found[0])
        return tuple(result)

    def _raise_modified(ctx, array, tensor, version):
        raise BackwardError(
            f"one of the tensors needed by {type(ctx).__name__}.backward (shape "
            f"{tuple(array.shape)}) was modified by an in-place operation: it is at version "
            f"{tensor._ver[0]}, it was saved at version {version}. Use an out-of-place op "
            "(e.g. x = x + 1 instead of x.add_(1)) or clone() the tensor first")

    def parents_backend(ctx):
        return next(p._backend for p in ctx.parents if p is not None)

    def release(ctx):
        """Free what backward needed (called by the engine unless retain_graph): the saved
        arrays, every attribute the op stored, and the links to the inputs."""
        seq = ctx.__dict__.get("_seq", -1)
        ctx.__dict__.clear()
        ctx._freed = True
        ctx._seq = seq  # a later walk that reaches this node sorts it, then raises "freed"

    # ---------------------------------------------------------------- hooks on outputs
    def _add_hook(ctx, index, fn):
        ctx._watch = True
        hooks = ctx.__dict__.setdefault("_hooks", {})
        hooks.setdefault(index, []).append(fn)
        return lambda: hooks[index].remove(fn) if fn in hooks[index] else None


FunctionCtx = Function


def _resave(ctx, old, new):
    # A NumPy scalar output (0-d arithmetic) was wrapped into a new 0-d array: a saved copy of
    # it must be that array, so that backward recognises it as the output (create_graph).
    if old is not new:
        ctx._saved = tuple(new if s is old else s for s in ctx._saved)


_new = object.__new__


def _wrap(array, xp, backend):
    if not is_array(array):  # NumPy reductions return scalars; Tensors always hold arrays
        array = xp.asarray(array)
    return Tensor._make(array, backend, False, None, 0)
