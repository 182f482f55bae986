"""Normalisation layers: fused ops against their composite form (mean/var ops) and against
torch.nn / torch.nn.functional with the same weights, in train and eval mode, float32 and
float64; running statistics over several steps; state_dict keys; bad inputs."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradgradcheck
from helpers import TOL, check_numeric, check_op, draw, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

DTYPES = ["float32", "float64"]



# ---------------------------------------------------------------------------- composite oracle
def composite(x, weight, bias, axes, param_view, eps, view=None, center=True):
    """The unfused norm, built from lucid's mean/var ops (the oracle of the fused op)."""
    shape = x.shape
    xv = x.reshape(view) if view is not None else x
    if center:
        mean = xv.mean(axis=axes, keepdims=True)
        var = lucid.var(xv, axis=axes, keepdims=True)
        out = (xv - mean) / lucid.sqrt(var + eps)
    else:
        out = xv / lucid.sqrt((xv * xv).mean(axis=axes, keepdims=True) + eps)
    if weight is not None:
        out = out * weight.reshape(param_view)
    if bias is not None:
        out = out + bias.reshape(param_view)
    return out.reshape(shape)


def _fused_vs_composite(fused, oracle, shapes, seed=0):
    arrays = draw(shapes, "float64", seed=seed)
    grads = []
    outs = []
    for fn in (fused, oracle):
        ts = [lucid.Tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        G = np.random.default_rng(seed + 1).standard_normal(out.shape)
        (out * lucid.Tensor(G)).sum().backward()
        outs.append(out.numpy())
        grads.append([t.grad for t in ts])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-10, atol=1e-12)
    for g_fused, g_oracle in zip(*grads):
        np.testing.assert_allclose(g_fused, g_oracle, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 5)])
def test_batch_norm_fused_matches_composite(shape):
    axes = (0,) + tuple(range(2, len(shape)))
    pv = (shape[1],) + (1,) * (len(shape) - 2)
    _fused_vs_composite(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: composite(x, w, b, axes, pv, 1e-5),
        [shape, (shape[1],), (shape[1],)])


def test_batch_norm_eval_fused_matches_composite():
    rm, rv = draw([(3,), (3,)], seed=5, positive=True)

    def fused(x, w, b):
        return F.batch_norm(x, lucid.Tensor(rm), lucid.Tensor(rv), w, b, training=False)

    def oracle(x, w, b):
        pv = (3, 1, 1)
        out = (x - lucid.Tensor(rm.reshape(pv))) / lucid.sqrt(lucid.Tensor(rv.reshape(pv)) + 1e-5)
        return out * w.reshape(pv) + b.reshape(pv)
    _fused_vs_composite(fused, oracle, [(4, 3, 2, 5), (3,), (3,)])


