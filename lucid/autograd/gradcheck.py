"""Numerical gradient checks: compare autograd's gradients with central differences.

``gradcheck(fn, inputs)`` checks first derivatives along random directions: for a random unit
direction v in input space and a random upstream weight G on the output, the directional
derivative d/dt <G, fn(x + t v)> by central differences must equal <autograd grad, v>.
``gradgradcheck`` runs the same check on the function x -> <grad of fn at x, G>, whose gradient
autograd computes with ``create_graph=True``. Use float64 inputs.
"""

import numpy as np  # noqa: F401  (host-side arithmetic on the checks' scalars only)

from lucid._tensor import Tensor
from lucid.autograd.engine import grad as _grad
from lucid.autograd.grad_mode import no_grad, enable_grad

__all__ = ["gradcheck", "gradgradcheck", "numerical_directional_check"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _weighted(fn, inputs, weights):
    outs = _as_list(fn(*inputs))
    total = None
    for out, w in zip(outs, weights):
        if out is None or not out.requires_grad and not out.is_floating_point():
            continue
        term = (out * w).sum()
        total = term if total is None else total + term
    return total


def numerical_directional_check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, trials=2, seed=0):
    """Return (analytic, numeric) directional derivatives for ``trials`` random directions,
    raising AssertionError when they differ by more than atol + rtol * |numeric|."""
    rng = np.random.default_rng(seed)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    with no_grad():
        outs = _as_list(fn(*inputs))
    weights = [Tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)
               if o is not None and o.is_floating_point() else None for o in outs]
    results = []
    for _ in range(trials):
        directions = [rng.standard_normal(x.shape) for x in diff_inputs]
        norm = np.sqrt(sum(float((d * d).sum()) for d in directions)) or 1.0
        directions = [d / norm for d in directions]
        total = _weighted(fn, inputs, weights)
        # an output that does not depend on the inputs (e.g. the constant first derivative of a
        # linear op, under gradgradcheck) has a zero derivative
        grads = (_grad(total, diff_inputs, allow_unused=True)
                 if total is not None and total.requires_grad else [])
        analytic = 0.0
        for g, d in zip(grads, directions):
            if g is not None:
                analytic += float((g.numpy().astype(np.float64) * d).sum())
        originals = [x.data.copy() for x in diff_inputs]

        def value_at(t):
            for x, orig, d in zip(diff_inputs, originals, directions):
                x.data = orig + t * x._backend.asarray(d).astype(orig.dtype)
            with no_grad():
                value = _weighted(fn, inputs, weights)
            return 0.0 if value is None else float(value.item())

        try:
            numeric = (value_at(eps) - value_at(-eps)) / (2 * eps)
        finally:
            for x, orig in zip(diff_inputs, originals):
                x.data = orig
        if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
            raise AssertionError(
                f"gradient mismatch along a random direction: autograd {analytic!r}, "
                f"central differences {numeric!r}")
        results.append((analytic, numeric))
    return results


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, trials=2, seed=0):
    """True when autograd's gradients of ``fn`` at ``inputs`` match central differences."""
    numerical_directional_check(fn, _as_list(inputs), eps, atol, rtol, trials, seed)
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, trials=2, seed=0):
    """True when the second derivatives of ``fn`` (via create_graph) match central differences
    of its first derivatives."""
    inputs = _as_list(inputs)
    rng = np.random.default_rng(seed + 1)
    with no_grad():
        outs = _as_list(fn(*inputs))
    weights = [Tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)
               for o in outs]

    def first_derivative(*xs):
        with enable_grad():  # the check evaluates this under no_grad; it needs a graph
            total = _weighted(fn, xs, weights)
            grads = _grad(total, [x for x in xs if isinstance(x, Tensor) and x.requires_grad],
                          create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    numerical_directional_check(first_derivative, inputs, eps, atol, rtol, trials, seed)
    return True
