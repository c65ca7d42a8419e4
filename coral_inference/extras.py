"""Optional packages: import one, or stop with exit 2 naming the extra that installs it.

    cv2 = require("cv2", "opencv", "reading video frames")
    web = require("aiohttp", "serve", "run.mode=serve")

A missing optional package is a configuration/installation problem the user fixes with one pip command
(exit 2), never an unexpected error (exit 1, a traceback)."""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError


def require(module: str, extra: str, what: str, key: str | None = None) -> Any:
    """The imported module, or ConfigError (exit 2): '<what> needs <module>: pip install
    'coral_inference[<extra>]''."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        prefix = f"{key}: " if key else ""
        raise ConfigError(f"{prefix}{what} needs the Python package {module!r}, which is not installed or "
                          f"cannot be imported ({exc}); install it with: pip install 'coral_inference[{extra}]'",
                          ) from None
