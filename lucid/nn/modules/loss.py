"""Loss layers: each holds its options (and class weights as buffers, so they move with
``.to()``) and calls the function of the same name in ``lucid.nn.functional``.

``forward(input_, target)`` -> a 0-d loss for reduction "mean" / "sum", or the per-element
losses for "none" (Lucid's None means the same).
"""

from lucid._tensor import Tensor
from lucid.nn import functional as F
from lucid.nn.functional._loss import _check_reduction
from lucid.nn.module import Module

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "CosineEmbeddingLoss"]


class _Loss(Module):
    _extra_reductions = ()

    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(reduction, self._extra_reductions)
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """mean((x - y)^2) (or the sum, or each (x_i - y_i)^2)."""

    def forward(self, input_, target):
        return F.mse_loss(input_, target, self.reduction)


class L1Loss(_Loss):
    """mean(|x - y|)."""

    def forward(self, input_, target):
        return F.l1_loss(input_, target, self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - y)."""

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        self.beta = beta

    def forward(self, input_, target):
        return F.smooth_l1_loss(input_, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - y)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input_, target):
        return F.huber_loss(input_, target, self.reduction, self.delta)


class BCELoss(_WeightedLoss):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x (logs clamped at -100).
    ``eps`` is kept for Lucid 2's signature and unused (see F.binary_cross_entropy)."""

    def __init__(self, weight=None, reduction="mean", eps=1e-7):
        super().__init__(weight, reduction)
        self.eps = eps

    def forward(self, input_, target):
        return F.binary_cross_entropy(input_, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """-w [p y log s(x) + (1 - y) log(1 - s(x))] for logits x, s = sigmoid, computed stably;
    ``pos_weight`` p (one value per class, broadcast over the last axis) weighs positives."""

    def __init__(self, weight=None, reduction="mean", eps=1e-7, pos_weight=None):
        super().__init__(weight, reduction)
        self.eps = eps
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(pos_weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input_, target):
        return F.binary_cross_entropy_with_logits(input_, target, self.weight, self.reduction,
                                                  self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (N, C, *) against class indices (N, *) or probabilities
    (N, C, *): class ``weight``, ``ignore_index`` (None: none; pass -100 for PyTorch's padding
    convention) and ``label_smoothing``. "mean" divides by the sum of the counted targets'
    weights, as PyTorch does. ``eps`` is kept for Lucid 2's signature and unused."""

    def __init__(self, weight=None, reduction="mean", eps=1e-7, ignore_index=None,
                 label_smoothing=0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.eps, self.ignore_index, self.label_smoothing = eps, ignore_index, label_smoothing

    def forward(self, input_, target):
        return F.cross_entropy(input_, target, self.weight, self.reduction,
                               ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """-w_y x_y for log-probabilities x (N, C, *) and class indices y (N, *)."""

    def __init__(self, weight=None, reduction="mean", ignore_index=None):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input_, target):
        return F.nll_loss(input_, target, self.weight, self.reduction, self.ignore_index)


class KLDivLoss(_Loss):
    """y (log y - x) for log-probabilities x and probabilities y (log-probabilities with
    ``log_target``); reduction may also be "batchmean" (the sum divided by the batch size)."""

    _extra_reductions = ("batchmean",)

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input_, target):
        return F.kl_div(input_, target, self.reduction, self.log_target)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for pairs labelled 1, max(0, cos(x1, x2) - margin) for pairs labelled
    -1; forward(input1, input2, target)."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)
