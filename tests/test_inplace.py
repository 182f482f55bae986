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


# ---------------------------------------------------------------------------- writes through views
# op(h, w, lib) writes into a view of h (h = 1.3 x + 0.1, shape (3, 4)); the loss reads h and,
# where it survives the write, the view
VIEW_WRITES = {
    "row": lambda h, w, lib: h[1].mul_(3.0),
    "row times tensor": lambda h, w, lib: h[1].mul_(w[0]),
    "column slice": lambda h, w, lib: h[:, 1:3].add_(w[:, :2]),
    "transpose": lambda h, w, lib: h.T.mul_(w.T),
    "reshape": lambda h, w, lib: h.reshape(12)[2:7].sin_(),
    "view of a view": lambda h, w, lib: h.T[2].mul_(w[:, 0]),
    "fill": lambda h, w, lib: h[0].fill_(2.0),
    "copy": lambda h, w, lib: h[2].copy_(w[1]),
    "two writes": lambda h, w, lib: (h[0].mul_(w[0]), h[:, 0].add_(1.0)),
    "one view written twice": lambda h, w, lib: h[1].mul_(w[1]).add_(w[0]),
    # (PyTorch refuses in-place writes into split's pieces; its reference is the same slice)
    "split piece": lambda h, w, lib: h[2:3].mul_(w[2]) if lib is torch
    else lucid.split(h, 1, axis=0)[2].mul_(w[2]),
}


