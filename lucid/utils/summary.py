"""``summary(model, input_shape)``: each layer's output shape, parameter count and FLOPs.

Runs one forward pass on zeros of ``input_shape`` (a batch of 1 is prepended unless
``batch_dim=None``) with forward hooks on every leaf module. FLOPs count multiply-adds as 2
operations for the layers where they dominate (Linear, Conv, Bilinear, recurrent and attention
layers via their Linear parts); other layers count one operation per output element.
"""

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.ops import zeros

__all__ = ["summary"]


def _flops(module, inputs, output):
    from lucid.nn import modules

    out = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(out, Tensor):
        return 0
    n_out = out.numel()
    if isinstance(module, modules.Linear):
        return 2 * n_out * module.in_features
    if type(module).__name__.startswith(("Conv", "ConvTranspose")) and hasattr(module, "weight"):
        w = module.weight
        per_output = 2 * w.numel() // w.shape[0]
        if type(module).__name__.startswith("ConvTranspose"):
            x = inputs[0]
            return 2 * x.numel() * w.numel() // w.shape[0]
        return per_output * n_out
    return n_out


def summary(model, input_shape, batch_dim=0, dtype=None, device=None, print_fn=print):
    """Print a table of the leaf layers and return {"params": int, "flops": int, "rows": [...]}."""
    shape = tuple(input_shape)
    if batch_dim is not None:
        shape = shape[:batch_dim] + (1,) + shape[batch_dim:]
    device = device or getattr(model, "device", "cpu")
    rows = []
    hooks = []
    names = {id(m): name for name, m in model.named_modules()}

    def record(module, inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append((names.get(id(module), "?") or type(module).__name__, type(module).__name__,
                     tuple(out.shape) if isinstance(out, Tensor) else "-", own,
                     _flops(module, inputs, output)))

    for _, module in model.named_modules():
        if not any(True for _ in module.children()):
            hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(zeros(shape, dtype=dtype, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    total_params = model.count_parameters()
    total_flops = sum(r[4] for r in rows)
    lines = [f"{'layer':28} {'type':18} {'output shape':20} {'params':>10} {'FLOPs':>12}",
             "-" * 92]
    for name, kind, out_shape, params, flops in rows:
        lines.append(f"{name[:28]:28} {kind[:18]:18} {str(out_shape):20} {params:>10,} "
                     f"{flops:>12,}")
    lines += ["-" * 92, f"total parameters: {total_params:,}    "
              f"total FLOPs per forward (batch of 1): {total_flops:,}"]
    if print_fn is not None:
        print_fn("\n".join(lines))
    return {"params": total_params, "flops": total_flops, "rows": rows}
