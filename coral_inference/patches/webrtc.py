"""webrtc: the live WebRTC preview of run.mode=serve (services.webrtc). Enabled, it puts a
WebRtcService (settings + counters) in context.services['webrtc']; the web service serves the peers
and counts them; ``disable`` records what really happened (peers served, frames sent)."""

from __future__ import annotations

from typing import Any

from .base import Patch


class WebRtc(Patch):
    name = "webrtc"
    description = "the live WebRTC preview of run.mode=serve (services.webrtc)"

    def start(self, context: Any) -> bool:
        cfg = context.config.services.webrtc
        if not cfg.enabled:
            return self.skip("services.webrtc.enabled is false")
        mode = getattr(context.config.run.mode, "value", context.config.run.mode)
        if mode != "serve":
            return self.skip(f"run.mode={mode} has no live preview (run.mode=serve serves one)")
        from ..services.webrtc import WebRtcService, WebRtcSettings

        service = context.services[self.name] = WebRtcService(WebRtcSettings.from_config(cfg))
        self.detail = service.describe()
        return True

    def disable(self, context: Any) -> None:
        service = context.services.pop(self.name, None)
        if service is None:
            return
        self.detail = service.describe()
        for state in getattr(context, "patches", ()):  # the summary's entry says what really happened
            if state.name == self.name:
                state.detail = self.detail


PATCH = WebRtc()
