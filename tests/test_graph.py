"""Permanent graph tests: the shapes of graph that break naive autograd engines.

Diamonds, a non-leaf used twice, a leaf feeding several ops, a 100,000-op chain, accumulation,
hooks, kept gradients on non-leaves, freed graphs, in-place changes of saved tensors, grad mode,
user-defined Functions and ``lucid.autograd.grad`` (double backward, unused inputs, several
outputs). Expected values come from the math, written out next to each check.
"""

import sys
import time

import numpy as np
import pytest

import lucid
from lucid.autograd import Function


def leaf(values, dtype=lucid.Float64):
    return lucid.Tensor(values, requires_grad=True, dtype=dtype)


# ---------------------------------------------------------------------------- graph shapes
def test_diamond_counts_each_path_once():
    # y = (2x)(3x) = 6x^2, dy/dx = 12x; a naive DFS that walks x's subgraph per path double counts
    x = leaf([1.0, -2.0, 0.5])
    a, b = x * 2, x * 3
    (a * b).backward()
    np.testing.assert_allclose(x.grad, 12 * x.numpy())


def test_deep_diamond_of_diamonds():
    # h_{k+1} = h_k * 2 + h_k * 3 = 5 h_k: after 20 levels dy/dx = 5^20, each node visited once
    x = leaf(1.0)
    h = x
    for _ in range(20):
        h = h * 2 + h * 3
    h.backward()
    assert x.grad == pytest.approx(5.0 ** 20)


def test_non_leaf_times_itself():
    # h = x + 1, y = h * h: dy/dx = 2(x + 1) (the upstream bug crashed here)
    x = leaf([1.0, 2.0])
    h = x + 1
    y = h * h
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 6.0])
    np.testing.assert_allclose(y.numpy(), [4.0, 9.0])


def test_leaf_used_by_several_ops():
    # y = sum(2x) + sum(exp x) + sum(x) * x_0: d/dx_i = 2 + e^{x_i} + x_0 + [i == 0] sum(x)
    x = leaf([0.5, -1.0, 2.0])
    y = (x * 2).sum() + x.exp().sum() + x.sum() * x[0]
    y.backward()
    v = x.numpy()
    expected = 2 + np.exp(v) + v[0]
    expected[0] += v.sum()
    np.testing.assert_allclose(x.grad, expected)


def test_two_outputs_of_one_op_both_used():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    top, bottom = lucid.split(x, 1, axis=0)
    (top * 2 + bottom * bottom).sum().backward()
    np.testing.assert_allclose(x.grad, [[2.0, 2.0], [6.0, 8.0]])


def test_chain_of_100000_ops_runs_without_recursion():
    limit = sys.getrecursionlimit()
    x = leaf(1.0)
    y = x
    start = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.0000001
    y.backward()
    elapsed = time.perf_counter() - start
    assert sys.getrecursionlimit() == limit  # nobody raised it to get through
    assert x.grad == pytest.approx(1.0000001 ** 100_000)
    assert elapsed < 30, f"100k-op chain took {elapsed:.1f}s"
    del y  # freeing the chain must not recurse either


def test_dropping_an_unused_100000_op_graph_does_not_crash():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y
    assert x.grad is None


# ---------------------------------------------------------------------------- accumulation
def test_gradients_accumulate_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 + 2 * x.numpy())
    x.zero_grad()
    assert x.grad is None


def test_backward_seeds_ones_for_a_non_scalar_output():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])


