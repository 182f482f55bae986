"""lucid.linalg against torch.linalg (values and gradients under a random upstream gradient,
float64), against float64 central differences, and second derivatives for inv, det, slogdet,
solve, cholesky and the norms.

Inputs are drawn well conditioned (A + n I, X X^T + n I, distinct singular values and
eigenvalues). Decompositions whose factors are fixed only up to sign (svd, eig, eigh) are
compared through sign-free quantities such as |U| and the values themselves.
"""

import numpy as np
import pytest

import lucid
from lucid import linalg as LA
from lucid.autograd.gradcheck import gradgradcheck

from helpers import check_numeric, check_op, needs_torch, torch

INF = float("inf")


# ---------------------------------------------------------------------------- inputs
def wellcond(shape, seed=0):
    """A random matrix plus n I: far from singular."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def spd(shape, seed=0):
    """X X^T + n I: symmetric positive definite, eigenvalues distinct almost surely."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def real_spectrum(n, seed=0, batch=()):
    """P diag(lam) P^-1 with distinct real eigenvalues lam."""
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(batch + (n, n)) + n * np.eye(n)
    lam = np.arange(1, n + 1) * 1.5 + rng.uniform(0, 0.5, batch + (n,))
    return (p * lam[..., None, :]) @ np.linalg.inv(p)


def randn(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def sym(x):
    """(X + X^T) / 2 for Lucid and torch tensors alike."""
    return (x + x.swapaxes(-1, -2)) * 0.5


# ---------------------------------------------------------------------------- inv, det, slogdet
@needs_torch
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (2, 1, 3, 3)])
def test_inv(shape):
    check_op(None, torch.linalg.inv, LA.inv, arrays=[wellcond(shape)])


@needs_torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_det(shape):
    check_op(None, torch.linalg.det, LA.det, arrays=[wellcond(shape)])


def test_det_of_singular_matrix_gradient_is_the_cofactor_matrix():
    # det is a polynomial, so its gradient at a singular matrix is still the cofactor matrix
    # (central differences agree). PyTorch 2.13 returns zeros here; the math is the judge.
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    t = lucid.Tensor(a, requires_grad=True)
    out = LA.det(t)
    assert abs(out.item()) < 1e-12
    out.backward()
    np.testing.assert_allclose(t.grad, [[4, 4, -4], [-2, -2, 2], [0, 0, 0]], atol=1e-10)
    check_numeric(LA.det, [a])


@needs_torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_slogdet(shape):
    a = wellcond(shape)
    a[..., 0, :] *= -1  # a negative determinant: sign -1
    sign, _ = check_op(None, lambda x: tuple(torch.linalg.slogdet(x)), LA.slogdet, arrays=[a])
    assert np.all(sign.numpy() == -1)
    assert not sign.requires_grad


# ---------------------------------------------------------------------------- solve
@needs_torch
@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 3), (3, 2)),       # matrix right-hand side
    ((3, 3), (3,)),         # one vector
    ((2, 3, 3), (2, 3)),    # a batch of vectors (B has A's shape without the last axis)
    ((2, 3, 3), (3, 4)),    # B broadcast over A's batch
    ((3, 3), (2, 3, 1)),    # A broadcast over B's batch
    ((2, 1, 3, 3), (4, 3, 2)),
])
def test_solve(a_shape, b_shape):
    check_op(None, torch.linalg.solve, LA.solve, arrays=[wellcond(a_shape), randn(b_shape, 1)])


# ---------------------------------------------------------------------------- cholesky
@needs_torch
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    check_op(None, lambda a: torch.linalg.cholesky(a, upper=upper),
             lambda a: LA.cholesky(a, upper=upper), arrays=[spd(shape)])


# ---------------------------------------------------------------------------- qr
@needs_torch
@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 5), (2, 4, 3), (2, 3, 4)])
def test_qr_reduced(shape):
    q, r = check_op(None, lambda a: tuple(torch.linalg.qr(a)), LA.qr, arrays=[randn(shape)])
    np.testing.assert_allclose((q @ r).numpy(), randn(shape), atol=1e-12)