def _run_view_write(lib, op, read_view_after=False):
    x = lib.tensor(X, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    h = x * 1.3 + 0.1
    early = h * 2  # read before the write: its gradient must use the old h
    op(h, w, lib)
    loss = (h * lib.tensor(R)).sum() + (early * lib.tensor(R[::-1].copy())).sum()
    if read_view_after:
        loss = loss + (h[1] * 5).sum()
    loss.backward()
    values = h.detach().numpy() if lib is torch else h.numpy()
    return np.asarray(values), [np.asarray(t.grad) for t in (x, w) if t.grad is not None]


@pytest.mark.parametrize("read_view_after", [False, True], ids=["", "view read after"])
@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_write_through_a_view_matches_pytorch(name, read_view_after):
    want, want_grads = _run_view_write(torch, VIEW_WRITES[name], read_view_after)
    got, got_grads = _run_view_write(lucid, VIEW_WRITES[name], read_view_after)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(got_grads) == len(want_grads)
    for g, t in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


def test_a_tensor_read_before_an_in_place_op_keeps_its_old_version():
    # y = 3h, then h += 1: dL/dx for L = sum(y + h) is 3*2 + 2 = 8 (PyTorch's edges point to
    # the version each op read, and so must Lucid's)
    for lib in (torch, lucid):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        y = h * 3
        h.add_(1)
        (y + h).sum().backward()
        np.testing.assert_allclose(np.asarray(x.grad), [8.0, 8.0], err_msg=lib.__name__)


def test_write_through_a_view_then_double_backward():
    # h = x^2 with row 0 then multiplied by x[0] in place: gradcheck and gradgradcheck in float64
    def f(x):
        h = x * x
        h[0].mul_(x[0])
        return h

    x = lucid.tensor(X[:2, :3], requires_grad=True)
    assert lucid.autograd.gradcheck(f, (x,))
    assert lucid.autograd.gradgradcheck(f, (x,))


def test_a_written_view_stays_a_view_of_its_base():
    # v is read after the write, then written again, then h and v are both read
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(W, requires_grad=True)
        h = x * 1.3 + 0.1
        v = h[1]
        v.mul_(w[1])
        mid = v * 2
        v.add_(w[0])
        loss = (h * lib.tensor(R)).sum() + (v * 5).sum() + (mid * lib.tensor(R[0])).sum()
        loss.backward()
        return [np.asarray(t.grad) for t in (x, w)]

    for got, want in zip(run(lucid), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-10)


# ---------------------------------------------------------------------------- random programs
def _random_program(seed):
    """3-8 steps over a pool of (3, 4) tensors: new tensors from ops, in-place ops, writes
    through views, reads through views. Each step: (kind, a, b, r, c)."""
    rng = np.random.default_rng(seed)
    kinds = ["binary", "unary", "inplace", "inplace_with", "view_write", "view_write_with",
             "read_view"]
    steps, n = [], 2
    for _ in range(rng.integers(3, 9)):
        kind = kinds[rng.integers(len(kinds))]
        steps.append((kind, int(rng.integers(n)), int(rng.integers(n)), int(rng.integers(3)),
                      int(rng.integers(4))))
        n += kind in ("binary", "unary", "read_view")
    return steps


def _run_program(lib, seed, second_order=False):
    rng = np.random.default_rng(seed + 1000)
    x = lib.tensor(rng.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    w = lib.tensor(rng.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    pool = [x * 1.1, w * 0.9 + 0.2]
    for kind, a, b, r, c in _random_program(seed):
        p, q = pool[a], pool[b]
        if kind == "binary":
            pool.append([p * q, p + q, p - q][r])
        elif kind == "unary":
            pool.append([p.sin(), p.exp(), p.tanh()][r])
        elif kind == "inplace":
            [p.mul_, p.add_, lambda _: p.sin_()][r](1.5)
        elif kind == "inplace_with" and p is not q:
            [p.mul_, p.add_, p.sub_][r](q)
        elif kind == "view_write":
            [lambda: p[c % 3].mul_(2.0), lambda: p[:, c].add_(1.0), lambda: p.T[c].sin_()][r]()
        elif kind == "view_write_with" and p is not q:
            [lambda: p[c % 3].mul_(q[c % 3]), lambda: p[:, c].add_(q[:, c]),
             lambda: p.T[c].mul_(q.T[c])][r]()
        elif kind == "read_view":
            pool.append([p[c % 3] + q, p[:, c:c + 1] * q, p.T.T * 1.0][r])
    loss = sum((t * (0.1 * (i + 1))).sum() for i, t in enumerate(pool))
    if second_order:  # d/d(x, w) of |dL/dx|^2, through a graph the first backward recorded
        loss = loss + sum((t * t).sum() for t in pool)
        (gx,) = (lucid.autograd.grad if lib is lucid else torch.autograd.grad)(
            loss, x, create_graph=True)
        loss = (gx * gx).sum()
    loss.backward()
    return [None if t.grad is None else np.asarray(t.grad) for t in (x, w)]


@pytest.mark.parametrize("second_order", [False, True], ids=["first order", "second order"])
def test_random_programs_of_in_place_ops_and_view_writes_match_pytorch(second_order):
    # where PyTorch computes a gradient Lucid gives the same one; where PyTorch refuses (a
    # saved tensor written in place), Lucid refuses too
    compared = 0
    for seed in range(300 if not second_order else 150):
        try:
            want = _run_program(torch, seed, second_order)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="in-place"):
                _run_program(lucid, seed, second_order)
            continue
        got = _run_program(lucid, seed, second_order)
        for g, t in zip(got, want):
            assert (g is None) == (t is None), f"seed {seed}"
            if g is not None:
                np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-12, err_msg=f"seed {seed}")
        compared += 1
    assert compared > 60


def test_item_assignment_through_a_view_matches_pytorch():
    # h[0][1] = ... and h.T[2] = ...: __setitem__ on a view writes through to h
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(W, requires_grad=True)
        h = x * 2
        h[0][1] = w[0, 0] * 3
        h.T[2] = w[:, 1]
        (h * lib.tensor(R)).sum().backward()
        values = h.detach().numpy() if lib is torch else h.numpy()
        return [np.asarray(values), np.asarray(x.grad), np.asarray(w.grad)]

    for got, want in zip(run(lucid), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
