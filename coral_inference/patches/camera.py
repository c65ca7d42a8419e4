"""camera: live capture (camera index or stream URL) with a small buffer and reconnect with backoff."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .base import Patch


@dataclass(frozen=True)
class CaptureSettings:
    buffer_size: int = 1  # CAP_PROP_BUFFERSIZE: frames queued in the driver (1: always the newest)
    reconnect_attempts: int = 5  # after a failed read, before giving up
    backoff_s: float = 0.5  # first wait; doubles each attempt
    backoff_max_s: float = 8.0


class Camera(Patch):
    name = "camera"
    description = "live sources: capture buffer of 1 frame, reconnect with exponential backoff on a dropped stream"
    supports = {"opencv": ">=4.5,<6"}

    def start(self, context: Any) -> bool:
        settings = CaptureSettings()
        context.services[self.name] = settings
        self.detail = ", ".join(f"{k}={v}" for k, v in asdict(settings).items())
        return True


PATCH = Camera()
