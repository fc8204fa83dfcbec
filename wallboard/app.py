"""Module-level Faust app for ``faust -A wallboard.app worker``.

Settings come from the TOML file named by ``$WALLBOARD_CONFIG`` (defaults when unset).
``wallboard worker`` is the friendlier way to run the same app.
"""

from __future__ import annotations

import os

from streams.worker import create_app

from .settings import load_settings

app = create_app(load_settings(os.environ.get("WALLBOARD_CONFIG") or None))
