"""Config check of run.mode=serve (registry kind "check", name "web"): the [serve] extra installed,
and no address other than loopback without a token. (The numeric keys' ranges: config/ranges.py.)"""

from __future__ import annotations

import ipaddress
from importlib.util import find_spec
from typing import Any

EXTRA = "pip install 'coral_inference[serve]'"
MODULES = ("aiohttp", "aiortc", "prometheus_client")  # what run.mode=serve imports


def is_loopback(host: str) -> bool:
    text = str(host).strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def missing_modules() -> list[str]:
    import sys

    missing = []
    for name in MODULES:
        try:
            found = sys.modules.get(name, False) is not None and find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def check(config: Any, issues: Any) -> None:
    def add(key: str, message: str, value: Any, expected: str) -> None:
        issues.add(key, message, value=value, expected=expected)

    web = config.services.web  # numeric ranges: config/ranges.py
    if getattr(config.run.mode, "value", config.run.mode) != "serve":
        return
    missing = missing_modules()
    if missing:
        add("run.mode", f"run.mode=serve needs {', '.join(missing)}, which is not installed", "serve",
            f"the serve extra: {EXTRA}")
    if not str(web.host).strip():
        add("services.web.host", "no address to listen on", web.host, "127.0.0.1 (loopback) or an address")
    if web.token is not None and not str(web.token).strip():
        add("services.web.token", "a blank token (empty or whitespace) protects nothing", "(blank)",
            "a token of visible characters (services.web.token=${oc.env:CORAL_WEB_TOKEN}), or null")
    elif not is_loopback(web.host) and not web.token:
        add("services.web.host", "listening on an address other than loopback without services.web.token "
            "would let anyone who reaches it watch the cameras and stop the streams", web.host,
            "127.0.0.1, or a token: services.web.token=${oc.env:CORAL_WEB_TOKEN}")
