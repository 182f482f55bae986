"""The op registry: every differentiable op of Lucid, with its PyTorch twin and its input shapes.

One ``Op`` entry is one op (or one form of an op, e.g. ``getitem`` with a boolean mask):

    Op("div", lambda a, b: a / b, lambda a, b: a / b, BINARY, domain=("real", "nonzero"))

``shapes`` lists the cases, each a tuple of input shapes (broadcasting pairs, 0-d and empty
inputs where the op allows them). ``lucid`` and ``torch`` take one tensor per shape, all
floating point; constant arguments (indices, masks, conditions) live in the lambdas, built on
the inputs' device with ``const`` so that the same entry runs on any backend. ``domain`` says
where inputs are drawn (one name, or one per input): see ``DOMAINS``. ``second_order`` marks ops
whose double backward (``create_graph=True``) is checked. Adding an op = adding one entry; the
tests in ``test_ops_registry.py`` and ``test_backend_seam.py`` pick it up.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import lucid

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the parity tests skip; the numerical and backend checks still run
    torch = TF = None


# ---------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class Op:
    name: str
    lucid: Callable
    torch: Callable
    shapes: tuple
    domain: object = "real"
    second_order: bool = True
    float32: bool = True     # run the float32 PyTorch parity (off where float32 is meaningless)
    numeric: bool = True     # run the float64 central-difference check
    tol32: dict = field(default_factory=dict)
    tol64: dict = field(default_factory=dict)


def const(like, array):
    """A constant (index, mask, condition) as a Tensor on ``like``'s device."""
    return lucid.Tensor(np.asarray(array), device=like.device)


def tconst(array):
    return torch.tensor(np.asarray(array))


# ---------------------------------------------------------------------------- input domains
def _real(rng, shape):
    return rng.standard_normal(shape)


def _positive(rng, shape):
    return np.abs(rng.standard_normal(shape)) + 0.5


def _nonzero(rng, shape):
    a = rng.standard_normal(shape)
    return np.where(a < 0, -1.0, 1.0) * (np.abs(a) + 0.5)


def _with_zeros(rng, shape):
    # about a third of the entries exactly zero: prod / cumprod must not divide by them
    a = rng.standard_normal(shape)
    return np.where(rng.random(shape) < 0.3, 0.0, a)


def _ties(rng, shape):
    return rng.integers(0, 3, shape).astype(np.float64)


def _distinct(rng, shape):
    # well separated values (gaps of 0.1): orderings do not flip under a finite-difference step
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)


def _one_constant_row(rng, shape):
    # row 0 constant: its std is 0, where sqrt's derivative is infinite (PyTorch answers 0)
    a = rng.standard_normal(shape)
    a[0] = 1.25
    return a


DOMAINS = {
    "one_constant_row": _one_constant_row,
    "real": _real,
    "positive": _positive,
    "nonzero": _nonzero,
    "unit": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "gt1": lambda rng, shape: rng.uniform(1.2, 3.0, shape),
    "small": lambda rng, shape: rng.uniform(-1.2, 1.2, shape),
    "with_zeros": _with_zeros,
    "ties": _ties,
    "distinct": _distinct,
}


def make_inputs(op, shapes, dtype="float64", seed=0):
    """Seeded host arrays for ``op`` at ``shapes``, drawn from its domain(s)."""
    rng = np.random.default_rng(seed)
    domains = op.domain if isinstance(op.domain, tuple) else (op.domain,) * len(shapes)
    return [np.asarray(DOMAINS[d](rng, s), dtype=dtype) for d, s in zip(domains, shapes)]


def cases(ops=None, where=None):
    """(op, shapes) pairs, one per case, with readable pytest ids."""
    import pytest

    out = []
    for op in ops or REGISTRY:
        if where is not None and not where(op):
            continue
        for shapes in op.shapes:
            sid = ",".join("x".join(map(str, s)) or "0d" for s in shapes)
            out.append(pytest.param(op, shapes, id=f"{op.name}[{sid}]"))
    return out


