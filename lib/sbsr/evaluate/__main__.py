"""``python -m sbsr.evaluate``: see :mod:`sbsr.evaluate.cli`."""

import sys

from .cli import main

sys.exit(main())
