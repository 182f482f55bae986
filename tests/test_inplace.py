"""In-place ops inside a graph, each against PyTorch: the values, and the gradients of the
tensor written into, of its own inputs and of the operand.

``h = 1.3 x + 0.1`` (positive, so log and sqrt are defined), then ``h.op_(...)``, then
``loss = sum(h * r)`` for a random ``r``. PyTorch keeps a copy of ``h``'s old values where the
op's backward needs them (``h.mul_(w)``: d/dw = old h), and so must Lucid.
"""

import numpy as np
import pytest

import lucid

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.uniform(0.2, 1.5, (3, 4))
W = rng.uniform(0.5, 1.5, (3, 4))
R = rng.standard_normal((3, 4))
MASK = rng.uniform(size=(3, 4)) > 0.5

# name -> op(h, w, lib): each in-place method with the same call in both frameworks
OPS = {
    "add_": lambda h, w, lib: h.add_(w),
    "sub_": lambda h, w, lib: h.sub_(w),
    "mul_": lambda h, w, lib: h.mul_(w),
    "div_": lambda h, w, lib: h.div_(w),
    "pow_": lambda h, w, lib: h.pow_(w),
    "mul_ number": lambda h, w, lib: h.mul_(2.5),
    "pow_ number": lambda h, w, lib: h.pow_(3),
    "neg_": lambda h, w, lib: h.neg_(),
    "exp_": lambda h, w, lib: h.exp_(),
    "log_": lambda h, w, lib: h.log_(),
    "sqrt_": lambda h, w, lib: h.sqrt_(),
    "abs_": lambda h, w, lib: h.abs_(),
    "clamp_": lambda h, w, lib: h.clamp_(0.5, 1.2),
    "relu_": lambda h, w, lib: h.sub_(0.8).relu_(),
    "sigmoid_": lambda h, w, lib: h.sigmoid_(),
    "tanh_": lambda h, w, lib: h.tanh_(),
    "square_": lambda h, w, lib: h.square_(),
    "sin_": lambda h, w, lib: h.sin_(),
    "cos_": lambda h, w, lib: h.cos_(),
    "reciprocal_": lambda h, w, lib: h.reciprocal_(),
    "zero_": lambda h, w, lib: h.zero_(),
    "fill_": lambda h, w, lib: h.fill_(2.0),
    "copy_": lambda h, w, lib: h.copy_(w),
    "masked_fill_": lambda h, w, lib: h.masked_fill_(lib.tensor(MASK), 0.5),
    "twice": lambda h, w, lib: h.mul_(w).add_(w),
}
WITH_OPERAND = ["add_", "sub_", "mul_", "div_", "pow_", "copy_", "twice"]


def _run(lib, op, self_requires_grad=True):
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    h = x * 1.3 + 0.1 if self_requires_grad else lib.tensor(X * 1.3 + 0.1)
    op(h, w, lib)
    (h * lib.tensor(R)).sum().backward()
    grads = [None if t.grad is None else np.asarray(t.grad) for t in (x, w)]
    return np.asarray(h.detach().numpy() if lib is torch else h.numpy()), grads


@pytest.mark.parametrize("name, self_requires_grad",
                         [(n, True) for n in OPS] + [(n, False) for n in WITH_OPERAND],
                         ids=[f"graph-{n}" for n in OPS] + [f"constant-{n}" for n in WITH_OPERAND])
def test_in_place_op_matches_pytorch(name, self_requires_grad):
    want, want_grads = _run(torch, OPS[name], self_requires_grad)
    got, got_grads = _run(lucid, OPS[name], self_requires_grad)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for g, t in zip(got_grads, want_grads):
        if t is None or not t.any():
            assert g is None or not np.asarray(g).any()
        else:
            np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


def test_an_op_on_itself_in_place_uses_the_old_values():
    # h.mul_(h): h_new = h_old^2, so dL/dx = 2 h_old * 1.3 for L = sum(h_new). (PyTorch raises
    # here, its mul_ keeping only one copy of the original self; Lucid's gradient is the math.)
    x = lucid.tensor(X, requires_grad=True)
    h = x * 1.3
    h.mul_(h)
    h.sum().backward()
    np.testing.assert_allclose(h.numpy(), (1.3 * X) ** 2)
    np.testing.assert_allclose(x.grad, 2 * 1.3 * X * 1.3)
