"""Placeholder: filled in by the fused work."""

__all__ = []
