"""Random small models against torch.nn: stacks of conv (every padding mode), norms, pools and
activations (in place or not), a linear head and cross-entropy, in train and eval mode, with
the same weights. The loss and the gradients of the input and of every parameter must agree.
Such stacks found a wrong gradient that no one-layer test could: an in-place activation right
after a max pool."""

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from helpers import copy_torch_state, needs_torch, torch


def _model(L, seed):
    rng = np.random.default_rng(seed)
    layers, ch, side = [], 3, 8
    for _ in range(int(rng.integers(2, 7))):
        kind = int(rng.integers(10))
        if kind == 0:
            mode = ("zeros", "reflect", "circular")[int(rng.integers(3))]
            layers.append(L.Conv2d(ch, 4, 3, padding=1, padding_mode=mode))
            ch = 4
        elif kind == 1:
            layers.append(L.BatchNorm2d(ch))
        elif kind == 2:
            layers.append(L.ReLU(inplace=bool(rng.integers(2))))
        elif kind == 3 and side >= 4:
            layers.append(L.MaxPool2d(2))
            side //= 2
        elif kind == 4:
            layers.append(L.GroupNorm(1, ch))
        elif kind == 5:
            layers.append(L.SiLU(inplace=bool(rng.integers(2))))
        elif kind == 6 and side >= 4:
            layers.append(L.AvgPool2d(2, ceil_mode=True))
            side = (side + 1) // 2
        elif kind == 7:
            layers.append(L.InstanceNorm2d(ch, affine=True))
        elif kind == 8:
            layers.append(L.GELU())
        else:
            layers.append(L.Dropout(0.0, inplace=True))
    return L.Sequential(*layers, L.Flatten(), L.Linear(ch * side * side, 5))


@needs_torch
def test_random_models_match_torch():
    compared = 0
    for seed in range(60):
        lm, tm = _model(nn, seed).double(), _model(torch.nn, seed).double()
        copy_torch_state(lm, tm)
        rng = np.random.default_rng(seed + 1)
        x, y = rng.standard_normal((3, 3, 8, 8)), rng.integers(0, 5, 3)
        for train in (True, False):
            lm.train(train)
            tm.train(train)
            tx = torch.tensor(x, requires_grad=True)
            try:
                t_loss = torch.nn.functional.cross_entropy(tm(tx), torch.tensor(y))
                t_loss.backward()
            except RuntimeError:  # PyTorch refuses (an in-place op on a saved tensor)
                continue
            lx = lucid.tensor(x, requires_grad=True)
            l_loss = nn.functional.cross_entropy(lm(lx), lucid.tensor(y))
            l_loss.backward()
            assert l_loss.item() == pytest.approx(t_loss.item(), rel=1e-10), seed
            np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=1e-7, atol=1e-10,
                                       err_msg=f"seed {seed}")
            lparams = dict(lm.named_parameters())
            for name, p in tm.named_parameters():
                np.testing.assert_allclose(lparams[name].grad, p.grad.numpy(), rtol=1e-7,
                                           atol=1e-10, err_msg=f"seed {seed} {name}")
            lm.zero_grad()
            tm.zero_grad()
            compared += 1
    assert compared > 60
