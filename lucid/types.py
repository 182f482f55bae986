"""``lucid.types``: Lucid 2's module of type names: the dtype class ``Numeric`` and its
instances (``Float32``, ``Int64``, ...). They live in ``lucid.backend.dtypes``; this module
re-exports them under the old path, so ``from lucid.types import Numeric`` keeps working.
"""

from lucid.backend.dtypes import (Numeric, Float16, Float32, Float64, Int8, Int16,  # noqa: F401
                                  Int32, Int64, UInt8, Bool, Complex64, Complex128, Float, Int,
                                  Complex)

__all__ = ["Numeric", "Float16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "UInt8",
           "Bool", "Complex64", "Complex128", "Float", "Int", "Complex"]