@pytest.mark.parametrize("normalized_shape", [(7,), (3, 7)])
def test_layer_norm_fused_matches_composite(normalized_shape):
    shape = (2, 4) + normalized_shape[-2:] if len(normalized_shape) == 2 else (2, 4, 7)
    axes = tuple(range(len(shape) - len(normalized_shape), len(shape)))
    _fused_vs_composite(
        lambda x, w, b: F.layer_norm(x, normalized_shape, w, b, eps=1e-5),
        lambda x, w, b: composite(x, w, b, axes, normalized_shape, 1e-5),
        [shape, normalized_shape, normalized_shape])


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_fused_matches_composite(groups):
    n, c, h, w = 3, 6, 4, 5
    view = (n, groups, c // groups * h * w)
    _fused_vs_composite(
        lambda x, wt, b: F.group_norm(x, groups, wt, b, eps=1e-5),
        lambda x, wt, b: composite(x, None, None, (2,), None, 1e-5, view=view)
        * wt.reshape(c, 1, 1) + b.reshape(c, 1, 1),
        [(n, c, h, w), (c,), (c,)])


def test_instance_norm_fused_matches_composite():
    _fused_vs_composite(
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: composite(x, w, b, (2, 3), (3, 1, 1), 1e-5),
        [(2, 3, 4, 5), (3,), (3,)])


def test_rms_norm_fused_matches_composite():
    _fused_vs_composite(
        lambda x, w: F.rms_norm(x, (6,), w, eps=1e-6),
        lambda x, w: composite(x, w, None, (2,), (6,), 1e-6, center=False),
        [(2, 3, 6), (6,)])


def test_norms_without_affine_match_composite():
    _fused_vs_composite(lambda x: F.layer_norm(x, 5),
                        lambda x: composite(x, None, None, (1,), None, 1e-5), [(4, 5)])
    _fused_vs_composite(lambda x: F.batch_norm(x, None, None, training=True),
                        lambda x: composite(x, None, None, (0, 2), None, 1e-5), [(4, 3, 5)])
    _fused_vs_composite(lambda x: F.rms_norm(x, 5, eps=1e-6),
                        lambda x: composite(x, None, None, (1,), None, 1e-6, center=False),
                        [(4, 5)])


def test_weight_without_bias_and_bias_without_weight():
    _fused_vs_composite(lambda x, w: F.layer_norm(x, 5, w),
                        lambda x, w: composite(x, w, None, (1,), (5,), 1e-5), [(4, 5), (5,)])
    _fused_vs_composite(lambda x, b: F.batch_norm(x, None, None, None, b, True),
                        lambda x, b: composite(x, None, b, (0,), (3,), 1e-5), [(4, 3), (3,)])


# ---------------------------------------------------------------------------- numeric checks
def test_numeric_gradients():
    x, w, b = draw([(4, 6, 3), (6,), (6,)], seed=3)
    check_numeric(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    check_numeric(lambda x, w, b: F.group_norm(x, 3, w, b), [x, w, b])
    x2, w2, b2 = draw([(4, 6, 3), (3,), (3,)], seed=4)
    check_numeric(lambda x, w, b: F.layer_norm(x, 3, w, b), [x2, w2, b2])
    check_numeric(lambda x, w: F.rms_norm(x, 3, w), [x2, w2])


def test_second_derivative_under_create_graph():
    # double backward is not promised for norms, but the create_graph path recomputes the
    # statistics with differentiable ops, so it is exact; this keeps it so
    x, w, b = draw([(3, 4), (4,), (4,)], seed=6)
    ts = [lucid.Tensor(a, requires_grad=True) for a in (x, w, b)]
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, 4, w, b), ts)
    xb, wb, bb = draw([(5, 2, 3), (2,), (2,)], seed=7)
    ts = [lucid.Tensor(a, requires_grad=True) for a in (xb, wb, bb)]
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), ts)
    ts = [lucid.Tensor(a, requires_grad=True) for a in (xb, wb)]
    assert gradgradcheck(lambda x, w: F.rms_norm(x, 3, None) * w.reshape(2, 1), ts)


RM, RV = draw([(4,), (4,)], seed=8, positive=True)
GRAPH_CASES = {
    "batch_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (5, 4, 3)),
    "batch_eval": (lambda x, w, b: F.batch_norm(x, lucid.Tensor(RM), lucid.Tensor(RV), w, b),
                   (5, 4, 3)),
    "instance": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (2, 4, 3, 2)),
    "instance_eval": (lambda x, w, b: F.instance_norm(x, lucid.Tensor(RM), lucid.Tensor(RV), w,
                                                      b, training=False), (2, 4, 3)),
    "group": (lambda x, w, b: F.group_norm(x, 2, w, b), (3, 4, 5)),
    "layer": (lambda x, w, b: F.layer_norm(x, 4, w, b), (3, 2, 4)),
    "layer_no_affine": (lambda x, w, b: F.layer_norm(x, 4) * w + b, (3, 4)),
    "rms": (lambda x, w, b: F.rms_norm(x, 4, w) + b, (3, 4)),
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_create_graph_path_equals_raw_path(case):
    # backward has a raw in-place form and an operator form for create_graph: same numbers
    fn, shape = GRAPH_CASES[case]
    x, w, b, G = draw([shape, (4,), (4,), shape], seed=11)
    results = []
    for create_graph in (False, True):
        ts = [lucid.Tensor(a, requires_grad=True) for a in (x, w, b)]
        out = fn(*ts)
        grads = lucid.autograd.grad(out, ts, grad_outputs=lucid.Tensor(G),
                                    create_graph=create_graph)
        assert all(isinstance(g, lucid.Tensor) for g in grads) or not create_graph
        results.append([g.numpy() if isinstance(g, lucid.Tensor) else g for g in grads])
    for raw, graph in zip(*results):
        np.testing.assert_allclose(raw, graph, rtol=1e-10, atol=1e-12)


