"""RMSprop: divide the gradient by a running root mean square (Hinton, 2012)."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, begin_step, check_nonnegative, lerp_, signed_grad

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's formulation), optionally centered and with momentum.

    With learning rate γ, smoothing α, momentum μ and weight decay λ::

        g ← ±∇θ + λθ
        v ← α v + (1 − α) g²
        ḡ ← α ḡ + (1 − α) g                   (centered only)
        A = √(v − ḡ²) + ε  (centered)   or   A = √v + ε
        b ← μ b + g / A,   θ ← θ − γ b        (momentum > 0)
        θ ← θ − γ g / A                        (otherwise)

    ``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, maximize=False)``; state: ``step``, ``square_avg``, ``momentum_buffer``
    (momentum > 0), ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_nonnegative("epsilon value", group.get("eps", 0.0))
        check_nonnegative("momentum value", group.get("momentum", 0.0))
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))
        check_nonnegative("alpha value", group.get("alpha", 0.0))

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
        begin_step(state, param, "square_avg",
                   "momentum_buffer" if momentum > 0 else None,
                   "grad_avg" if group["centered"] else None)
        v = state["square_avg"]

        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])
        avg = xp.multiply(d, d)  # the second scratch: g², then A
        avg *= 1.0 - alpha
        v *= alpha
        v += avg
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"], d, 1.0 - alpha)
            xp.multiply(grad_avg, grad_avg, out=avg)
            xp.subtract(v, avg, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(v, out=avg)
        avg += group["eps"]

        d /= avg
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += d
            xp.multiply(buf, lr, out=d)
        else:
            d *= lr
        param -= d
