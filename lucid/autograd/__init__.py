"""Reverse-mode automatic differentiation: ``Function``, grad mode, the graph walk, gradcheck."""

from lucid.autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, grad_enabled,
                                      is_grad_enabled)
from lucid.autograd.function import Function, FunctionCtx
from lucid.autograd.engine import backward, grad

__all__ = ["Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
           "grad_enabled", "is_grad_enabled", "backward", "grad", "gradcheck", "gradgradcheck"]


def __getattr__(name):
    if name in ("gradcheck", "gradgradcheck"):
        from lucid.autograd import gradcheck as _gc
        return getattr(_gc, name)
    raise AttributeError(f"module 'lucid.autograd' has no attribute {name!r}")