def test_raw_arrays_in_raw_array_out():
    x, w, b = draw([(4, 5), (5,), (5,)])
    out = F.layer_norm(x, 5, w, b)
    assert type(out) is np.ndarray and out.shape == (4, 5)
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * w + b
    np.testing.assert_allclose(out, expected, rtol=1e-10)


def test_forward_does_not_modify_input():
    x, w = draw([(4, 5), (5,)])
    keep = x.copy()
    for fn in (lambda t: F.rms_norm(t, 5), lambda t: F.rms_norm(t, 5, lucid.Tensor(w)),
               lambda t: F.layer_norm(t, 5), lambda t: F.batch_norm(t, None, None, None, None,
                                                                   True)):
        fn(lucid.Tensor(x))
        np.testing.assert_array_equal(x, keep)


# ---------------------------------------------------------------------------- functional vs torch
@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_batch_norm_vs_torch(dtype):
    rm, rv = draw([(3,), (3,)], dtype, seed=9, positive=True)
    check_op([(4, 3, 5, 2), (3,), (3,)],
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
             lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), dtype=dtype)
    check_op([(4, 3), (3,), (3,)],
             lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
             lambda x, w, b: F.batch_norm(x, lucid.Tensor(rm), lucid.Tensor(rv), w, b),
             dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_batch_norm_running_stats_vs_torch(dtype):
    x = draw([(8, 3, 4)], dtype, seed=2)[0] * 3 + 1
    lm, lv = lucid.zeros(3, dtype=dtype), lucid.ones(3, dtype=dtype)
    tm, tv = torch.zeros(3, dtype=getattr(torch, dtype)), torch.ones(3, dtype=getattr(torch, dtype))
    for momentum in (0.1, 0.5):
        F.batch_norm(lucid.Tensor(x), lm, lv, training=True, momentum=momentum)
        TF.batch_norm(torch.tensor(x), tm, tv, training=True, momentum=momentum)
    np.testing.assert_allclose(lm.numpy(), tm.numpy(), **TOL[dtype])
    np.testing.assert_allclose(lv.numpy(), tv.numpy(), **TOL[dtype])
    # raw arrays are updated in place too
    rm, rv = np.zeros(3, dtype), np.ones(3, dtype)
    F.batch_norm(x, rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rm, x.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(rv, x.var((0, 2), ddof=1), rtol=1e-5)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_layer_group_rms_instance_vs_torch(dtype):
    check_op([(2, 3, 4, 5), (4, 5), (4, 5)],
             lambda x, w, b: TF.layer_norm(x, (4, 5), w, b),
             lambda x, w, b: F.layer_norm(x, (4, 5), w, b), dtype=dtype)
    check_op([(3, 6, 4, 2), (6,), (6,)],
             lambda x, w, b: TF.group_norm(x, 3, w, b),
             lambda x, w, b: F.group_norm(x, 3, w, b), dtype=dtype)
    check_op([(3, 6), (6,), (6,)],
             lambda x, w, b: TF.group_norm(x, 2, w, b),
             lambda x, w, b: F.group_norm(x, 2, w, b), dtype=dtype)
    check_op([(2, 5, 8), (8,)],
             lambda x, w: TF.rms_norm(x, (8,), w),
             lambda x, w: F.rms_norm(x, (8,), w), dtype=dtype)
    check_op([(2, 5, 8), (5, 8)],
             lambda x, w: TF.rms_norm(x, (5, 8), w, eps=1e-3),
             lambda x, w: F.rms_norm(x, (5, 8), w, eps=1e-3), dtype=dtype)
    check_op([(2, 3, 4, 5), (3,), (3,)],
             lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
             lambda x, w, b: F.instance_norm(x, weight=w, bias=b), dtype=dtype)


# ---------------------------------------------------------------------------- modules vs torch
def _copy_from_torch(lmod, tmod):
    """Random parameter values in torch, copied into lucid (and buffers too)."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in tmod.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * 0.5 + 1.0)
    for name, t in tmod.state_dict().items():
        target = lmod.state_dict(keep_vars=True)[name]
        target.data = t.detach().numpy().copy()


def _compare_step(lmod, tmod, x, dtype, seed=0):
    tol = TOL[dtype]
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    lout, tout = lmod(lx), tmod(tx)
    assert tuple(lout.shape) == tuple(tout.shape)
    assert lout.dtype.name == dtype
    np.testing.assert_allclose(lout.numpy(), tout.detach().numpy(), **tol, err_msg="forward")
    G = np.random.default_rng(seed + 50).standard_normal(lout.shape).astype(dtype)
    (lout * lucid.Tensor(G)).sum().backward()
    (tout * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), **tol, err_msg="input grad")
    lparams = dict(lmod.named_parameters())
    for name, tp in tmod.named_parameters():
        np.testing.assert_allclose(lparams[name].grad, tp.grad.numpy(), **tol,
                                   err_msg=f"grad of {name}")
    lstate = lmod.state_dict()
    for name, tb in tmod.named_buffers():
        np.testing.assert_allclose(lstate[name], tb.numpy(), **tol, err_msg=f"buffer {name}")
    lmod.zero_grad()
    tmod.zero_grad()


def _run_parity(lmod, tmod, shape, dtype, steps=3, train=True):
    if dtype == "float64":
        lmod.double()
        tmod.double()
    _copy_from_torch(lmod, tmod)
    lmod.train(train)
    tmod.train(train)
    for step in range(steps):
        x = draw([shape], dtype, seed=10 + step)[0] * (1 + step) + step
        _compare_step(lmod, tmod, x, dtype, seed=step)


BATCHNORMS = [
    ("BatchNorm1d", (8, 4)), ("BatchNorm1d", (5, 4, 6)), ("BatchNorm2d", (3, 4, 5, 6)),
    ("BatchNorm3d", (2, 4, 3, 2, 3)),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape", BATCHNORMS)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_train_then_eval_vs_torch(name, shape, dtype, momentum):
    lmod = getattr(nn, name)(4, momentum=momentum)
    tmod = getattr(torch.nn, name)(4, momentum=momentum)
    _run_parity(lmod, tmod, shape, dtype, steps=3, train=True)
    assert int(lmod.num_batches_tracked.item()) == 3
    # eval: the running statistics (now equal to torch's) normalise
    lmod.eval()
    tmod.eval()
    x = draw([shape], dtype, seed=99)[0]
    _compare_step(lmod, tmod, x, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [dict(affine=False), dict(track_running_stats=False),
                                    dict(bias=False),
                                    dict(affine=False, track_running_stats=False),
                                    dict(eps=1e-3, momentum=0.3)])
def test_batchnorm_options_vs_torch(kwargs, dtype):
    lmod, tmod = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
    _run_parity(lmod, tmod, (4, 3, 2, 3), dtype, steps=2)
    lmod.eval()
    tmod.eval()
    _compare_step(lmod, tmod, draw([(4, 3, 2, 3)], dtype, seed=7)[0], dtype)


@needs_torch
def test_batchnorm_eval_from_start_vs_torch():
    lmod, tmod = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    _run_parity(lmod, tmod, (6, 4, 3), "float64", steps=2, train=False)
    assert int(lmod.num_batches_tracked.item()) == 0


def test_fresh_batchnorm_in_eval_maps_ones_to_ones():
    # Lucid 2 initialised running_mean to 1 and running_var to 0, which sent ones to ~0
    bn = nn.BatchNorm2d(3).eval()
    out = bn(lucid.ones(2, 3, 4, 4))
    np.testing.assert_allclose(out.numpy(), 1 / np.sqrt(1 + 1e-5), rtol=1e-6)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)


@needs_torch
@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm2d"])
def test_state_dict_keys_match_torch(name):
    kw = dict(affine=True, track_running_stats=True) if name.startswith("Instance") else {}
    lsd = getattr(nn, name)(5, **kw).state_dict()
    tsd = getattr(torch.nn, name)(5, **kw).state_dict()
    assert list(lsd) == list(tsd)
    for key in tsd:
        assert lsd[key].shape == tuple(tsd[key].shape)
        assert lsd[key].dtype.name == str(tsd[key].dtype).replace("torch.", "")
        np.testing.assert_array_equal(lsd[key], tsd[key].numpy())
    assert list(nn.BatchNorm2d(5, affine=False).state_dict()) == \
        list(torch.nn.BatchNorm2d(5, affine=False).state_dict())
    assert list(nn.BatchNorm2d(5, track_running_stats=False).state_dict()) == ["weight", "bias"]


@needs_torch
def test_load_torch_batchnorm_state_dict():
    tmod = torch.nn.BatchNorm2d(3)
    tmod(torch.randn(4, 3, 2, 2) * 2 + 1)
    tmod(torch.randn(4, 3, 2, 2))
    lmod = nn.BatchNorm2d(3)
    lmod.load_state_dict({k: v.numpy() for k, v in tmod.state_dict().items()})
    assert int(lmod.num_batches_tracked.item()) == 2
    lmod.eval()
    tmod.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2)).astype("float32")
    np.testing.assert_allclose(lmod(lucid.Tensor(x)).numpy(),
                               tmod(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (3, 4, 7)),
                                        ("InstanceNorm2d", (2, 4, 3, 5)),
                                        ("InstanceNorm3d", (2, 4, 2, 3, 2)),
                                        ("InstanceNorm1d", (4, 7)),
                                        ("InstanceNorm2d", (4, 3, 5))])
@pytest.mark.parametrize("kwargs", [{}, dict(affine=True, track_running_stats=True)])
def test_instancenorm_vs_torch(name, shape, kwargs, dtype):
    lmod, tmod = getattr(nn, name)(4, **kwargs), getattr(torch.nn, name)(4, **kwargs)
    _run_parity(lmod, tmod, shape, dtype, steps=2)
    lmod.eval()
    tmod.eval()
    _compare_step(lmod, tmod, draw([shape], dtype, seed=5)[0], dtype)


def test_instancenorm_defaults():
    m = nn.InstanceNorm2d(3)
    assert m.weight is None and m.bias is None and m.running_mean is None
    assert list(m.state_dict()) == []
    assert m.affine is False and m.track_running_stats is False


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs,shape", [
    (dict(normalized_shape=6), (3, 6)), (dict(normalized_shape=(4, 6)), (2, 3, 4, 6)),
    (dict(normalized_shape=6, bias=False), (2, 5, 6)),
    (dict(normalized_shape=6, elementwise_affine=False), (2, 5, 6)),
    (dict(normalized_shape=6, eps=1e-2), (2, 5, 6)), (dict(normalized_shape=(1,)), (3, 1))])
def test_layernorm_vs_torch(kwargs, shape, dtype):
    lmod, tmod = nn.LayerNorm(**kwargs), torch.nn.LayerNorm(**kwargs)
    assert list(lmod.state_dict()) == list(tmod.state_dict())
    _run_parity(lmod, tmod, shape, dtype, steps=1)
    _run_parity(lmod, tmod, shape, dtype, steps=1, train=False)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups,channels,shape,affine", [
    (2, 6, (3, 6, 4, 5), True), (1, 4, (2, 4, 7), True), (4, 4, (2, 4, 3, 3), True),
    (3, 6, (2, 6), False), (2, 4, (2, 4, 2, 2, 3), True), (2, 4, (2, 4, 3), "weight only")])
def test_groupnorm_vs_torch(groups, channels, shape, affine, dtype):
    kw = dict(affine=bool(affine), bias=affine is True)
    lmod = nn.GroupNorm(groups, channels, **kw)
    tmod = torch.nn.GroupNorm(groups, channels, **kw)
    assert list(lmod.state_dict()) == list(tmod.state_dict())
    _run_parity(lmod, tmod, shape, dtype, steps=1)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs,shape", [
    (dict(normalized_shape=8), (3, 8)), (dict(normalized_shape=(3, 8)), (2, 3, 8)),
    (dict(normalized_shape=8, eps=1e-4), (2, 5, 8)),
    (dict(normalized_shape=8, elementwise_affine=False), (2, 5, 8))])
def test_rmsnorm_vs_torch(kwargs, shape, dtype):
    lmod, tmod = nn.RMSNorm(**kwargs), torch.nn.RMSNorm(**kwargs)
    assert list(lmod.state_dict()) == list(tmod.state_dict())
    _run_parity(lmod, tmod, shape, dtype, steps=1)


def _torch_grn(x, gamma, beta, eps=1e-6):
    g = torch.norm(x, p=2, dim=(2, 3), keepdim=True)
    n = g / (g.mean(dim=1, keepdim=True) + eps)
    return gamma * (x * n) + beta + x


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_global_response_norm_vs_torch_composite(dtype):
    check_op([(2, 5, 3, 4), (1, 5, 1, 1), (1, 5, 1, 1)], _torch_grn,
             lambda x, g, b: F.global_response_norm(x, g, b), dtype=dtype)
    check_op([(2, 5, 3, 4), (5,), (5,)],
             lambda x, g, b: _torch_grn(x, g.reshape(1, 5, 1, 1), b.reshape(1, 5, 1, 1), 1e-3),
             lambda x, g, b: F.global_response_norm(x, g, b, eps=1e-3), dtype=dtype)
    lmod = nn.GlobalResponseNorm(5)
    assert lmod.gamma.shape == (1, 5, 1, 1) and not np.any(lmod.gamma.numpy())
    x = draw([(2, 5, 3, 4)], dtype)[0]
    np.testing.assert_allclose(lmod.to(dtype=dtype)(lucid.Tensor(x)).numpy(), x)  # identity
    gamma, beta = draw([(1, 5, 1, 1), (1, 5, 1, 1)], dtype, seed=3)
    lmod.gamma.data, lmod.beta.data = gamma, beta
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    lout, tout = lmod(lx), _torch_grn(tx, tg, tb)
    np.testing.assert_allclose(lout.numpy(), tout.detach().numpy(), **TOL[dtype])
    G = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    (lout * lucid.Tensor(G)).sum().backward()
    (tout * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(lmod.gamma.grad, tg.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(lmod.beta.grad, tb.grad.numpy(), **TOL[dtype])


def test_train_and_eval_differ_for_batchnorm_only_when_tracking():
    x = lucid.Tensor(draw([(6, 3, 4)])[0] * 2 + 3)
    bn = nn.BatchNorm1d(3, dtype="float64")
    train_out = bn(x).numpy()
    np.testing.assert_allclose(train_out.mean(axis=(0, 2)), 0, atol=1e-10)
    eval_out = bn.eval()(x).numpy()
    assert not np.allclose(train_out, eval_out)
    free = nn.BatchNorm1d(3, track_running_stats=False, dtype="float64").eval()
    np.testing.assert_allclose(free(x).numpy(), train_out, rtol=1e-10, atol=1e-12)


def test_no_grad_still_updates_running_stats():
    bn = nn.BatchNorm1d(2)
    with lucid.no_grad():
        out = bn(lucid.Tensor(np.array([[1.0, 2.0], [3.0, 6.0]], dtype="float32")))
    assert not out.requires_grad
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.2, 0.9 + 0.8], rtol=1e-6)


def test_module_dtype_and_repr():
    bn = nn.BatchNorm2d(4)
    assert bn.weight.dtype.name == "float32" and bn.running_var.dtype.name == "float32"
    bn.double()
    assert bn.running_mean.dtype.name == "float64"
    assert bn.num_batches_tracked.dtype.name == "int64"
    assert nn.LayerNorm(8, bias=False).bias is None


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", [
    ("BatchNorm2d", (4,), {}), ("BatchNorm1d", (4,), dict(affine=False, momentum=None)),
    ("BatchNorm3d", (4,), dict(bias=False, track_running_stats=False)),
    ("InstanceNorm2d", (3,), {}), ("InstanceNorm1d", (3,), dict(affine=True)),
    ("LayerNorm", (8,), {}), ("LayerNorm", ((2, 8),), dict(bias=False, eps=1e-3)),
    ("LayerNorm", (8,), dict(elementwise_affine=False)),
    ("GroupNorm", (2, 4), {}), ("GroupNorm", (2, 4), dict(affine=False)),
    ("RMSNorm", (8,), {}), ("RMSNorm", ((2, 8),), dict(eps=1e-3, elementwise_affine=False))])
def test_repr_and_state_dict_keys_match_torch(name, args, kwargs):
    lmod, tmod = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(lmod) == repr(tmod)
    assert list(lmod.state_dict()) == list(tmod.state_dict())


def test_output_has_input_dtype_when_parameters_differ():
    x64 = lucid.Tensor(draw([(4, 3, 2)])[0], requires_grad=True)
    for bn in (nn.BatchNorm1d(3), nn.BatchNorm1d(3).eval(), nn.LayerNorm(2), nn.GroupNorm(3, 3)):
        out = bn(x64)
        assert out.dtype.name == "float64"
        out.sum().backward()
        assert bn.weight.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    x32 = lucid.Tensor(draw([(4, 3, 2)], "float32")[0])
    assert nn.LayerNorm(2).double()(x32).dtype.name == "float32"
    assert nn.BatchNorm1d(3).double().eval()(x32).dtype.name == "float32"


# ---------------------------------------------------------------------------- bad input
def test_wrong_channel_count_raises_naming_sizes():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"expected 3 channels.*\(2, 4, 5, 5\)"):
        bn(lucid.zeros(2, 4, 5, 5))
    assert int(bn.num_batches_tracked.item()) == 0  # nothing changed
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)
    with pytest.raises(ValueError, match="4-D"):
        bn(lucid.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        nn.BatchNorm1d(3)(lucid.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 4 channels.*\(2, 3, 5\)"):
        nn.InstanceNorm1d(4, affine=True)(lucid.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"\(N, 4, \*\).*\(2, 6, 3\)"):
        nn.GroupNorm(2, 4)(lucid.zeros(2, 6, 3))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(2, 4, 2, 2\)"):
        nn.GlobalResponseNorm(3)(lucid.zeros(2, 4, 2, 2))


def test_wrong_normalized_shape_raises_naming_sizes():
    with pytest.raises(ValueError, match=r"\(5,\).*\(2, 4\)"):
        nn.LayerNorm(5)(lucid.zeros(2, 4))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2, 4, 3\)"):
        nn.LayerNorm((3, 4))(lucid.zeros(2, 4, 3))
    with pytest.raises(ValueError, match=r"\(6,\).*\(2, 5\)"):
        nn.RMSNorm(6)(lucid.zeros(2, 5))
    with pytest.raises(ValueError, match=r"\(5,\).*\(2, 4\)"):
        F.layer_norm(lucid.zeros(2, 4), 5)
    with pytest.raises(ValueError, match=r"weight should have shape \(4,\), got \(5,\)"):
        F.layer_norm(lucid.zeros(2, 4), 4, lucid.ones(5))


def test_functional_bad_input():
    x = lucid.zeros(4, 3, 2)
    with pytest.raises(ValueError, match=r"running_mean should have shape \(3,\), got \(4,\)"):
        F.batch_norm(x, lucid.zeros(4), lucid.ones(4))
    with pytest.raises(ValueError, match="must be given"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(lucid.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(lucid.zeros(2, 3, 1))
    with pytest.raises(ValueError, match="num_groups=2"):
        F.group_norm(x, 2)
    with pytest.raises(TypeError, match="floating-point"):
        F.layer_norm(lucid.Tensor([[1, 2], [3, 4]]), 2)
    with pytest.raises(ValueError, match="gamma should have shape"):
        F.global_response_norm(lucid.zeros(2, 3, 2, 2), lucid.zeros(4), lucid.zeros(3))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"num_channels \(6\).*num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)


def test_running_stats_unchanged_when_batch_of_one_fails():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value"):
        bn(lucid.ones(1, 3))
    assert int(bn.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
