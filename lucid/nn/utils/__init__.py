"""``lucid.nn.utils``: gradient clipping, parameter <-> vector, ``rnn`` (pad and pack sequences)."""

import math

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.nn.utils import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "rnn"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint ``norm_type``-norm is at most ``max_norm``.

    total = (sum_p ||g_p||^q)^(1/q) (max |g| for inf); each g is multiplied in place by
    min(1, max_norm / (total + 1e-6)). Returns the total norm before clipping, as a Tensor.
    """
    params = _grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor(0.0)
    xp = params[0]._backend.xp
    if math.isinf(norm_type):
        total = max(float(xp.abs(p.grad).max()) for p in params)
    else:
        total = sum(float((xp.abs(p.grad.astype("float64")) ** norm_type).sum())
                    for p in params) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad *= scale
    return Tensor(total, dtype=params[0].grad.dtype)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    for p in _grads(parameters):
        xp = p._backend.xp
        xp.clip(p.grad, -clip_value, clip_value, out=p.grad)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D tensor (in the graph)."""
    from lucid.ops import concatenate, reshape
    return concatenate([reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive pieces of ``vec`` into the parameters' values."""
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector of shape {tuple(vec.shape)} does not fit parameters with "
                         f"{total} elements")
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p._data[...] = vec._data[start:start + n].reshape(p.shape)
            p._bump_version()
            start += n
