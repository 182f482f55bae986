"""Every differentiable primitive of Lucid, grouped by family; forward and VJP side by side."""

from lucid.ops import elementwise as _elementwise, reduce as _reduce, shape as _shape
from lucid.ops import index as _index, matmul as _matmul, creation as _creation
from lucid.ops._util import sum_to
from lucid.ops.elementwise import *  # noqa: F401,F403
from lucid.ops.reduce import *  # noqa: F401,F403
from lucid.ops.shape import *  # noqa: F401,F403
from lucid.ops.index import *  # noqa: F401,F403
from lucid.ops.matmul import *  # noqa: F401,F403
from lucid.ops.creation import *  # noqa: F401,F403

__all__ = (["sum_to"] + _elementwise.__all__ + _reduce.__all__ + _shape.__all__
           + _index.__all__ + _matmul.__all__ + _creation.__all__)