@needs_torch
def test_qr_complete_and_r_modes():
    wide = randn((3, 5))
    check_op(None, lambda a: tuple(torch.linalg.qr(a, mode="complete")),
             lambda a: LA.qr(a, mode="complete"), arrays=[wide])
    # mode "r" returns R alone and (unlike PyTorch's) keeps its gradient
    tall = randn((5, 3))
    check_op(None, lambda a: torch.linalg.qr(a)[1], lambda a: LA.qr(a, mode="r"), arrays=[tall])


# ---------------------------------------------------------------------------- svd
def _svd_invariants(module, full_matrices=False):
    """S, |U| and |Vh| (sign-free), and U diag(S^2) Vh = A A^T A (needs U and V together)."""
    def fn(a):
        u, s, vh = module.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        u, vh = u[..., :k], vh[..., :k, :]
        return s, abs(u), abs(vh), (u * (s * s)[..., None, :]) @ vh
    return fn


@needs_torch
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3), (2, 3, 4)])
def test_svd_reduced(shape):
    check_op(None, _svd_invariants(torch.linalg), _svd_invariants(LA), arrays=[randn(shape)])


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
def test_svd_full_matrices_on_the_determined_part(shape):
    # full U is (5, 5), but a loss that uses only its first k columns has a gradient
    check_op(None, _svd_invariants(torch.linalg, True), _svd_invariants(LA, True),
             arrays=[randn(shape)])


@needs_torch
def test_svdvals_and_reconstruction():
    a = randn((2, 4, 3))
    check_op(None, torch.linalg.svdvals, LA.svdvals, arrays=[a])
    u, s, vh = LA.svd(lucid.Tensor(a), full_matrices=False)
    np.testing.assert_allclose(((u * s[..., None, :]) @ vh).numpy(), a, atol=1e-12)


def test_svd_full_matrices_gradient_of_the_arbitrary_columns_raises():
    a = lucid.Tensor(randn((5, 3)), requires_grad=True)
    u, s, vh = LA.svd(a)  # full_matrices=True: u is (5, 5)
    assert u.shape == (5, 5) and vh.shape == (3, 3)
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        u.sum().backward()


# ---------------------------------------------------------------------------- eigh, eig
@needs_torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh(shape):
    def fn(module):
        def f(a):
            w, v = module.eigh(a)
            return w, abs(v)
        return f
    check_op(None, fn(torch.linalg), fn(LA), arrays=[spd(shape)])


@needs_torch
def test_eigh_upper_and_eigvalsh():
    a = spd((2, 3, 3))
    check_op(None, lambda x: torch.linalg.eigvalsh(x, UPLO="U"),
             lambda x: LA.eigvalsh(x, UPLO="U"), arrays=[a])
    check_op(None, lambda x: abs(torch.linalg.eigh(x, UPLO="U")[1]),
             lambda x: abs(LA.eigh(x, UPLO="U")[1]), arrays=[a])


@needs_torch
@pytest.mark.parametrize("batch", [(), (2,)])
def test_eig_with_real_eigenvalues(batch):
    a = real_spectrum(4, batch=batch)
    w, _ = LA.eig(lucid.Tensor(a))
    assert w.dtype == lucid.float64  # NumPy's rule: real eigenvalues come back real
    check_op(None, lambda x: (torch.linalg.eig(x)[0].real, torch.linalg.eig(x)[1].abs()),
             lambda x: (LA.eig(x)[0], abs(LA.eig(x)[1])), arrays=[a])


@needs_torch
def test_eig_with_complex_eigenvalues():
    # a rotation-like block gives a complex pair: outputs are complex as in PyTorch
    a = np.array([[1.0, -2.0, 0.3], [2.0, 1.0, 0.1], [0.2, 0.4, 3.0]])
    w, v = LA.eig(lucid.Tensor(a))
    assert w.dtype == lucid.complex128 and v.dtype == lucid.complex128
    check_op(None, lambda x: (torch.linalg.eig(x)[0].abs(), torch.linalg.eig(x)[1].abs()),
             lambda x: (abs(LA.eig(x)[0]), abs(LA.eig(x)[1])), arrays=[a])
    check_op(None, lambda x: torch.linalg.eigvals(x).abs(), lambda x: abs(LA.eigvals(x)),
             arrays=[a])


