"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2020)."""

from lucid.backend import xp_of
from lucid.optim._adam_family import AdamFamily, decayed_grad
from lucid.optim.optimizer import begin_step, lerp_

__all__ = ["RAdam"]


class RAdam(AdamFamily):
    r"""RAdam (PyTorch's formulation).

    With learning rate γ, betas (β₁, β₂), weight decay λ and step count t::

        g ← ±∇θ + λθ                     (decoupled_weight_decay: θ ← θ (1 − γλ) instead)
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        ρ∞ = 2 / (1 − β₂) − 1,   ρₜ = ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
        if ρₜ > 5:  r = √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
                    θ ← θ − γ m / (1 − β₁ᵗ) · r √(1 − β₂ᵗ) / (√v + ε)
        else:       θ ← θ − γ m / (1 − β₁ᵗ)        (the variance estimate is not yet usable)

    ``RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, maximize=False)``; state: ``step``, ``exp_avg``,
    ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = begin_step(state, param, "exp_avg", "exp_avg_sq")
        m, v = state["exp_avg"], state["exp_avg_sq"]

        d = decayed_grad(param, grad, group)

        lerp_(m, d, 1.0 - beta1)
        xp.multiply(d, d, out=d)
        d *= 1.0 - beta2
        v *= beta2
        v += d

        bias_correction1 = 1.0 - beta1 ** t
        bias_correction2 = 1.0 - beta2 ** t
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * t * beta2 ** t / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
            xp.sqrt(v, out=d)
            d += eps
            xp.divide(m, d, out=d)
            d *= lr * rect * bias_correction2 ** 0.5 / bias_correction1
        else:
            xp.multiply(m, lr / bias_correction1, out=d)
        param -= d
