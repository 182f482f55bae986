"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, check_nonnegative, signed_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's formulation).

    With learning rate γ, momentum μ, dampening τ and weight decay λ, each step does::

        g ← ±∇θ + λθ                       (− when maximize)
        b ← g                              on the first step
        b ← μ b + (1 − τ) g                afterwards
        g ← g + μ b   (nesterov)   or   g ← b   (momentum > 0)
        θ ← θ − γ g

    The first momentum buffer is the decayed gradient ``g`` itself (Lucid 2 started it from the
    raw gradient, which departs from the textbook when weight decay is on). Nesterov momentum
    needs ``momentum > 0`` and ``dampening == 0``.

    ``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False)``; state: ``momentum_buffer`` (shape of the parameter).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_nonnegative("momentum value", group.get("momentum", 0.0))
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))
        if group.get("nesterov") and (group.get("momentum", 0.0) <= 0
                                      or group.get("dampening", 0.0) != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={group.get('momentum')!r}, dampening={group.get('dampening')!r}")

    def update_param(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])  # the scratch

        if momentum == 0:
            d *= lr
            param -= d
            return

        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = d.copy()
        else:
            buf *= momentum
            if group["dampening"]:
                d *= 1.0 - group["dampening"]  # d is not needed again: no Nesterov with dampening
            buf += d

        if group["nesterov"]:
            # θ ← θ − γ (g + μ b), written as two in-place subtractions through the scratch d
            d *= lr
            param -= d
            xp_of(param).multiply(buf, lr * momentum, out=d)
        else:
            xp_of(param).multiply(buf, lr, out=d)
        param -= d