def test_eig_loss_that_depends_on_eigenvector_phase_raises():
    a = lucid.Tensor(np.array([[1.0, -2.0], [2.0, 1.0]]), requires_grad=True)
    _, v = LA.eig(a)
    with pytest.raises(RuntimeError, match="phase"):
        v.backward(1j * np.eye(2))


# ---------------------------------------------------------------------------- matrix_power, pinv
@needs_torch
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    a = wellcond((2, 3, 3)) / 3
    out = check_op(None, lambda x: torch.linalg.matrix_power(x, n),
                   lambda x: LA.matrix_power(x, n), arrays=[a])[0]
    if n == 1:
        assert not np.shares_memory(out.numpy(), a)


@needs_torch
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 5)])
def test_pinv(shape):
    check_op(None, torch.linalg.pinv, LA.pinv, arrays=[randn(shape)])


@needs_torch
def test_lstsq():
    a, b = randn((6, 3)), randn((6, 2), 1)
    check_op(None, lambda x, y: torch.linalg.lstsq(x, y).solution,
             lambda x, y: LA.lstsq(x, y)[0], arrays=[a, b])
    solution, residuals, rank, sv = LA.lstsq(lucid.Tensor(a), lucid.Tensor(b))
    ref = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(solution.numpy(), ref[0], atol=1e-12)
    np.testing.assert_allclose(residuals.numpy(), ref[1], atol=1e-12)
    assert int(rank.item()) == ref[2]
    np.testing.assert_allclose(sv.numpy(), ref[3], atol=1e-12)
    x, *_ = LA.lstsq(lucid.Tensor(a), lucid.Tensor(b[:, 0]))  # one right-hand side
    np.testing.assert_allclose(x.numpy(), ref[0][:, 0], atol=1e-12)


# ---------------------------------------------------------------------------- norms
@needs_torch
@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 0, 3, 0.5, -1])
def test_vector_norm_orders(ord):
    x = randn((7,))
    check_op(None, lambda t: torch.linalg.norm(t, ord), lambda t: LA.norm(t, ord), arrays=[x])
    check_op(None, lambda t: torch.linalg.vector_norm(t, ord, dim=(0, 2), keepdim=True),
             lambda t: LA.vector_norm(t, ord, axis=(0, 2), keepdims=True),
             arrays=[randn((2, 3, 4))])


@needs_torch
@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
def test_matrix_norm_orders(ord):
    check_op(None, lambda t: torch.linalg.norm(t, ord), lambda t: LA.norm(t, ord),
             arrays=[randn((4, 3))])
    check_op(None, lambda t: torch.linalg.matrix_norm(t, ord, dim=(0, 2), keepdim=True),
             lambda t: LA.matrix_norm(t, ord, axis=(0, 2), keepdims=True),
             arrays=[randn((3, 2, 4))])
    check_op(None, lambda t: torch.linalg.norm(t, ord, dim=(-2, -1)),
             lambda t: LA.norm(t, ord, dim=(-2, -1)), arrays=[randn((2, 3, 3))])


@needs_torch
def test_norm_axis_rules_and_aliases():
    x = randn((2, 3, 4))
    check_op(None, lambda t: torch.linalg.norm(t), lambda t: LA.norm(t, None), arrays=[x])
    check_op(None, lambda t: torch.linalg.norm(t, 3, dim=1, keepdim=True),
             lambda t: LA.norm(t, 3, dim=1, keepdim=True), arrays=[x])
    check_op(None, lambda t: torch.linalg.norm(t, dim=-1), lambda t: LA.norm(t, None, -1),
             arrays=[x])
    check_op(None, lambda t: torch.linalg.norm(t, keepdim=True),
             lambda t: LA.norm(t, None, keepdims=True), arrays=[x])
    # Tensor.norm is PyTorch's Tensor.norm: the 2-norm of all entries by default
    check_op(None, lambda t: t.norm(), lambda t: t.norm(), arrays=[x])
    check_op(None, lambda t: t.norm(dim=(0, 2)), lambda t: t.norm(dim=(0, 2)), arrays=[x])
    # Lucid's default ord=2 is the spectral norm of a matrix (NumPy's rule)
    m = randn((4, 3))
    assert np.isclose(LA.norm(lucid.Tensor(m)).item(), np.linalg.norm(m, 2))


