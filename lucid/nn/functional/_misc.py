"""Placeholder: filled in by the misc work."""

__all__ = []