def test_backward_with_a_given_gradient():
    x = leaf([1.0, 2.0])
    (x * x).backward(lucid.Tensor([1.0, -1.0], dtype=lucid.Float64))
    np.testing.assert_allclose(x.grad, [2.0, -4.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * x).backward(np.ones(3))


def test_grad_is_a_raw_array_of_the_leaf_dtype():
    x = leaf([1.0, 2.0], dtype=lucid.Float32)
    (x * 2.5).sum().backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32
    z = leaf(3.0)
    (z * z).backward()
    assert type(z.grad) is np.ndarray and z.grad.shape == () and z.grad == 6.0


def test_grad_of_a_leaf_is_its_own_array():
    # x.grad must not alias another leaf's grad or the upstream seed
    x, y = leaf([1.0, 2.0]), leaf([1.0, 2.0])
    (x + y).backward()
    x.grad[0] = 100.0
    assert y.grad[0] == 1.0


# ---------------------------------------------------------------------------- hooks
def test_leaf_hook_fires_once_with_the_total_gradient():
    x = leaf([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    (x * 2 + x * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [5.0, 5.0])


def test_non_leaf_hook_fires_once_with_the_total_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2
    calls = []
    h.register_hook(lambda g: calls.append(g.numpy().copy()))
    (h * h + h).sum().backward()  # d/dh = 2h + 1
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 2 * h.numpy() + 1)


def test_hook_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: g + 1)
    h.sum().backward()
    np.testing.assert_allclose(x.grad, [31.0, 31.0])  # (1 * 10) * 3 + 1


def test_removed_hook_does_not_fire():
    x = leaf([1.0])
    calls = []
    remove = x.register_hook(lambda g: calls.append(1))
    remove()
    (x * 2).sum().backward()
    assert calls == []


def test_hook_needs_requires_grad():
    with pytest.raises(RuntimeError):
        lucid.Tensor([1.0]).register_hook(lambda g: g)


# ---------------------------------------------------------------------------- kept grads
def test_non_leaf_grad_is_not_kept_by_default():
    x = leaf([1.0, 2.0])
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None and x.grad is not None


def test_retain_grad_and_keep_grad_on_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    k = lucid.Tensor(x * 3, keep_grad=True)  # a copy is a new leaf; keep_grad is kept
    assert k.keep_grad
    g = x * 4
    g.keep_grad = True
    (h * h + g).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.numpy())
    np.testing.assert_allclose(g.grad, [1.0, 1.0])


def test_backward_keep_grad_keeps_every_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 2
    m = h + 1
    y = (m * m).sum()
    y.backward(keep_grad=True)
    np.testing.assert_allclose(m.grad, 2 * m.numpy())
    np.testing.assert_allclose(h.grad, 2 * m.numpy())
    assert y.grad == 1.0


def test_kept_grad_follows_a_tensor_changed_in_place():
    # h = 2x, kept; h *= 3 -> h = 6x; y = sum(h^2); dy/dh = 2h = 12x, dy/dx = 72x (as PyTorch:
    # the kept gradient is the new h's, not the sum over the old and the new node)
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    h.mul_(3)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, [12.0, 24.0])
    np.testing.assert_allclose(x.grad, [72.0, 144.0])


def test_backward_keep_grad_with_an_in_place_op():
    # h = 2x, m = 3(h + 1) in place, y = sum(m^2): dm = 2m = [18, 30], dh = 3 dm, dx = 2 dh
    x = leaf([1.0, 2.0])
    h = x * 2
    m = h + 1
    m.mul_(3)
    (m * m).sum().backward(keep_grad=True)
    np.testing.assert_allclose(m.grad, [18.0, 30.0])
    np.testing.assert_allclose(h.grad, [54.0, 90.0])
    np.testing.assert_allclose(x.grad, [108.0, 180.0])


def test_a_graph_is_freed_by_reference_counting_alone():
    # nodes hold their inputs, outputs hold their node, nothing points back: no cycles, so the
    # whole graph goes the moment its last tensor does, without the cyclic GC
    import gc
    import weakref
    x = leaf([1.0, 2.0])
    gc.disable()
    try:
        h = x * 2
        middle = weakref.ref(h)
        node = weakref.ref(h._node)
        y = (h.tanh() * 3).sum()
        del h
        assert middle() is not None  # the next op holds it
        del y
        assert middle() is None and node() is None
    finally:
        gc.enable()


def test_kept_grad_accumulates_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    h = (x * 2).retain_grad()
    (h * 3).sum().backward(retain_graph=True)
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad, [6.0, 6.0])
    np.testing.assert_allclose(x.grad, [12.0, 12.0])


def test_new_graph_on_a_freed_one_raises_the_retain_graph_error():
    x = leaf([1.0, 2.0])
    h = x * x
    (h * 3).sum().backward()  # frees h's node
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])  # the failed call changed nothing


# ---------------------------------------------------------------------------- freed graphs
def test_second_backward_through_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])  # unchanged by the failed call


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    v = x.numpy()
    np.testing.assert_allclose(x.grad, 2 * (np.exp(v) * v + np.exp(v)))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="requires_grad"):
        lucid.Tensor([1.0]).sum().backward()


# ---------------------------------------------------------------------------- in-place
def test_in_place_change_of_a_saved_tensor_raises():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * h  # saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_change_of_a_saved_output_raises():
    x = leaf([0.5, 1.0])
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_write_into_a_saved_output_through_an_alias_raises():
    x = leaf([0.5, 1.0])
    y = x.tanh()  # saves its output; the detached alias shares its version counter
    y.detach().mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


