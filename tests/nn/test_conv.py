"""Convolutions: F.conv*/conv_transpose*/unfold/fold and the Conv*/ConvTranspose*/Unfold/Fold
modules against torch with the same weights (forward and every gradient, float32 and float64),
the fused op against a composite of lucid ops, double backward, init, and bad input."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.autograd import gradcheck, gradgradcheck
from helpers import TOL, check_op, draw, needs_torch, torch

if torch is not None:
    import torch.nn.functional as TF

DTYPES = ["float64", "float32"]



# ---------------------------------------------------------------------------- functional parity
CONV2D_CASES = [
    # (x shape, w shape, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), dict()),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    ((2, 4, 6, 7), (4, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise
    ((2, 4, 6, 7), (8, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise, multiplier 2
    ((2, 3, 8, 8), (5, 3, 4, 3), dict(padding="same", dilation=2)),  # even kernel: asymmetric
    ((2, 3, 8, 8), (5, 3, 3, 3), dict(padding="valid", stride=3)),
    ((1, 2, 5, 5), (3, 2, 1, 1), dict()),  # pointwise
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, kw", CONV2D_CASES)
def test_conv2d_matches_torch(xs, ws, kw, dtype):
    check_op([xs, ws, (ws[0],)], lambda x, w, b: TF.conv2d(x, w, b, **kw),
             lambda x, w, b: F.conv2d(x, w, b, **kw), dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_without_bias_and_unbatched(dtype):
    check_op([(2, 3, 6, 5), (4, 3, 2, 2)], lambda x, w: TF.conv2d(x, w, stride=2),
             lambda x, w: F.conv2d(x, w, stride=2), dtype=dtype)
    check_op([(3, 6, 5), (4, 3, 3, 3)], lambda x, w: TF.conv2d(x, w, padding=1),
             lambda x, w: F.conv2d(x, w, padding=1), dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2, dilation=2, groups=3),
                                dict(padding="same", dilation=3)])
def test_conv1d_matches_torch(kw, dtype):
    groups = kw.get("groups", 1)
    check_op([(2, 3, 11), (6, 3 // groups, 3), (6,)], lambda x, w, b: TF.conv1d(x, w, b, **kw),
             lambda x, w, b: F.conv1d(x, w, b, **kw), dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(), dict(stride=(2, 1, 2), padding=1, groups=2),
                                dict(padding="same", dilation=(1, 2, 1))])
def test_conv3d_matches_torch(kw, dtype):
    groups = kw.get("groups", 1)
    check_op([(2, 4, 5, 6, 5), (4, 4 // groups, 3, 2, 3), (4,)],
             lambda x, w, b: TF.conv3d(x, w, b, **kw), lambda x, w, b: F.conv3d(x, w, b, **kw),
             dtype=dtype)


TRANSPOSE_CASES = [
    ((2, 4, 5, 6), (4, 3, 3, 3), dict()),
    ((2, 4, 5, 6), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                      groups=2)),
    ((2, 4, 5, 6), (4, 2, 3, 3), dict(stride=2, padding=1, dilation=2, output_padding=1,
                                      groups=2)),
    ((2, 3, 4, 4), (3, 2, 4, 4), dict(stride=2, padding=1)),  # the usual 2x upsampler
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs, ws, kw", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(xs, ws, kw, dtype):
    out_ch = ws[1] * kw.get("groups", 1)
    check_op([xs, ws, (out_ch,)], lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
             lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), dtype=dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose1d_3d_match_torch(dtype):
    check_op([(2, 4, 7), (4, 3, 3), (6,)],
             lambda x, w, b: TF.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2,
                                                 groups=2),
             lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2,
                                                groups=2), dtype=dtype)
    check_op([(1, 2, 3, 4, 3), (2, 3, 2, 3, 2)],
             lambda x, w: TF.conv_transpose3d(x, w, stride=2, padding=(0, 1, 0), dilation=2),
             lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=(0, 1, 0), dilation=2),
             dtype=dtype)


@needs_torch
def test_conv_transpose_output_size_picks_output_padding():
    x, w = draw([(1, 2, 4, 4), (2, 3, 3, 3)])
    out = F.conv_transpose2d(lucid.Tensor(x), lucid.Tensor(w), stride=2, padding=1,
                             output_size=(8, 8))
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, bias=False)
    t.weight.data = torch.tensor(w)
    ref = t(torch.tensor(x), output_size=(8, 8))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL["float64"])
    with pytest.raises(ValueError, match="output_size"):
        F.conv_transpose2d(lucid.Tensor(x), lucid.Tensor(w), stride=2, padding=1,
                           output_size=(10, 10))


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_unfold_fold_match_torch(dtype):
    check_op([(2, 3, 7, 6)], lambda x: TF.unfold(x, (3, 2), dilation=(1, 2), padding=1,
                                                 stride=(2, 1)),
             lambda x: F.unfold(x, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2)),
             dtype=dtype)
    check_op([(2, 12, 12)], lambda y: TF.fold(y, (5, 6), (2, 2), padding=1, stride=2),
             lambda y: F.fold(y, (5, 6), (2, 2), stride=2, padding=1), dtype=dtype)
    check_op([(2, 3, 5, 5)], lambda x: torch.nn.Unfold(3, padding=1)(x),
             lambda x: nn.Unfold(3, padding=1)(x), dtype=dtype)
    check_op([(2, 27, 25)], lambda y: torch.nn.Fold((5, 5), 3, padding=1)(y),
             lambda y: nn.Fold((5, 5), 3, padding=1)(y), dtype=dtype)


# ---------------------------------------------------------------------------- composite oracle
def conv2d_composite(x, w, b, stride, padding, dilation):
    """The unfused convolution from lucid ops: one einsum per kernel offset over a strided
    slice of the padded input (the oracle of the fused op)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = lucid.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                       j * dw:j * dw + sw * (ow - 1) + 1:sw]
            term = lucid.einsum("bchw,oc->bohw", patch, w[:, :, i, j])
            out = term if out is None else out + term
    return out + b.reshape((-1, 1, 1))


