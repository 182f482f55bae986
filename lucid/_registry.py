"""``lucid.register_model``: a decorator that records a model factory in an in-memory registry.

Lucid 2 wraps each model-zoo factory (``resnet_18(num_classes=1000, **kwargs)``) with
``register_model``, which writes ``{name, family, param_size, task}`` into a JSON file inside the
installed package on first use. Writing into the package directory breaks read-only installs, so
here the registry is a dict in memory (``lucid.models_registry()``), and
``lucid.MODELS_REGISTRY_PATH`` is None. An entry's ``family`` (the class name of the model the
factory builds) and ``param_size`` (its parameter count) are known once the factory has been
called; looking them up before that builds the model once, with the factory's defaults.
"""

import functools
import types
from collections.abc import Mapping

__all__ = ["register_model", "models_registry", "MODELS_REGISTRY_PATH"]

MODELS_REGISTRY_PATH = None  # no registry file: the registry lives in memory

_REGISTRY = {}


class ModelEntry(Mapping):
    """One registered factory: a read-only mapping with keys ``name``, ``family``,
    ``param_size``, ``task``. ``family`` and ``param_size`` are filled lazily."""

    _KEYS = ("name", "family", "param_size", "task")

    def __init__(self, name, factory, task):
        self.name, self.factory, self.task = name, factory, task
        self._family = self._param_size = None

    def _record(self, model):
        if self._family is None:
            self._family = type(model).__name__
            count = getattr(model, "count_parameters", None)
            self._param_size = count() if count is not None else None

    def __getitem__(self, key):
        if key not in self._KEYS:
            raise KeyError(key)
        if key in ("family", "param_size") and self._family is None:
            self._record(self.factory())  # built once, with the factory's defaults
        return {"name": self.name, "family": self._family, "param_size": self._param_size,
                "task": self.task}[key]

    def __iter__(self):
        return iter(self._KEYS)

    def __len__(self):
        return len(self._KEYS)

    def __repr__(self):
        return f"ModelEntry(name={self.name!r}, task={self.task!r})"


def _task_of(module_name):
    # lucid.models.<task>.<family file>: Lucid 2's tasks are imgclf, objdet, imggen, seq2seq
    parts = (module_name or "").split(".")
    if "models" in parts[:-1]:
        return parts[parts.index("models") + 1]
    return None


def register_model(func=None, *, name=None, task=None):
    """Register a model factory under its function name (or ``name``); returns a wrapper that
    calls the factory and records the family and parameter count of the first model it builds.

    Usable bare (``@register_model``) or with arguments (``@register_model(task="imgclf")``).
    Registering another function under a taken name raises ValueError; re-registering the same
    function (a module reload) replaces the entry.
    """
    if func is None:
        return functools.partial(register_model, name=name, task=task)
    if not callable(func):
        raise TypeError(f"register_model expects a model factory, got {type(func).__name__}")
    key = name or func.__name__
    old = _REGISTRY.get(key)
    if old is not None:
        same = (getattr(old.factory, "__module__", None), getattr(old.factory, "__qualname__",
                                                                    None))
        if same != (getattr(func, "__module__", None), getattr(func, "__qualname__", None)):
            raise ValueError(f"a model named {key!r} is already registered "
                             f"(by {same[0]}.{same[1]})")
    entry = ModelEntry(key, func, task if task is not None else _task_of(func.__module__))

    @functools.wraps(func)
    def factory(*args, **kwargs):
        model = func(*args, **kwargs)
        if not args and not kwargs:
            entry._record(model)  # only the default configuration defines param_size
        return model

    entry.factory = func
    _REGISTRY[key] = entry
    return factory


def models_registry():
    """The registered factories: a read-only {name: ModelEntry} view."""
    return types.MappingProxyType(_REGISTRY)