@pytest.mark.parametrize("make_view", [
    lambda y: y.reshape(4),
    lambda y: y[0],
    lambda y: y.T,
    lambda y: y.unsqueeze(0),
    lambda y: lucid.split(y, 1, axis=0)[1],
], ids=["reshape", "index", "transpose", "unsqueeze", "split"])
def test_write_into_a_saved_tensor_through_a_view_raises(make_view):
    x = leaf([[0.5, 1.0], [1.5, 2.0]])
    y = x.tanh()  # saves its output y
    with lucid.no_grad():
        make_view(y).mul_(2)  # a view shares y's memory, and so its version counter
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_in_place_write_through_a_view_of_a_leaf_raises_and_changes_nothing():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="view .* of a leaf"):
        x.T.add_(1)
    with pytest.raises(RuntimeError, match="view .* of a leaf"):
        x.T[0].add_(1)  # a view of a view of the leaf
    np.testing.assert_allclose(x.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_in_place_writes_that_stay_allowed():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.mul_(2)
    h.mul_(3)  # twice on the same tensor: not a view
    h.sum().backward()
    np.testing.assert_allclose(x.grad, [12.0, 12.0])
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    with lucid.no_grad():
        w[0].fill_(0.0)  # initialising part of a parameter
    np.testing.assert_allclose(w.numpy(), [[0.0, 0.0], [3.0, 4.0]])


def test_a_view_used_out_of_place_changes_nothing():
    # views share a version counter, not a value: reading through one must still work
    x = leaf([[0.5, 1.0], [1.5, 2.0]])
    y = x.tanh()
    (y.reshape(4) * 3).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * (1 - np.tanh(x.numpy()) ** 2))


def test_where_condition_changed_in_place_raises():
    # where's backward needs the mask: writing into it afterwards is caught (PyTorch too)
    x = leaf([1.0, -2.0, 3.0])
    mask = x > 0
    y = lucid.where(mask, x, x * 2)
    mask.copy_(~mask)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_index_tensors_written_after_use_do_not_move_the_gradient():
    # x[idx], gather and sort keep the indices forward used (a copy while recording), so a
    # later write into the index tensors changes nothing: the gradient is the forward's
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    idx, column = lucid.Tensor([0, 0, 1]), lucid.Tensor([[2], [0]])
    values, order = lucid.sort(x * -1, axis=1)
    y = x[idx].sum() + lucid.gather(x, 1, column).sum() + (values * lucid.arange(3.0)).sum()
    idx.copy_(lucid.Tensor([1, 1, 1]))
    column.copy_(lucid.Tensor([[0], [0]]))
    order.copy_(order * 0)
    y.backward()
    # rows picked (2, 1 times), the gathered x[0, 2] and x[1, 0], and -x sorted ascending puts
    # column j of each row at position 2 - j, weighted -(2 - j)
    np.testing.assert_allclose(x.grad, [[2 - 2, 2 - 1, 2 + 1 - 0], [1 + 1 - 2, 1 - 1, 1 - 0]])


def test_saved_output_unchanged_by_unrelated_writes():
    x = leaf([0.5, 1.0])
    y = x.tanh()
    other = x * 1
    other.add_(1)  # a write elsewhere: the tanh backward must still run
    (y.sum() + other.sum()).backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh([0.5, 1.0]) ** 2 + 1)


def test_in_place_op_joins_the_graph():
    # h = 2x; h += x (in place) -> h = 3x; y = h * h = 9x^2; dy/dx = 18x
    x = leaf([1.0, 2.0])
    h = x * 2
    version = h._version
    h.add_(x)
    assert h._version == version + 1
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad, 18 * x.numpy())


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        x.add_(1)
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0])
    with lucid.no_grad():
        x.add_(1)
    np.testing.assert_allclose(x.numpy(), [2.0, 3.0])


# ---------------------------------------------------------------------------- grad mode
def test_no_grad_results_do_not_require_grad():
    x = leaf([1.0, 2.0])
    with lucid.no_grad():
        y = x * 2
        assert not lucid.grad_enabled()
        with lucid.enable_grad():
            z = x * 2
            assert lucid.grad_enabled()
    assert lucid.grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_a_decorator_and_set_grad_enabled():
    x = leaf([1.0])

    @lucid.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert lucid.grad_enabled()
    with lucid.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert lucid.grad_enabled()
    lucid.set_grad_enabled(False)
    try:
        assert not lucid.is_grad_enabled()
    finally:
        lucid.set_grad_enabled(True)


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with lucid.no_grad():
            1 / 0
    assert lucid.grad_enabled()


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    (x * y).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


