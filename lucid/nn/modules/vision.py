"""Placeholder: filled in by the vision work."""

__all__ = []
