"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

from lucid.backend import xp_of
from lucid.optim._adam_family import AdamFamily, decayed_grad
from lucid.optim.optimizer import begin_step, check_nonnegative, lerp_

__all__ = ["NAdam"]


class NAdam(AdamFamily):
    r"""NAdam (PyTorch's formulation, with Dozat's momentum schedule).

    With learning rate γ, betas (β₁, β₂), momentum decay ψ, weight decay λ and step count t::

        g ← ±∇θ + λθ                     (decoupled_weight_decay: θ ← θ (1 − γλ) instead)
        μₜ = β₁ (1 − ½ · 0.96^(t ψ)),    μₜ₊₁ = β₁ (1 − ½ · 0.96^((t+1) ψ))
        Π ← Π · μₜ                       (the product μ₁ ⋯ μₜ, state "mu_product")
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        D = √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − γ (1 − μₜ) / (1 − Π) · g / D − γ μₜ₊₁ / (1 − Π μₜ₊₁) · m / D

    ``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, maximize=False)``; state: ``step``, ``mu_product``,
    ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_nonnegative("momentum_decay value", group.get("momentum_decay", 0.0))

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = begin_step(state, param, "exp_avg", "exp_avg_sq", mu_product=1.0)
        m, v = state["exp_avg"], state["exp_avg_sq"]

        d = decayed_grad(param, grad, group)

        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]

        lerp_(m, d, 1.0 - beta1)
        denom = xp.multiply(d, d)  # the second scratch: g², then D
        denom *= 1.0 - beta2
        v *= beta2
        v += denom
        xp.divide(v, 1.0 - beta2 ** t, out=denom)
        xp.sqrt(denom, out=denom)
        denom += eps

        d /= denom
        d *= lr * (1.0 - mu) / (1.0 - mu_product)
        param -= d
        xp.divide(m, denom, out=d)
        d *= lr * mu_next / (1.0 - mu_product * mu_next)
        param -= d
