"""``lucid.nn.functional``: the stateless form of every layer (``F.linear``, ``F.conv2d``, ...).
Each family lives in its own file; this module gathers their names."""

from lucid.nn.functional._linear import *  # noqa: F401,F403
from lucid.nn.functional._activation import *  # noqa: F401,F403
from lucid.nn.functional._loss import *  # noqa: F401,F403
from lucid.nn.functional._dropout import *  # noqa: F401,F403
from lucid.nn.functional._conv import *  # noqa: F401,F403
from lucid.nn.functional._pool import *  # noqa: F401,F403
from lucid.nn.functional._norm import *  # noqa: F401,F403
from lucid.nn.functional._attention import *  # noqa: F401,F403
from lucid.nn.functional._embedding import *  # noqa: F401,F403
from lucid.nn.functional._vision import *  # noqa: F401,F403
from lucid.nn.functional._misc import *  # noqa: F401,F403
from lucid.nn.functional._rnn import *  # noqa: F401,F403
