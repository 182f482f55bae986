"""Rprop: resilient backpropagation, a per-weight step size driven by gradient signs."""

from lucid.backend import xp_of
from lucid.optim.optimizer import Optimizer, is_number, signed_grad

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993; PyTorch's formulation, the "Rprop−" variant).

    Each weight has its own step size Δ (starting at the learning rate). With etas
    (η₋, η₊) and step-size bounds [Δmin, Δmax], per element::

        s = sign(g · g_prev)
        Δ ← clip(Δ · η₊, Δmin, Δmax)   if s > 0   (same sign: speed up)
        Δ ← clip(Δ · η₋, Δmin, Δmax)   if s < 0   (sign flip: we overshot, slow down,
                                                   and skip this update: g ← 0)
        θ ← θ − sign(g) · Δ
        g_prev ← g

    ``Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False)``;
    state: ``step``, ``prev``, ``step_size``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0),
                 maximize=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        etaminus, etaplus = group.get("etas", (0.5, 1.2))
        if not (is_number(etaminus) and is_number(etaplus) and 0.0 < etaminus < 1.0 < etaplus):
            raise ValueError(f"invalid eta values: {etaminus!r}, {etaplus!r} "
                             f"(need 0 < etaminus < 1 < etaplus)")
        low, high = group.get("step_sizes", (1e-6, 50.0))
        if not (is_number(low) and is_number(high) and 0.0 <= low <= high):
            raise ValueError(f"invalid step_sizes: {low!r}, {high!r} (need 0 <= min <= max)")

    def update_param(self, param, grad, state, group):
        xp = xp_of(param)
        etaminus, etaplus = group["etas"]
        step_min, step_max = group["step_sizes"]
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param)
            state["step_size"] = xp.full_like(param, group["lr"])
        state["step"] += 1
        prev, step_size = state["prev"], state["step_size"]

        d = signed_grad(param, grad, 0.0, group["maximize"])
        factor = xp.multiply(d, prev)  # the second scratch: the sign agreement, then η
        xp.sign(factor, out=factor)
        flipped = factor < 0
        factor[factor > 0] = etaplus
        factor[flipped] = etaminus
        factor[factor == 0] = 1.0
        step_size *= factor
        xp.clip(step_size, step_min, step_max, out=step_size)

        d[flipped] = 0.0
        xp.sign(d, out=factor)
        factor *= step_size
        param -= factor
        prev[...] = d
