"""``python -m bench``: the side-by-side training benchmark (see ``bench/run.py``)."""

import sys

from bench.run import entry

sys.exit(entry())
