"""Placeholder: filled in by the pool work."""

__all__ = []
