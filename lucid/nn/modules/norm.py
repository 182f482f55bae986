"""Placeholder: filled in by the norm work."""

__all__ = []
