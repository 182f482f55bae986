"""Adagrad: per-coordinate learning rates from the sum of squared gradients (Duchi et al.)."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, check_nonnegative, signed_grad

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's formulation).

    With learning rate γ, learning-rate decay η, weight decay λ and step count t::

        g ← ±∇θ + λθ
        γₜ = γ / (1 + (t − 1) η)
        S ← S + g²                          (S starts at initial_accumulator_value)
        θ ← θ − γₜ g / (√S + ε)

    ``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, maximize=False)``; state: ``step``, ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_nonnegative("lr_decay value", group.get("lr_decay", 0.0))
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))
        check_nonnegative("initial_accumulator_value",
                          group.get("initial_accumulator_value", 0.0))
        check_nonnegative("epsilon value", group.get("eps", 0.0))

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        total = state["sum"]
        clr = group["lr"] / (1.0 + (state["step"] - 1) * group["lr_decay"])

        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])
        std = xp.multiply(d, d)  # the second scratch: g², then √S + ε
        total += std
        xp.sqrt(total, out=std)
        std += group["eps"]
        d /= std
        d *= clr
        param -= d
