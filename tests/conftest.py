import numpy as np
import pytest

import lucid


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state, and grad mode on."""
    lucid.random.seed(0)
    with lucid.enable_grad():
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
