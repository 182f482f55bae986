"""The differentiable linear-algebra primitives, forward and gradient side by side.

Each forward calls the array library's LAPACK-backed routine (``ctx.xp.linalg``: NumPy on the
cpu, CuPy on the gpu), batched over leading axes. Each backward is the textbook reverse-mode
formula (the ones PyTorch uses), written with operators, ``.swapaxes`` and Lucid functions --
including ``inv`` and ``solve`` themselves -- so that under ``create_graph=True`` it records a
graph and can be differentiated again.

Notation: A is the input, G the upstream gradient of an output, ``mT`` the transpose of the last
two axes, and I the identity. All real formulas hold per matrix of a batch.
"""

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.linalg._util import (LinAlgError, call, check_matrix, check_square, diag_embed,
                                diag_part, float_input, is_zero, mT, raw)
from lucid.ops import concatenate, cumprod, flip, tril, where, abs as _abs, sign
from lucid.ops._util import promote, sum_to
from lucid.ops.shape import broadcast_shapes

__all__ = ["Inv", "Det", "Slogdet", "Solve", "Cholesky", "QR", "SVD", "Eigh", "Eig", "Pinv",
           "VectorNorm"]


def _batch_scalar(x):
    """(...) -> (..., 1, 1), to scale a batch of matrices by one number each."""
    return x.reshape(tuple(x.shape) + (1, 1))


def _row(v):
    """(..., k) -> (..., 1, k): v_j along the columns of a matrix."""
    return v.reshape(tuple(v.shape[:-1]) + (1, v.shape[-1]))


def _col(v):
    """(..., k) -> (..., k, 1): v_i along the rows of a matrix."""
    return v.reshape(tuple(v.shape) + (1,))


