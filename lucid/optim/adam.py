"""Adam: adaptive moment estimation (Kingma & Ba, 2015), with AMSGrad and weight decay."""

from lucid.backend import xp_of
from lucid.optim._adam_family import AdamFamily, decayed_grad
from lucid.optim.optimizer import begin_step, lerp_

__all__ = ["Adam"]


class Adam(AdamFamily):
    r"""Adam (PyTorch's formulation).

    With learning rate γ, betas (β₁, β₂), weight decay λ and step count t::

        g ← ±∇θ + λθ                  (L2 decay; with decoupled_weight_decay: θ ← θ (1 − γλ))
        m ← β₁ m + (1 − β₁) g         first moment
        v ← β₂ v + (1 − β₂) g²        second moment
        v̂ ← max(v̂, v)                 (amsgrad; v̂ replaces v below)
        θ ← θ − γ / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    maximize=False, decoupled_weight_decay=False)``; state: ``step``, ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t = begin_step(state, param, "exp_avg", "exp_avg_sq",
                       "max_exp_avg_sq" if group["amsgrad"] else None)
        m, v = state["exp_avg"], state["exp_avg_sq"]

        d = decayed_grad(param, grad, group)  # g; then reused as scratch

        lerp_(m, d, 1.0 - beta1)
        xp.multiply(d, d, out=d)
        d *= 1.0 - beta2
        v *= beta2
        v += d

        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias_correction1 = 1.0 - beta1 ** t
        bias_correction2 = 1.0 - beta2 ** t
        denom = xp.sqrt(v, out=d)
        denom /= bias_correction2 ** 0.5
        denom += eps
        xp.divide(m, denom, out=d)
        d *= lr / bias_correction1
        param -= d