# ---------------------------------------------------------------------------- user Functions
class Cube(Function):
    """y = x^3, dy/dx = 3x^2, written PyTorch-style with staticmethods."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ScaleAndShift(Function):
    """(a * s + b, a - b) for a constant scale s: two outputs, two inputs."""

    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        return a * scale + b, a - b

    def backward(ctx, grad_first, grad_second):
        return grad_first * ctx.scale + grad_second, grad_first - grad_second


def test_user_function_with_staticmethods():
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    np.testing.assert_allclose(y.numpy(), [1.0, -8.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0])


def test_user_function_double_backward():
    # Cube's backward is written with operators, so it records a graph: d2/dx2 x^3 = 6x
    x = leaf([1.0, -2.0])
    (g,) = lucid.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    (h,) = lucid.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, -12.0])


def test_user_function_with_two_outputs_and_keywords():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    first, second = ScaleAndShift.apply(a, b, scale=2.0)
    np.testing.assert_allclose(first.numpy(), [5.0, 8.0])
    (first * 3 + second).sum().backward()
    np.testing.assert_allclose(a.grad, [7.0, 7.0])  # 3 * 2 + 1
    np.testing.assert_allclose(b.grad, [2.0, 2.0])  # 3 - 1


def test_user_function_only_one_output_used():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    first, _ = ScaleAndShift.apply(a, b, scale=2.0)
    first.sum().backward()
    np.testing.assert_allclose(a.grad, [2.0, 2.0])
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


def test_user_function_wrong_gradient_shape_is_named():
    class Bad(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            return grad.sum(axis=0)

    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match=r"Bad.*\(2,\).*\(2, 2\)"):
        Bad.apply(x).sum().backward()


def test_user_function_on_raw_arrays_computes_raw_arrays():
    out = Cube.apply(np.array([2.0]))
    assert type(out) is np.ndarray and out[0] == 8.0


# ---------------------------------------------------------------------------- autograd.grad
def test_grad_returns_without_accumulating():
    x = leaf([1.0, 2.0])
    (g,) = lucid.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None and not g.requires_grad


def test_double_and_triple_backward_of_x_cubed():
    # d/dx x^3 = 3x^2, d2 = 6x, d3 = 6
    x = leaf([1.5, -2.0])
    y = (x ** 3).sum()
    (g1,) = lucid.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g1.numpy(), 3 * x.numpy() ** 2)
    assert g1.requires_grad
    (g2,) = lucid.autograd.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy())
    (g3,) = lucid.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), [6.0, 6.0])


def test_double_backward_then_backward_into_grad():
    # gradient penalty: L = sum((d/dx sum(sin x))^2) = sum(cos^2 x); dL/dx = -2 sin x cos x
    x = leaf([0.3, -1.2, 2.0])
    (g,) = lucid.autograd.grad(x.sin().sum(), x, create_graph=True)
    (g * g).sum().backward()
    v = x.numpy()
    np.testing.assert_allclose(x.grad, -2 * np.sin(v) * np.cos(v))


def test_mixed_second_derivative():
    # f = x^2 y^3: d/dx = 2 x y^3, d/dy (d/dx) = 6 x y^2
    x, y = leaf(2.0), leaf(3.0)
    (gx,) = lucid.autograd.grad(x * x * y ** 3, x, create_graph=True)
    (gxy,) = lucid.autograd.grad(gx, y)
    assert gxy.item() == pytest.approx(6 * 2.0 * 9.0)


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        lucid.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = lucid.autograd.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0])
    assert gu is None


def test_grad_with_several_outputs_and_grad_outputs():
    # d/dx [ <w1, 2x> + <w2, x^2> ] = 2 w1 + 2 x w2
    x = leaf([1.0, 2.0])
    w1 = lucid.Tensor([1.0, -1.0], dtype=lucid.Float64)
    w2 = lucid.Tensor([0.5, 2.0], dtype=lucid.Float64)
    (g,) = lucid.autograd.grad([x * 2, x * x], [x], grad_outputs=[w1, w2])
    np.testing.assert_allclose(g.numpy(), 2 * w1.numpy() + 2 * x.numpy() * w2.numpy())


class CountingDouble(Function):
    calls = 0

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        CountingDouble.calls += 1
        return grad * 2


def test_grad_runs_only_the_branches_that_lead_to_its_inputs():
    # as PyTorch: z's branch feeds no input, so its backward never runs, and an in-place write
    # into a tensor it saved raises nothing
    x, z = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    h = z * 1
    saved = h * h  # saves h
    h.add_(1)
    y = (x * 3).sum() + CountingDouble.apply(z).sum() + saved.sum()
    CountingDouble.calls = 0
    (gx,) = lucid.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0])
    assert CountingDouble.calls == 0
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()  # backward() accumulates into every leaf, so it runs z's branch too


def test_grad_for_a_non_leaf_input():
    x = leaf([1.0, 2.0])
    h = x * 3
    (gh,) = lucid.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_grad_of_non_scalar_output_needs_grad_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar"):
        lucid.autograd.grad(x * 2, x)


# ---------------------------------------------------------------------------- gradcheck
class WrongBackward(Function):
    """sin x with the derivative's sign flipped: gradcheck must notice."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * lucid.cos(x)


