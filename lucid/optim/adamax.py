"""Adamax: Adam with the infinity norm in place of the second moment."""

from lucid.backend import xp_of
from lucid.optim._adam_family import AdamFamily
from lucid.optim.optimizer import begin_step, lerp_, signed_grad

__all__ = ["Adamax"]


class Adamax(AdamFamily):
    r"""Adamax (Kingma & Ba, 2015, section 7; PyTorch's formulation).

    With learning rate γ, betas (β₁, β₂), weight decay λ and step count t::

        g ← ±∇θ + λθ
        m ← β₁ m + (1 − β₁) g
        u ← max(β₂ u, |g| + ε)
        θ ← θ − γ / (1 − β₁ᵗ) · m / u

    ``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)``;
    state: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = begin_step(state, param, "exp_avg", "exp_inf")
        m, u = state["exp_avg"], state["exp_inf"]

        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])
        lerp_(m, d, 1.0 - beta1)
        u *= beta2
        xp.abs(d, out=d)
        d += eps
        xp.maximum(u, d, out=u)

        xp.divide(m, u, out=d)
        d *= lr / (1.0 - beta1 ** t)
        param -= d