@pytest.mark.parametrize("stride, padding, dilation", [((1, 1), (0, 0), (1, 1)),
                                                       ((2, 1), (1, 2), (1, 2))])
def test_conv2d_fused_matches_composite(stride, padding, dilation):
    arrays = draw([(2, 3, 8, 7), (4, 3, 3, 2), (4,)], seed=3)
    results = []
    for fn in (lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
               lambda x, w, b: conv2d_composite(x, w, b, stride, padding, dilation)):
        ts = [lucid.Tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        G = np.random.default_rng(1).standard_normal(out.shape)
        (out * lucid.Tensor(G)).sum().backward()
        results.append([out.numpy()] + [t.grad for t in ts])
    for fused, oracle in zip(*results):
        np.testing.assert_allclose(fused, oracle, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- gradients
def test_conv_numeric_and_double_backward():
    arrays = draw([(2, 4, 5, 5), (4, 2, 3, 2), (4,)], seed=4)
    ts = [lucid.Tensor(a, requires_grad=True) for a in arrays]

    def conv(x, w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    assert gradcheck(conv, ts, atol=1e-6, rtol=1e-4)
    assert gradgradcheck(conv, ts, atol=1e-5, rtol=1e-4, trials=1)

    arrays = draw([(1, 4, 3, 4), (4, 1, 3, 3), (2,)], seed=5)
    ts = [lucid.Tensor(a, requires_grad=True) for a in arrays]

    def deconv(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)

    assert gradcheck(deconv, ts, atol=1e-6, rtol=1e-4)
    assert gradgradcheck(deconv, ts, atol=1e-5, rtol=1e-4, trials=1)
    x = lucid.Tensor(draw([(1, 2, 5, 4)], seed=6)[0], requires_grad=True)
    assert gradgradcheck(lambda t: F.unfold(t, 2, stride=1, padding=1) ** 2, [x], trials=1)


@needs_torch
def test_conv_double_backward_matches_torch():
    """The Hessian-vector product through conv2d (x and W both differentiated twice)."""
    x, w, v = draw([(1, 2, 5, 5), (3, 2, 3, 3), (1, 3, 5, 5)], seed=7)
    lx, lw = lucid.Tensor(x, requires_grad=True), lucid.Tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    lout = F.conv2d(lx, lw, padding=1)
    tout = TF.conv2d(tx, tw, padding=1)
    lg = lucid.autograd.grad((lout * lout).sum(), [lx, lw], create_graph=True)
    tg = torch.autograd.grad((tout * tout).sum(), [tx, tw], create_graph=True)
    (lg[0].sum() + (lg[1] * lg[1]).sum()).backward()
    (tg[0].sum() + (tg[1] * tg[1]).sum()).backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(lw.grad, tw.grad.numpy(), rtol=1e-8, atol=1e-8)


def test_conv_gradient_only_where_needed():
    x = lucid.Tensor(draw([(1, 2, 4, 4)])[0])  # no grad: only W and b get one
    conv = nn.Conv2d(2, 3, 3)
    conv(x).sum().backward()
    assert x.grad is None and conv.weight.grad is not None and conv.bias.grad is not None
    np.testing.assert_allclose(conv.bias.grad, np.full(3, 4.0))


# ---------------------------------------------------------------------------- modules
def _copy(lmod, tmod):
    for name, p in tmod.named_parameters():
        getattr(lmod, name).data = p.detach().numpy().astype(getattr(lmod, name).data.dtype)


def _module_parity(lmod, tmod, shape, dtype, seed=0):
    tmod = tmod.to(getattr(torch, dtype))
    lmod = lmod.double() if dtype == "float64" else lmod
    _copy(lmod, tmod)
    x = draw([shape], dtype, seed=seed)[0]
    for training in (True, False):
        lmod.train(training)
        tmod.train(training)
        lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lout, tout = lmod(lx), tmod(tx)
        np.testing.assert_allclose(lout.numpy(), tout.detach().numpy(), **TOL[dtype])
        G = np.random.default_rng(seed + 1).standard_normal(lout.shape).astype(dtype)
        for p in lmod.parameters():
            p.grad = None
        (lout * lucid.Tensor(G)).sum().backward()
        tmod.zero_grad()
        (tout * torch.tensor(G)).sum().backward()
        np.testing.assert_allclose(lx.grad, tx.grad.numpy(), **TOL[dtype])
        for name, p in tmod.named_parameters():
            np.testing.assert_allclose(getattr(lmod, name).grad, p.grad.numpy(), **TOL[dtype],
                                       err_msg=name)


MODULES = [
    (lambda L: L.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    (lambda L: L.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1), groups=2),
     (2, 4, 7, 8)),
    (lambda L: L.Conv2d(3, 5, 3, padding="same", bias=False), (2, 3, 6, 6)),
    (lambda L: L.Conv3d(2, 3, 2, stride=(1, 2, 1)), (2, 2, 4, 5, 4)),
    (lambda L: L.ConvTranspose1d(3, 4, 3, stride=2, output_padding=1), (2, 3, 5)),
    (lambda L: L.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                 dilation=1), (2, 4, 4, 5)),
    (lambda L: L.ConvTranspose3d(2, 2, (2, 3, 2), stride=2, bias=False), (1, 2, 3, 3, 2)),
    # padding modes other than zeros: the input padded by F.pad's mode of that name
    (lambda L: L.Conv1d(3, 4, 3, padding=2, padding_mode="reflect"), (2, 3, 9)),
    (lambda L: L.Conv2d(3, 4, 3, stride=2, padding=(1, 2), padding_mode="replicate"),
     (2, 3, 7, 8)),
    (lambda L: L.Conv2d(4, 4, (3, 4), padding="same", dilation=(1, 2), groups=2,
                        padding_mode="circular"), (2, 4, 6, 9)),
    (lambda L: L.Conv3d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 4, 5, 4)),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make, shape", MODULES)
def test_conv_modules_match_torch(make, shape, dtype):
    _module_parity(make(nn), make(torch.nn), shape, dtype)


def test_conv_init_follows_torch_distribution():
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(-a, a) has std a/sqrt(3)
    deconv = nn.ConvTranspose2d(8, 4, 3, groups=2)  # fan_in = (4/2) * 9 as in PyTorch
    assert deconv.weight.shape == (8, 2, 3, 3)
    assert np.abs(deconv.weight.numpy()).max() <= 1 / math.sqrt(18)
    assert conv.weight.dtype == lucid.Float32


def test_conv_repr_is_torch_like():
    assert repr(nn.Conv2d(3, 8, 3, padding=1)) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.ConvTranspose2d(4, 2, 3, stride=2, groups=2, bias=False)) == \
        "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), groups=2, bias=False)"
    assert repr(nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular")) == \
        "Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=(1,), padding_mode=circular)"


