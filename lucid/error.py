"""Lucid's own exception types (``lucid.error``), each a subclass of a built-in one."""

__all__ = ["BackwardError", "DeviceMismatchError", "UnknownDeviceError"]


class BackwardError(RuntimeError):
    """A backward pass cannot run: a freed graph, a changed saved tensor, a wrong gradient shape."""


class DeviceMismatchError(RuntimeError):
    """One op was given tensors that live on two devices."""


class UnknownDeviceError(ValueError):
    """A device name that no backend answers to."""
