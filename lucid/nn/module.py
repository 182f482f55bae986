"""``Module``: the base class of every layer and model.

A module owns three ordered tables, filled by plain attribute assignment: ``_parameters``
(Parameters), ``_buffers`` (Buffers) and ``_modules`` (sub-modules). ``self.fc = Linear(2, 3)``
goes into ``_modules``; reading ``self.fc`` comes back out of it. Each value has one home, so
``parameters()``, ``state_dict()``, ``to()`` and ``train()`` all walk the same tree.
"""

from collections import OrderedDict, namedtuple

from lucid._tensor import Tensor
from lucid.autograd.grad_mode import no_grad
from lucid.backend import canonical_device, get_backend, to_numpy_dtype, to_host
from lucid.nn.parameter import Parameter, Buffer

__all__ = ["Module", "IncompatibleKeys", "StateDictError", "auto_repr",
           "set_state_dict_pass_attr"]

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class StateDictError(KeyError, RuntimeError):
    """A state_dict that does not fit the module (a KeyError for Lucid code, a RuntimeError for
    PyTorch code). Raised before any value is changed."""

    def __str__(self):
        return self.args[0] if self.args else ""


def _addindent(text, spaces):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class _Handle:
    """Returned by ``register_*_hook``; ``remove()`` (or calling it) unregisters the hook."""

    def __init__(self, table, key):
        self.table, self.key = table, key

    def remove(self):
        self.table.pop(self.key, None)

    __call__ = remove


class Module:
    """Base class of layers and models: subclass it, build layers in ``__init__``, and define
    ``forward``. Calling the module runs forward hooks around ``forward``."""

    _hook_ids = 0
    _state_dict_pass_attr = frozenset()  # names left out of state_dict (set_state_dict_pass_attr)

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["device"] = "cpu"

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; "
                "call super().__init__() first in your __init__")
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        for table in (params, buffers, modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            d.pop(name, None)
            params[name] = value
        elif isinstance(value, Buffer):
            d.pop(name, None)
            buffers[name] = value
        elif isinstance(value, Module):
            d.pop(name, None)
            modules[name] = value
        else:
            d[name] = value

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def setattr_raw(self, name, value):
        """Set a plain attribute without registering it (Lucid's escape hatch)."""
        self.__dict__[name] = value

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None to reserve the name) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter expects a Parameter or None, got "
                            f"{type(param).__name__}")
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name, buffer, dtype=None, persistent=True):
        """Register a buffer (a Tensor, array or None); ``persistent=False`` keeps it out of the
        state_dict."""
        if buffer is None:
            self._buffers[name] = None
        else:
            if not isinstance(buffer, Buffer):
                buffer = Buffer(buffer, dtype=dtype)
            elif dtype is not None:
                buffer = Buffer(buffer.astype(dtype))
            setattr(self, name, buffer)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        if module is None:
            self._modules[name] = None
        else:
            setattr(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ running
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        if self._backward_hooks and isinstance(output, Tensor) and output.requires_grad:
            for hook in list(self._backward_hooks.values()):
                output.register_hook(lambda grad, hook=hook, out=output: hook(out, grad))
        return output

    def _add_hook(self, table, hook):
        Module._hook_ids += 1
        table[Module._hook_ids] = hook
        return _Handle(table, Module._hook_ids)

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` before forward; it may return replacement args."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` after forward; it may return a replacement output."""
        return self._add_hook(self._forward_hooks, hook)

    def register_backward_hook(self, hook):
        """Lucid's form: ``hook(output_tensor, grad)`` when the output's gradient is computed."""
        return self._add_hook(self._backward_hooks, hook)

    def register_full_backward_hook(self, hook):
        """``hook(module, grad_input, grad_output)`` once the gradients of the module's tensor
        inputs are known (PyTorch's form); it may return replacement input gradients."""
        return self.register_forward_pre_hook(_FullBackwardHook(self, hook))

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, pre-order, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on this module (PyTorch's order)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def count_parameters(self, recurse=True):
        return sum(p.numel() for p in self.parameters(recurse))

    @property
    def parameter_size(self):
        return self.count_parameters()

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"training mode must be a bool, got {mode!r}")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    def reset_parameters(self):
        """Re-draw the initial values of this module's own parameters (layers override it)."""

    # ------------------------------------------------------------------ devices and dtypes
    def _apply_to_tensors(self, fn):
        """Replace every parameter's and buffer's array by ``fn(array)`` (same Tensor objects, so
        optimizers holding them stay valid); grads follow."""
        with no_grad():
            for module in self.modules():
                for table in (module._parameters, module._buffers):
                    for t in table.values():
                        if t is None:
                            continue
                        new = fn(t)
                        t._data, t._backend = new._data, new._backend
                        if t.grad is not None:
                            t.grad = _move_grad(t.grad, new)
        return self

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)`` or both: moves/casts every parameter and buffer in place
        (floating-point ones only, for a dtype)."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        for arg in args:
            if isinstance(arg, str):
                try:
                    device = canonical_device(arg)
                    continue
                except ValueError:
                    pass
            dtype = arg
        if device is not None:
            device = canonical_device(device)
            get_backend(device)
        np_dtype = to_numpy_dtype(dtype) if dtype is not None else None

        def convert(t):
            out = t
            if device is not None and device != t.device:
                out = Tensor._make(get_backend(device).asarray(to_host(t._data)),
                                   get_backend(device), False, None, 0)
            if np_dtype is not None and out._data.dtype.kind == "f":
                out = Tensor._make(out._data.astype(np_dtype), out._backend, False, None, 0)
            return out

        self._apply_to_tensors(convert)
        if device is not None:
            for module in self.modules():
                module.__dict__["device"] = device
        return self

    def cpu(self):
        return self.to("cpu")

    def gpu(self):
        return self.to("gpu")

    cuda = gpu

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    def half(self):
        return self.to(dtype="float16")

    # ------------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Every parameter and persistent buffer by dotted name: own parameters, own buffers,
        then each child's, in registration order. Values are the raw arrays (Lucid's form), or
        the Tensors themselves with ``keep_vars=True``."""
        destination = OrderedDict() if destination is None else destination
        passed = self._state_dict_pass_attr
        for name, p in self._parameters.items():
            if p is not None and name not in passed:
                destination[prefix + name] = p if keep_vars else p._data
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent and name not in passed:
                destination[prefix + name] = b if keep_vars else b._data
        for name, child in self._modules.items():
            if child is not None and name not in passed:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def _state_targets(self):
        """The Tensors load_state_dict writes into, by dotted name (shared ones under each
        name)."""
        return self.state_dict(keep_vars=True)

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the parameters and buffers.

        Every key, shape and value is checked first; only when all fit is anything written, so a
        bad state_dict leaves the module unchanged. Values are cast to each tensor's dtype and
        copied (the caller's arrays are never aliased). Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"expected a dict-like state_dict, got {type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: "
                              + ", ".join(map(repr, unexpected)))
        staged = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                value = value._data
            try:
                array = target._backend.asarray(
                    to_host(value) if not isinstance(value, target._backend.array_types)
                    and hasattr(value, "__array_namespace__") else value)
            except (TypeError, ValueError) as exc:
                errors.append(f"value for {key!r} cannot be read as an array: {exc}")
                continue
            if tuple(array.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key!r}: copying a value of shape "
                              f"{tuple(array.shape)}, the module has shape {tuple(target.shape)}")
                continue
            staged.append((target, array))
        if errors:
            raise StateDictError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                 + "\n\t".join(errors))
        for target, array in staged:
            target._data[...] = array.astype(target._data.dtype, copy=False)
            target._bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """The layer's own settings, shown inside its repr (layers override it)."""
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        main = type(self).__name__ + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                return main + lines[0] + ")"
            main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def auto_repr(*attr_names):
    """Class decorator (Lucid's): the module's ``extra_repr`` lists ``name=value`` for each of
    ``attr_names``, e.g. ``@auto_repr("in_channels", "reduction")`` gives
    ``SEModule(in_channels=64, reduction=16, ...)``."""
    def wrap(cls):
        def extra_repr(self):
            return ", ".join(f"{name}={getattr(self, name, None)}" for name in attr_names)
        cls.extra_repr = extra_repr
        return cls
    return wrap


