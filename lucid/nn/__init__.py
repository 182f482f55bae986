"""``lucid.nn``: modules, parameters, layers, ``functional`` and ``init``."""

from lucid.nn.parameter import Parameter, Buffer
from lucid.nn.module import Module, StateDictError, auto_repr, set_state_dict_pass_attr
from lucid.nn.containers import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from lucid.nn import functional, init
from lucid.nn.modules import *  # noqa: F401,F403
from lucid.nn import utils
