"""Losses: regression (MSE, L1, smooth L1, Huber), binary (BCE, BCE with logits), multi-class
(cross-entropy, NLL) and KL divergence.

Every loss takes ``reduction``: "mean" (the default), "sum", or "none" / None (Lucid's spelling)
for the per-element losses. Input and target must have the same shape (PyTorch only warns and
broadcasts, which turns an (N, 1) vs (N,) mix-up into a silent (N, N) loss). Class-index targets
are checked: a label outside [0, C) that is not ``ignore_index`` raises IndexError naming the
label and C. The caller's target is never modified.

Cross-entropy with class indices is one fused node: log-softmax, the pick of the target's
log-probability, label smoothing, class weights and the reduction in one forward, with the
gradient dx_ic = g_i (p_ic A_i - a_ic) written by hand (a_ic is the weight the loss puts on
-log p_ic, A_i its sum over c). The composite ``nll_loss(log_softmax(x), y)`` is its test oracle.
With class weights, "mean" divides by the sum of the weights of the counted targets, as PyTorch
does (Lucid 2 divided by N).
"""

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.error import DeviceMismatchError
from lucid.ops import (abs as _abs, exp, log, log1p, relu, sigmoid, where, maximum, reshape,
                       take_along_axis, sum_to)
from lucid.nn.functional._activation import log_softmax, softmax

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "cosine_embedding_loss",
]

_REDUCTIONS = ("mean", "sum", "none", None)


