import numpy as np
import pytest

import lucid

try:  # one thread: PyTorch's thread pool on a busy 2-core machine costs more than it saves
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, and grad mode on."""
    lucid.random.seed(0)
    with lucid.enable_grad():
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