@needs_torch
def test_norm_gradient_at_zero_and_at_ties():
    check_op(None, lambda t: torch.linalg.norm(t), lambda t: LA.norm(t),
             arrays=[np.zeros(4)])
    tied = np.array([1.0, -3.0, 3.0, 2.0])  # the inf-norm's gradient is shared by the tie
    check_op(None, lambda t: torch.linalg.norm(t, INF), lambda t: LA.norm(t, INF),
             arrays=[tied])
    check_op(None, lambda t: torch.linalg.norm(t, 0.5), lambda t: LA.norm(t, 0.5),
             arrays=[np.array([0.0, 1.0, -2.0])])


# ---------------------------------------------------------------------------- float32, ints
def test_float32_in_float32_out():
    a = lucid.Tensor(wellcond((3, 3)).astype(np.float32), requires_grad=True)
    outs = [LA.inv(a), LA.det(a), LA.solve(a, a), LA.norm(a, "nuc"), LA.svd(a)[1],
            LA.cholesky(a @ a.mT)]
    for out in outs:
        assert out.dtype == lucid.float32
    sum(o.sum() for o in outs).backward()
    assert a.grad.dtype == np.float32


def test_integer_input_becomes_default_float():
    out = LA.inv(lucid.Tensor([[2, 0], [0, 4]]))
    assert out.dtype == lucid.float32
    np.testing.assert_allclose(out.numpy(), [[0.5, 0], [0, 0.25]])


# ---------------------------------------------------------------------------- numerical checks
NUMERIC = {
    "inv": (LA.inv, [wellcond((2, 3, 3))]),
    "det": (LA.det, [wellcond((2, 3, 3))]),
    "slogdet": (lambda a: LA.slogdet(a)[1], [wellcond((3, 3))]),
    "solve": (LA.solve, [wellcond((2, 3, 3)), randn((3, 2), 1)]),
    "solve_vector": (LA.solve, [wellcond((3, 3)), randn((3,), 1)]),
    "cholesky": (lambda a: LA.cholesky(sym(a)), [spd((3, 3))]),
    "qr_tall": (LA.qr, [randn((4, 3))]),
    "qr_wide": (LA.qr, [randn((3, 5))]),
    "svd": (lambda a: _svd_invariants(LA)(a), [randn((4, 3))]),
    "svd_wide": (lambda a: _svd_invariants(LA)(a), [randn((3, 4))]),
    "eigh": (lambda a: (LA.eigh(sym(a))[0], abs(LA.eigh(sym(a))[1])), [spd((3, 3))]),
    "eig": (lambda a: (LA.eig(a)[0], abs(LA.eig(a)[1])), [real_spectrum(3)]),
    "eig_complex": (lambda a: (abs(LA.eig(a)[0]), abs(LA.eig(a)[1])),
                    [np.array([[1.0, -2.0, 0.3], [2.0, 1.0, 0.1], [0.2, 0.4, 3.0]])]),
    "pinv": (LA.pinv, [randn((4, 3))]),
    "pinv_wide": (LA.pinv, [randn((2, 5))]),
    "matrix_power": (lambda a: LA.matrix_power(a, -3), [wellcond((3, 3))]),
    "norm_2": (LA.norm, [randn((5,))]),
    "norm_p": (lambda a: LA.norm(a, 3, axis=0), [randn((4, 2))]),
    "norm_nuc": (lambda a: LA.norm(a, "nuc"), [randn((3, 4))]),
    "norm_spectral": (LA.norm, [randn((3, 4))]),
    "norm_inf_matrix": (lambda a: LA.norm(a, INF), [randn((3, 4))]),
}


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numerical_gradient(name):
    fn, arrays = NUMERIC[name]
    check_numeric(fn, arrays)


