"""``python -m wallboard``: the ``wallboard`` command (the demo starts its children so)."""

import sys

from .cli import main

sys.exit(main())
