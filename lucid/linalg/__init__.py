"""``lucid.linalg``: differentiable linear algebra, batched over leading axes.

Every function takes a matrix (..., m, n) or a batch of them, computes with the device's LAPACK
(NumPy on the cpu, CuPy on the gpu), and has a gradient that matches PyTorch's. ``inv``,
``det``, ``slogdet``, ``solve``, ``cholesky`` and the norms can also be differentiated twice
(``create_graph=True``). A failing routine (a singular matrix, a matrix that is not positive
definite) raises ``lucid.linalg.LinAlgError``, which is both a ValueError and a RuntimeError.

Where Lucid and PyTorch differ, Lucid's meaning is kept and written below: ``norm``'s default
``ord=2`` is the spectral norm of a matrix (NumPy's rule); ``svd`` returns full matrices by
default; ``eig`` returns real values and vectors when every eigenvalue is real (NumPy's rule).
"""

from lucid._tensor import Tensor
from lucid.backend import xp_of
from lucid.linalg._functions import (Cholesky, Det, Eig, Eigh, Inv, Pinv, QR, Slogdet, Solve,
                                     SVD)
from lucid.linalg._norm import matrix_norm, norm, vector_norm
from lucid.linalg._util import LinAlgError, check_matrix, check_square, raw

__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "norm", "vector_norm", "matrix_norm",
           "qr", "svd", "svdvals", "eig", "eigvals", "eigh", "eigvalsh", "matrix_power", "pinv",
           "lstsq", "LinAlgError"]


def _tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)


def inv(a, /):
    """A^-1 of a square matrix (..., n, n). Gradient: -A^-T G A^-T.

    Raises ValueError for a non-square input and LinAlgError for a singular matrix."""
    return Inv.apply(a)


def det(a, /):
    """The determinant of a square matrix (..., n, n) -> (...). Gradient: G det(A) A^-T (the
    cofactor matrix, also defined for a singular A)."""
    return Det.apply(a)


def slogdet(a, /):
    """(sign, log|det A|) of a square matrix, each of shape (...). The sign has no gradient;
    log|det A| has A^-T."""
    return Slogdet.apply(a)


def solve(a, b, /):
    """X with A X = B, for A (..., n, n) and B (..., n, k), or a (batch of) vector B (n,) or
    (..., n) (when B has A's shape without its last axis). Batch axes broadcast.
    Gradients: dB = A^-T G, dA = -dB X^T. A singular A raises LinAlgError."""
    return Solve.apply(a, b)


def cholesky(a, /, upper=False):
    """L lower triangular with A = L L^T, for a symmetric positive-definite A (..., n, n); only
    A's lower triangle is read. ``upper=True`` returns U = L^T (A = U^T U). A matrix that is not
    positive definite raises LinAlgError."""
    return Cholesky.apply(a, upper=upper)


def qr(a, /, mode="reduced"):
    """(Q, R) with A = Q R, for A (..., m, n), Q with orthonormal columns and R upper
    triangular. ``mode="reduced"``: Q (..., m, k), R (..., k, n), k = min(m, n);
    ``"complete"``: Q (..., m, m), R (..., m, n); ``"r"``: R alone (still differentiable)."""
    return QR.apply(a, mode=mode)


