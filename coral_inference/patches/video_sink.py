"""video_sink: annotated frames to video files (services.recording), through OpenCV's VideoWriter."""

from __future__ import annotations

from typing import Any

from .base import Patch


class VideoSink(Patch):
    name = "video_sink"
    description = "record annotated frames in rotating segments (services.recording)"
    supports = {"opencv": ">=4.5,<6"}

    def start(self, context: Any) -> bool:
        rec = context.config.services.recording
        if not rec.enabled:
            return self.skip("services.recording.enabled is false")
        # The pipeline opens the recorder (it knows the run directory and the frame size).
        self.detail = f"segments of {rec.segment_s}s, keep {rec.retain}, codec {rec.codec}, under {rec.path}"
        return True


PATCH = VideoSink()
