"""Lucid: a deep learning framework you can read end to end.

``import lucid`` gives the Tensor, its autograd, the op surface (``lucid.exp``, ``lucid.sum``,
...), and the submodules ``linalg``, ``random``, ``einops``, ``nn``. ``lucid.optim``,
``lucid.data`` and the rest load on first use.
"""

from lucid import backend
from lucid.backend.dtypes import (Numeric, Float16, Float32, Float64, Int8, Int16, Int32, Int64,
                                  UInt8, Bool, Complex64, Complex128, Float, Int, Complex,
                                  set_default_dtype, get_default_dtype)
from lucid.error import BackwardError, DeviceMismatchError, UnknownDeviceError
from lucid._tensor import Tensor, tensor, to_tensor
from lucid.autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, grad_enabled,
                                      is_grad_enabled)
from lucid import autograd
from lucid.ops import *  # noqa: F401,F403
from lucid import ops
from lucid import random, linalg, einops
from lucid.random import rand, randn, randint  # PyTorch's top-level names
from lucid import error
from lucid.serialization import save, load, save_safetensors, load_safetensors
from lucid import port, types  # Lucid 2's module names for serialization and the dtypes
from lucid._flops import count_flops, flops_enabled
from lucid._registry import register_model, models_registry, MODELS_REGISTRY_PATH

# lowercase PyTorch-style dtype names
float16, float32, float64 = Float16, Float32, Float64
half, double = Float16, Float64
int8, int16, int32, int64, uint8 = Int8, Int16, Int32, Int64, UInt8
long = Int64
bool_ = Bool
complex64, complex128 = Complex64, Complex128

newaxis = None
pi = 3.141592653589793
inf = float("inf")
nan = float("nan")


def shape(a):
    """The shape of a tensor (Lucid's top-level helper)."""
    return tuple(a.shape)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(a):
    return a.numel()


clamp = ops.clip
concat = ops.concatenate
mul = ops.multiply
divide = ops.div
neg = ops.negative
pow = ops.power
subtract = ops.sub
absolute = ops.abs
manual_seed = random.seed

# Lucid 2 imports nn with the package (``import lucid; lucid.nn.Linear``). Last: nn builds on
# everything above.
from lucid import nn  # noqa: E402