# ---------------------------------------------------------------------------- second order
SECOND = {
    "inv": (LA.inv, [wellcond((3, 3))]),
    "inv_batched": (LA.inv, [wellcond((2, 2, 2))]),
    "det": (LA.det, [wellcond((3, 3))]),
    "slogdet": (lambda a: LA.slogdet(a)[1], [wellcond((3, 3))]),
    "solve": (LA.solve, [wellcond((3, 3)), randn((3, 2), 1)]),
    "solve_broadcast": (LA.solve, [wellcond((2, 3, 3)), randn((3,), 1)]),
    "cholesky": (lambda a: LA.cholesky(sym(a)), [spd((3, 3))]),
    "norm_2": (LA.norm, [randn((5,))]),
    "norm_3": (lambda a: LA.norm(a, 3, axis=1), [randn((2, 4))]),
    "norm_fro": (lambda a: LA.norm(a, "fro"), [randn((3, 4))]),
    "norm_1": (lambda a: LA.norm(a, 1, axis=0), [randn((3, 4))]),
    "pinv": (LA.pinv, [randn((4, 3))]),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivative(name):
    fn, arrays = SECOND[name]
    inputs = [lucid.Tensor(a, requires_grad=True) for a in arrays]
    assert gradgradcheck(fn, inputs)


@needs_torch
def test_det_hessian_vector_product_matches_torch():
    a, v = wellcond((3, 3)), randn((3, 3), 1)
    la = lucid.Tensor(a, requires_grad=True)
    (g,) = lucid.autograd.grad(LA.det(la), [la], create_graph=True)
    (hv,) = lucid.autograd.grad((g * lucid.Tensor(v)).sum(), [la])
    ta = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.det(ta), [ta], create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [ta])
    np.testing.assert_allclose(hv.numpy() if hasattr(hv, "numpy") else hv, thv.numpy(),
                               rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [LA.inv, LA.det, LA.slogdet, LA.cholesky, LA.eigh, LA.eig,
                                lambda a: LA.matrix_power(a, 2)])
def test_non_square_input_raises_naming_the_shape(fn):
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        fn(lucid.Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        fn(lucid.Tensor(np.ones(3)))


def test_solve_shape_mismatch_raises_naming_both_shapes():
    a = lucid.Tensor(wellcond((3, 3)))
    with pytest.raises(ValueError, match=r"\(3, 3\).*\(4, 2\)"):
        LA.solve(a, lucid.Tensor(np.ones((4, 2))))
    with pytest.raises(ValueError, match=r"\(2, 3, 3\).*\(4, 3, 1\)"):
        LA.solve(lucid.Tensor(wellcond((2, 3, 3))), lucid.Tensor(np.ones((4, 3, 1))))


def test_singular_and_indefinite_matrices_raise_linalg_error():
    singular = lucid.Tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.inv(singular)
    with pytest.raises(ValueError, match="singular"):  # NumPy users catch ValueError
        LA.solve(singular, lucid.Tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="positive definite"):  # PyTorch users RuntimeError
        LA.cholesky(lucid.Tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_bad_arguments_raise():
    m = lucid.Tensor(randn((3, 3)))
    with pytest.raises(TypeError, match="integer"):
        LA.matrix_power(m, 1.5)
    with pytest.raises(ValueError, match="mode"):
        LA.qr(m, mode="full")
    with pytest.raises(ValueError, match="ord"):
        LA.norm(m, 3)  # no matrix 3-norm
    with pytest.raises(ValueError, match="ord"):
        LA.norm(lucid.Tensor(randn((3,))), "fro")
    with pytest.raises(ValueError, match=r"\(2, 3, 3\)"):
        LA.norm(lucid.Tensor(randn((2, 3, 3))))  # ord=2 with axis=None needs 1-D or 2-D
    with pytest.raises(TypeError, match="float16"):
        LA.inv(lucid.Tensor(np.eye(2), dtype=lucid.float16))


def test_qr_complete_gradient_of_a_tall_matrix_raises():
    a = lucid.Tensor(randn((4, 2)), requires_grad=True)
    q, r = LA.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="reduced"):
        (q.sum() + r.sum()).backward()


def test_failed_call_leaves_no_graph_behind():
    a = lucid.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        LA.inv(a)
    assert a.grad is None and a.is_leaf
