"""``lucid.port``: Lucid 2's name for the checkpoint module (``lucid.save`` / ``lucid.load``).

Everything lives in ``lucid.serialization``; this module re-exports it under the old name.
"""

from lucid.serialization import (save, load, save_safetensors, load_safetensors,  # noqa: F401
                                 FORMAT_VERSION, EXTENSIONS)

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "FORMAT_VERSION", "EXTENSIONS"]
