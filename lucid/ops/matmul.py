"""Products: matmul (with NumPy's 1-D and batch-broadcasting rules), dot, inner, outer,
tensordot and einsum.

For C = A @ B the gradients are dA = dC @ B^T and dB = A^T @ dC, summed back over broadcast
batch axes with ``sum_to``.
"""

import string

from lucid.autograd.function import Function
from lucid.ops._util import promote, sum_to

__all__ = ["matmul", "dot", "inner", "outer", "tensordot", "einsum"]


def _swap(x):
    return x.swapaxes(-1, -2)


class MatMul(Function):
    def forward(ctx, a, b):
        a, b = promote(a, b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs tensors of at least 1 dimension, got shapes "
                             f"{tuple(a.shape)} and {tuple(b.shape)}")
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != k_b:
            raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not match "
                             f"({a.shape[-1]} != {k_b})")
        ctx.save_for_backward(a, b)
        return ctx.xp.matmul(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # view 1-D operands as matrices, and the gradient with their removed axes put back
        a2 = a if a.ndim > 1 else a.reshape((1, -1))
        b2 = b if b.ndim > 1 else b.reshape((-1, 1))
        g = grad
        if a.ndim == 1:
            if b.ndim > 1:
                g = g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
            else:
                g = g.reshape((1,) + tuple(g.shape))
        if b.ndim == 1:
            g = g.reshape(tuple(g.shape) + (1,))
        grad_a = grad_b = None
        if need_a:
            grad_a = sum_to(g @ _swap(b2), a2.shape)
            grad_a = grad_a if a.ndim > 1 else grad_a.reshape(a.shape)
        if need_b:
            grad_b = sum_to(_swap(a2) @ g, b2.shape)
            grad_b = grad_b if b.ndim > 1 else grad_b.reshape(b.shape)
        return grad_a, grad_b


def matmul(a, b, /):
    """a @ b: matrix product over the last two axes, batch axes broadcast (1-D: vector)."""
    return MatMul.apply(a, b)


def dot(a, b, /):
    """The inner product for 1-D tensors, the matrix product otherwise (NumPy's dot for <= 2-D)."""
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim > 2 or b.ndim > 2:
        return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2 if b.ndim > 1 else 0]))
    return matmul(a, b)


def inner(a, b, /):
    """Sum over the last axes of a and b: out[..., ...] = sum_k a[..., k] b[..., k]."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def outer(a, b, /):
    """out[i, j] = a[i] b[j] (inputs flattened)."""
    return a.reshape((-1, 1)) * b.reshape((1, -1))


def tensordot(a, b, /, axes=2):
    """Sum over the pairs of ``axes`` of a and b, as NumPy's tensordot, via one matmul."""
    if isinstance(axes, int):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, int) else list(x) for x in axes)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                             f"match on axes {axes_a} / {axes_b}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = 1
    for i in axes_a:
        k *= a.shape[i]
    left = a.transpose(tuple(free_a + axes_a)).reshape((-1, k))
    right = b.transpose(tuple(axes_b + free_b)).reshape((k, -1))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return matmul(left, right).reshape(out_shape)


# ---------------------------------------------------------------------------- einsum
def _parse_einsum(equation, shapes):
    """Subscripts with '...' expanded into letters, and the output subscript."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} names {len(inputs)} operands, "
                         f"got {len(shapes)}")
    used = set(equation)
    spare = [c for c in string.ascii_letters if c not in used]
    ell_len = max((len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes) if "..." in sub),
                  default=0)
    ell = "".join(spare[:ell_len])
    expanded = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            n = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_len - n:] if n else "")
        if len(sub) != len(shape):
            raise ValueError(f"einsum: subscript {sub!r} does not fit an operand of shape {shape}")
        expanded.append(sub)
    if arrow:
        output = output.replace("...", ell)
    else:  # implicit mode: letters used once, in alphabetical order, after the ellipsis ones
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return expanded, output


class Einsum(Function):
    """Any einsum. The gradient of operand k is the einsum of the upstream gradient with the
    other operands, onto operand k's letters (letters only k has are broadcast back)."""

    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.output = inputs, output
        for sub in inputs:
            if len(set(sub)) != len(sub):
                ctx.repeated = True
        return ctx.xp.einsum(",".join(inputs) + "->" + output, *operands)

    def backward(ctx, grad):
        operands = ctx.saved_tensors
        if getattr(ctx, "repeated", False):
            raise NotImplementedError("einsum: the gradient of a subscript with a repeated letter "
                                      "(a diagonal) is not supported; use lucid.diagonal")
        grads = []
        for k, (sub, need) in enumerate(zip(ctx.inputs, ctx.needs_input_grad)):
            if not need:
                grads.append(None)
                continue
            others = [(s, op) for i, (s, op) in enumerate(zip(ctx.inputs, operands)) if i != k]
            available = set(ctx.output).union(*[set(s) for s, _ in others])
            target = "".join(c for c in sub if c in available)
            eq = ",".join([ctx.output] + [s for s, _ in others]) + "->" + target
            g = _einsum(eq, grad, *[op for _, op in others])
            if target != sub:
                shape = tuple(operands[k].shape)
                g = g.reshape(tuple(n if c in available else 1 for c, n in zip(sub, shape)))
                g = broadcast_to(g, shape)
            grads.append(g)
        return tuple(grads)


def _einsum(equation, *operands):
    inputs, output = _parse_einsum(equation, [tuple(o.shape) for o in operands])
    return Einsum.apply(*operands, inputs=inputs, output=output)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)``; '...' and implicit output
    are supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _einsum(equation, *operands)


from lucid.ops.shape import broadcast_to  # noqa: E402
