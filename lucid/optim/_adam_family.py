"""What the Adam-style rules (Adam, AdamW, Adamax, NAdam, RAdam) share: their hyperparameter
checks and their weight decay. Each rule's update math stays in its own file."""

from lucid.optim.optimizer import Optimizer, check_betas, check_nonnegative, signed_grad

__all__ = ["AdamFamily", "decayed_grad"]


class AdamFamily(Optimizer):
    """Base of the Adam-style rules: hyperparameters ``lr``, ``betas = (β₁, β₂)``, ``eps`` and
    ``weight_decay``, checked here (a rule with more extends ``_validate``). Each subclass
    implements its own ``update_param``."""

    def _validate(self, group):
        super()._validate(group)
        check_betas(group.get("betas", (0.9, 0.999)))
        check_nonnegative("epsilon value", group.get("eps", 0.0))
        check_nonnegative("weight_decay value", group.get("weight_decay", 0.0))


def decayed_grad(param, grad, group):
    """The rule's gradient ``g`` as a new array (the rule's scratch), with the group's weight
    decay λ applied one of two ways::

        g = ±∇θ + λθ                         L2 decay (coupled: λθ enters the moments)
        θ ← θ (1 − γλ) in place,  g = ±∇θ   decoupled_weight_decay (AdamW; Loshchilov & Hutter)

    ``−∇θ`` when ``maximize``. Reads ``lr``, ``weight_decay``, ``decoupled_weight_decay`` and
    ``maximize`` from ``group``.
    """
    weight_decay = group["weight_decay"]
    if group["decoupled_weight_decay"]:
        if weight_decay:
            param *= 1.0 - group["lr"] * weight_decay
        weight_decay = 0.0
    return signed_grad(param, grad, weight_decay, group["maximize"])
