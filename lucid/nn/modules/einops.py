"""Placeholder: filled in by the einops work."""

__all__ = []