class FirstOrderOnly(Function):
    """x^3 whose backward uses the raw values (a constant under create_graph): the first
    derivative is right, the second is not."""

    def forward(ctx, x):
        ctx.x = x
        return x * x * x

    def backward(ctx, grad):
        return grad * 3 * ctx.x * ctx.x


def test_gradcheck_passes_a_right_op_and_catches_a_wrong_one():
    x = leaf([0.3, -1.1, 2.0])
    assert lucid.autograd.gradcheck(Cube.apply, [x])
    assert lucid.autograd.gradgradcheck(Cube.apply, [x])
    with pytest.raises(AssertionError, match="mismatch"):
        lucid.autograd.gradcheck(WrongBackward.apply, [x])
    assert lucid.autograd.gradcheck(FirstOrderOnly.apply, [x])
    with pytest.raises(AssertionError, match="mismatch"):
        lucid.autograd.gradgradcheck(FirstOrderOnly.apply, [x])


def test_backward_on_a_leaf_and_on_a_view_of_it():
    x = leaf([1.0, 2.0])
    x.backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])
    x[1].backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0])


def test_hooks_see_tensors_under_create_graph():
    x = leaf([1.0, 2.0])
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(g.requires_grad) or g * 2)
    (g,) = lucid.autograd.grad(h.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 4 * x.numpy())  # 2 * 2x
    assert seen == [False]
    (g2,) = lucid.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), [4.0, 4.0])


# ---------------------------------------------------------------------------- random programs
def _random_graph(lib, seed):
    """4-11 random ops over a growing pool of tensors (broadcasting, reductions, views, repeated
    indices, where, matmul, concatenation, max), every tensor then used by the loss."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    v = lib.tensor(rng.uniform(0.5, 1.5, (4,)), requires_grad=True)
    c = lib.tensor(rng.uniform(0.5, 1.5, (3, 1)), requires_grad=True)
    pool = [x, v, c, x * v, x + c]
    torch_lib = lib is not lucid
    for _ in range(int(rng.integers(4, 12))):
        a, b = pool[int(rng.integers(len(pool)))], pool[int(rng.integers(len(pool)))]
        kind = int(rng.integers(12))
        try:
            if kind == 0:
                out = a * b
            elif kind == 1:
                out = a - b / (b * b + 1)
            elif kind == 2:
                out = a.exp() + a.tanh() * b
            elif kind == 3:
                out = a.sum(-1, keepdim=True) if torch_lib else a.sum(axis=-1, keepdims=True)
            elif kind == 4:
                out = a.mean(0) if torch_lib else a.mean(axis=0)
            elif kind == 5:
                out = a.reshape(-1)[:a.numel() // 2 + 1]
            elif kind == 6:
                out = a.T if a.ndim == 2 else a.sin()
            elif kind == 7:
                out = a[[0, 0, -1]] if a.ndim else a * 3
            elif kind == 8:
                out = lib.where(a > 1.0, a, b) if a.shape == b.shape else a * 2
            elif kind == 9:
                out = a @ b.T if a.ndim == b.ndim == 2 and a.shape[1] == b.shape[1] else a.cos()
            elif kind == 10:
                out = lib.cat([a, a * 2], 0) if torch_lib else lucid.concatenate([a, a * 2])
            else:
                out = (a.max(-1)[0] if torch_lib else a.max(axis=-1)) if a.ndim else a
        except (RuntimeError, ValueError):  # the same shapes fail in both: go on with a * 1.5
            out = a * 1.5
        pool.append(out)
    loss = sum((t * (0.1 * (i + 1))).sum() for i, t in enumerate(pool))
    loss.backward()
    return float(loss.item()), [np.asarray(t.grad) for t in (x, v, c)]


def test_random_graphs_match_pytorch():
    torch = pytest.importorskip("torch")
    for seed in range(200):
        want_loss, want = _random_graph(torch, seed)
        got_loss, got = _random_graph(lucid, seed)
        assert got_loss == pytest.approx(want_loss, rel=1e-10), seed
        for g, t in zip(got, want):
            np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-12, err_msg=f"seed {seed}")
