"""Module-level Faust app for ``faust -A streams.app worker``.

Settings come from the TOML file named by ``$WALLBOARD_CONFIG`` (defaults when unset).
``wallboard worker`` is the friendlier way to run the same app.
"""

from __future__ import annotations

import os

from .config import load_settings
from .worker import create_app

app = create_app(load_settings(os.environ.get("WALLBOARD_CONFIG") or None))
