"""Placeholder: filled in by the embedding work."""

__all__ = []
