"""Placeholder: filled in by the attention work."""

__all__ = []
