"""The graph walk: reverse-mode accumulation of gradients from outputs back to leaves.

The walk is iterative (a 100k-node chain cannot hit a recursion limit) and visits each node once,
in topological order, so a node used twice (``h * h``, a diamond) receives the sum of its
gradients before it passes anything on. Gradients live in a local table keyed by node; ``.grad``
is written only on leaves and on tensors that asked to keep theirs. Saved arrays are freed as the
walk passes a node unless ``retain_graph``. A gradient whose shape differs from its tensor's is a
bug in that op's backward: the engine raises, naming the op and both shapes, and never repairs it.
"""

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import _state
from lucid.error import BackwardError

__all__ = ["backward", "grad"]


def _toposort(root_nodes):
    """Nodes reachable from ``root_nodes``, each before every node it feeds into (reversed DFS)."""
    order, visited = [], set()
    stack = [(node, False) for node in root_nodes]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node.parents:
            if parent is not None and parent._node is not None and parent._node not in visited:
                stack.append((parent._node, False))
    order.reverse()
    return order


def _accumulate(old, new):
    return new if old is None else old + new


def _check_shape(node, parent, g):
    if tuple(g.shape) != parent.shape:
        raise BackwardError(
            f"{type(node).__name__}.backward returned a gradient of shape {tuple(g.shape)} "
            f"for an input of shape {parent.shape}")


def _run(roots, root_grads, retain_graph, create_graph, keep_all=False, targets=None):
    """Walk the graph from ``roots`` seeded with ``root_grads``.

    Returns {id(leaf): (leaf, grad)} for the leaves reached, and, when ``targets`` (tensors whose
    gradient autograd.grad asked for) is given, {id(target): grad} for those too.
    """
    node_grads = {}
    leaf_grads = {}
    for root, g in zip(roots, root_grads):
        if root._node is None:
            leaf_grads[id(root)] = (root, _accumulate(leaf_grads.get(id(root), (None, None))[1], g))
        else:
            slots = node_grads.setdefault(root._node, [None] * len(root._node._outs))
            slots[root._out_index] = _accumulate(slots[root._out_index], g)

    target_nodes = {}
    if targets is not None:
        for t in targets:
            if t._node is not None:
                target_nodes.setdefault(t._node, []).append(t)
    found = {}

    order = _toposort([r._node for r in roots if r._node is not None])
    for node in order:
        grads = node_grads.pop(node, None)
        if grads is None:
            continue
        if node._freed:
            raise BackwardError(
                f"trying to backward through {type(node).__name__} a second time, but its saved "
                "tensors were already freed; pass retain_graph=True to the first backward call")
        _visit_outputs(node, grads, keep_all, target_nodes.get(node), found)
        for k, g in enumerate(grads):
            if g is None:  # an output that got no gradient (e.g. one unused piece of a split)
                out = node._outs[k]()
                shape, dtype = node._out_meta[k] if out is None else (out.shape, out._data.dtype)
                grads[k] = node.xp.zeros(shape, dtype=dtype)
        node._create_graph = create_graph
        input_grads = type(node).backward(node, *grads)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if len(input_grads) != len(node.parents):
            raise BackwardError(
                f"{type(node).__name__}.backward returned {len(input_grads)} gradients for "
                f"{len(node.parents)} inputs")
        for parent, g in zip(node.parents, input_grads):
            if parent is None or g is None or not parent.requires_grad:
                continue
            _check_shape(node, parent, g)
            if g.dtype != parent._data.dtype:  # undo type promotion: a grad has its input's dtype
                g = g.astype(parent.dtype)
            if parent._node is None:
                old = leaf_grads.get(id(parent))
                leaf_grads[id(parent)] = (parent, g if old is None else old[1] + g)
            else:
                slots = node_grads.get(parent._node)
                if slots is None:
                    slots = node_grads[parent._node] = [None] * len(parent._node._outs)
                slots[parent._out_index] = _accumulate(slots[parent._out_index], g)
        if not retain_graph:
            node.release()
    return leaf_grads, found


def _visit_outputs(node, grads, keep_all, targets, found):
    """Run tensor hooks of the node's outputs, keep grads that were asked for."""
    hooks = node.__dict__.get("_hooks")
    if hooks:
        for k, fns in hooks.items():
            if grads[k] is None:
                continue
            for fn in list(fns):
                replaced = fn(grads[k] if isinstance(grads[k], Tensor) else _view(node, k, grads[k]))
                if replaced is not None:
                    grads[k] = replaced._data if isinstance(replaced, Tensor) and not isinstance(
                        grads[k], Tensor) else replaced
    for k, ref in enumerate(node._outs):
        out = ref()
        if out is None or grads[k] is None:
            continue
        if targets and any(t is out for t in targets):
            found[id(out)] = grads[k]
        if keep_all or out.keep_grad:
            g = grads[k]._data if isinstance(grads[k], Tensor) else grads[k]
            out.grad = g.copy() if out.grad is None else out.grad + g


def _view(node, k, array):
    """The gradient handed to a hook, as a Tensor that records nothing."""
    out = node._outs[k]()
    backend = out._backend if out is not None else node.parents_backend()
    return Tensor._make(array, backend, False, None, 0)


def _finish_leaf(leaf, g, create_graph):
    for fn in list(leaf._hooks or ()):
        replaced = fn(g if isinstance(g, Tensor) else Tensor._make(g, leaf._backend, False, None, 0))
        if replaced is not None:
            g = replaced if create_graph else (replaced._data if isinstance(replaced, Tensor) else replaced)
    return g


def _seed(root, gradient):
    if gradient is None:
        # Lucid's rule: a non-scalar output with no gradient given is seeded with ones
        return root._backend.xp.ones(root.shape, dtype=root._data.dtype)
    g = gradient._data if isinstance(gradient, Tensor) else root._backend.asarray(gradient)
    if tuple(g.shape) != root.shape:
        raise ValueError(f"gradient has shape {tuple(g.shape)}, but the output has shape {root.shape}")
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
        leaf_grads, _ = _run([root], [_seed(root, gradient)], retain_graph, False, keep_all=keep_grad)
        seen = set()
        for leaf, g in leaf_grads.values():
            g = _finish_leaf(leaf, g, False)
            if leaf.grad is None:
                # a leaf owns its .grad: never a view into (or alias of) another array
                if g.base is not None or id(g) in seen:
                    g = g.copy()
                seen.add(id(g))
                leaf.grad = g
            else:
                leaf.grad = leaf.grad + g
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
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs, got shape {o.shape}")
        g = _seed(o, go)
        seeds.append(Tensor._make(g, o._backend, False, None, 0) if create_graph else g)
    prev = _state["enabled"]
    _state["enabled"] = create_graph
    try:
        leaf_grads, found = _run(outputs, seeds, retain_graph, create_graph,
                                 targets=[t for t in inputs if t._node is not None])
        result = []
        for t in inputs:
            if t._node is None:
                g = leaf_grads.get(id(t), (None, None))[1]
                if g is not None:
                    g = _finish_leaf(t, g, create_graph)
            else:
                g = found.get(id(t))
            if g is None and not allow_unused:
                raise RuntimeError(
                    "one of the inputs was not used to compute the outputs; pass allow_unused=True")
            if g is not None and not isinstance(g, Tensor):
                g = Tensor._make(g, t._backend, False, None, 0)
            result.append(g)
    finally:
        _state["enabled"] = prev
    return tuple(result)
