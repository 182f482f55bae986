"""The cpu backend keeps freed large blocks for reuse (lucid/backend/_malloc.py), and the
LUCID_MALLOC_TUNING=0 switch leaves the C library alone."""

import os
import subprocess
import sys

import pytest

import lucid.backend


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_tuning_is_applied_on_linux_and_can_be_switched_off():
    assert lucid.backend.ALLOCATOR_TUNED is True
    env = dict(os.environ, LUCID_MALLOC_TUNING="0")
    out = subprocess.run([sys.executable, "-c", "import lucid.backend as b; "
                          "print(b.ALLOCATOR_TUNED)"], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
