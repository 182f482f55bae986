"""Adadelta: step sizes from running averages of squared gradients and updates (Zeiler)."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, begin_step, check_nonnegative, signed_grad

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012; PyTorch's formulation, which keeps a learning rate γ).

    With decay ρ and weight decay λ::

        g ← ±∇θ + λθ
        v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε) / √(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − γ Δ

    ``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)``; state:
    ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        rho = group.get("rho", 0.9)
        check_nonnegative("rho value", rho)
        if rho > 1.0:
            raise ValueError(f"invalid rho value: {rho!r} (must be in [0, 1])")
        check_nonnegative("epsilon value", group.get("eps", 0.0))
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        rho, eps = group["rho"], group["eps"]
        begin_step(state, param, "square_avg", "acc_delta")
        v, u = state["square_avg"], state["acc_delta"]

        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])
        tmp = xp.multiply(d, d)  # the second scratch
        tmp *= 1.0 - rho
        v *= rho
        v += tmp

        xp.add(v, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        d /= tmp
        xp.add(u, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        d *= tmp  # d is now the update Δ

        xp.multiply(d, d, out=tmp)
        tmp *= 1.0 - rho
        u *= rho
        u += tmp
        d *= group["lr"]
        param -= d
