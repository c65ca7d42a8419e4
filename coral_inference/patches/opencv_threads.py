"""opencv_threads: cap OpenCV's worker threads so TFLite inference keeps the cores."""

from __future__ import annotations

import os
from typing import Any

from .base import Patch, needs_opencv


def thread_cap(context: Any) -> int:
    """Half the cores (platform.cpu_cores or os.cpu_count()), at least one."""
    cores = context.config.platform.cpu_cores or os.cpu_count() or 1
    return max(1, int(cores) // 2)


class OpenCvThreads(Patch):
    name = "opencv_threads"
    description = "cap OpenCV's threads (cv2.setNumThreads) to half the cores so inference keeps the rest"
    supports = {"opencv": ">=4.5,<6"}

    def start(self, context: Any) -> bool:
        if not needs_opencv(context):
            self.detail = "OpenCV not loaded in this run mode; nothing to cap"
            return True
        import cv2

        cap = thread_cap(context)
        context.services[self.name] = {"previous": cv2.getNumThreads(), "threads": cap}
        cv2.setNumThreads(cap)
        self.detail = f"cv2.setNumThreads({cap}) (was {context.services[self.name]['previous']})"
        return True

    def disable(self, context: Any) -> None:
        state = context.services.pop(self.name, None)
        if state:
            import cv2

            cv2.setNumThreads(state["previous"])


PATCH = OpenCvThreads()
