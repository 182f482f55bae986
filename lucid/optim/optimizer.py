"""The ``Optimizer`` base class: parameter groups, the per-parameter loop, and checkpoints.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus hyperparameters such as
``"lr"``) and ``state`` (a dict keyed by parameter, holding the moment estimates and step counts
of each). ``step()`` walks every parameter that has a gradient and calls the subclass's
``update_param(param, grad, state, group)``: ONE readable update rule per optimizer, written on
the raw arrays (``p.data``, ``p.grad``) with the array module ``xp`` of those arrays, updating
them in place. The update never touches the autograd graph, so no ``no_grad`` block is needed.

``state_dict()`` uses PyTorch's layout, so a checkpoint reads the same in both libraries::

    {"state": {0: {"step": 3, "exp_avg": array, ...}, 1: {...}},   # keyed by parameter index
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}]}           # params as index lists
"""

import copy
from collections import defaultdict

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import enable_grad
from lucid.backend import get_backend, is_array, xp_of

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of every optimizer.

    ``Optimizer(params, defaults)``: ``params`` is an iterable of Parameters (Tensors), or a list
    of dicts, each a parameter group ``{"params": [...], "lr": ..., ...}`` whose missing entries
    are taken from ``defaults``. A parameter may belong to one group only.

    Subclasses pass their hyperparameters as ``defaults``, check them in ``_validate(group)``
    (called for the defaults and for every group added or loaded, before anything changes) and
    implement ``update_param``.
    """

    def __init__(self, params, defaults):
        self._validate(defaults)
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts, got a single Tensor; "
                "wrap it in a list")
        if isinstance(params, dict):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def _validate(self, group):
        """Raise ValueError naming a bad hyperparameter of ``group`` (a dict). Checks ``lr``."""
        lr = group.get("lr", 0.0)
        if not is_number(lr) or not lr >= 0.0:
            raise ValueError(f"invalid learning rate: {lr!r} (must be a number >= 0)")

    def add_param_group(self, param_group):
        """Add a group ``{"params": [...], <hyperparameter overrides>}`` (e.g. layers unfrozen
        during fine-tuning). Missing hyperparameters come from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a param group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a set's order changes "
                            "between runs, which would scramble the state_dict); use a list")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"an optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one produced by an op)")

        group = dict(param_group)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)

        # Parameters are compared by identity: Tensor.__eq__ is elementwise.
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError("a param group contains the same parameter twice; it would be "
                             "updated twice per step")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: set it to None (the default, which frees memory),
        or fill the existing array with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs with grad
        mode on, even when ``step`` is called inside ``no_grad``.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_grads()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.update_param(p.data, p.grad, self.state[p], group)
                p._bump_version()  # an in-place write: graphs that saved the old value must notice
        return loss

    def _check_grads(self):
        """Every gradient must have its parameter's shape (an in-place update would broadcast
        a wrong one silently); checked for all before any parameter changes."""
        for i, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                if p.grad is not None and tuple(p.grad.shape) != tuple(p.data.shape):
                    raise ValueError(f"parameter {j} of group {i} has shape "
                                     f"{tuple(p.data.shape)} but its gradient has shape "
                                     f"{tuple(p.grad.shape)}")

    def update_param(self, param, grad, state, group):
        """Update the array ``param`` in place from ``grad``; ``state`` is this parameter's dict
        (empty on the first step), ``group`` its parameter group."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_param")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """A snapshot of the optimizer in PyTorch's layout (see the module docstring).

        Parameters are replaced by their index in the concatenation of all groups' ``params``.
        The state arrays are copies, so later steps do not change a snapshot already taken.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: _copy_value(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state from ``state_dict`` (as returned by ``state_dict``).

        Everything is checked (group count and sizes, parameter indices, state shapes,
        hyperparameters) before anything changes; state arrays are copied onto each parameter's
        device, floating ones cast to its dtype (``step`` counts stay as they are).
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise ValueError("not an optimizer state_dict: expected a dict with 'state' and "
                             "'param_groups' entries")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state_dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        by_index = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_params = list(saved["params"])
            if len(saved_params) != len(group["params"]):
                raise ValueError(
                    f"loaded state_dict's parameter group {i} has {len(saved_params)} "
                    f"parameters, this optimizer's has {len(group['params'])}")
            for idx, p in zip(saved_params, group["params"]):
                by_index[int(idx)] = p
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for key, value in group.items():  # a hyperparameter the checkpoint predates
                new_group.setdefault(key, value)
            new_group["params"] = group["params"]
            self._validate(new_group)
            new_groups.append(new_group)

        new_state = defaultdict(dict)
        for key, entry in state_dict["state"].items():
            idx = int(key)
            if idx not in by_index:
                raise ValueError(f"loaded state_dict has state for parameter index {key!r}, "
                                 f"which no parameter group lists")
            p = by_index[idx]
            new_state[p] = {name: self._load_value(p, name, value)
                            for name, value in entry.items()}

        self.param_groups[:] = new_groups
        self.state = new_state

    def _load_value(self, param, name, value):
        """``value`` of state entry ``name`` copied onto ``param``'s device (and dtype)."""
        if isinstance(value, (list, tuple)):
            return type(value)(self._load_value(param, name, v) for v in value)
        if isinstance(value, Tensor):
            value = value.data
        if not (is_array(value) or hasattr(value, "__array__")):
            return copy.deepcopy(value)
        backend = get_backend(param.device)
        array = backend.asarray(value)
        if array.ndim == 0:  # a scalar saved as a 0-d array: keep it a Python number
            return array.item()
        self._check_state_shape(param, name, array)
        # Always a copy: asarray may share memory with the source (a host array, a torch
        # tensor), and the optimizer updates its state in place.
        if array.dtype.kind == "f" and name != "step":
            return array.astype(param.data.dtype)
        return array.copy()

    def _check_state_shape(self, param, name, array):
        """A saved state array must have its parameter's shape (LBFGS keeps flat ones)."""
        if tuple(array.shape) != tuple(param.shape):
            raise ValueError(f"loaded state {name!r} has shape {tuple(array.shape)}, its "
                             f"parameter has shape {tuple(param.shape)}")

    # ------------------------------------------------------------------ display
    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


# ---------------------------------------------------------------------- helpers for the rules
def is_number(x):
    """True for a real number (a bool or a string is not one)."""
    if isinstance(x, (bool, str)):
        return False
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def _copy_value(value):
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    if is_array(value):
        return value.copy()
    return copy.deepcopy(value)


def check_nonnegative(name, value):
    """Raise ValueError naming ``value`` unless it is a number >= 0."""
    if not is_number(value) or not value >= 0.0:
        raise ValueError(f"invalid {name}: {value!r} (must be a number >= 0)")


def check_betas(betas):
    """Raise ValueError unless ``betas`` is a pair of numbers in [0, 1)."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, beta in enumerate((beta1, beta2)):
        if not is_number(beta) or not 0.0 <= beta < 1.0:
            raise ValueError(f"invalid beta parameter at index {i}: {beta!r} "
                             f"(must be in [0, 1))")


def begin_step(state, param, *zeros, **scalars):
    """Count one more step in a parameter's ``state`` and return the count t (1 on the first).

    On the first step (``state`` still empty) the state is created first, in this order:
    ``step = 0``, the ``scalars`` (``name=value``), then a zero array shaped like ``param`` for
    each name in ``zeros`` (the moment estimates, which start at 0). A name given as None is
    skipped, for a buffer that only some settings keep (``"max_exp_avg_sq" if amsgrad else
    None``).
    """
    if not state:
        state["step"] = 0
        state.update(scalars)
        xp = xp_of(param)
        for name in zeros:
            if name is not None:
                state[name] = xp.zeros_like(param)
    state["step"] += 1
    return state["step"]


def signed_grad(param, grad, weight_decay=0.0, maximize=False):
    """A new array ``d = ±grad + weight_decay * param`` (``-grad`` when maximizing).

    This is the coupled (L2) weight decay of PyTorch's rules: the penalty ``λ/2 ||θ||²`` adds
    ``λθ`` to the gradient. The rules use the returned array as their scratch space.
    """
    xp = xp_of(param)
    if weight_decay:
        d = xp.multiply(param, weight_decay)
        if maximize:
            d -= grad
        else:
            d += grad
        return d
    return xp.negative(grad) if maximize else grad.copy()


def lerp_(avg, value, weight):
    """``avg ← avg + weight (value − avg)`` in place (an exponential moving average with
    ``weight = 1 − β``), computed as ``value + β (avg − value)`` to need no temporary."""
    avg -= value
    avg *= 1.0 - weight
    avg += value
    return avg