# ---------------------------------------------------------------------------- shared checks
def _check_reduction(reduction, extra=()):
    if not (reduction is None or isinstance(reduction, str)) or reduction not in (
            _REDUCTIONS + tuple(extra)):
        allowed = ", ".join(repr(r) for r in _REDUCTIONS + tuple(extra))
        raise ValueError(f"reduction must be one of {allowed}; got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_tensor(value, like):
    """``value`` as a Tensor on ``like``'s device (a Tensor is returned as it is, never cast)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, device=like.device)


def _check_same_shape(name, input_, target):
    if tuple(input_.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target shape {tuple(target.shape)} differs from input shape "
                         f"{tuple(input_.shape)}; reshape one of them (no silent broadcasting)")


def _pair(name, input_, target, reduction):
    _check_reduction(reduction)
    target = _as_tensor(target, input_)
    _check_same_shape(name, input_, target)
    return target


# ---------------------------------------------------------------------------- regression
def mse_loss(input_, target, reduction="mean"):
    """Mean squared error: l_i = (x_i - y_i)^2, then reduced. x, y: (*), same shape."""
    target = _pair("mse_loss", input_, target, reduction)
    diff = input_ - target
    return _reduce(diff * diff, reduction)


def l1_loss(input_, target, reduction="mean"):
    """Mean absolute error: l_i = |x_i - y_i| (its gradient is sign(x_i - y_i), 0 at a tie)."""
    target = _pair("l1_loss", input_, target, reduction)
    return _reduce(_abs(input_ - target), reduction)


def smooth_l1_loss(input_, target, reduction="mean", beta=1.0):
    """l_i = 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta otherwise (d = x_i - y_i);
    ``beta=0`` is the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _pair("smooth_l1_loss", input_, target, reduction)
    diff = input_ - target
    if beta == 0:
        return _reduce(_abs(diff), reduction)
    ad = _abs(diff)
    return _reduce(where(ad < beta, (0.5 / beta) * (diff * diff), ad - 0.5 * beta), reduction)


def huber_loss(input_, target, reduction="mean", delta=1.0):
    """l_i = 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) otherwise (d = x_i - y_i)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _pair("huber_loss", input_, target, reduction)
    diff = input_ - target
    ad = _abs(diff)
    return _reduce(where(ad < delta, 0.5 * (diff * diff), delta * (ad - 0.5 * delta)), reduction)


# ---------------------------------------------------------------------------- binary
class BinaryCrossEntropy(Function):
    """l = -(y log x + (1 - y) log(1 - x)) elementwise, each log clamped at -100 (PyTorch's
    rule, so that x = 0 or 1 gives a finite loss). dl/dx = (x - y) / max(x (1 - x), 1e-12),
    dl/dy = log(1 - x) - log x (clamped logs)."""

    def forward(ctx, x, y):
        xp = ctx.xp
        if xp.any((x < 0) | (x > 1)):
            raise ValueError("binary_cross_entropy: every input value must be a probability in "
                             f"[0, 1]; got values in [{float(x.min())}, {float(x.max())}] "
                             "(use binary_cross_entropy_with_logits for logits)")
        log_x = xp.maximum(xp.log(xp.where(x > 0, x, 1.0)), -100.0)
        log_x = xp.where(x > 0, log_x, -100.0)
        log_1mx = xp.maximum(xp.log1p(-xp.where(x < 1, x, 0.0)), -100.0)
        log_1mx = xp.where(x < 1, log_1mx, -100.0)
        ctx.save_for_backward(x, y)
        ctx.log_x, ctx.log_1mx = log_x, log_1mx
        return -(y * log_x + (1 - y) * log_1mx)

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad * (x - y) / maximum(x * (1 - x), 1e-12) if need_x else None
        grad_y = grad * (ctx.log_1mx - ctx.log_x) if need_y else None
        return grad_x, grad_y


def binary_cross_entropy(input_, target, weight=None, reduction="mean", eps=1e-7):
    """Binary cross-entropy of probabilities: l_i = -w_i (y_i log x_i + (1 - y_i) log(1 - x_i)).

    x, y: (*) of the same shape, x in [0, 1]; ``weight`` broadcasts against them. Each log is
    clamped at -100 as in PyTorch. ``eps`` is accepted for Lucid 2's signature and not used:
    the clamp already keeps the loss finite, and the numbers then agree with PyTorch's.
    """
    target = _pair("binary_cross_entropy", input_, target, reduction)
    loss = BinaryCrossEntropy.apply(input_, target)
    if weight is not None:
        loss = loss * _as_tensor(weight, input_)
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """l = (1 - y) x + L softplus(-x) with L = 1 + (p - 1) y (p: pos_weight; L = 1 without it),
    which is -[p y log s(x) + (1 - y) log(1 - s(x))] without ever forming s(x) = sigmoid(x).

    dl/dx = L s(x) - p y,  dl/dy = -x + (p - 1) softplus(-x),  dl/dp = y softplus(-x).
    """

    def forward(ctx, x, y, pos_weight=None):
        xp = ctx.xp
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        ctx.save_for_backward(x, y, pos_weight)
        if pos_weight is None:
            return (1 - y) * x + softplus_neg
        return (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg

    def backward(ctx, grad):
        x, y, pos_weight = ctx.saved_tensors
        need = ctx.needs_input_grad + (False,)
        grad_x = grad_y = grad_p = None
        s = sigmoid(x)
        if pos_weight is None:
            if need[0]:
                grad_x = grad * (s - y)
            if need[1]:
                grad_y = grad * -x
            return grad_x, grad_y
        softplus_neg = relu(-x) + log1p(exp(-_abs(x)))
        if need[0]:
            grad_x = grad * ((1 + (pos_weight - 1) * y) * s - pos_weight * y)
        if need[1]:
            grad_y = grad * ((pos_weight - 1) * softplus_neg - x)
        if need[2]:
            grad_p = sum_to(grad * y * softplus_neg, pos_weight.shape)
        return grad_x, grad_y, grad_p


def binary_cross_entropy_with_logits(input_, target, weight=None, reduction="mean",
                                     pos_weight=None, eps=1e-7):
    """Binary cross-entropy of logits, l_i = -w_i [p y_i log s(x_i) + (1 - y_i) log(1 - s(x_i))]
    with s = sigmoid, computed stably from x (never overflows, exact for |x| large).

    x, y: (*) of the same shape; ``weight`` broadcasts against them; ``pos_weight`` p weighs the
    positive term and broadcasts against the last axis (one value per class). ``eps`` is
    accepted for Lucid 2's signature and not needed by the stable form.
    """
    target = _pair("binary_cross_entropy_with_logits", input_, target, reduction)
    if pos_weight is None:
        loss = BinaryCrossEntropyWithLogits.apply(input_, target)
    else:
        pos_weight = _as_tensor(pos_weight, input_)
        try:
            broadcast_ok = len(pos_weight.shape) <= input_.ndim and all(
                p in (1, n) for p, n in zip(reversed(pos_weight.shape), reversed(input_.shape)))
        except TypeError:
            broadcast_ok = False
        if not broadcast_ok:
            raise ValueError(f"binary_cross_entropy_with_logits: pos_weight of shape "
                             f"{tuple(pos_weight.shape)} does not broadcast against the input "
                             f"shape {tuple(input_.shape)}")
        loss = BinaryCrossEntropyWithLogits.apply(input_, target, pos_weight)
    if weight is not None:
        loss = loss * _as_tensor(weight, input_)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- multi-class
def _class_targets(name, input_, target, ignore_index):
    """The raw integer label array, checked: integer dtype, shape = input's without axis 1,
    every label in [0, C) or equal to ``ignore_index``."""
    if isinstance(target, Tensor) and target.device != input_.device:
        raise DeviceMismatchError(f"{name}: input is on '{input_.device}', target on "
                                  f"'{target.device}'; move one with .to(device)")
    raw = target._data if isinstance(target, Tensor) else input_._backend.xp.asarray(target)
    class_axis = 0 if input_.ndim == 1 else 1
    num_classes = input_.shape[class_axis]
    expected = tuple(input_.shape[:class_axis]) + tuple(input_.shape[class_axis + 1:])
    if raw.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers, got dtype {raw.dtype} "
                        f"(shape {tuple(raw.shape)}; probability targets must have the input's "
                        f"shape {tuple(input_.shape)})")
    if tuple(raw.shape) != expected:
        raise ValueError(f"{name}: input of shape {tuple(input_.shape)} (classes on axis "
                         f"{class_axis}) needs a target of shape {expected}, got "
                         f"{tuple(raw.shape)}")
    bad = (raw < 0) | (raw >= num_classes)
    if ignore_index is not None:
        bad &= raw != ignore_index
    if raw.size and bad.any():
        label = int(raw[bad].reshape(-1)[0])
        hint = "" if ignore_index is not None else (
            "; to skip padding labels pass ignore_index=" + str(label))
        raise IndexError(f"{name}: target label {label} is out of range for {num_classes} "
                         f"classes (valid labels are 0..{num_classes - 1}{hint})")
    return raw


def _class_weight(name, weight, input_, num_classes):
    """The raw class-weight array (C,) in the input's dtype, or None."""
    if weight is None:
        return None
    raw = weight._data if isinstance(weight, Tensor) else input_._backend.xp.asarray(weight)
    if tuple(raw.shape) != (num_classes,):
        raise ValueError(f"{name}: weight must have one value per class, shape "
                         f"({num_classes},); got {tuple(raw.shape)}")
    return raw.astype(input_._data.dtype, copy=False)


def _as_3d(input_, raw_target):
    """(N, C, *d) -> (N, C, D) and (N, *d) -> (N, D); (C,) and () are one sample."""
    if input_.ndim == 1:
        return reshape(input_, (1, input_.shape[0], 1)), raw_target.reshape(1, 1)
    n, c = input_.shape[:2]
    return reshape(input_, (n, c, -1)), raw_target.reshape(n, -1)


class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood over axis 1 of x (N, C, D), with class
    weights w, ``ignore_index`` and label smoothing eps.

    Per position i: l_i = -sum_c a_ic log p_ic with a_ic = v_i [(1 - eps) w_{y_i} [c = y_i] +
    (eps / C) w_c] (v_i = 0 for an ignored target, else 1). "mean" divides the sum by
    sum_i v_i w_{y_i} (PyTorch's normaliser). dl_i/dx_ic = p_ic A_i - a_ic, A_i = sum_c a_ic.
    """

    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        xp = ctx.xp
        n, c, d = x.shape
        logp = x - x.max(axis=1, keepdims=True)
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
        valid = None if ignore_index is None else (target != ignore_index).astype(x.dtype)
        safe = target if valid is None else xp.where(valid > 0, target, 0)
        picked = xp.take_along_axis(logp, safe[:, None, :], axis=1)[:, 0, :]
        # w_t: the weight of each position's target (0 where ignored); None means all ones
        w_t = None if weight is None else weight[safe]
        if valid is not None:
            w_t = valid if w_t is None else w_t * valid
        loss = -picked if w_t is None else -(w_t * picked)
        if smoothing:
            smooth = -(logp.sum(axis=1) if weight is None else
                       (logp * weight[None, :, None]).sum(axis=1))
            if valid is not None:
                smooth = smooth * valid
            loss = (1 - smoothing) * loss + (smoothing / c) * smooth
        ctx.save_for_backward(x)
        ctx.logp, ctx.safe, ctx.valid, ctx.w_t, ctx.weight = logp, safe, valid, w_t, weight
        ctx.smoothing, ctx.reduction = smoothing, reduction
        if reduction == "mean":
            denom = xp.asarray(n * d) if w_t is None else w_t.sum()
            # an all-ignored batch gives NaN, as in PyTorch, without a division warning
            ctx.denom = xp.where(denom == 0, xp.nan, denom).astype(x.dtype)
            return loss.sum() / ctx.denom
        if reduction == "sum":
            return loss.sum()
        return loss

    def _coefficients(ctx):
        """(coef_t, big_a, smooth): a_ic = coef_t_i [c = y_i] + smooth_ic, A_i = big_a_i.
        Arrays of shape (N, D), (N, D), (N, C, D) (or broadcastable numbers)."""
        eps, weight, v = ctx.smoothing, ctx.weight, ctx.valid
        coef_t = (1 - eps) * (1.0 if ctx.w_t is None else ctx.w_t)
        w_mean = 1.0 if weight is None else weight.mean()
        big_a = coef_t + eps * w_mean * (1.0 if v is None else v)
        smooth = None
        if eps:
            w_c = 1.0 if weight is None else weight[None, :, None]
            smooth = (eps / ctx.logp.shape[1]) * w_c * (1.0 if v is None else v[:, None, :])
        return coef_t, big_a, smooth

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        n, c, d = x.shape
        coef_t, big_a, smooth = ctx._coefficients()
        g = grad / ctx.denom if ctx.reduction == "mean" else grad
        if isinstance(x, Tensor):
            # building a higher-order graph: the same formula with p and g as recorded ops
            onehot = (xp.arange(c)[None, :, None] == ctx.safe[:, None, :]).astype(ctx.logp.dtype)
            a = onehot * (coef_t[:, None, :] if hasattr(coef_t, "ndim") else coef_t)
            if smooth is not None:
                a = a + smooth
            if hasattr(big_a, "ndim") and big_a.ndim:
                big_a = big_a[:, None, :]
            if ctx.reduction == "none":
                g = g.reshape((n, 1, d))
            return g * (softmax(x, axis=1) * big_a - a)
        # plain backward: p = exp(log p) scaled in place, then the target term subtracted at
        # the N*D target positions only (one dense pass instead of building a one-hot)
        g = g if ctx.reduction == "none" else xp.broadcast_to(g, (n, d))
        out = xp.exp(ctx.logp)
        out *= (g * big_a)[:, None, :]
        flat = (xp.arange(n)[:, None] * (c * d) + ctx.safe * d + xp.arange(d)[None, :])
        out.reshape(-1)[flat.reshape(-1)] -= (g * coef_t).reshape(-1)
        if smooth is not None:
            out -= g[:, None, :] * smooth
        return out


def cross_entropy(input_, target, weight=None, reduction="mean", eps=1e-7, ignore_index=None,
                  label_smoothing=0.0):
    """Cross-entropy of logits x against class indices or class probabilities.

    x: (N, C), (N, C, d1, ...) or (C,); the classes are on axis 1 (axis 0 for (C,)).
    Class indices y: integers of x's shape without the class axis. Each position's loss is
    -w_y log softmax(x)_y, skipped where y == ``ignore_index`` (None: no label is skipped; PyTorch
    users who pad with -100 pass ignore_index=-100). ``label_smoothing`` eps mixes the target
    with the uniform distribution: (1 - eps) one_hot(y) + eps / C. "mean" divides by the sum of
    the counted targets' weights (their count without ``weight``).
    Probabilities y: x's shape, floats; l = -sum_c w_c y_c log softmax(x)_c per position, "mean"
    divides by the number of positions. ``eps`` is accepted for Lucid 2's signature; the fused
    log-softmax is exact and needs none.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    if input_.ndim == 0:
        raise ValueError("cross_entropy: input must have a class axis, got a 0-d tensor")
    if input_.dtype.base_dtype.kind != "f":
        raise TypeError(f"cross_entropy: input must be floating point logits, got "
                        f"{input_.dtype.name}")
    class_axis = 0 if input_.ndim == 1 else 1
    num_classes = input_.shape[class_axis]
    is_probs = (isinstance(target, Tensor) and target.dtype.base_dtype.kind == "f"
                and tuple(target.shape) == tuple(input_.shape))
    if is_probs:
        if ignore_index is not None:
            raise ValueError("cross_entropy: ignore_index applies to class-index targets, not "
                             "to probability targets")
        return _cross_entropy_probs(input_, target, weight, reduction, label_smoothing,
                                    class_axis)
    raw = _class_targets("cross_entropy", input_, target, ignore_index)
    w = _class_weight("cross_entropy", weight, input_, num_classes)
    x3, t2 = _as_3d(input_, raw)
    out = CrossEntropy.apply(x3, target=t2, weight=w, ignore_index=ignore_index,
                             smoothing=float(label_smoothing), reduction=reduction)
    if reduction in ("none", None):
        out = reshape(out, tuple(raw.shape))
    return out


def _cross_entropy_probs(input_, target, weight, reduction, smoothing, class_axis):
    num_classes = input_.shape[class_axis]
    logp = log_softmax(input_, axis=class_axis)
    if smoothing:
        target = target * (1 - smoothing) + smoothing / num_classes
    terms = logp * target
    if weight is not None:
        w = Tensor(_class_weight("cross_entropy", weight, input_, num_classes))
        terms = terms * w.reshape((num_classes,) + (1,) * (input_.ndim - class_axis - 1))
    if reduction == "mean":
        return -terms.sum() / (input_.numel() // num_classes if num_classes else 0)
    if reduction == "sum":
        return -terms.sum()
    return -terms.sum(axis=class_axis)


def nll_loss(input_, target, weight=None, reduction="mean", ignore_index=None):
    """Negative log-likelihood of log-probabilities x (N, C, *d) or (C,) at class indices y:
    l_i = -w_{y_i} x_{i, y_i}; "mean" divides by the sum of the counted targets' weights.
    ``ignore_index`` as in cross_entropy."""
    _check_reduction(reduction)
    if input_.ndim == 0:
        raise ValueError("nll_loss: input must have a class axis, got a 0-d tensor")
    class_axis = 0 if input_.ndim == 1 else 1
    num_classes = input_.shape[class_axis]
    raw = _class_targets("nll_loss", input_, target, ignore_index)
    w = _class_weight("nll_loss", weight, input_, num_classes)
    xp = input_._backend.xp
    valid = None if ignore_index is None else raw != ignore_index
    safe = raw if valid is None else xp.where(valid, raw, 0)
    picked = take_along_axis(input_, xp.expand_dims(safe, class_axis), class_axis)
    picked = reshape(picked, tuple(raw.shape))
    w_t = None if w is None else w[safe]
    if valid is not None:
        w_t = valid.astype(input_._data.dtype) if w_t is None else w_t * valid
    loss = -picked if w_t is None else -(picked * Tensor(w_t))
    if reduction == "mean":
        if w_t is None:
            return loss.mean()
        denom = w_t.sum()
        return loss.sum() / Tensor(xp.where(denom == 0, xp.nan, denom).astype(w_t.dtype))
    return _reduce(loss, reduction)


def kl_div(input_, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with x = log q (log-probabilities) and y = p:
    l_i = y_i (log y_i - x_i) (0 where y_i = 0), or exp(y_i) (y_i - x_i) when ``log_target``.

    "mean" averages over every element (PyTorch's default); "batchmean" divides the sum by the
    batch size, which is the true KL divergence per sample.
    """
    _check_reduction(reduction, ("batchmean",))
    target = _as_tensor(target, input_)
    _check_same_shape("kl_div", input_, target)
    if log_target:
        loss = exp(target) * (target - input_)
    else:
        positive = target > 0
        loss = where(positive, target * log(where(positive, target, 1.0)), 0.0) - target * input_
    if reduction == "batchmean":
        return loss.sum() / (input_.shape[0] if input_.ndim else 1)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """l_i = 1 - cos(x1_i, x2_i) where y_i = 1, max(0, cos(x1_i, x2_i) - margin) where
    y_i = -1, with cos along the last axis of x1, x2 (N, D) or (D,) and y (N,) or () of +-1.
    As in PyTorch, cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))."""
    _check_reduction(reduction)
    if tuple(input1.shape) != tuple(input2.shape) or input1.ndim not in (1, 2):
        raise ValueError(f"cosine_embedding_loss: inputs must both be (N, D) or (D,), got "
                         f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    raw = target._data if isinstance(target, Tensor) else input1._backend.xp.asarray(target)
    if tuple(raw.shape) != tuple(input1.shape[:-1]):
        raise ValueError(f"cosine_embedding_loss: target shape {tuple(raw.shape)} does not fit "
                         f"inputs of shape {tuple(input1.shape)}")
    if raw.size and not bool(((raw == 1) | (raw == -1)).all()):
        raise ValueError("cosine_embedding_loss: target values must be 1 or -1")
    dot = (input1 * input2).sum(axis=-1)
    squares = ((input1 * input1).sum(axis=-1) + 1e-12) * ((input2 * input2).sum(axis=-1) + 1e-12)
    cos = dot / squares ** 0.5
    loss = where(raw == 1, 1 - cos, relu(cos - margin))
    return _reduce(loss, reduction)
