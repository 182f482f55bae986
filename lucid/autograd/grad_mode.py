"""Grad mode: whether ops record a graph. ``no_grad`` works as a context manager and a decorator."""

import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "grad_enabled", "is_grad_enabled"]

_state = {"enabled": True}


def grad_enabled():
    """True when ops record the graph that backward walks."""
    return _state["enabled"]


is_grad_enabled = grad_enabled


def records(tensor):
    """Will an op on ``tensor`` join a graph (grad mode on, and a tensor that requires grad)?
    For ops that keep something for backward only then."""
    return _state["enabled"] and getattr(tensor, "requires_grad", False)


class set_grad_enabled:
    """Set grad mode to ``mode`` now; as a context manager, restore the previous mode on exit."""

    def __init__(self, mode=True):
        self.prev = _state["enabled"]
        self.mode = bool(mode)
        _state["enabled"] = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self.prev
        return False


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.prev = _state["enabled"]
        _state["enabled"] = self.mode
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph, and their results do not require grad."""

    mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True
