"""The graph walk: reverse-mode accumulation of gradients from outputs back to leaves.

The walk is iterative (a 100k-node chain cannot hit a recursion limit) and visits each node once,
in topological order (newest first, from a heap keyed by creation number), so a node used twice
(``h * h``, a diamond) receives the sum of its gradients before it passes anything on. Gradients
live in a local table keyed by node; ``.grad`` is written only on leaves and on tensors that
asked to keep theirs. Saved arrays are freed as the walk passes a node unless ``retain_graph``.
A gradient whose shape differs from its tensor's is a bug in that op's backward: the engine
raises, naming the op and both shapes, and never repairs it.
"""

from heapq import heappop, heappush

from lucid._tensor import Tensor
from lucid.backend import is_array
from lucid.autograd.grad_mode import _state
from lucid.error import BackwardError

__all__ = ["backward", "grad"]


def _accumulate(old, new):
    return new if old is None else old + new


def _check_shape(node, parent, g):
    if tuple(g.shape) != tuple(parent.shape):
        raise BackwardError(
            f"{type(node).__name__}.backward returned a gradient of shape {tuple(g.shape)} "
            f"for an input of shape {tuple(parent.shape)}")


def _freed_error(node):
    return BackwardError(
        f"trying to backward through {type(node).__name__} a second time, but its saved "
        "tensors were already freed; pass retain_graph=True to the first backward call")


def _run(roots, root_grads, retain_graph, create_graph, keep_all=False, targets=None,
         only=None):
    """Walk the graph from ``roots`` seeded with ``root_grads``.

    Returns {id(leaf): grad} and {id(leaf): leaf} for the leaves reached, and, when ``targets``
    (tensors whose gradient autograd.grad asked for) is given, {id(target): grad} for those too.
    ``only`` ({node: bool}, from ``_leading_to``) restricts the walk to the nodes marked True.
    """
    node_grads = {}
    leaf_grads = {}
    leaves = {}
    # backward(keep_grad=True) writes .grad on every tensor the walk passes; a node does not
    # know its output Tensors, so they are collected here as they are met: {node: {index: t}}
    met = {} if keep_all else None
    # Nodes wait in a heap ordered by creation number, newest first. A node is always created
    # after the nodes of its inputs, so by the time a node is popped every node that feeds a
    # gradient into it has run: a topological order without a separate sort of the graph.
    ready = []
    for root, g in zip(roots, root_grads):
        node = root._node
        if node is None:
            old = leaf_grads.get(id(root))
            leaf_grads[id(root)] = g if old is None else old + g
            leaves[id(root)] = root
        else:
            if only is not None and not only[node]:
                continue
            if node._freed:
                raise _freed_error(node)
            if node not in node_grads:
                node_grads[node] = [None] * node._n_outs
                heappush(ready, (-node._seq, node))
            if keep_all:
                met.setdefault(node, {})[root._out_index] = root
            slots = node_grads[node]
            slots[root._out_index] = _accumulate(slots[root._out_index], g)

    target_nodes = {}
    if targets:
        for t in targets:
            target_nodes.setdefault(t._node, []).append(t)
    found = {}
    watch_all = keep_all or bool(target_nodes)

    while ready:
        node = heappop(ready)[1]
        grads = node_grads.pop(node)
        if node._freed:
            raise _freed_error(node)
        if node._watch or watch_all:
            _visit_outputs(node, grads, met.pop(node, None) if keep_all else None,
                           target_nodes.get(node), found)
        if create_graph or node._create_graph:
            node._create_graph = create_graph
        if len(grads) == 1:
            input_grads = type(node).backward(node, grads[0])
        else:
            for k, g in enumerate(grads):
                if g is None:  # an output that got no gradient (e.g. an unused piece of a split)
                    shape, dtype = node._out_meta[k]
                    grads[k] = node.xp.zeros(shape, dtype=dtype)
            input_grads = type(node).backward(node, *grads)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        parents = node.parents
        if len(input_grads) != len(parents):
            raise BackwardError(
                f"{type(node).__name__}.backward returned {len(input_grads)} gradients for "
                f"{len(parents)} inputs")
        for parent, g in zip(parents, input_grads):
            if g is None or parent is None or not parent.requires_grad:
                continue
            data = parent._data
            if g.shape != data.shape:
                _check_shape(node, parent, g)
            if g.dtype is not data.dtype and g.dtype != data.dtype:  # undo type promotion
                g = g.astype(data.dtype)
            pnode = parent._node
            k = parent._out_index
            if pnode is not None and pnode._seq >= node._seq:
                # the parent was changed in place after this node read it: the edge leads to
                # the version it read, an older node
                pnode, k = _version_read(pnode, node)
                if pnode is None:  # it had no graph then
                    continue
            elif keep_all and pnode is not None:
                met.setdefault(pnode, {})[k] = parent
            if pnode is None:
                key = id(parent)
                old = leaf_grads.get(key)
                if old is None:
                    leaf_grads[key] = g
                    leaves[key] = parent
                else:
                    leaf_grads[key] = old + g
            elif only is None or only.get(pnode):
                slots = node_grads.get(pnode)
                if slots is None:
                    if pnode._freed:  # a new graph built on a tensor whose graph was freed
                        raise _freed_error(pnode)
                    slots = node_grads[pnode] = [None] * pnode._n_outs
                    heappush(ready, (-pnode._seq, pnode))
                slots[k] = g if slots[k] is None else slots[k] + g
        if not retain_graph:
            node.release()
    return leaf_grads, leaves, found


