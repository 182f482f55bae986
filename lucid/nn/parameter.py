"""``Parameter`` (a learnable tensor a Module registers) and ``Buffer`` (state it saves but does
not learn, such as BatchNorm's running mean)."""

from lucid._tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable: requires_grad is True unless turned off.

    ``Parameter(data, dtype=None, device="cpu", requires_grad=True)``; ``data`` may be a Tensor
    (its values are taken), an array or nested lists.
    """

    def __init__(self, data, dtype=None, device=None, requires_grad=True):
        if isinstance(data, Tensor):
            device = device or data.device
            data = data.data
        super().__init__(data, requires_grad=False, dtype=dtype, device=device)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        p = Parameter(self._data.copy(), device=self.device, requires_grad=self.requires_grad)
        if self.grad is not None:
            p.grad = self.grad.copy()
        memo[id(self)] = p
        return p

    def __reduce__(self):
        return (_rebuild_parameter, (self.numpy(), self.requires_grad, self.device))


class Buffer(Tensor):
    """A Tensor that a Module saves in its state_dict and moves with ``to``, but never learns."""

    def __init__(self, data, dtype=None, device=None):
        if isinstance(data, Tensor):
            device = device or data.device
            data = data.data
        super().__init__(data, requires_grad=False, dtype=dtype, device=device)

    def __deepcopy__(self, memo):
        b = Buffer(self._data.copy(), device=self.device)
        memo[id(self)] = b
        return b

    def __reduce__(self):
        return (Buffer, (self.numpy(), None, self.device))


def _rebuild_parameter(array, requires_grad, device):
    return Parameter(array, device=device, requires_grad=requires_grad)
