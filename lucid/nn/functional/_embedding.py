"""``embedding``: a lookup of rows of a weight matrix by integer index.

out[..., :] = W[idx[...], :] for W (V, D) and integer idx (*) -> out (*, D). The gradient of W
adds each upstream row into the row it was read from (repeated indices add up); the row
``padding_idx`` gets none. ``max_norm`` renormalises, in place and before the lookup, every row
that is looked up and whose ``norm_type``-norm exceeds it (PyTorch's behaviour: the weight
itself changes).
"""

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.error import DeviceMismatchError
from lucid.ops.index import IndexAdd
from lucid.ops._util import raw

__all__ = ["embedding"]


class Embedding(Function):
    """out = W[idx]; dW = sum over positions p of grad[p] added into row idx[p], except the
    padding row; with ``scale_by_freq`` each position's share is divided by how often its index
    occurs in idx."""

    def forward(ctx, weight, indices, padding_idx=None, scale_by_freq=False):
        ctx.weight_shape = weight.shape
        ctx.save_for_backward(indices)  # (saved: a write into the indices is caught)
        ctx.padding_idx, ctx.scale_by_freq = padding_idx, scale_by_freq
        return ctx.xp.take(weight, indices, axis=0)

    def backward(ctx, grad):
        xp = ctx.xp
        num, dim = ctx.weight_shape
        (indices,) = ctx.saved_tensors
        flat = raw(indices).reshape(-1)
        rows = grad.reshape((-1, dim))
        scale = None
        if ctx.padding_idx is not None:
            scale = (flat != ctx.padding_idx).astype(grad.dtype)
        if ctx.scale_by_freq:
            counts = xp.bincount(flat, minlength=num)[flat].astype(grad.dtype)
            scale = 1.0 / counts if scale is None else scale / counts
        if scale is not None:
            rows = rows * scale[:, None]
        return IndexAdd.apply(rows, shape=(num, dim), index=(flat,)), None


def _check_indices(name, indices, num):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {indices.dtype}")
    if indices.size:
        lo, hi = int(indices.min()), int(indices.max())
        if lo < 0 or hi >= num:
            raise IndexError(f"{name}: index {hi if hi >= num else lo} is out of range for "
                             f"{num} embeddings (valid indices are 0..{num - 1})")


def _renorm_(weight, indices, max_norm, norm_type):
    """Scale the looked-up rows whose norm exceeds max_norm to norm max_norm (in place)."""
    xp = weight._backend.xp
    data = weight._data
    rows = xp.unique(indices.reshape(-1))
    picked = data[rows]
    if norm_type == float("inf"):
        norms = xp.abs(picked).max(axis=1)
    else:
        norms = (xp.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    too_long = norms > max_norm
    if bool(too_long.any()):
        scale = xp.where(too_long, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
        data[rows] = picked * scale[:, None]
        weight._bump_version()  # an in-place change: a backward that saved the old rows must fail


def embedding(input_, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (V, D) at the integer indices ``input_`` (*) -> (*, D).

    ``padding_idx`` (negative counts from the end): that row receives no gradient.
    ``max_norm``: looked-up rows longer than it (in the ``norm_type`` norm) are scaled down to
    it in ``weight`` itself first. ``scale_grad_by_freq``: each index's gradient is divided by
    its count in the batch. ``sparse`` is accepted for PyTorch's signature; gradients are dense.
    """
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    num = weight.shape[0]
    xp = weight._backend.xp
    if isinstance(input_, Tensor) and input_.device != weight.device:
        raise DeviceMismatchError(f"embedding: indices are on '{input_.device}', the weight on "
                                  f"'{weight.device}'; move one with .to(device)")
    indices = input_._data if isinstance(input_, Tensor) else xp.asarray(input_)
    _check_indices("embedding", indices, num)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for {num} "
                             "embeddings")
        padding_idx %= num
    if max_norm is not None:
        _renorm_(weight, indices, float(max_norm), float(norm_type))
    # the indices go in as an input (a Tensor when given one), so that the version counter
    # of the tensor they came from watches the copy backward reads
    return Embedding.apply(weight, input_ if isinstance(input_, Tensor) else indices,
                           padding_idx=padding_idx, scale_by_freq=bool(scale_grad_by_freq))