def _leading_to(roots, inputs):
    """{node: does some path lead from it to one of ``inputs``} for every node reachable from
    ``roots``. autograd.grad runs only those that do, as PyTorch does: a branch that feeds none
    of the inputs costs nothing (and an in-place write in it raises nothing). An iterative
    post-order walk; its edges are the engine's (``_version_read`` included)."""
    leaf_ids = {id(t) for t in inputs if t._node is None}
    input_nodes = {t._node for t in inputs if t._node is not None}
    leads = {}
    stack = [r._node for r in roots if r._node is not None]
    while stack:
        node = stack[-1]
        if node in leads:
            stack.pop()
            continue
        edges = []
        for parent in node.parents:
            if parent is None or not parent.requires_grad:
                continue
            pnode = parent._node
            if pnode is not None and pnode._seq >= node._seq:
                pnode = _version_read(pnode, node)[0]
            edges.append((parent, pnode))
        waiting = [pnode for _, pnode in edges if pnode is not None and pnode not in leads]
        if waiting:
            stack.extend(waiting)  # decide the parents first, then come back
            continue
        leads[node] = node in input_nodes or any(
            leads[pnode] if pnode is not None else id(parent) in leaf_ids
            for parent, pnode in edges)
        stack.pop()
    return leads


def _version_read(pnode, node):
    """(node, output index) of the version of a tensor that ``node`` read, given ``pnode``, the
    tensor's node now: an in-place op re-points a tensor to a newer node, which keeps what it
    replaced (``_replaces``); the version read is the newest one older than ``node``."""
    k = None
    while pnode is not None and pnode._seq >= node._seq:
        if pnode._replaces is None:
            raise BackwardError(
                f"{type(node).__name__} reads a tensor now produced by the newer "
                f"{type(pnode).__name__}, which records no earlier version")
        pnode, k = pnode._replaces
    return pnode, k


def _visit_outputs(node, grads, met, targets, found):
    """Run the hooks on the node's outputs, hand autograd.grad its targets' gradients, and write
    ``.grad`` on the outputs that keep it (``met``: every output the walk met, under
    backward(keep_grad=True))."""
    hooks = node.__dict__.get("_hooks")
    if hooks:
        for k, fns in hooks.items():
            if grads[k] is None:
                continue
            for fn in list(fns):
                g = grads[k]
                replaced = fn(g if isinstance(g, Tensor) else _view(node, g))
                if replaced is not None:
                    grads[k] = replaced._data if isinstance(replaced, Tensor) and not isinstance(
                        grads[k], Tensor) else replaced
    for t in targets or ():
        if grads[t._out_index] is not None:
            found[id(t)] = grads[t._out_index]
    keep = dict(met or ())
    for k, ref in node.__dict__.get("_kept", {}).items():
        out = ref()
        # (a tensor changed in place since has moved on to another node)
        if out is not None and out._node is node and out._out_index == k:
            keep[k] = out
    for k, out in keep.items():
        if grads[k] is not None:
            g = grads[k]._data if isinstance(grads[k], Tensor) else grads[k]
            out.grad = _array(g.copy() if out.grad is None else out.grad + g, out)