def svd(a, /, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending, for A (..., m, n).

    ``full_matrices=True`` (Lucid's and PyTorch's default) gives U (..., m, m) and Vh
    (..., n, n); False gives U (..., m, k) and Vh (..., k, n), k = min(m, n). Singular vectors
    are defined up to sign, so use losses that do not depend on it. Gradients need distinct
    singular values; with full_matrices=True and m != n a loss may not depend on the last
    |m - n| vectors (they are arbitrary), which raises at backward."""
    return SVD.apply(a, full_matrices=full_matrices)


def svdvals(a, /):
    """The singular values (..., k) of A, descending. Gradient: U diag(G) Vh."""
    return SVD.apply(a, full_matrices=False)[1]


def eig(a, /, eps=1e-12):
    """(w, V) with A V = V diag(w), for a general square A (..., n, n); the columns of V have
    unit norm.

    As in NumPy and Lucid, w and V are real when every eigenvalue is real, complex otherwise
    (PyTorch always returns complex). Gradients follow PyTorch's formula; ``eps`` is the
    smallest eigenvalue gap the backward divides by. A loss must not depend on the sign (or
    complex phase) of an eigenvector. Not available on devices whose array library has no
    general eigensolver (CuPy)."""
    return Eig.apply(a, eps=eps)


def eigvals(a, /):
    """The eigenvalues of a general square matrix (see ``eig``)."""
    return Eig.apply(a)[0]


def eigh(a, /, UPLO="L"):
    """(w, V) with A = V diag(w) V^T for a symmetric A (..., n, n), w ascending, V orthogonal.
    Only the triangle ``UPLO`` ('L' or 'U') is read. The gradient is symmetric; eigenvector
    gradients need distinct eigenvalues."""
    return Eigh.apply(a, UPLO=UPLO)


def eigvalsh(a, /, UPLO="L"):
    """The eigenvalues (..., n) of a symmetric matrix, ascending. Gradient: V diag(G) V^T."""
    return Eigh.apply(a, UPLO=UPLO)[0]


def pinv(a, /, rcond=1e-12):
    """The Moore-Penrose pseudo-inverse (..., n, m) of A (..., m, n); singular values below
    ``rcond`` times the largest are treated as zero. Differentiable where A's rank is locally
    constant (PyTorch's formula)."""
    return Pinv.apply(a, rcond=rcond)


def matrix_power(a, n, /):
    """A^n for a square A (..., n, n) and an integer n: repeated squaring with matmul (so the
    gradient is matmul's, applied log2(n) times); n < 0 is inv(A)^|n|; n = 0 the identity."""
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    n = n.__index__()
    a = _tensor(a)
    check_square("matrix_power", a)
    if n == 0:
        from lucid.ops import broadcast_to, eye
        return broadcast_to(eye(a.shape[-1], dtype=a.dtype, device=a.device), a.shape)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while True:
        if n & 1:
            result = a if result is None else result @ a
        n >>= 1
        if not n:
            break
        a = a @ a
    if result is a:  # n = 1 (or -1 after inv): a new tensor, as PyTorch and NumPy return
        from lucid.ops import clone
        result = clone(a)
    return result


def lstsq(a, b, /, rcond=None):
    """The least-squares solution X minimizing ||A X - B|| (the minimum-norm one when A is
    rank deficient), as ``(solution, residuals, rank, singular_values)`` like NumPy's.

    A (..., m, n); B (..., m, k), or (m,) / (..., m) for one right-hand side. ``rcond``: singular
    values below rcond times the largest count as zero (default: machine epsilon times
    max(m, n), NumPy's). The solution is pinv(A) @ B, differentiable in A and B; residuals (the
    squared residual norm of each column, only when m > n and A has full rank, else empty) are
    differentiable too; rank and singular values are not."""
    a, b = _tensor(a), _tensor(b)
    check_matrix("lstsq", a)
    m, n = a.shape[-2], a.shape[-1]
    vector = b.ndim == a.ndim - 1
    b2 = b.reshape(tuple(b.shape) + (1,)) if vector else b
    if b2.ndim < 2 or b2.shape[-2] != m:
        raise ValueError(f"lstsq: A of shape {tuple(a.shape)} and B of shape {tuple(b.shape)} "
                         f"do not match: B needs {m} rows")
    if rcond is None:
        rcond = float(xp_of(raw(a)).finfo(raw(a).dtype).eps) * max(m, n) \
            if raw(a).dtype.kind == "f" else 1e-12
    solution = pinv(a, rcond=rcond) @ b2
    sv = svdvals(a.detach())
    rank = (sv > sv.max(axis=-1, keepdims=True) * rcond).sum(axis=-1)
    if m > n and bool((rank.numpy() == n).all()):
        residuals = ((a @ solution - b2) ** 2).sum(axis=-2)
    else:
        residuals = Tensor(xp_of(raw(a)).zeros((0,), dtype=raw(solution).dtype),
                           device=a.device)
    if vector:
        solution = solution.reshape(tuple(solution.shape[:-1]))
    return solution, residuals, rank, sv
