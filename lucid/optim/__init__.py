"""``lucid.optim``: optimizers (one update rule per file) and ``lr_scheduler``.

Not imported by ``import lucid`` (as in Lucid 2): ``import lucid.optim`` loads it, and with it
``lucid.optim.lr_scheduler``. Every optimizer follows PyTorch's update rule and argument names,
so ``optim.Adam(model.parameters(), lr=1e-3)`` reads as it does there.
"""

from lucid.optim.optimizer import Optimizer
from lucid.optim.sgd import SGD
from lucid.optim.adam import Adam
from lucid.optim.adamw import AdamW
from lucid.optim.adamax import Adamax
from lucid.optim.nadam import NAdam
from lucid.optim.radam import RAdam
from lucid.optim.rmsprop import RMSprop
from lucid.optim.rprop import Rprop
from lucid.optim.adagrad import Adagrad
from lucid.optim.adadelta import Adadelta
from lucid.optim.asgd import ASGD
from lucid.optim.lbfgs import LBFGS
from lucid.optim import lr_scheduler

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop",
    "Adagrad", "Adadelta", "ASGD", "LBFGS", "lr_scheduler",
]