def _array(g, t):
    """``g`` as an array of ``t``'s backend: 0-d NumPy arithmetic returns a scalar, and a
    ``.grad`` is always an array."""
    return g if is_array(g) else t._backend.xp.asarray(g)


def _view(node, array):
    """The gradient handed to a hook, as a Tensor that records nothing."""
    return Tensor._make(array, node.parents_backend(), False, None, 0)


def _finish_leaf(leaf, g, create_graph):
    for fn in list(leaf._hooks or ()):
        replaced = fn(g if isinstance(g, Tensor)
                      else Tensor._make(g, leaf._backend, False, None, 0))
        if replaced is not None:
            if create_graph or not isinstance(replaced, Tensor):
                g = replaced
            else:
                g = replaced._data
    return g


def _seed(root, gradient):
    if gradient is None:
        # Lucid's rule: a non-scalar output with no gradient given is seeded with ones
        return root._backend.xp.ones(root.shape, dtype=root._data.dtype)
    g = gradient._data if isinstance(gradient, Tensor) else root._backend.asarray(gradient)
    if tuple(g.shape) != root.shape:
        raise ValueError(
            f"gradient has shape {tuple(g.shape)}, but the output has shape {root.shape}")
    return g.astype(root._data.dtype, copy=False)


def backward(root, gradient=None, keep_grad=False, retain_graph=False):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad and has no grad_fn; "
            "create its inputs with requires_grad=True (and not under no_grad)")
    prev = _state["enabled"]
    _state["enabled"] = False
    try:
        leaf_grads, leaves, _ = _run([root], [_seed(root, gradient)], retain_graph, False,
                                     keep_all=keep_grad)
        seen = set()
        for key, g in leaf_grads.items():
            leaf = leaves[key]
            g = _finish_leaf(leaf, g, False)
            if leaf.grad is None:
                # a leaf owns its .grad: never a view into (or alias of) another array
                if g.base is not None or id(g) in seen:
                    g = g.copy()
                seen.add(id(g))
                leaf.grad = _array(g, leaf)
            else:
                leaf.grad = _array(leaf.grad + g, leaf)
    finally:
        _state["enabled"] = prev


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    With ``create_graph=True`` the returned gradients are Tensors that record their own graph,
    so they can be differentiated again (double backward).
    """
    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("one of the inputs does not require grad")
    for o in outputs:
        if not o.requires_grad:
            raise RuntimeError("one of the outputs does not require grad and has no grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = []
    for o, go in zip(outputs, grad_outputs):
        if go is None and o.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, got shape {o.shape}")
        g = _seed(o, go)
        seeds.append(Tensor._make(g, o._backend, False, None, 0) if create_graph else g)
    prev = _state["enabled"]
    _state["enabled"] = create_graph
    try:
        leaf_grads, _, found = _run(outputs, seeds, retain_graph, create_graph,
                                    targets=[t for t in inputs if t._node is not None],
                                    only=_leading_to(outputs, inputs))
        result = []
        for t in inputs:
            if t._node is None:
                g = leaf_grads.get(id(t))
                if g is not None:
                    g = _finish_leaf(t, g, create_graph)
            else:
                g = found.get(id(t))
            if g is None and not allow_unused:
                raise RuntimeError(
                    "one of the inputs was not used to compute the outputs; pass allow_unused=True")
            if g is not None and not isinstance(g, Tensor):
                g = Tensor._make(_array(g, t), t._backend, False, None, 0)
            result.append(g)
    finally:
        _state["enabled"] = prev
    return tuple(result)
