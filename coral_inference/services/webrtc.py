"""WebRTC settings: ICE servers validated (config time) and handed to plugins (run time).

An ICE server is {urls, username, credential}. Each URL is a STUN or TURN URI (RFC 7064 / 7065):
``stun:host[:port]``, ``turn:host[:port][?transport=udp|tcp]``, ``turns:host[:port][?transport=tcp]``.
A TURN server needs a username and a credential; the credential is a secret (redacted in every
artifact by the summary's secret_keys, never printed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

URI_RE = re.compile(
    r"^(?P<scheme>stuns?|turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?"
    r"(?:\?transport=(?P<transport>udp|tcp))?$"
)
EXPECTED = "stun:host[:port], turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]"


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
    """What plugins read from context.services['webrtc']: the RTCConfiguration iceServers list."""

    ice_servers: tuple

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
        return cls(tuple(servers))

    def __repr__(self) -> str:  # never show a credential
        return f"WebRtcSettings({[s['urls'] for s in self.ice_servers]})"
