"""Test media written by OpenCV in the test itself (nothing downloaded, nothing checked in)."""

from __future__ import annotations

from pathlib import Path


def write_video(path: Path, frames: int, fps: float = 10.0, size=(160, 120), codec: str = "mp4v") -> Path:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {codec} here"
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), (i * 9) % 256, np.uint8)
        cv2.putText(frame, str(i), (size[0] // 3, size[1] // 2), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 255), 2)
        writer.write(frame)
    writer.release()
    return path


def frame_count(path: Path) -> int:
    """Frames OpenCV can actually decode from the file (not the header's claim)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"OpenCV cannot open {path}"
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count
