"""Every layer family, one file each."""

from lucid.nn.modules.linear import *  # noqa: F401,F403
from lucid.nn.modules.activation import *  # noqa: F401,F403
from lucid.nn.modules.loss import *  # noqa: F401,F403
from lucid.nn.modules.dropout import *  # noqa: F401,F403
from lucid.nn.modules.conv import *  # noqa: F401,F403
from lucid.nn.modules.pool import *  # noqa: F401,F403
from lucid.nn.modules.norm import *  # noqa: F401,F403
from lucid.nn.modules.embedding import *  # noqa: F401,F403
from lucid.nn.modules.vision import *  # noqa: F401,F403
from lucid.nn.modules.rnn import *  # noqa: F401,F403
from lucid.nn.modules.attention import *  # noqa: F401,F403
from lucid.nn.modules.transformer import *  # noqa: F401,F403
from lucid.nn.modules.fused import *  # noqa: F401,F403
from lucid.nn.modules.einops import *  # noqa: F401,F403
