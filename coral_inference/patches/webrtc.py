"""webrtc: validated ICE servers for plugins (context.services['webrtc']). No live preview here."""

from __future__ import annotations

from typing import Any

from .base import Patch

NO_PREVIEW = ("no live WebRTC preview exists in coral_inference; the ICE servers are validated and "
              "exposed to plugins as context.services['webrtc']")


class WebRtc(Patch):
    name = "webrtc"
    description = "expose validated ICE servers to plugins (no live preview is built in)"

    def start(self, context: Any) -> bool:
        cfg = context.config.services.webrtc
        if not cfg.enabled:
            return self.skip("services.webrtc.enabled is false")
        from ..services.webrtc import WebRtcSettings

        context.services[self.name] = WebRtcSettings.from_config(cfg)
        self.detail = NO_PREVIEW
        return True


PATCH = WebRtc()
