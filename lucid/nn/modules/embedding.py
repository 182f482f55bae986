"""``Embedding``: a learned lookup table of ``num_embeddings`` vectors of ``embedding_dim``."""

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.nn import functional as F
from lucid.nn import init
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.ops import empty

__all__ = ["Embedding"]


class Embedding(Module):
    """A table W (num_embeddings, embedding_dim); forward maps integer indices (*) to the rows
    W[idx] (*, embedding_dim).

    W starts from N(0, 1), as in PyTorch (Lucid 2 used U(-0.1, 0.1)), with the ``padding_idx``
    row set to zero; that row never receives a gradient. ``max_norm`` renormalises looked-up
    rows in W itself (see F.embedding). ``_weight`` supplies the table, ``_freeze`` keeps it
    fixed.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        if num_embeddings < 0 or embedding_dim < 0:
            raise ValueError(f"Embedding sizes must be non-negative, got ({num_embeddings}, "
                             f"{embedding_dim})")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"num_embeddings {num_embeddings}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device or "cpu"), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, dtype=dtype, device=device,
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight._data[self.padding_idx] = 0

    def forward(self, x):
        return F.embedding(x, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is (a copy of) ``embeddings`` (V, D), fixed if ``freeze``."""
        if embeddings.ndim != 2:
            raise ValueError(f"from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        return cls(embeddings.shape[0], embeddings.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=Tensor(embeddings._data.copy()),
                   _freeze=freeze)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text
