"""``lucid.utils``: a progress bar for training loops and ``summary`` of a model."""

from lucid.utils.progress import progress
from lucid.utils.summary import summary

__all__ = ["progress", "summary"]
