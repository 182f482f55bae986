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

from lucid._tensor import Tensor, INPLACE_WRITES, _FRESH
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
    # A node holds no reference to its output Tensors (each output holds the node, and the next
    # op holds the output): it knows how many there are, the version cells of those it saved
    # for backward, and, weakly, the ones that asked to keep their grad.
    _freed = False
    _saved = ()
    _non_differentiable = ()
    _create_graph = False
    _watch = False  # True once an output has a hook or keeps its grad (the engine then looks)
    parents = ()
    _n_outs = 1
    # Outputs saved for backward (tanh keeps y), see _find. One output: its array and version
    # cell; several: (array, output index, version cell) for each one saved.
    _out_data = _out_ver = None
    _writes = None  # the process-wide in-place write count when the op saved its arrays
    _seq = -1  # the creation number (set by apply; gone once released)
    # (node, output index) that a tensor had before an in-place op re-pointed it here: the
    # version that older nodes read (see engine._version_read)
    _replaces = None
    _view_call = None  # for a view op: (which input is viewed, the call's arguments)
    _saved_outputs = ()

    # ---------------------------------------------------------------- running an op
    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op. It is written with plain loops and inlined steps (no
        # generator expressions, no helper calls) because it runs once per op call; only the
        # rarer ops with several outputs finish in a helper, _several_outputs.
        backend = None
        requires_grad = False
        raw = []
        parents = []
        needs = []
        for arg in args:
            if isinstance(arg, Tensor):
                raw.append(arg._data)
                parents.append(arg)
                needs.append(arg.requires_grad)
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
                needs.append(False)
        ctx = _new(cls)
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
        out = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
        record = requires_grad and _state["enabled"]  # does this call join a graph?
        if type(out) is tuple:
            return _several_outputs(ctx, out, backend, parents, needs, record, raw, kwargs)
        if type(out) not in backend.array_types and not is_array(out):
            # NumPy reductions return scalars, Tensors hold arrays (an array of another
            # backend, ToDevice's output, is kept: to_device re-homes the Tensor)
            wrapped = xp.asarray(out)
            if ctx._saved:
                _resave(ctx, out, wrapped)
            out = wrapped
        if record and ctx._non_differentiable:  # a mask or an index: never carries a gradient
            record = not _is_marked(out, ctx._non_differentiable)
        # Tensor._make written out: this runs once per op, and the call would cost more than
        # the slot assignments themselves (keep the two in step)
        t = _new(Tensor)
        t._data = out
        t._backend = backend
        t.grad = None
        t.requires_grad = record
        t._keep_grad = False
        t._node = ctx if record else None
        t._out_index = 0
        t._ver = _FRESH
        t._hooks = None
        if out.base is not None:  # a view (reshape, indexing, transpose, expand...)
            _share_version(ctx, t, parents, raw, kwargs)
        if record:
            ctx.parents = parents
            ctx.needs_input_grad = tuple(needs)
            ctx._seq = next(_sequence)
            if ctx._saved:  # the in-place write count now: what saved_tensors compares with
                ctx._writes = INPLACE_WRITES[0]
                for array in ctx._saved:
                    if array is out:  # saved for backward: its version cell is kept here
                        if t._ver is _FRESH:
                            t._ver = [0, 0]
                        ctx._out_ver = t._ver
                        ctx._out_data = out
                        break
        return t

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

    def _track_saved_output(ctx, t, index):
        """``t``, output ``index`` of this op (of several), was saved for backward. This node
        keeps its version cell (made now if it has none): a write into ``t``, or into a tensor
        sharing its cell, is seen by saved_tensors without the node holding ``t``. (apply
        writes the same out for the one-output case.)"""
        if t._ver is _FRESH:
            t._ver = [0, 0]
        index = index if t._node is ctx else None  # None: not differentiable
        ctx._saved_outputs = ctx._saved_outputs + ((t._data, index, t._ver),)

    def _find(ctx, array):
        """A Tensor standing for a saved array, or None for an intermediate (a constant).

        An input of this op is itself; an output is a new Tensor that stands at the output's
        place in the graph (this node, its index; a non-differentiable output is a constant)
        and shares its version cell: a gradient graph recorded through it (create_graph) leads
        back here, and a write into the output since forward shows in the cell.
        """
        for p in ctx.parents:
            if p is not None and p._data is array:
                return p
        if array is ctx._out_data and array is not None:
            t = Tensor._make(array, ctx.parents_backend(), True, ctx, 0)
            t._ver = ctx._out_ver
            return t
        for saved, index, cell in ctx._saved_outputs:
            if saved is array:
                backend = ctx.parents_backend()
                t = (Tensor._make(array, backend, False, None, 0) if index is None
                     else Tensor._make(array, backend, True, ctx, index))
                t._ver = cell
                return t
        return None

    @property
    def saved_tensors(ctx):
        """The saved arrays; Tensors (that record a graph) while building a higher-order graph.

        Raises if one of them was written in place after it was saved: each tensor's version
        cell records the process-wide write count of its last write, and the node the count at
        save time, so the gradient never silently uses the new values.
        """
        saved = ctx._saved
        writes = ctx._writes
        if writes is None:  # dual mode, nothing saved, or freed
            if ctx._freed:
                raise BackwardError(
                    f"{type(ctx).__name__}: its saved tensors were freed by an earlier backward; "
                    "call backward(retain_graph=True) the first time to backward through a graph "
                    "twice")
            return saved
        unchanged = writes == INPLACE_WRITES[0]  # no in-place write anywhere since forward
        if unchanged and not ctx._create_graph:
            return saved
        result = []
        for array in saved:
            tensor = ctx._find(array)
            if tensor is None:
                result.append(array)
                continue
            if not unchanged and tensor._ver[1] > writes:
                ctx._raise_modified(array, tensor)
            result.append(tensor)
        return tuple(result) if ctx._create_graph else saved

    def _raise_modified(ctx, array, tensor):
        raise BackwardError(
            f"one of the tensors needed by {type(ctx).__name__}.backward (shape "
            f"{tuple(array.shape)}) was modified by an in-place operation after it was saved "
            f"(it is now at version {tensor._ver[0]}). Use an out-of-place op "
            "(e.g. x = x + 1 instead of x.add_(1)) or clone() the tensor first")

    def parents_backend(ctx):
        return next(p._backend for p in ctx.parents if p is not None)

    def release(ctx):
        """Free what backward needed (called by the engine unless retain_graph): the saved
        arrays, every attribute the op stored, and the links to the inputs. A later walk that
        reaches this node raises, telling the user to pass retain_graph=True. A node that a
        tensor was re-pointed to in place keeps its number and what it replaced: older readers
        of that tensor still find the version they read."""
        replaces = ctx._replaces
        if replaces is not None:
            seq = ctx._seq
        ctx.__dict__.clear()
        ctx._freed = True
        if replaces is not None:
            ctx._seq, ctx._replaces = seq, replaces

    # ---------------------------------------------------------------- hooks on outputs
    def _keep_output(ctx, tensor):
        """Write ``.grad`` on this output (keep_grad / retain_grad) when backward passes here.
        Held weakly: a node never keeps its outputs alive."""
        ctx._watch = True
        ctx.__dict__.setdefault("_kept", {})[tensor._out_index] = weakref.ref(tensor)

    def _add_hook(ctx, index, fn):
        ctx._watch = True
        hooks = ctx.__dict__.setdefault("_hooks", {})
        hooks.setdefault(index, []).append(fn)
        return lambda: hooks[index].remove(fn) if fn in hooks[index] else None


FunctionCtx = Function


def _several_outputs(ctx, out, backend, parents, needs, record, raw, kwargs):
    """apply's tail for a forward that returned a tuple of arrays: a tuple of Tensors, each
    linked to the node unless marked non-differentiable."""
    outs = tuple([_wrap(o, ctx.xp, backend) for o in out])
    ctx._out_meta = [(t.shape, t._data.dtype) for t in outs]
    for t in outs:
        if t._data.base is not None:
            _share_version(ctx, t, parents, raw, kwargs)
    if ctx._saved:
        for o, t in zip(out, outs):
            _resave(ctx, o, t._data)
    if record:
        ctx.parents = parents
        ctx.needs_input_grad = tuple(needs)
        ctx._seq = next(_sequence)
        ctx._n_outs = len(outs)
        if ctx._saved:
            ctx._writes = INPLACE_WRITES[0]
        for index, t in enumerate(outs):
            if not _is_marked(t._data, ctx._non_differentiable):
                t.requires_grad = True
                t._node = ctx
                t._out_index = index
            for array in ctx._saved:
                if array is t._data:
                    ctx._track_saved_output(t, index)
    return outs


def _is_marked(array, marked):
    for a in marked:
        if a is array:
            return True
    return False


def _share_version(ctx, t, parents, raw, kwargs):
    """``t``'s array is a view: when it views an input's memory, the two share one version cell,
    so a write through either counts as a write to both (saved_tensors must see it). The node
    also keeps its call (which input, all arguments): a write through ``t`` replays it to find
    the viewed window (lucid/autograd/views.py)."""
    base = t._data.base
    for position, p in enumerate(parents):
        if p is not None and (p._data is base or p._data.base is base):
            if p._ver is _FRESH:
                p._ver = [0, 0]
            t._ver = p._ver
            if t._data is not p._data:  # a window into p, not p's own array
                ctx._view_call = (position, raw, kwargs)
            return


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
