"""Reverse-mode automatic differentiation: ``Function``, grad mode, the graph walk, gradcheck."""

from lucid.autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, grad_enabled,
                                      is_grad_enabled)
from lucid.autograd.function import Function, FunctionCtx
from lucid.autograd.engine import backward, grad
# The functions shadow their submodule's name on purpose (``lucid.autograd.gradcheck(fn, xs)``,
# as in PyTorch); importing them here, after the submodule, makes the name mean the function.
from lucid.autograd.gradcheck import gradcheck, gradgradcheck

__all__ = ["Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
           "grad_enabled", "is_grad_enabled", "backward", "grad", "gradcheck", "gradgradcheck"]