# ---------------------------------------------------------------------------- bad input
def test_wrong_channel_count_names_expected_and_actual():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"3 channels.*\(2, 4, 8, 8\)"):
        conv(lucid.randn(2, 4, 8, 8))
    with pytest.raises(ValueError, match="expected input with 6 channels.*got 4"):
        F.conv2d(lucid.randn(2, 4, 8, 8), lucid.randn(5, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="expected input with 4 channels.*got 3"):
        F.conv_transpose2d(lucid.randn(2, 3, 5, 5), lucid.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="ConvTranspose1d expected input"):
        nn.ConvTranspose1d(4, 2, 3)(lucid.randn(2, 3, 5))


def test_bad_conv_arguments_raise():
    x, w = lucid.randn(2, 3, 5, 5), lucid.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match="4-D input"):
        F.conv2d(lucid.randn(3, 5), w)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(lucid.randn(1, 3, 2, 2), w)
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding must be"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="stride must be positive"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="2 values"):
        F.conv2d(x, w, stride=(1, 1, 1))
    with pytest.raises(ValueError, match="bias must have shape"):
        F.conv2d(x, w, lucid.randn(3))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")  # as in PyTorch: zeros only
    with pytest.raises(ValueError, match="fold: expected input"):
        F.fold(lucid.randn(2, 10, 9), (4, 4), 2)


