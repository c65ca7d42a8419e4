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


def codec_of(path: Path) -> tuple:
    """(codec name, pixel format) of the file's video, read with PyAV."""
    import av

    with av.open(str(path)) as container:
        ctx = container.streams.video[0].codec_context
        return ctx.name, ctx.pix_fmt


def write_h264(path: Path, frames: int, fps: int = 10, size=(160, 120), gop: int = 10) -> Path:
    """An H.264 MP4 written with PyAV (libx264): a keyframe every ``gop`` frames."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"g": str(gop), "keyint_min": str(gop),
                                                              "preset": "ultrafast", "tune": "zerolatency"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            image = np.full((size[1], size[0], 3), (i * 9) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def packets_of(path: Path) -> list:
    """(pts, is_keyframe, bytes) of every video packet, in file order."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(p.pts, p.is_keyframe, bytes(p)) for p in container.demux(stream) if p.size]


def write_moving_video(path: Path, frames: int, moving: range, size=(640, 360), fps: float = 30.0) -> Path:
    """A textured still background; a bright square crosses it in the frames of ``moving`` (a mostly still
    scene for motion gating; bench/edgetpu_utilization.py uses it too)."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    background = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3)).astype(np.uint8)
    background = cv2.GaussianBlur(background, (9, 9), 0)
    side = size[0] // 8
    for i in range(frames):
        frame = background.copy()
        if i in moving:
            x = int((i - moving.start) / max(len(moving) - 1, 1) * (size[0] - side))
            cv2.rectangle(frame, (x, size[1] * 7 // 18), (x + side, size[1] * 7 // 18 + side), (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path