# ---------------------------------------------------------------------------- shape sets
BINARY = (((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()),
          ((0, 3), (3,)), ((2, 1, 4), (3, 1)))
UNARY = (((3, 4),), ((),), ((0, 3),), ((2, 3, 4),))
MAT = (((3, 4),), ((2, 3, 4),))


def _pad_torch(x, width):
    flat = []
    for lo, hi in reversed(width):
        flat += [lo, hi]
    return TF.pad(x, flat)


# ---------------------------------------------------------------------------- the registry
REGISTRY = []


def add(*ops):
    REGISTRY.extend(ops)


# binary arithmetic, with broadcasting; operators and their reflected forms
add(
    Op("add", lucid.add, torch and torch.add, BINARY),
    Op("sub", lucid.sub, torch and torch.sub, BINARY),
    Op("multiply", lucid.multiply, torch and torch.mul, BINARY),
    Op("div", lucid.div, torch and torch.div, BINARY, domain=("real", "nonzero")),
    Op("power", lucid.power, torch and torch.pow, BINARY, domain=("positive", "real")),
    Op("maximum", lucid.maximum, torch and torch.maximum, BINARY),
    Op("minimum", lucid.minimum, torch and torch.minimum, BINARY),
    Op("maximum_ties", lucid.maximum, torch and torch.maximum, (((2, 3), (2, 3)),),
       domain="ties", numeric=False, second_order=False),
    Op("arctan2", lucid.arctan2, torch and torch.atan2, BINARY, domain=("real", "nonzero")),
    Op("remainder", lucid.remainder, torch and torch.remainder, BINARY[:3],
       domain=("real", "nonzero")),
    Op("floor_divide", lambda a, b: a // b, lambda a, b: torch.floor(a / b), BINARY[:3],
       domain=("real", "nonzero"), second_order=False),
    Op("div_floor_kw", lambda a, b: lucid.div(a, b, floor=True),
       lambda a, b: torch.floor(a / b), BINARY[:1], domain=("real", "nonzero"),
       second_order=False),
    Op("op_add", lambda a, b: a + b, lambda a, b: a + b, BINARY[:2]),
    Op("op_sub", lambda a, b: a - b, lambda a, b: a - b, BINARY[:2]),
    Op("op_mul", lambda a, b: a * b, lambda a, b: a * b, BINARY[:2]),
    Op("op_truediv", lambda a, b: a / b, lambda a, b: a / b, BINARY[:2],
       domain=("real", "nonzero")),
    Op("op_pow", lambda a, b: a ** b, lambda a, b: a ** b, BINARY[:2],
       domain=("positive", "real")),
    Op("scalar_add", lambda x: x + 2.5, lambda x: x + 2.5, UNARY),
    Op("scalar_radd", lambda x: 2.5 + x, lambda x: 2.5 + x, UNARY[:2]),
    Op("scalar_rsub", lambda x: 2.5 - x, lambda x: 2.5 - x, UNARY),
    Op("scalar_mul", lambda x: x * -1.5, lambda x: x * -1.5, UNARY),
    Op("scalar_rmul", lambda x: 3 * x, lambda x: 3 * x, UNARY[:2]),
    Op("scalar_div", lambda x: x / 4.0, lambda x: x / 4.0, UNARY),
    Op("scalar_rdiv", lambda x: 2.0 / x, lambda x: 2.0 / x, UNARY, domain="nonzero"),
    Op("scalar_pow2", lambda x: x ** 2, lambda x: x ** 2, UNARY),
    Op("scalar_pow3", lambda x: x ** 3, lambda x: x ** 3, UNARY),
    Op("scalar_pow_half", lambda x: x ** 0.5, lambda x: x ** 0.5, UNARY, domain="positive"),
    Op("scalar_pow_neg", lambda x: x ** -1.5, lambda x: x ** -1.5, UNARY, domain="positive"),
    Op("scalar_rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, UNARY),
    Op("scalar_rpow_e", lambda x: 0.5 ** x, lambda x: 0.5 ** x, UNARY[:2]),
    Op("scalar_mod", lambda x: x % 0.7, lambda x: x % 0.7, UNARY[:2], second_order=False),
    Op("neg_operator", lambda x: -x, lambda x: -x, UNARY),
    Op("pos_abs_operator", lambda x: abs(+x), lambda x: abs(+x), UNARY[:2], domain="nonzero"),
    Op("self_mul", lambda x: x * x, lambda x: x * x, UNARY),
    Op("self_div", lambda x: (x + 3) / (x * x + 1), lambda x: (x + 3) / (x * x + 1), UNARY),
)

# unary elementwise
_UNARY_OPS = [
    ("negative", lucid.negative, "neg", "real"),
    ("exp", lucid.exp, "exp", "real"),
    ("log", lucid.log, "log", "positive"),
    ("log2", lucid.log2, "log2", "positive"),
    ("log10", lucid.log10, "log10", "positive"),
    ("log1p", lucid.log1p, "log1p", "positive"),
    ("expm1", lucid.expm1, "expm1", "real"),
    ("sqrt", lucid.sqrt, "sqrt", "positive"),
    ("rsqrt", lucid.rsqrt, "rsqrt", "positive"),
    ("square", lucid.square, "square", "real"),
    ("reciprocal", lucid.reciprocal, "reciprocal", "nonzero"),
    ("abs", lucid.abs, "abs", "nonzero"),
    ("sign", lucid.sign, "sign", "nonzero"),
    ("sin", lucid.sin, "sin", "real"),
    ("cos", lucid.cos, "cos", "real"),
    ("tan", lucid.tan, "tan", "small"),
    ("arcsin", lucid.arcsin, "asin", "unit"),
    ("arccos", lucid.arccos, "acos", "unit"),
    ("arctan", lucid.arctan, "atan", "real"),
    ("sinh", lucid.sinh, "sinh", "real"),
    ("cosh", lucid.cosh, "cosh", "real"),
    ("tanh", lucid.tanh, "tanh", "real"),
    ("arcsinh", lucid.arcsinh, "asinh", "real"),
    ("arccosh", lucid.arccosh, "acosh", "gt1"),
    ("arctanh", lucid.arctanh, "atanh", "unit"),
    ("sigmoid", lucid.sigmoid, "sigmoid", "real"),
    ("relu", lucid.relu, "relu", "nonzero"),
    ("floor", lucid.floor, "floor", "real"),
    ("ceil", lucid.ceil, "ceil", "real"),
    ("trunc", lucid.trunc, "trunc", "real"),
    ("round", lucid.round, "round", "real"),
]
for _name, _fn, _tname, _domain in _UNARY_OPS:
    add(Op(_name, _fn, torch and getattr(torch, _tname), UNARY, domain=_domain))

add(
    Op("cube", lucid.cube, lambda x: x ** 3, UNARY),
    Op("round_decimals", lambda x: lucid.round(x, decimals=1),
       lambda x: torch.round(x, decimals=1), UNARY[:1]),
    Op("sigmoid_large", lucid.sigmoid, torch and torch.sigmoid, UNARY[:1],
       domain="real", tol32=dict(atol=1e-6)),
    Op("clip", lambda x: lucid.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), UNARY),
    Op("clip_min", lambda x: lucid.clip(x, min_value=0.1), lambda x: torch.clamp(x, min=0.1),
       UNARY[:2]),
    Op("clip_max", lambda x: x.clip(None, 0.2), lambda x: torch.clamp(x, max=0.2), UNARY[:2]),
    Op("clamp_method", lambda x: x.clamp(min=-0.3, max=0.3),
       lambda x: x.clamp(min=-0.3, max=0.3), UNARY[:1]),
    Op("nan_to_num", lucid.nan_to_num, torch and torch.nan_to_num, UNARY[:2]),
    Op("clone", lucid.clone, torch and torch.clone, UNARY),
    Op("cast_double", lambda x: x.double() * 1.5, lambda x: x.double() * 1.5, UNARY[:2]),
    Op("cast_float", lambda x: x.float() * 1.5, lambda x: x.float() * 1.5, UNARY[:2],
       numeric=False, second_order=False),
    Op("astype_chain", lambda x: x.astype(lucid.Float64).astype(lucid.Float32),
       lambda x: x.double().float(), UNARY[:1], numeric=False, second_order=False),
    Op("where", lambda a, b: lucid.where(const(a, [[True, False, True, False]] * 3), a, b),
       lambda a, b: torch.where(tconst([[True, False, True, False]] * 3), a, b),
       (((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1)), ((), (3, 4)))),
    Op("where_scalar", lambda a: lucid.where(a > 0, a, 0.5),
       lambda a: torch.where(a > 0, a, 0.5), UNARY[:1]),
    Op("where_method", lambda a, b: a.where(const(a, [True, False, True, False]), b),
       lambda a, b: torch.where(tconst([True, False, True, False]), a, b),
       (((3, 4), (3, 4)),)),
    Op("masked_fill", lambda x: lucid.masked_fill(x, const(x, [[1, 0, 0, 1]] * 3) == 1, -2.0),
       lambda x: x.masked_fill(tconst([[1, 0, 0, 1]] * 3) == 1, -2.0), (((3, 4),),)),
    Op("masked_fill_broadcast", lambda x: x.masked_fill(const(x, [True, False, True, False]), 0.0),
       lambda x: x.masked_fill(tconst([True, False, True, False]), 0.0), (((3, 4),), ((2, 3, 4),))),
)

# reductions
_RED = (((3, 4),), ((2, 3, 4),))
add(
    Op("sum", lucid.sum, torch and torch.sum, UNARY),
    Op("sum_axis0", lambda x: lucid.sum(x, axis=0), lambda x: x.sum(0), _RED + (((0, 3),),)),
    Op("sum_axis_neg_keep", lambda x: x.sum(axis=-1, keepdims=True),
       lambda x: x.sum(-1, keepdim=True), _RED),
    Op("sum_axes_tuple", lambda x: x.sum(axis=(0, 2)), lambda x: x.sum((0, 2)), _RED[1:]),
    Op("sum_dim_keepdim", lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(1, keepdim=True),
       _RED),
    Op("mean", lucid.mean, torch and torch.mean, UNARY[:2] + UNARY[3:]),
    Op("mean_axis", lambda x: x.mean(axis=(0, -1), keepdims=True),
       lambda x: x.mean((0, -1), keepdim=True), _RED),
    Op("var", lucid.var, lambda x: torch.var(x, unbiased=False), _RED),
    Op("var_axis", lambda x: lucid.var(x, axis=1), lambda x: torch.var(x, 1, unbiased=False),
       _RED),
    Op("var_correction", lambda x: x.var(axis=0, keepdims=True, correction=1),
       lambda x: torch.var(x, 0, keepdim=True, correction=1), _RED),
    Op("std", lucid.std, lambda x: torch.std(x, unbiased=False), _RED),
    Op("std_axis", lambda x: x.std(axis=-1, unbiased=True), lambda x: torch.std(x, -1), _RED),
    Op("std_constant_row", lambda x: x.std(axis=1), lambda x: torch.std(x, 1, unbiased=False),
       (((3, 4),),), domain="one_constant_row", numeric=False, second_order=False),
    Op("std_0d_group", lambda x: x.std(axis=0, keepdims=True),
       lambda x: torch.std(x, 0, keepdim=True, unbiased=False), (((1, 3),),), numeric=False,
       second_order=False),
    # a 0-d tensor takes axis 0 / -1 as PyTorch does
    Op("sum_0d_axis", lambda x: x.sum(axis=0), lambda x: x.sum(0), UNARY[1:2]),
    Op("max_0d_axis", lambda x: x.max(axis=-1, keepdims=True), lambda x: x.amax(-1, keepdim=True),
       UNARY[1:2]),
    Op("logsumexp_0d_axis", lambda x: x.logsumexp(axis=0), lambda x: x.logsumexp(0),
       UNARY[1:2]),
    Op("cumsum_0d", lambda x: x.cumsum(axis=0), lambda x: x.cumsum(0), UNARY[1:2]),
    Op("cumprod_0d", lambda x: x.cumprod(axis=0), lambda x: x.cumprod(0), UNARY[1:2]),
    Op("prod", lucid.prod, torch and torch.prod, UNARY[:2] + (((2, 3),),)),
    Op("prod_axis", lambda x: x.prod(axis=1), lambda x: x.prod(1), _RED),
    Op("prod_zeros", lambda x: x.prod(axis=-1, keepdims=True), lambda x: x.prod(-1, keepdim=True),
       (((4, 5),),), domain="with_zeros", second_order=False),
    Op("prod_axes_tuple", lambda x: x.prod(axis=(0, 2)), lambda x: x.prod(0).prod(1), _RED[1:]),
    Op("max", lucid.max, torch and torch.amax, UNARY[:2] + UNARY[3:]),
    Op("max_axis", lambda x: x.max(axis=1), lambda x: torch.amax(x, 1), _RED),
    Op("max_keepdims", lambda x: lucid.max(x, axis=(0, 1), keepdims=True),
       lambda x: torch.amax(x, (0, 1), keepdim=True), _RED),
    Op("min", lucid.min, torch and torch.amin, UNARY[:2] + UNARY[3:]),
    Op("min_axis", lambda x: x.min(dim=0), lambda x: torch.amin(x, 0), _RED),
    Op("max_ties", lambda x: x.max(axis=1), lambda x: torch.amax(x, 1), (((4, 5),),),
       domain="ties", numeric=False, second_order=False),
    Op("max_ties_all", lucid.max, torch and torch.amax, (((4, 5),),),
       domain="ties", numeric=False, second_order=False),
    Op("logsumexp", lambda x: lucid.logsumexp(x, axis=-1),
       lambda x: torch.logsumexp(x, -1), _RED),
    Op("logsumexp_all", lucid.logsumexp,
       lambda x: torch.logsumexp(x.reshape(-1), 0), _RED),
    Op("cumsum", lambda x: lucid.cumsum(x, axis=0), lambda x: torch.cumsum(x, 0), _RED),
    Op("cumsum_last", lambda x: x.cumsum(), lambda x: torch.cumsum(x, -1), _RED),
    Op("cumprod", lambda x: lucid.cumprod(x, axis=1), lambda x: torch.cumprod(x, 1), _RED),
    Op("cumprod_zeros", lambda x: x.cumprod(dim=-1), lambda x: torch.cumprod(x, -1),
       (((4, 5),),), domain="with_zeros"),
    Op("trace", lucid.trace, torch and torch.trace, (((3, 3),), ((3, 5),))),
)

# shape ops
add(
    Op("reshape", lambda x: x.reshape(4, 3), lambda x: x.reshape(4, 3), (((3, 4),),)),
    Op("reshape_infer", lambda x: lucid.reshape(x, (-1, 2)), lambda x: x.reshape(-1, 2),
       (((3, 4),), ((2, 3, 4),))),
    Op("reshape_0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), (((),),)),
    Op("reshape_empty", lambda x: x.reshape(3, 0), lambda x: x.reshape(3, 0), (((0, 3),),)),
    Op("view", lambda x: x.view(-1), lambda x: x.view(-1), UNARY),
    Op("transpose", lucid.transpose, lambda x: x.permute(tuple(reversed(range(x.ndim)))), UNARY),
    Op("transpose_axes", lambda x: x.transpose((1, 2, 0)), lambda x: x.permute(1, 2, 0),
       (((2, 3, 4),),)),
    Op("transpose_two_ints", lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2),
       (((2, 3, 4),),)),
    Op("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), (((2, 3, 4),),)),
    Op("T", lambda x: x.T * 1.0, lambda x: x.T * 1.0, (((3, 4),),)),
    Op("mT", lambda x: x.mT, lambda x: x.mT, (((3, 4),), ((2, 3, 4),))),
    Op("swapaxes", lambda x: lucid.swapaxes(x, 0, -1), lambda x: x.transpose(0, -1),
       (((3, 4),), ((2, 3, 4),))),
    Op("moveaxis", lambda x: lucid.moveaxis(x, 0, -1), lambda x: torch.moveaxis(x, 0, -1),
       (((2, 3, 4),),)),
    Op("squeeze", lucid.squeeze, torch and torch.squeeze, (((1, 3, 1, 4),), ((1,),))),
    Op("squeeze_axis", lambda x: x.squeeze(axis=2), lambda x: x.squeeze(2), (((1, 3, 1, 4),),)),
    Op("unsqueeze", lambda x: lucid.unsqueeze(x, 1), lambda x: x.unsqueeze(1), UNARY[:1]),
    Op("unsqueeze_0d", lambda x: lucid.unsqueeze(x, 0), lambda x: x.unsqueeze(0), UNARY[1:2]),
    Op("unsqueeze_neg", lambda x: x.unsqueeze(dim=-1), lambda x: x.unsqueeze(-1), UNARY),
    Op("expand_dims", lambda x: lucid.expand_dims(x, 0), lambda x: x.unsqueeze(0), UNARY[:1]),
    Op("flatten", lucid.flatten, torch and torch.flatten, UNARY[:3] + (((2, 3, 4),),)),
    Op("flatten_range", lambda x: x.flatten(1, 2), lambda x: x.flatten(1, 2),
       (((2, 3, 4, 5),),)),
    Op("ravel", lucid.ravel, torch and torch.ravel, UNARY),
    Op("broadcast_to", lambda x: lucid.broadcast_to(x, (2, 3, 4)),
       lambda x: torch.broadcast_to(x, (2, 3, 4)), (((3, 1),), ((4,),), ((),), ((1, 3, 4),))),
    Op("expand", lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4), (((3, 1),),)),
    Op("expand_as", lambda x, y: x.expand_as(y) * y, lambda x, y: x.expand_as(y) * y,
       (((3, 1), (2, 3, 4)),)),
    Op("concatenate", lambda a, b: lucid.concatenate([a, b], axis=0),
       lambda a, b: torch.cat([a, b], 0), (((2, 3), (4, 3)), ((0, 3), (2, 3)))),
    Op("cat_axis1", lambda a, b, c: lucid.cat((a, b, c), dim=1),
       lambda a, b, c: torch.cat((a, b, c), 1), (((2, 1), (2, 3), (2, 2)),)),
    Op("stack", lambda a, b: lucid.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
       (((2, 3), (2, 3)),)),
    Op("stack_0d", lambda a, b, c: lucid.stack([a, b, c]), lambda a, b, c: torch.stack([a, b, c]),
       (((), (), ()),)),
    Op("hstack", lambda a, b: lucid.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
       (((2, 3), (2, 2)), ((3,), (2,)))),
    Op("vstack", lambda a, b: lucid.vstack([a, b]), lambda a, b: torch.vstack([a, b]),
       (((2, 3), (1, 3)), ((3,), (3,)))),
    Op("split", lambda x: lucid.split(x, 2, axis=1), lambda x: torch.split(x, 2, 1),
       (((3, 5),),)),
    Op("split_sizes", lambda x: x.split([1, 3], axis=0), lambda x: torch.split(x, [1, 3], 0),
       (((4, 2),),)),
    Op("split_unused_piece", lambda x: x.split(2)[1], lambda x: torch.split(x, 2)[1],
       (((5, 2),),)),
    Op("chunk", lambda x: lucid.chunk(x, 3, axis=-1), lambda x: torch.chunk(x, 3, -1),
       (((2, 7),),)),
    Op("unbind", lambda x: lucid.unbind(x, 1), lambda x: torch.unbind(x, 1), (((2, 3, 4),),)),
    Op("flip", lambda x: lucid.flip(x, 0), lambda x: torch.flip(x, (0,)), (((3, 4),),)),
    Op("flip_all", lucid.flip, lambda x: torch.flip(x, tuple(range(x.ndim))), UNARY[:1] +
       (((2, 3, 4),),)),
    Op("pad", lambda x: lucid.pad(x, ((1, 2), (0, 1))),
       lambda x: _pad_torch(x, ((1, 2), (0, 1))), (((3, 4),),)),
    Op("pad_int", lambda x: lucid.pad(x, 1), lambda x: _pad_torch(x, ((1, 1),) * x.ndim),
       (((3, 4),), ((2, 2, 2),))),
    Op("repeat", lambda x: lucid.repeat(x, 2, axis=1),
       lambda x: torch.repeat_interleave(x, 2, 1), (((3, 4),),)),
    Op("repeat_flat", lambda x: x.repeat(3), lambda x: torch.repeat_interleave(x, 3),
       (((2, 3),),)),
    Op("repeat_list", lambda x: lucid.repeat(x, [1, 0, 3], axis=0),
       lambda x: torch.repeat_interleave(x, tconst([1, 0, 3]), 0), (((3, 2),),)),
    Op("tile", lambda x: lucid.tile(x, (2, 3)), lambda x: torch.tile(x, (2, 3)),
       (((3, 4),), ((4,),), ((2, 1, 2),))),
    Op("roll", lambda x: lucid.roll(x, 1, axis=0), lambda x: torch.roll(x, 1, 0), (((3, 4),),)),
    Op("roll_flat", lambda x: x.roll(-2), lambda x: torch.roll(x, -2), (((3, 4),),)),
    Op("roll_multi", lambda x: lucid.roll(x, (1, 2), axis=(0, 1)),
       lambda x: torch.roll(x, (1, 2), (0, 1)), (((3, 4),),)),
    Op("tril", lucid.tril, torch and torch.tril, (((4, 4),), ((2, 3, 5),))),
    Op("triu_k", lambda x: lucid.triu(x, 1), lambda x: torch.triu(x, 1), (((4, 4),), ((3, 5),))),
    Op("diagonal", lucid.diagonal, lambda x: torch.diagonal(x), (((3, 4),), ((4, 3),))),
    Op("diagonal_offset", lambda x: lucid.diagonal(x, 1), lambda x: torch.diagonal(x, 1),
       (((3, 4),),)),
    Op("diagonal_neg_offset", lambda x: x.diagonal(-1), lambda x: torch.diagonal(x, -1),
       (((4, 3),),)),
    Op("diagonal_axes", lambda x: lucid.diagonal(x, 0, 1, 2),
       lambda x: torch.diagonal(x, 0, 1, 2), (((2, 3, 3),),)),
    Op("diag_vector", lucid.diag, torch and torch.diag, (((3,),),)),
    Op("diag_vector_k", lambda x: lucid.diag(x, 1), lambda x: torch.diag(x, 1), (((3,),),)),
    Op("diag_matrix", lucid.diag, torch and torch.diag, (((3, 3),),)),
    Op("meshgrid", lambda a, b: lucid.meshgrid(a, b), lambda a, b: torch.meshgrid(a, b,
       indexing="ij"), (((3,), (4,)),)),
    Op("meshgrid_xy", lambda a, b: lucid.meshgrid(a, b, indexing="xy"),
       lambda a, b: torch.meshgrid(a, b, indexing="xy"), (((3,), (4,)),)),
)

# indexing, gather/scatter, order statistics
_IDX = [[0, 2, 1, 0], [1, 1, 0, 2], [2, 0, 2, 1]]        # (3, 4), values in [0, 3)
_PERM = [[2, 0, 1, 3], [0, 1, 3, 2], [3, 2, 0, 1]]       # unique per row, for scatter
add(
    Op("getitem_int", lambda x: x[1], lambda x: x[1], (((3, 4),), ((2, 3, 4),))),
    Op("getitem_neg_int", lambda x: x[-1, 2], lambda x: x[-1, 2], (((3, 4),),)),
    Op("getitem_slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], (((3, 4),),)),
    Op("getitem_neg_step", lambda x: x[::-1, 1:3], lambda x: x.flip(0)[:, 1:3], (((3, 4),),)),
    Op("getitem_ellipsis", lambda x: x[..., 1], lambda x: x[..., 1], (((2, 3, 4),),)),
    Op("getitem_none", lambda x: x[None, :, None], lambda x: x[None, :, None], (((3, 4),),)),
    Op("getitem_empty_slice", lambda x: x[2:2], lambda x: x[2:2], (((3, 4),),)),
    Op("getitem_int_list_repeat", lambda x: x[[0, 2, 0, 0]], lambda x: x[[0, 2, 0, 0]],
       (((3, 4),),)),
    Op("getitem_int_array", lambda x: x[np.array([[1, 1], [0, 2]])],
       lambda x: x[tconst([[1, 1], [0, 2]])], (((3, 4),),)),
    Op("getitem_int_tensor", lambda x: x[:, const(x, [3, 3, 0])],
       lambda x: x[:, tconst([3, 3, 0])], (((3, 4),), ((2, 5, 4),))),
    Op("getitem_two_arrays", lambda x: x[[0, 2, 2], [1, 1, 3]],
       lambda x: x[[0, 2, 2], [1, 1, 3]], (((3, 4),),)),
    Op("getitem_neg_array", lambda x: x[[-1, 0, -1]], lambda x: x[[-1, 0, -1]], (((3, 4),),)),
    Op("getitem_bool_mask", lambda x: x[x > 0], lambda x: x[x > 0], (((3, 4),),)),
    Op("getitem_bool_rows", lambda x: x[np.array([True, False, True])],
       lambda x: x[tconst([True, False, True])], (((3, 4),),)),
    Op("getitem_bool_tensor", lambda x: x[const(x, [[True, False, True, True]] * 3)],
       lambda x: x[tconst([[True, False, True, True]] * 3)], (((3, 4),),)),
    Op("getitem_mixed", lambda x: x[1:, [0, 0, 2], None],
       lambda x: x[1:, [0, 0, 2], None], (((3, 4),),)),
    Op("getitem_0d", lambda x: x[()], lambda x: x[()], (((),),)),
    Op("setitem_slice", lambda x, v: _setitem(x, (slice(None), 1), v),
       lambda x, v: _setitem(x, (slice(None), 1), v), (((3, 4), (3,)), ((3, 4), ()))),
    Op("setitem_int_array", lambda x, v: _setitem(x, [0, 2], v),
       lambda x, v: _setitem(x, [0, 2], v), (((3, 4), (2, 4)), ((3, 4), (4,)))),
    Op("setitem_mask", lambda x: _setitem(x, x > 0, 0.0), lambda x: _setitem(x, x > 0, 0.0),
       (((3, 4),),)),
    Op("setitem_scalar", lambda x: _setitem(x, (0, 0), 5.0), lambda x: _setitem(x, (0, 0), 5.0),
       (((3, 4),),)),
    Op("index_put", lambda x, v: lucid.index_put(x, ([0, 2], [1, 3]), v),
       lambda x, v: x.index_put((tconst([0, 2]), tconst([1, 3])), v),
       (((3, 4), (2,)), ((3, 4), ()))),
    Op("index_add", lambda x, s: lucid.index_add(x, 0, const(x, [0, 2, 0]), s),
       lambda x, s: x.index_add(0, tconst([0, 2, 0]), s), (((3, 4), (3, 4)),)),
    Op("gather", lambda x: x.gather(1, const(x, _IDX)),
       lambda x: torch.gather(x, 1, tconst(_IDX)), (((3, 4),), ((3, 5),))),
    Op("gather_axis0", lambda x: lucid.gather(x, 0, const(x, _IDX[:2])),
       lambda x: torch.gather(x, 0, tconst(_IDX[:2])), (((3, 4),),)),
    Op("scatter", lambda x, s: x.scatter(1, const(x, _PERM), s),
       lambda x, s: torch.scatter(x, 1, tconst(_PERM), s), (((3, 4), (3, 4)), ((3, 5), (3, 4)))),
    # src larger than index: only its leading index-shaped block is used (PyTorch's rule;
    # PyTorch's own backward rejects this case, so the oracle slices src first)
    Op("scatter_src_larger", lambda x, s: x.scatter(1, const(x, _PERM), s),
       lambda x, s: torch.scatter(x, 1, tconst(_PERM), s[:3, :4]), (((3, 4), (4, 6)),)),
    Op("scatter_value", lambda x: lucid.scatter(x, 1, const(x, _PERM), None, value=0.5),
       lambda x: torch.scatter(x, 1, tconst(_PERM), 0.5), (((3, 4),),)),
    Op("scatter_add", lambda x, s: lucid.scatter_add(x, 1, const(x, _IDX), s),
       lambda x, s: torch.scatter_add(x, 1, tconst(_IDX), s), (((3, 4), (3, 4)),)),
    Op("index_select", lambda x: x.index_select(1, const(x, [3, 0, 3])),
       lambda x: torch.index_select(x, 1, tconst([3, 0, 3])), (((3, 4),), ((2, 5, 4),))),
    Op("take_along_axis", lambda x: lucid.take_along_axis(x, const(x, _IDX), 1),
       lambda x: torch.take_along_dim(x, tconst(_IDX), 1), (((3, 4),),)),
    Op("take", lambda x: lucid.take(x, const(x, [[0, 5], [11, 5]])),
       lambda x: torch.take(x, tconst([[0, 5], [11, 5]])), (((3, 4),),)),
    Op("sort", lambda x: lucid.sort(x)[0], lambda x: torch.sort(x).values,
       (((3, 4),), ((5,),)), domain="distinct"),
    Op("sort_desc_axis0", lambda x: x.sort(axis=0, descending=True)[0],
       lambda x: torch.sort(x, 0, descending=True).values, (((3, 4),),), domain="distinct"),
    Op("topk", lambda x: lucid.topk(x, 2)[0], lambda x: torch.topk(x, 2).values,
       (((3, 4),), ((6,),)), domain="distinct"),
    Op("topk_smallest", lambda x: x.topk(2, axis=0, largest=False)[0],
       lambda x: torch.topk(x, 2, 0, largest=False).values, (((3, 4),),), domain="distinct"),
)


def _setitem(x, index, value):
    """x with x[index] = value, out of place on a fresh copy (a leaf cannot change in place)."""
    y = x * 1.0
    y[index] = value
    return y


# products
add(
    Op("matmul", lucid.matmul, torch and torch.matmul,
       (((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2)), ((4,), (4, 5)),
        ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((0, 4), (4, 2)),
        ((3, 0), (0, 2)))),
    Op("matmul_operator", lambda a, b: a @ b, lambda a, b: a @ b, (((3, 4), (4, 5)),)),
    Op("dot", lucid.dot, lambda a, b: torch.dot(a, b) if a.ndim == 1 else a @ b,
       (((4,), (4,)), ((3, 4), (4, 2)), ((3, 4), (4,)))),
    Op("dot_3d", lucid.dot, lambda a, b: torch.tensordot(a, b, ([2], [1])),
       (((2, 3, 4), (5, 4, 2)),)),
    Op("inner", lucid.inner, torch and torch.inner, (((4,), (4,)), ((2, 4), (3, 4)), ((), (3,)))),
    Op("outer", lucid.outer, torch and torch.outer, (((3,), (4,)),)),
    Op("tensordot", lambda a, b: lucid.tensordot(a, b, axes=2),
       lambda a, b: torch.tensordot(a, b, 2), (((2, 3, 4), (3, 4, 5)),)),
    Op("tensordot_pairs", lambda a, b: lucid.tensordot(a, b, axes=([0, 2], [2, 0])),
       lambda a, b: torch.tensordot(a, b, ([0, 2], [2, 0])), (((2, 3, 4), (4, 5, 2)),)),
    Op("einsum_matmul", lambda a, b: lucid.einsum("ij,jk->ik", a, b),
       lambda a, b: torch.einsum("ij,jk->ik", a, b), (((3, 4), (4, 5)),)),
    Op("einsum_batch", lambda a, b: lucid.einsum("bij,bjk->bik", a, b),
       lambda a, b: torch.einsum("bij,bjk->bik", a, b), (((2, 3, 4), (2, 4, 5)),)),
    Op("einsum_ellipsis", lambda a, b: lucid.einsum("...ij,...jk", a, b),
       lambda a, b: torch.einsum("...ij,...jk", a, b), (((2, 3, 4), (2, 4, 5)),)),
    Op("einsum_reduce", lambda a: lucid.einsum("ijk->j", a),
       lambda a: torch.einsum("ijk->j", a), (((2, 3, 4),),)),
    Op("einsum_outer3", lambda a, b, c: lucid.einsum("i,j,k->ijk", a, b, c),
       lambda a, b, c: torch.einsum("i,j,k->ijk", a, b, c), (((2,), (3,), (4,)),)),
    Op("einsum_broadcast_letter", lambda a, b: lucid.einsum("ij,k->ijk", a, b),
       lambda a, b: torch.einsum("ij,k->ijk", a, b), (((2, 3), (4,)),)),
    Op("einsum_drop_letter", lambda a, b: lucid.einsum("ij,kj->i", a, b),
       lambda a, b: torch.einsum("ij,kj->i", a, b), (((2, 3), (4, 3)),)),
)

# compositions that appear in every model (activations, losses, normalisation by hand)
add(
    Op("softplus_by_hand", lambda x: lucid.log1p(lucid.exp(x)),
       lambda x: torch.log1p(torch.exp(x)), UNARY[:1]),
    Op("tanh_of_matmul", lambda a, b: lucid.tanh(a @ b).sum(axis=0),
       lambda a, b: torch.tanh(a @ b).sum(0), (((3, 4), (4, 5)),)),
    Op("softmax_by_hand", lambda x: lucid.exp(x - x.logsumexp(axis=-1, keepdims=True)),
       lambda x: torch.softmax(x, -1), _RED),
    Op("normalize_by_hand",
       lambda x: (x - x.mean(axis=0, keepdims=True)) / lucid.sqrt(x.var(axis=0, keepdims=True)
                                                                   + 1e-5),
       lambda x: (x - x.mean(0, keepdim=True)) / torch.sqrt(x.var(0, keepdim=True,
                                                                  unbiased=False) + 1e-5),
       _RED),
    Op("linear_by_hand", lambda x, w, b: x @ w.T + b, lambda x, w, b: x @ w.T + b,
       (((2, 3), (4, 3), (4,)), ((5, 2, 3), (4, 3), (4,)))),
)

NAMES = [op.name for op in REGISTRY]
assert len(set(NAMES)) == len(NAMES), "duplicate registry names"
BY_NAME = {op.name: op for op in REGISTRY}