@needs_torch
def test_conv_on_non_contiguous_input_and_empty_batch():
    a = draw([(2, 5, 6, 3)])[0]
    w = draw([(4, 3, 3, 3)], seed=1)[0]
    out = F.conv2d(lucid.Tensor(a).transpose((0, 3, 1, 2)), lucid.Tensor(w), stride=2, padding=1)
    ref = TF.conv2d(torch.tensor(a).permute(0, 3, 1, 2), torch.tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), **TOL["float64"])
    x = lucid.Tensor(np.zeros((0, 3, 5, 5)), requires_grad=True)
    wt = lucid.Tensor(w, requires_grad=True)
    y = F.conv2d(x, wt, padding=1)
    assert y.shape == (0, 4, 5, 5)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5) and not wt.grad.any()
    assert F.conv_transpose2d(lucid.randn(0, 3, 5, 5), lucid.randn(3, 2, 3, 3),
                              stride=2).shape == (0, 2, 11, 11)


# ---------------------------------------------------------------------------- backend seam
SEAM_CASES = [
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
     [(2, 4, 5, 5), (4, 2, 3, 3), (4,)]),
    ("conv2d stride 2", lambda x, w: F.conv2d(x, w, stride=2, padding=1),
     [(2, 4, 5, 5), (4, 4, 3, 3)]),
    ("conv_transpose2d", lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1,
                                                         output_padding=1),
     [(2, 4, 5, 5), (4, 3, 3, 3)]),
    ("unfold", lambda x: F.unfold(x, 2), [(2, 3, 4, 4)]),
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], [(2, 3, 7, 7)]),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
     [(2, 3, 7, 7)]),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 3), [(2, 3, 8, 7)]),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, 3, True)[0], [(2, 3, 8, 7)]),
    ("bilinear", lambda x: F.interpolate(x, (7, 9), mode="bilinear"), [(2, 3, 4, 5)]),
    ("bicubic", lambda x: F.interpolate(x, (7, 9), mode="bicubic"), [(2, 3, 4, 5)]),
    ("nearest", lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest"), [(2, 3, 4, 5)]),
    ("grid_sample", lambda x, g: F.grid_sample(x, g), [(2, 3, 4, 5), (2, 3, 3, 2)]),
    ("affine_grid", lambda t: F.affine_grid(t, (2, 3, 4, 5)), [(2, 2, 3)]),
    ("rotate", lambda x: F.rotate(x, 30), [(2, 3, 4, 5)]),
]


@pytest.mark.parametrize("name, fn, shapes", SEAM_CASES, ids=[c[0] for c in SEAM_CASES])
def test_conv_pool_vision_run_on_a_strict_second_backend(name, fn, shapes):
    """On the test suite's "checked" device (NumPy as strict as CuPy: no host arrays, no NumPy
    functions on device arrays) outputs and gradients stay on the device and equal the cpu's."""
    from fake_backend import DEVICE, CheckedArray
    arrays = draw(shapes, seed=11)
    results = {}
    for device in ("cpu", DEVICE):
        xs = [lucid.Tensor(a, requires_grad=True, device=device) for a in arrays]
        out = fn(*xs)
        w = lucid.Tensor(np.random.default_rng(2).standard_normal(out.shape), device=device)
        (out * w).sum().backward()
        results[device] = (out, [x.grad for x in xs])
    out, grads = results[DEVICE]
    assert type(out.data) is CheckedArray
    np.testing.assert_allclose(out.numpy(), results["cpu"][0].numpy(), rtol=1e-12, atol=1e-12)
    for g, ref in zip(grads, results["cpu"][1]):
        assert type(g) is CheckedArray
        np.testing.assert_allclose(get_host(g), ref, rtol=1e-12, atol=1e-12)


def get_host(array):
    from fake_backend import DEVICE
    return lucid.backend.get_backend(DEVICE).to_numpy(array)


def test_conv_module_moves_to_a_second_backend():
    from fake_backend import DEVICE, CheckedArray
    block = nn.ConvBNReLU2d(3, 4, 3, padding=1)
    x = lucid.randn(2, 3, 5, 5)
    ref = block(x)
    block.to(DEVICE)
    out = block(x.to(DEVICE))
    assert type(out.data) is CheckedArray
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert type(block.conv.weight.grad) is CheckedArray
