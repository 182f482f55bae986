"""Placeholder: filled in by the transformer work."""

__all__ = []