def set_state_dict_pass_attr(*attr_names):
    """Class decorator (Lucid's): leave the parameters, buffers or sub-modules named
    ``attr_names`` (own attributes of the class's instances) out of ``state_dict``, and so out
    of what ``load_state_dict`` expects, e.g. a cache kept as a buffer."""
    def wrap(cls):
        cls._state_dict_pass_attr = frozenset(attr_names)
        return cls
    return wrap


def _move_grad(grad, new):
    array = new._backend.asarray(to_host(grad) if not isinstance(grad, new._backend.array_types)
                                 else grad)
    return array.astype(new._data.dtype, copy=False)


class _FullBackwardHook:
    """``hook(module, grad_input, grad_output)`` for PyTorch's register_full_backward_hook.

    Before forward, each input tensor that requires grad is passed through ``clone`` (an
    identity node) so its gradient can be watched; after forward, the output's gradient is
    recorded. When the last input gradient arrives the hook runs; what it returns replaces that
    input's gradient (all of them when the module has one tensor input, the common case).
    """

    def __init__(self, module, hook):
        self.module, self.hook = module, hook

    def __call__(self, module, args):
        from lucid.ops import clone

        state = {"grad_output": None, "grads": {}}
        watched = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not watched:
            return None
        new_args = list(args)
        for i in watched:
            new_args[i] = clone(args[i])
            new_args[i].register_hook(self._input_hook(state, i, watched))

        def record_output(module, inputs, output):
            if isinstance(output, Tensor) and output.requires_grad:
                output.register_hook(lambda g: state.__setitem__("grad_output", (g,)))
            handle.remove()

        handle = module.register_forward_hook(record_output)
        return tuple(new_args)

    def _input_hook(self, state, index, watched):
        def on_grad(grad):
            state["grads"][index] = grad
            if len(state["grads"]) < len(watched):
                return None
            grad_input = tuple(state["grads"].get(i) for i in range(max(watched) + 1))
            result = self.hook(self.module, grad_input, state["grad_output"] or (None,))
            if result is None:
                return None
            result = result if isinstance(result, tuple) else (result,)
            return result[index] if index < len(result) else None
        return on_grad
