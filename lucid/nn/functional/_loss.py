"""Placeholder: filled in by the loss work."""

__all__ = []
