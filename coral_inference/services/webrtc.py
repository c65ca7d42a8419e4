"""WebRTC settings: ICE servers validated (config time); at run time (run.mode=serve) the live
preview's settings and its counters (what the `webrtc` patch and the summary report).

An ICE server is {urls, username, credential}. Each URL is a STUN or TURN URI (RFC 7064 / 7065):
``stun:host[:port]``, ``turn:host[:port][?transport=udp|tcp]``, ``turns:host[:port][?transport=tcp]``.
A TURN server needs a username and a credential; the credential is a secret (redacted in every
artifact by the summary's secret_keys, never printed).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

URI_RE = re.compile(
    r"^(?P<scheme>stuns?|turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?"
    r"(?:\?transport=(?P<transport>udp|tcp))?$"
)
EXPECTED = "stun:host[:port], turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]"


def check(config: Any, issues: Any) -> None:
    """The registry check "webrtc" (plugins/builtins.py): the ICE servers, when WebRTC is enabled."""
    if not config.services.webrtc.enabled:
        return

    def add(key: str, message: str, value: Any, expected: str) -> None:
        issues.add(key, message, value=value, expected=expected)

    check_servers(config.services.webrtc.ice_servers, add)


def check_servers(servers: Any, add: Any) -> None:
    """Call ``add(key, message, value, expected)`` for every problem in the ICE server list."""
    for i, server in enumerate(servers or ()):
        key = f"services.webrtc.ice_servers[{i}]"
        urls = list(server.urls or ())
        if not urls:
            add(f"{key}.urls", "no URL given", urls, EXPECTED)
        needs_auth = False
        for j, url in enumerate(urls):
            match = URI_RE.match(str(url))
            port = match and match.group("port")
            if not match or (port and not 0 < int(port) < 65536):
                add(f"{key}.urls[{j}]", "not a STUN/TURN URI", url, EXPECTED)
                continue
            if match.group("scheme").startswith("turn"):
                needs_auth = True
            if match.group("scheme") == "turns" and match.group("transport") == "udp":
                add(f"{key}.urls[{j}]", "turns: runs over TLS, which needs tcp", url, "?transport=tcp or none")
        if needs_auth:
            for field in ("username", "credential"):
                if not getattr(server, field):
                    add(f"{key}.{field}", f"a TURN server needs a {field}", None,
                        "a non-empty string (the credential is a secret: prefer ${oc.env:VAR})")


@dataclass(frozen=True)
class WebRtcSettings:
    """The RTCConfiguration iceServers list (browser and server) and the preview size and rate."""

    ice_servers: tuple
    width: int = 480
    max_fps: float = 10.0

    @classmethod
    def from_config(cls, cfg: Any) -> "WebRtcSettings":
        servers = []
        for server in cfg.ice_servers:
            entry: dict[str, Any] = {"urls": list(server.urls)}
            if server.username:
                entry["username"] = server.username
            if server.credential:
                entry["credential"] = server.credential
            servers.append(entry)
        return cls(tuple(servers), int(cfg.width), float(cfg.max_fps))

    def __repr__(self) -> str:  # never show a credential
        return f"WebRtcSettings({[s['urls'] for s in self.ice_servers]}, {self.width}px, {self.max_fps} fps)"


@dataclass
class WebRtcService:
    """context.services['webrtc'] in run.mode=serve: the settings and what the preview really did."""

    settings: WebRtcSettings
    peers_served: int = 0  # peers that connected
    peers_refused: int = 0  # offers turned away (max_viewers, bad SDP)
    peers_open: int = 0
    frames_sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ice_servers(self) -> tuple:
        return self.settings.ice_servers

    def count(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def totals(self) -> dict[str, int]:
        with self._lock:
            return {"peers_served": self.peers_served, "peers_refused": self.peers_refused,
                    "peers_open": self.peers_open, "frames_sent": self.frames_sent}

    def describe(self) -> str:
        t = self.totals()
        return (f"live WebRTC preview: {t['peers_served']} peers served, {t['frames_sent']} frames sent, "
                f"{t['peers_refused']} refused ({self.settings.width}px, at most {self.settings.max_fps:g} fps)")
