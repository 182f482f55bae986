"""Lucid's compound blocks (ConvBNReLU, DepthSeparableConv, SEModule, SelectiveKernel) against
the same composition built from torch.nn with the same state_dict: forward, the input and every
parameter gradient, train and eval, float32 and float64, running statistics over several
steps; Lucid's state_dict keys; bad input."""

from collections import OrderedDict

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from helpers import TOL, copy_torch_state, draw, needs_torch, torch

DTYPES = ["float64", "float32"]



# ---------------------------------------------------------------------------- torch twins
def torch_conv_bn_relu(n, *args, **kw):
    conv = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)[n - 1]
    bn = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)[n - 1]
    return torch.nn.Sequential(OrderedDict(conv=conv(*args, **kw), bn=bn(args[1]),
                                           relu=torch.nn.ReLU()))


def torch_depth_separable(n, cin, cout, k, **kw):
    conv = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)[n - 1]
    return torch.nn.Sequential(OrderedDict(depthwise=conv(cin, cin, k, groups=cin, **kw),
                                           pointwise=conv(cin, cout, 1)))


def torch_se(channels, reduction):
    class SE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(channels, channels // reduction)
            self.fc2 = torch.nn.Linear(channels // reduction, channels)

        def forward(self, x):
            s = x.mean(dim=tuple(range(2, x.ndim)))
            s = torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))
            return x * s.reshape(s.shape + (1,) * (x.ndim - 2))

    return SE()


def torch_selective_kernel(cin, cout, kernel_sizes, reduction, stride=1):
    class SK(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = torch.nn.ModuleList([
                torch.nn.Conv2d(cin, cout, ks, stride=stride, padding=ks // 2, bias=False)
                for ks in kernel_sizes])
            self.attention = torch.nn.Sequential(
                torch.nn.AdaptiveAvgPool2d((1, 1)),
                torch.nn.Conv2d(cout, cout // reduction, 1, bias=False),
                torch.nn.BatchNorm2d(cout // reduction), torch.nn.ReLU(),
                torch.nn.Conv2d(cout // reduction, len(kernel_sizes) * cout, 1, bias=False))

        def forward(self, x):
            u = torch.stack([b(x) for b in self.branches], dim=1)
            a = self.attention(u.sum(dim=1)).reshape(x.shape[0], len(kernel_sizes), cout, 1, 1)
            return (u * torch.softmax(a, dim=1)).sum(dim=1)

    return SK()


# ---------------------------------------------------------------------------- parity
def _close(actual, desired, dtype, err_msg=""):
    # float32 sums of many terms that cancel: the absolute tolerance scales with the values
    tol = dict(TOL[dtype])
    tol["atol"] *= max(1.0, float(np.abs(desired).max()))
    np.testing.assert_allclose(actual, desired, **tol, err_msg=err_msg)


def _parity(lmod, tmod, shape, dtype, steps=3):
    tmod = tmod.to(getattr(torch, dtype))
    lmod = lmod.double() if dtype == "float64" else lmod
    copy_torch_state(lmod, tmod)
    for step in range(steps + 1):
        training = step < steps  # train for a few steps, then compare in eval mode
        lmod.train(training)
        tmod.train(training)
        x = draw([shape], dtype, seed=step)[0]
        lx, tx = lucid.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lout, tout = lmod(lx), tmod(tx)
        _close(lout.numpy(), tout.detach().numpy(), dtype)
        G = np.random.default_rng(step + 10).standard_normal(lout.shape).astype(dtype)
        lmod.zero_grad()
        tmod.zero_grad()
        (lout * lucid.Tensor(G)).sum().backward()
        (tout * torch.tensor(G)).sum().backward()
        _close(lx.grad, tx.grad.numpy(), dtype)
        lparams = dict(lmod.named_parameters())
        for name, p in tmod.named_parameters():
            if name == "conv.bias" and training and isinstance(tmod, torch.nn.Sequential) \
                    and hasattr(tmod, "bn"):
                # a bias before a training-mode batch norm has gradient exactly 0; in float32
                # both sides return rounding noise of the size of G's sums
                np.testing.assert_allclose(lparams[name].grad, 0, atol=1e-4)
                continue
            _close(lparams[name].grad, p.grad.numpy(), dtype, name)
    lbufs = dict(lmod.named_buffers())
    for name, b in tmod.named_buffers():  # running statistics after the training steps
        _close(lbufs[name].numpy(), b.numpy(), dtype, name)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, shape, args, kw", [
    (1, (4, 3, 9), (3, 5, 3), dict(stride=2, padding=1)),
    (2, (4, 3, 7, 6), (3, 6, 3), dict(padding=1, groups=3)),
    (2, (4, 4, 6, 6), (4, 4, 3), dict(padding="same", dilation=2)),
    (3, (2, 2, 4, 5, 4), (2, 3, 2), dict()),
])
def test_conv_bn_relu_matches_torch(n, shape, args, kw, dtype):
    lmod = (nn.ConvBNReLU1d, nn.ConvBNReLU2d, nn.ConvBNReLU3d)[n - 1](*args, **kw)
    _parity(lmod, torch_conv_bn_relu(n, *args, **kw), shape, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, shape", [(1, (2, 4, 9)), (2, (2, 4, 7, 6)), (3, (2, 4, 4, 5, 4))])
def test_depth_separable_conv_matches_torch(n, shape, dtype):
    lmod = (nn.DepthSeparableConv1d, nn.DepthSeparableConv2d, nn.DepthSeparableConv3d)[n - 1](
        4, 6, 3, stride=2, padding=1)
    _parity(lmod, torch_depth_separable(n, 4, 6, 3, stride=2, padding=1), shape, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 16, 5, 4), (3, 16, 7)])
def test_se_module_matches_torch(shape, dtype):
    _parity(nn.SEModule(16, reduction=4), torch_se(16, 4), shape, dtype)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_selective_kernel_matches_torch(dtype):
    lmod = nn.SelectiveKernel(4, 8, [3, 5], stride=2, reduction=4)
    _parity(lmod, torch_selective_kernel(4, 8, [3, 5], 4, stride=2), (3, 4, 7, 8), dtype)


def test_fused_blocks_keep_lucids_state_dict_keys():
    assert list(nn.ConvBNReLU2d(3, 4, 3).state_dict()) == [
        "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked"]
    assert list(nn.ConvBNReLU2d(3, 4, 3, conv_bias=False, bn_affine=False).state_dict()) == [
        "conv.weight", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert list(nn.DepthSeparableConv2d(3, 4, 3).state_dict()) == [
        "depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias"]
    assert nn.DepthSeparableConv2d(3, 4, 3).depthwise.weight.shape == (3, 1, 3, 3)
    assert list(nn.SEModule(32).state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                  "fc2.bias"]


def test_bad_fused_input_raises():
    with pytest.raises(ValueError, match="expected input"):
        nn.ConvBNReLU2d(3, 4, 3)(lucid.randn(2, 5, 6, 6))
    with pytest.raises(ValueError, match=r"SEModule expected input \(B, 16"):
        nn.SEModule(16, 4)(lucid.randn(2, 8, 3, 3))
    with pytest.raises(ValueError, match="at least 1"):
        nn.SEModule(8, reduction=16)
    with pytest.raises(ValueError, match=r"SelectiveKernel expected input \(B, 4, H, W\)"):
        nn.SelectiveKernel(4, 8, [3, 5], reduction=4)(lucid.randn(2, 4, 6))
    with pytest.raises(ValueError, match="kernel_sizes"):
        nn.SelectiveKernel(4, 8, [])
