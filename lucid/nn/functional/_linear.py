"""``linear`` and ``bilinear``: fused so a dense layer is one node with three GEMMs in backward.

y = x W^T + b, for x (*, in), W (out, in), b (out,). With G = dL/dy:
dL/dx = G W,  dL/dW = G^T x (batch axes flattened),  dL/db = sum of G over batch axes.
"""

from lucid.autograd.function import Function
from lucid.ops._util import promote

__all__ = ["linear", "bilinear"]


class Linear(Function):
    def forward(ctx, x, weight, bias=None):
        x, weight = promote(x, weight)
        if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
            raise ValueError(f"linear: input has {x.shape[-1] if x.ndim else 0} features "
                             f"(shape {tuple(x.shape)}), the weight expects {weight.shape[-1]} "
                             f"(weight shape {tuple(weight.shape)})")
        ctx.save_for_backward(x, weight)
        # batch axes flattened: one large GEMM instead of one per leading index
        out = (x.reshape((-1, x.shape[-1])) @ weight.T).reshape(x.shape[:-1] + weight.shape[:1])
        if bias is not None:
            out += bias  # out is fresh: adding in place saves one temporary
        return out

    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = (ctx.needs_input_grad + (False,))[:3]
        g2 = grad.reshape((-1, grad.shape[-1]))
        grad_x = (g2 @ weight).reshape(x.shape) if need_x else None
        grad_w = g2.T @ x.reshape((-1, x.shape[-1])) if need_w else None
        grad_b = g2.sum(axis=0) if need_b else None
        return (grad_x, grad_w, grad_b)[:len(ctx.needs_input_grad)]  # no bias: two inputs


def linear(input_, weight, bias=None):
    """y = x W^T + b. x: (*, in), W: (out, in), b: (out,) or None -> y: (*, out)."""
    if bias is None:
        return Linear.apply(input_, weight)
    return Linear.apply(input_, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k. x1: (*, in1), x2: (*, in2), W: (out, in1, in2) -> y: (*, out)."""
    from lucid.ops import einsum
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise ValueError(f"bilinear: inputs of {input1.shape[-1]} and {input2.shape[-1]} features "
                         f"do not fit a weight of shape {tuple(weight.shape)}")
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
