"""Losses against torch.nn.functional / torch.nn: values and the gradients of input and target
under a random upstream gradient, every reduction, float32 and float64; the fused cross-entropy
against its composite form (log_softmax + gather); bad labels, shapes and reductions."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from helpers import check_op, check_numeric, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

REDUCTIONS = ["mean", "sum", "none"]
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-6, atol=1e-8)}


def _pair(dtype, shape=(4, 5), seed=0, ties=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    y = rng.standard_normal(shape) * 2
    if ties:  # exact ties and differences of exactly 1 (the Huber / smooth-L1 edge)
        y.reshape(-1)[:3] = x.reshape(-1)[:3]
        y.reshape(-1)[3:5] = x.reshape(-1)[3:5] - 1.0
        y.reshape(-1)[5] = x.reshape(-1)[5] + 0.5
    return [x.astype(dtype), y.astype(dtype)]


# ---------------------------------------------------------------------------- regression
REGRESSION = [
    ("mse", F.mse_loss, TF.mse_loss if torch else None, {}),
    ("l1", F.l1_loss, TF.l1_loss if torch else None, {}),
    ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss if torch else None, {}),
    ("smooth_l1_beta", F.smooth_l1_loss, TF.smooth_l1_loss if torch else None, {"beta": 0.5}),
    ("smooth_l1_beta0", F.smooth_l1_loss, TF.smooth_l1_loss if torch else None, {"beta": 0.0}),
    ("huber", F.huber_loss, TF.huber_loss if torch else None, {}),
    ("huber_delta", F.huber_loss, TF.huber_loss if torch else None, {"delta": 0.5}),
]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,lucid_fn,torch_fn,kw", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_match_torch(name, lucid_fn, torch_fn, kw, reduction, dtype):
    check_op(None, lambda x, y: torch_fn(x, y, reduction=reduction, **kw),
             lambda x, y: lucid_fn(x, y, reduction=reduction, **kw),
             dtype=dtype, arrays=_pair(dtype))


def test_lucid_none_reduction_is_none():
    x, y = (lucid.Tensor(a) for a in _pair("float64"))
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss):
        np.testing.assert_array_equal(fn(x, y, reduction=None).numpy(),
                                      fn(x, y, reduction="none").numpy())


def test_doc_pages_numbers():
    # MSELoss.rst prints grad [-0.5, 0.5, 0, 0.5]; the mean over 4 gives [-0.25, 0.25, 0, 0.5]
    x = lucid.Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = lucid.Tensor([1.5, 1.5, 3.0, 3.0])
    F.mse_loss(x, y).backward()
    np.testing.assert_allclose(x.grad, [-0.25, 0.25, 0.0, 0.5])


# ---------------------------------------------------------------------------- binary
def _probs(dtype, shape=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, shape)
    p.reshape(-1)[:2] = [0.0, 1.0]  # the clamped logs
    y = rng.uniform(0, 1, shape)
    y.reshape(-1)[:4] = [0.0, 1.0, 1.0, 0.0]
    return [p.astype(dtype), y.astype(dtype)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch(weighted, reduction, dtype):
    w = np.random.default_rng(1).uniform(0.5, 2, (5,)).astype(dtype)
    lw = lucid.Tensor(w) if weighted else None
    tw = torch.tensor(w) if weighted else None
    arrays = _probs(dtype)
    # gradient of x (away from the clamped 0 / 1, where torch's 1e-12 floor makes it huge)
    arrays_inside = [a.copy() for a in arrays]
    arrays_inside[0].reshape(-1)[:2] = [0.3, 0.7]
    check_op(None, lambda p, y: TF.binary_cross_entropy(p, y, tw, reduction=reduction),
             lambda p, y: F.binary_cross_entropy(p, y, lw, reduction),
             dtype=dtype, arrays=arrays_inside)
    # values at exactly 0 and 1 (log clamped at -100)
    check_op(None, lambda p, y: TF.binary_cross_entropy(p, y, tw, reduction=reduction),
             lambda p, y: F.binary_cross_entropy(p, y, lw, reduction),
             dtype=dtype, arrays=arrays, grad=False)


def test_bce_target_gradient_is_that_of_the_clamped_loss():
    # at x = 0 the loss is 100 y (log 0 clamped at -100), so dl/dy = 100; PyTorch returns
    # -logit(0) = inf here, the derivative of the unclamped formula, not of the loss it returns
    y = lucid.Tensor([0.3, 0.6, 0.5], dtype="float64", requires_grad=True)
    p = lucid.Tensor([0.0, 1.0, 0.25], dtype="float64")
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    np.testing.assert_allclose(y.grad, [100.0, -100.0, np.log(0.75) - np.log(0.25)])


@needs_torch
def test_bce_input_gradient_at_zero_and_one_is_torchs():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 0.5, 0.25])
    lp, tp = lucid.Tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    F.binary_cross_entropy(lp, lucid.Tensor(y), reduction="sum").backward()
    TF.binary_cross_entropy(tp, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(lp.grad, tp.grad.numpy(), rtol=1e-8)  # torch: float(1e-12)


def _logits(dtype, shape=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    x.reshape(-1)[:4] = [0.0, 50.0, -50.0, 0.0]
    y = rng.uniform(0, 1, shape)
    y.reshape(-1)[:3] = [0.0, 1.0, 1.0]
    return [x.astype(dtype), y.astype(dtype)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos", [(False, False), (True, False), (False, True),
                                          (True, True)])
def test_bce_with_logits_matches_torch(weighted, pos, reduction, dtype):
    rng = np.random.default_rng(2)
    w = rng.uniform(0.5, 2, (4, 1)).astype(dtype)
    pw = rng.uniform(0.5, 3, (5,)).astype(dtype)
    kw_l = dict(weight=lucid.Tensor(w) if weighted else None,
                pos_weight=lucid.Tensor(pw) if pos else None)
    kw_t = dict(weight=torch.tensor(w) if weighted else None,
                pos_weight=torch.tensor(pw) if pos else None)
    check_op(None, lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                                    **kw_t),
             lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw_l),
             dtype=dtype, arrays=_logits(dtype))


def test_bce_with_logits_is_stable_and_differentiable_in_pos_weight():
    x = lucid.Tensor([1000.0, -1000.0, 0.0], dtype="float64")
    y = lucid.Tensor([1.0, 0.0, 1.0], dtype="float64")
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy()
    np.testing.assert_allclose(out, [0.0, 0.0, np.log(2)], atol=1e-12)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.5, 2, (4,))]
    check_numeric(lambda x, y, p: F.binary_cross_entropy_with_logits(x, y, pos_weight=p),
                  arrays)


def test_bce_weight_gets_a_gradient():
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.5, 2, (4,))]
    check_numeric(lambda p, y, w: F.binary_cross_entropy(p, y, w), arrays)


# ---------------------------------------------------------------------------- cross-entropy
CE_CASES = [
    ((6, 5), {}),
    ((6, 5), {"weight": True}),
    ((6, 5), {"ignore_index": 2}),
    ((6, 5), {"label_smoothing": 0.15}),
    ((6, 5), {"weight": True, "ignore_index": 0, "label_smoothing": 0.3}),
    ((3, 4, 2, 3), {}),
    ((3, 4, 2, 3), {"weight": True, "ignore_index": 1, "label_smoothing": 0.1}),
    ((2, 3, 5), {"weight": True}),
    ((5,), {}),
    ((5,), {"weight": True, "label_smoothing": 0.2}),
]


def _ce_inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    t_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, c, t_shape)
    w = rng.uniform(0.3, 2.0, c).astype(dtype)
    return x, t, w


def _ce_kwargs(kw, w, lib):
    out = dict(kw)
    if out.get("weight"):
        out["weight"] = lucid.Tensor(w) if lib == "lucid" else torch.tensor(w)
    else:
        out.pop("weight", None)
    if lib == "torch" and "ignore_index" not in out:
        out["ignore_index"] = -100
    return out


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", CE_CASES, ids=[f"{s}-{sorted(k)}" for s, k in CE_CASES])
def test_cross_entropy_matches_torch(shape, kw, reduction, dtype):
    x, t, w = _ce_inputs(shape, dtype)
    lkw, tkw = _ce_kwargs(kw, w, "lucid"), _ce_kwargs(kw, w, "torch")
    check_op(None, lambda x: TF.cross_entropy(x, torch.tensor(t), reduction=reduction, **tkw),
             lambda x: F.cross_entropy(x, lucid.Tensor(t), reduction=reduction, **lkw),
             dtype=dtype, arrays=[x])


def _composite_cross_entropy(x, t, weight=None, ignore_index=None, label_smoothing=0.0,
                             reduction="mean"):
    """The oracle: log_softmax, then nll_loss (a gather), then the smoothing term by hand."""
    class_axis = 0 if x.ndim == 1 else 1
    c = x.shape[class_axis]
    logp = x - lucid.logsumexp(x, axis=class_axis, keepdims=True)
    nll = F.nll_loss(logp, t, weight, "none", ignore_index)
    raw_t = t.numpy()
    valid = np.ones(raw_t.shape) if ignore_index is None else (raw_t != ignore_index) * 1.0
    w_c = np.ones(c) if weight is None else weight.numpy()
    w_shape = (c,) + (1,) * (x.ndim - class_axis - 1)
    smooth = -(logp * lucid.Tensor(w_c.reshape(w_shape))).sum(axis=class_axis)
    smooth = smooth * lucid.Tensor(valid)
    loss = (1 - label_smoothing) * nll + (label_smoothing / c) * smooth
    if reduction == "mean":
        safe = np.where(valid > 0, raw_t, 0)
        return loss.sum() / float((w_c[safe] * valid).sum())
    return loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", CE_CASES, ids=[f"{s}-{sorted(k)}" for s, k in CE_CASES])
def test_fused_cross_entropy_equals_composite(shape, kw, reduction):
    x, t, w = _ce_inputs(shape, "float64", seed=3)
    lkw = _ce_kwargs(kw, w, "lucid")
    G = np.random.default_rng(4).standard_normal(() if reduction != "none" else t.shape)
    a, b = lucid.Tensor(x, requires_grad=True), lucid.Tensor(x, requires_grad=True)
    fused = F.cross_entropy(a, lucid.Tensor(t), reduction=reduction, **lkw)
    composite = _composite_cross_entropy(b, lucid.Tensor(t), reduction=reduction, **lkw)
    np.testing.assert_allclose(fused.numpy(), composite.numpy(), rtol=1e-12, atol=1e-14)
    (fused * lucid.Tensor(G)).sum().backward()
    (composite * lucid.Tensor(G)).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("shape,kw", CE_CASES[:7],
                         ids=[f"{s}-{sorted(k)}" for s, k in CE_CASES[:7]])
def test_cross_entropy_double_backward_matches_torch(shape, kw):
    x, t, w = _ce_inputs(shape, "float64", seed=5)
    lkw, tkw = _ce_kwargs(kw, w, "lucid"), _ce_kwargs(kw, w, "torch")
    rng = np.random.default_rng(6)
    H = rng.standard_normal(shape)
    lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (lg,) = lucid.autograd.grad(F.cross_entropy(lx, lucid.Tensor(t), **lkw), [lx],
                                create_graph=True)
    (tg,) = torch.autograd.grad(TF.cross_entropy(tx, torch.tensor(t), **tkw), tx,
                                create_graph=True)
    (lg * lucid.Tensor(H)).sum().backward()
    (tg * torch.tensor(H)).sum().backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", [((6, 5), {}), ((6, 5), {"weight": True}),
                                      ((6, 5), {"label_smoothing": 0.2}),
                                      ((3, 4, 2), {"weight": True, "label_smoothing": 0.1}),
                                      ((5,), {})])
def test_cross_entropy_probability_targets_match_torch(shape, kw, reduction, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    axis = 0 if len(shape) == 1 else 1
    p = rng.uniform(0, 1, shape)
    p = (p / p.sum(axis=axis, keepdims=True)).astype(dtype)
    w = rng.uniform(0.5, 2, shape[axis]).astype(dtype)
    lkw, tkw = _ce_kwargs(kw, w, "lucid"), _ce_kwargs(kw, w, "torch")
    lkw.pop("ignore_index", None)
    check_op(None, lambda x, p: TF.cross_entropy(x, p, reduction=reduction, **tkw),
             lambda x, p: F.cross_entropy(x, p, reduction=reduction, **lkw),
             dtype=dtype, arrays=[x, p])


def test_weighted_mean_divides_by_the_weight_sum_not_n():
    # Lucid 2 divided by N here (API.md: 4.1316 against PyTorch's 1.8363)
    x = lucid.Tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0]], dtype="float64")
    t = lucid.Tensor([0, 2, 1])
    w = lucid.Tensor([1.0, 5.0, 0.5], dtype="float64")
    per = F.cross_entropy(x, t, w, reduction="none").numpy()
    want = per.sum() / (1.0 + 0.5 + 5.0)
    assert abs(F.cross_entropy(x, t, w).item() - want) < 1e-12
    assert abs(F.cross_entropy(x, t, w).item() - per.sum() / 3) > 0.1


def test_all_ignored_batch_gives_nan_like_torch():
    x = lucid.Tensor(np.zeros((2, 3)), requires_grad=True)
    t = lucid.Tensor([-100, -100])
    loss = F.cross_entropy(x, t, ignore_index=-100)
    assert np.isnan(loss.item())
    assert F.cross_entropy(x, t, ignore_index=-100, reduction="sum").item() == 0.0


def test_target_is_never_modified():
    x = lucid.random.randn(4, 3)
    t = lucid.Tensor(np.array([0, 2, -100, 1], dtype=np.int32))
    before = t.numpy().copy()
    F.cross_entropy(x, t, ignore_index=-100)
    F.nll_loss(F.log_softmax(x, 1), t, ignore_index=-100)
    assert t.dtype == lucid.Int32
    np.testing.assert_array_equal(t.numpy(), before)


# ---------------------------------------------------------------------------- nll, kl
@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,kw", [((6, 5), {}), ((6, 5), {"weight": True, "ignore_index": 3}),
                                      ((3, 4, 2, 2), {"weight": True}), ((5,), {})])
def test_nll_loss_matches_torch(shape, kw, reduction, dtype):
    x, t, w = _ce_inputs(shape, dtype, seed=7)
    lkw, tkw = _ce_kwargs(kw, w, "lucid"), _ce_kwargs(kw, w, "torch")
    check_op(None, lambda x: TF.nll_loss(x, torch.tensor(t), reduction=reduction, **tkw),
             lambda x: F.nll_loss(x, lucid.Tensor(t), reduction=reduction, **lkw),
             dtype=dtype, arrays=[x])


@needs_torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(log_target, reduction, dtype):
    rng = np.random.default_rng(0)
    x = np.log(rng.dirichlet(np.ones(5), 4)).astype(dtype)
    y = rng.dirichlet(np.ones(5), 4)
    if log_target:
        y = np.log(y)
    check_op(None, lambda x, y: TF.kl_div(x, y, reduction=reduction, log_target=log_target),
             lambda x, y: F.kl_div(x, y, reduction=reduction, log_target=log_target),
             dtype=dtype, arrays=[x, y.astype(dtype)])
    if not log_target:  # a target of exactly 0 contributes 0 (0 log 0 = 0)
        y[0, :2] = 0.0
        check_op(None, lambda x, y: TF.kl_div(x, y.detach(), reduction=reduction),
                 lambda x, y: F.kl_div(x, y.detach(), reduction=reduction),
                 dtype=dtype, arrays=[x, y.astype(dtype)])


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,margin", [((6, 4), 0.0), ((6, 4), 0.3), ((5,), -0.2)])
def test_cosine_embedding_loss_matches_torch(shape, margin, reduction, dtype):
    y = np.array([1, -1, -1, 1, -1, 1][:shape[0]]) if len(shape) == 2 else np.array(-1)
    layer = nn.CosineEmbeddingLoss(margin, reduction)
    tlayer = torch.nn.CosineEmbeddingLoss(margin, reduction=reduction)
    check_op([shape, shape], lambda a, b: tlayer(a, b, torch.tensor(y)),
             lambda a, b: layer(a, b, lucid.Tensor(y)), dtype=dtype)
    with pytest.raises(ValueError, match="1 or -1"):
        layer(lucid.random.randn(*shape), lucid.random.randn(*shape), lucid.Tensor(y * 0))


# ---------------------------------------------------------------------------- modules
@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_modules_match_torch(dtype):
    x, t, w = _ce_inputs((6, 5), dtype, seed=8)
    xr, yr = _pair(dtype, (6, 5))
    p, y = _probs(dtype, (6, 5))
    p.reshape(-1)[:2] = [0.2, 0.8]
    logits, ly = _logits(dtype, (6, 5))
    pw = np.linspace(0.5, 2, 5).astype(dtype)
    cases = [
        (nn.MSELoss(), torch.nn.MSELoss(), xr, yr),
        (nn.L1Loss("sum"), torch.nn.L1Loss(reduction="sum"), xr, yr),
        (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), xr, yr),
        (nn.HuberLoss(None, 0.7), torch.nn.HuberLoss("none", 0.7), xr, yr),
        (nn.BCELoss(lucid.Tensor(w)), torch.nn.BCELoss(torch.tensor(w)), p, y),
        (nn.BCEWithLogitsLoss(pos_weight=lucid.Tensor(pw)),
         torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw)), logits, ly),
        (nn.CrossEntropyLoss(lucid.Tensor(w), ignore_index=-100, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(torch.tensor(w), label_smoothing=0.1), x, None),
        (nn.NLLLoss(lucid.Tensor(w)), torch.nn.NLLLoss(torch.tensor(w)), x, None),
        (nn.KLDivLoss("batchmean"), torch.nn.KLDivLoss(reduction="batchmean"), xr, np.abs(yr)),
    ]
    t_pad = t.copy()
    t_pad[1] = -100
    for layer, tlayer, a, b in cases:
        for train in (True, False):
            layer.train(train)
            tlayer.train(train)
            if b is None:
                tt = t_pad if isinstance(layer, nn.CrossEntropyLoss) else t
                check_op(None, lambda x: tlayer(x, torch.tensor(tt)),
                         lambda x: layer(x, lucid.Tensor(tt)), dtype=dtype, arrays=[a])
            else:
                check_op(None, lambda a, b: tlayer(a, b.detach()),
                         lambda a, b: layer(a, b.detach()), dtype=dtype, arrays=[a, b])


def test_loss_modules_keep_weights_as_buffers():
    loss = nn.CrossEntropyLoss(weight=lucid.Tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=[2.0, 3.0]).state_dict()) == ["pos_weight"]
    assert list(nn.MSELoss().state_dict()) == []
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss("sum")) == "L1Loss(reduction='sum')"


# ---------------------------------------------------------------------------- bad input
def test_unknown_reduction_raises_naming_it():
    x = lucid.random.randn(3, 4)
    for fn in (lambda: F.mse_loss(x, x, "avg"), lambda: F.cross_entropy(x, lucid.Tensor([0, 1, 2]),
                                                                        reduction="avg"),
               lambda: nn.L1Loss("avg"), lambda: F.kl_div(x, x, "avg")):
        with pytest.raises(ValueError, match="'avg'"):
            fn()
    with pytest.raises(ValueError, match="batchmean"):
        F.mse_loss(x, x, "batchmean")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss,
                                lambda x, t: nn.CrossEntropyLoss()(x, t)])
def test_label_out_of_range_raises_index_error(fn):
    x = lucid.random.randn(4, 3)
    with pytest.raises(IndexError, match="label 3 .* 3 classes"):
        fn(x, lucid.Tensor([0, 1, 3, 2]))
    with pytest.raises(IndexError, match="label -1 .* 3 classes"):
        fn(x, lucid.Tensor([0, -1, 1, 2]))
    with pytest.raises(IndexError, match="label -100"):
        fn(x, lucid.Tensor([0, -100, 1, 2]))
    img = lucid.random.randn(2, 3, 2, 2)
    with pytest.raises(IndexError, match="label 7"):
        F.cross_entropy(img, lucid.Tensor(np.full((2, 2, 2), 7)))


def test_ignore_index_only_skips_that_label():
    x = lucid.random.randn(4, 3)
    F.cross_entropy(x, lucid.Tensor([0, -1, 1, 2]), ignore_index=-1)
    with pytest.raises(IndexError, match="label 5"):
        F.cross_entropy(x, lucid.Tensor([0, 5, 1, -1]), ignore_index=-1)


def test_bad_shapes_and_dtypes_raise():
    x = lucid.random.randn(4, 3)
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\)"):
        F.cross_entropy(x, lucid.Tensor(np.zeros((4, 1), dtype=np.int64)))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(x, lucid.Tensor([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        F.cross_entropy(x, lucid.Tensor([0, 1, 2, 1]), weight=lucid.ones(4))
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)|\(4,\).*\(4, 1\)"):
        F.mse_loss(lucid.random.randn(4, 1), lucid.random.randn(4))
    with pytest.raises(ValueError, match="probability"):
        F.binary_cross_entropy(lucid.Tensor([0.5, 1.5]), lucid.Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=lucid.ones(5))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, lucid.Tensor([0, 1, 2, 1]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="floating"):
        F.cross_entropy(lucid.Tensor([[1, 2]]), lucid.Tensor([0]))
    with pytest.raises(ValueError, match="ignore_index"):
        F.cross_entropy(x, F.softmax(x), ignore_index=0)
