"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, begin_step, check_nonnegative, signed_grad

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (PyTorch's formulation).

    With learning rate γ, decay λ (``lambd``), power α, averaging start t₀, weight decay wd and
    step count t; η starts at γ and μ at 1::

        g ← ±∇θ + wd · θ
        θ ← θ (1 − λη) − η g
        θ̄ ← θ̄ + μ (θ − θ̄)                 (the running average, state "ax")
        η ← γ / (1 + λγt)^α,   μ ← 1 / max(1, t − t₀)

    The average ``state[p]["ax"]`` is what ASGD's theory evaluates; the parameters themselves
    follow plain (decaying-step) SGD.

    ``ASGD(params, lr=1e-3, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False)``;
    state: ``step``, ``eta``, ``mu``, ``ax``.
    """

    def __init__(self, params, lr=1e-3, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
                 maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))
        check_nonnegative("lambd value", group.get("lambd", 0.0))

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        lr, lambd, alpha = group["lr"], group["lambd"], group["alpha"]
        t = begin_step(state, param, "ax", eta=float(lr), mu=1.0)
        eta, mu, ax = state["eta"], state["mu"], state["ax"]

        d = signed_grad(param, grad, group["weight_decay"], group["maximize"])
        param *= 1.0 - lambd * eta
        d *= eta
        param -= d

        if mu != 1.0:
            xp.subtract(param, ax, out=d)
            d *= mu
            ax += d
        else:
            ax[...] = param

        state["eta"] = lr / (1.0 + lambd * lr * t) ** alpha
        state["mu"] = 1.0 / max(1.0, t - group["t0"])