# ---------------------------------------------------------------------------- inverse, det
class Inv(Function):
    """X = A^-1. From dX = -X dA X: dL/dA = -X^T G X^T."""

    def forward(ctx, a):
        check_square("inv", a)
        a = float_input("inv", a)
        out = call("inv", "the matrix is singular", ctx.xp.linalg.inv, a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        out_t = mT(out)
        return -(out_t @ grad @ out_t)


def _inv(a):
    return Inv.apply(a)


def _prod_of_others(s):
    """(..., k) -> (..., k): prod_{j != i} s_j, without dividing (s may hold zeros)."""
    ones = s[..., :1] * 0 + 1
    left = cumprod(concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = flip(cumprod(concatenate([ones, flip(s, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return left * right


def _cofactor(a):
    """The cofactor matrix cof(A) = det(A) A^-T, also where A is singular.

    With A = U S V^T: det(A) A^-T = det(U) det(V^T) U diag(prod_{j != i} s_j) V^T, which needs
    no inverse."""
    u, s, vh = SVD.apply(a, full_matrices=False)
    sign_uv = Det.apply(u) * Det.apply(vh)
    return _batch_scalar(sign_uv) * ((u * _row(_prod_of_others(s))) @ vh)


class Det(Function):
    """det A. Jacobi's formula d det A = det A tr(A^-1 dA) gives dL/dA = G det(A) A^-T (the
    cofactor matrix, computed through the SVD when A is singular)."""

    def forward(ctx, a):
        check_square("det", a)
        a = float_input("det", a)
        out = ctx.xp.asarray(ctx.xp.linalg.det(a))  # NumPy gives a scalar for one matrix
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        try:
            return _batch_scalar(grad * out) * mT(_inv(a))
        except LinAlgError:  # a singular matrix: its cofactors are still defined
            return _batch_scalar(grad) * _cofactor(a)


class Slogdet(Function):
    """(sign, log|det A|). The sign is piecewise constant; d log|det A| = tr(A^-1 dA), so
    dL/dA = G_logabsdet A^-T."""

    def forward(ctx, a):
        check_square("slogdet", a)
        a = float_input("slogdet", a)
        sign_, logabsdet = ctx.xp.linalg.slogdet(a)
        sign_, logabsdet = ctx.xp.asarray(sign_), ctx.xp.asarray(logabsdet)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign_)
        return sign_, logabsdet

    def backward(ctx, grad_sign, grad_logabsdet):
        (a,) = ctx.saved_tensors
        return _batch_scalar(grad_logabsdet) * mT(_inv(a))


# ---------------------------------------------------------------------------- solve
class Solve(Function):
    """X = A^-1 B for A (..., n, n) and B (..., n, k) or a batch of vectors B (..., n); batch
    axes broadcast. From A X = B: dL/dB = A^-T G and dL/dA = -(A^-T G) X^T, each summed back
    over the batch axes it was broadcast along."""

    def forward(ctx, a, b):
        check_square("solve", a)
        a, b = promote(float_input("solve", a), float_input("solve", b))
        n = a.shape[-1]
        # PyTorch's rule: B is a (batch of) vector(s) when it is 1-D or has A's shape minus
        # the last axis; otherwise it is a (batch of) matrix with n rows
        vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
        b2 = b.reshape(tuple(b.shape) + (1,)) if vector else b
        if b2.ndim < 2 or b2.shape[-2] != n:
            raise ValueError(f"solve: A of shape {tuple(a.shape)} and B of shape "
                             f"{tuple(b.shape)} do not match: B needs {n} rows, shape "
                             f"({n},), (..., {n}) or (..., {n}, k)")
        try:
            batch = broadcast_shapes(tuple(a.shape[:-2]), tuple(b2.shape[:-2]))
        except ValueError:
            raise ValueError(f"solve: the batch axes of A of shape {tuple(a.shape)} and B of "
                             f"shape {tuple(b.shape)} cannot be broadcast together") from None
        xp = ctx.xp
        x = call("solve", "the matrix A is singular", xp.linalg.solve,
                 xp.broadcast_to(a, batch + (n, n)), xp.broadcast_to(b2, batch + b2.shape[-2:]))
        out = x[..., 0] if vector else x
        ctx.save_for_backward(a, out)
        ctx.vector, ctx.b_shape = vector, tuple(b.shape)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        g = _col(grad) if ctx.vector else grad
        grad_b = Solve.apply(mT(a), g)  # A^-T G, shape (batch..., n, k)
        grad_a = None
        if need_a:
            x = _col(out) if ctx.vector else out
            grad_a = sum_to(-(grad_b @ mT(x)), a.shape)
        if need_b:
            if ctx.vector:
                grad_b = grad_b.reshape(tuple(grad_b.shape[:-1]))
            grad_b = sum_to(grad_b, ctx.b_shape)
        else:
            grad_b = None
        return grad_a, grad_b


# ---------------------------------------------------------------------------- cholesky
class Cholesky(Function):
    """L lower triangular with A = L L^T (or U = L^T with ``upper=True``), A symmetric positive
    definite; only A's lower triangle is read.

    Backward (Murray 2016, as PyTorch): with P = tril(L^T G) and S = (P + tril(P, -1)^T) / 2
    (the symmetric matrix P's lower triangle stands for, its diagonal halved),
    dL/dA = L^-T S L^-1, a symmetric matrix.
    """

    def forward(ctx, a, upper=False):
        check_square("cholesky", a)
        a = float_input("cholesky", a)
        low = call("cholesky", "the matrix is not positive definite", ctx.xp.linalg.cholesky, a)
        out = mT(low) if upper else low
        ctx.save_for_backward(out)
        ctx.upper = upper
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        low, g = (mT(out), mT(grad)) if ctx.upper else (out, grad)
        p = tril(mT(low) @ g)
        s = 0.5 * (p + mT(tril(p, -1)))
        y = Solve.apply(mT(low), s)  # L^-T S
        return mT(Solve.apply(mT(low), mT(y)))  # (L^-T S) L^-1


# ---------------------------------------------------------------------------- QR
def _right_solve_rt(x, r):
    """x R^-T, for a square (upper triangular) R: (R^-1 x^T)^T."""
    return mT(Solve.apply(r, mT(x)))


def _qr_grad_tall(q, r, gq, gr):
    """dL/dA for A = Q R with m >= n (Q m x n, R n x n upper triangular).

    With M = Q^T gQ and N = R gR^T, and skew parts M - M^T and N - N^T:
    dL/dA = Q (gR + tril(M - M^T + N - N^T) R^-T) + (gQ - Q M) R^-T.
    """
    qgq = mT(q) @ gq
    rgr = r @ mT(gr)
    low = tril(qgq - mT(qgq) + rgr - mT(rgr))
    return q @ (gr + _right_solve_rt(low, r)) + _right_solve_rt(gq - q @ qgq, r)


class QR(Function):
    """A = Q R, Q with orthonormal columns, R upper triangular. ``mode``: "reduced" (Q m x k,
    R k x n, k = min(m, n)), "complete" (Q m x m, R m x n) or "r" (R alone).

    Backward as PyTorch's: the tall case (m >= n) by ``_qr_grad_tall``; for a wide A = [X Y]
    (m < n, X square), R = [U V]: dL/dY = Q gV and dL/dX is the tall formula for X = Q U with
    gQ + Y gV^T in place of gQ. "complete" with m > n has no gradient (Q's extra columns are not
    determined by A).
    """

    def forward(ctx, a, mode="reduced"):
        if mode not in ("reduced", "complete", "r"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
        check_matrix("qr", a)
        a = float_input("qr", a)
        q, r = call("qr", "the factorization failed", ctx.xp.linalg.qr, a,
                    mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(a, q, r)
        ctx.mode = mode
        return r if mode == "r" else (q, r)

    def backward(ctx, *grads):
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        if ctx.mode == "r":
            gq, gr = q * 0, grads[0]
        else:
            gq, gr = grads
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                f"qr: the gradient of mode='complete' with more rows than columns (input shape "
                f"{tuple(a.shape)}) is not defined, since Q's last {m - n} columns are not "
                "determined by A; use mode='reduced'")
        if m >= n:
            return _qr_grad_tall(q, r, gq, gr)
        y, u = a[..., m:], r[..., :m]
        gu, gv = gr[..., :m], gr[..., m:]
        gy = q @ gv
        gx = _qr_grad_tall(q, u, gq + y @ mT(gv), gu)
        return concatenate([gx, gy], axis=-1)


# ---------------------------------------------------------------------------- SVD
def _svd_grad(u, s, vh, gu, gs, gvh, eye):
    """dL/dA for the reduced SVD A = U diag(S) Vh (U m x k, Vh k x n), as PyTorch's.

    With E_ij = s_j^2 - s_i^2 (1 on the diagonal) and skew(X) = X - X^T:
    inner = (skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS), and
    dL/dA = U inner Vh + (I - U U^T) gU S^-1 Vh + U S^-1 gVh (I - V V^T).
    Terms of a zero gU or gVh are skipped, so that singular values alone (norms) stay defined
    where singular values repeat or vanish.
    """
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    use_u, use_v = not is_zero(gu), not is_zero(gvh)
    if not use_u and not use_v:
        return (u * _row(gs)) @ vh
    s2 = s * s
    gap = _row(s2) - _col(s2) + eye
    inner = 0
    if use_u:
        ugu = mT(u) @ gu
        inner = (ugu - mT(ugu)) * _row(s)
    if use_v:
        vgv = vh @ mT(gvh)
        inner = inner + _col(s) * (vgv - mT(vgv))
    inner = inner / gap + diag_embed(gs, eye)
    if m > k and use_u:
        return (u @ inner + (gu - u @ (mT(u) @ gu)) / _row(s)) @ vh
    if n > k and use_v:
        return u @ (inner @ vh + (gvh - (gvh @ mT(vh)) @ vh) / _col(s))
    return u @ inner @ vh


class SVD(Function):
    """A = U diag(S) Vh, S descending. ``full_matrices=True`` gives U m x m and Vh n x n;
    False gives the reduced U m x k, Vh k x n (k = min(m, n)).

    Backward: ``_svd_grad`` on the first k columns of U and rows of Vh. With full_matrices and
    m != n, the other columns are any orthonormal basis of A's complement, so a loss that
    depends on them has no gradient: that raises (PyTorch silently drops those gradients).
    """

    def forward(ctx, a, full_matrices=True):
        check_matrix("svd", a)
        a = float_input("svd", a)
        u, s, vh = call("svd", "the SVD did not converge", ctx.xp.linalg.svd, a,
                        full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        ctx.full = full_matrices
        ctx.eye = ctx.xp.eye(s.shape[-1], dtype=s.dtype)
        return u, s, vh

    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full and m != n:
            if not is_zero(gu[..., k:]) or not is_zero(gvh[..., k:, :]):
                raise RuntimeError(
                    f"svd: the loss depends on the last {max(m, n) - k} singular vectors of "
                    f"full_matrices=True for an input of shape {tuple(u.shape[:-1])} x {n}; "
                    "those vectors are any orthonormal basis of the complement and have no "
                    "gradient. Use svd(a, full_matrices=False)")
            u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        return _svd_grad(u, s, vh, gu, gs, gvh, ctx.eye)


# ---------------------------------------------------------------------------- eigen
class Eigh(Function):
    """A = V diag(w) V^T for a symmetric A (only the triangle ``UPLO`` is read), w ascending.

    With E_ij = w_j - w_i (1 on the diagonal): dL/dA = V (diag(gw) + (skew(V^T gV) / 2) / E)
    V^T, a symmetric matrix. A zero gV skips the division, so eigenvalues alone stay defined
    where they repeat.
    """

    def forward(ctx, a, UPLO="L"):
        check_square("eigh", a)
        a = float_input("eigh", a)
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        w, v = call("eigh", "the eigenvalue iteration did not converge", ctx.xp.linalg.eigh, a,
                    UPLO=UPLO)
        ctx.save_for_backward(w, v)
        ctx.eye = ctx.xp.eye(w.shape[-1], dtype=w.dtype)
        return w, v

    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        inner = diag_embed(gw, ctx.eye)
        if not is_zero(gv):
            vgv = mT(v) @ gv
            inner = inner + 0.5 * (vgv - mT(vgv)) / (_row(w) - _col(w) + ctx.eye)
        return v @ inner @ mT(v)


class Eig(Function):
    """A V = V diag(w) for a general square A; columns of V have unit norm.

    As NumPy's (and Lucid's) eig, w and V are real when every eigenvalue of the input is real,
    and complex otherwise (PyTorch always returns complex). Backward as PyTorch's:
    dL/dA = V^-H (diag(gw) + (V^H gV - V^H V diag(Re diag(V^H gV))) / conj(E)) V^H with
    E_ij = w_j - w_i, whose gaps are kept at least ``eps`` in size; for a real A the real part.
    A loss that depends on the phase of the eigenvectors has no gradient and raises.
    """

    def forward(ctx, a, eps=1e-12):
        check_square("eig", a)
        a = float_input("eig", a, complex_ok=True)
        if not hasattr(ctx.xp.linalg, "eig"):
            name = getattr(ctx.xp, "__name__", ctx.xp)
            raise NotImplementedError(f"eig: the array library {name} has no general "
                                      "eigensolver; use eigh for symmetric matrices")
        w, v = call("eig", "the eigenvalue iteration did not converge", ctx.xp.linalg.eig, a)
        ctx.save_for_backward(w, v)
        ctx.eps, ctx.real_input = eps, a.dtype.kind != "c"
        ctx.eye = ctx.xp.eye(w.shape[-1], dtype=w.dtype)
        return w, v

    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        if raw(w).dtype.kind == "c":
            if any(isinstance(x, Tensor) for x in (w, v, gw, gv)):
                raise NotImplementedError("eig: double backward through complex eigenvalues is "
                                          "not supported")
            return _eig_grad_complex(ctx, w, v, gw, gv)
        vh = mT(v)
        inner = diag_embed(gw, ctx.eye)
        if not is_zero(gv):
            vgv = vh @ gv
            inner_v = vgv - vh @ (v * _row(diag_part(vgv, ctx.eye)))
            gap = _row(w) - _col(w) + ctx.eye
            floor = where(gap < 0, -ctx.eps, ctx.eps)  # keep a gap's sign, lift it to eps
            gap = where(_abs(gap) < ctx.eps, floor, gap)
            inner = inner + inner_v / gap
        return Solve.apply(vh, inner @ vh)


def _eig_grad_complex(ctx, w, v, gw, gv):
    # The complex case on raw arrays (Lucid Tensors have no complex conjugate op yet): the same
    # formula as Eig.backward's, with conjugate transposes.
    xp, eye = ctx.xp, ctx.eye
    vh = v.conj().swapaxes(-1, -2)
    vgv = vh @ gv
    d = xp.diagonal(vgv, 0, -2, -1)
    # a gauge-invariant loss has a real diagonal of V^H gV (PyTorch's check)
    if d.size and float(xp.abs(d.imag).max()) > 1e-6 * (1.0 + float(xp.abs(vgv).max())):
        raise RuntimeError(
            "eig: the loss depends on the phase of the eigenvectors, which eig fixes only up to "
            "a factor e^(i phi) per vector, so its gradient is not defined; make the loss "
            "depend on quantities such as |V| or V diag(.) V^-1")
    inner = vgv - vh @ (v * d.real[..., None, :])
    gap = (w[..., None, :] - w[..., :, None]).conj() + eye
    gap = xp.where(xp.abs(gap) < ctx.eps, ctx.eps, gap)
    inner = inner / gap + gw[..., :, None] * eye
    grad = xp.linalg.solve(vh, inner @ vh)
    return grad.real.copy() if ctx.real_input else grad


# ---------------------------------------------------------------------------- pinv
class Pinv(Function):
    """The Moore-Penrose pseudo-inverse A^+, singular values below ``rcond`` times the largest
    treated as zero. Backward: PyTorch's formula for a matrix of locally constant rank,
    dL/dA = -(A^+ G^T A^+)^T + (I - A A^+) G^T A^+ A^+^T + A^+^T A^+ G^T (I - A^+ A)
    (arranged so that the products have the smaller of m, n)."""

    def forward(ctx, a, rcond=1e-12):
        check_matrix("pinv", a)
        a = float_input("pinv", a)
        out = call("pinv", "the SVD did not converge", ctx.xp.linalg.pinv, a, rcond)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        ph, gh = mT(p), mT(grad)
        if m <= n:
            k = gh @ p
            k_ph = k @ ph
            return -mT(p @ k) + k_ph - (a @ p) @ k_ph + (ph @ p) @ (gh - k @ a)
        k = p @ gh
        ph_k = ph @ k
        return -mT(k @ p) + (gh - a @ k) @ p @ ph + ph_k - ph_k @ p @ a


# ---------------------------------------------------------------------------- vector norm
class VectorNorm(Function):
    """||x||_p over ``axes`` = (sum |x_i|^p)^(1/p); p = inf/-inf: max/min |x_i|; p = 0: the
    number of non-zeros.

    Gradients as PyTorch's: p = 2: x / ||x||; p = 1: sign(x); p = +-inf: sign(x) shared equally
    by the entries that attain the max/min; p = 0: zero; other p: sign(x) |x|^(p-1) /
    ||x||^(p-1). Where the norm is 0 the gradient is 0 (not 0/0).
    """

    def forward(ctx, x, ord=2, axes=None, keepdims=False):
        xp = ctx.xp
        x = float_input("vector_norm", x, complex_ok=True)
        ax = xp.abs(x)
        if ord == 2:
            kept = xp.sqrt((ax * ax).sum(axis=axes, keepdims=True))
        elif ord == 1:
            kept = ax.sum(axis=axes, keepdims=True)
        elif ord == float("inf") or ord == -float("inf"):
            pick = xp.max if ord > 0 else xp.min
            kept = pick(ax, axis=axes, keepdims=True)
            hit = (ax == kept).astype(ax.dtype)
            ctx.share = hit / hit.sum(axis=axes, keepdims=True)
        elif ord == 0:
            kept = (x != 0).sum(axis=axes, keepdims=True).astype(ax.dtype)
        else:
            kept = (ax ** ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
        out = kept if keepdims else kept.reshape(tuple(
            size for i, size in enumerate(kept.shape) if i not in axes))
        out = xp.asarray(out)
        ctx.save_for_backward(x, out)
        ctx.ord, ctx.kept_shape = ord, kept.shape
        return out

    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.ord
        g = grad.reshape(ctx.kept_shape)
        if p == 0:
            return x * 0 * g
        if p == 1:
            return sign(x) * g
        if p == float("inf") or p == -float("inf"):
            return sign(x) * g * ctx.share
        norm = out.reshape(ctx.kept_shape)
        zero = norm == 0
        safe = where(zero, 1.0, norm)
        if p == 2:
            return x * where(zero, 0.0, g / safe)
        ax = _abs(x)
        if p < 1:  # |x|^(p-1) is infinite at 0, where sign(x) = 0 makes the gradient 0
            scaled = sign(x) * where(x == 0, 1.0, ax) ** (p - 1)
            return scaled * g * norm ** (1 - p)
        scaled = x * ax ** (p - 2) if p >= 2 else sign(x) * ax ** (p - 1)
        return scaled * where(zero, 0.0, g / safe ** (p - 1))
