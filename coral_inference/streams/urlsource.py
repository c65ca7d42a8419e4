"""A stream URL (rtsp://, http:// MJPEG, rtmp://, udp://, tcp://, srt://) read through PyAV (FFmpeg).

OpenCV's FFmpeg backend opens every capture under one process-wide lock, so N cameras opened by N reader
threads queue behind each other (an RTSP open takes a second or more). PyAV opens and reads with the GIL
released and no such lock: each stream's reader opens its camera at the same time as the others, each
within its own timeout. Frames come out as BGR arrays, as OpenCV's do.
"""

from __future__ import annotations

from typing import Any

from .sources import DEFAULT_FPS, SOURCE_EXPECTED, Source, SourceError


def _options(text: str) -> dict[str, str]:
    if text.lower().startswith(("rtsp://", "rtsps://")):
        return {"rtsp_transport": "tcp"}  # what OpenCV asks for too: no lost UDP packets on a busy link
    return {}


class UrlSource(Source):
    kind = "url"
    live = True

    def __init__(self, text: str, timeout_s: float):
        super().__init__(text, timeout_s)
        self.container: Any = None
        self._packets: Any = None
        self._pending: list = []

    def _open(self) -> None:
        import av

        from ..redaction import redact_url_credentials

        self.close()
        try:
            container = av.open(self.text, options=_options(self.text), timeout=(self.timeout_s, self.timeout_s))
        except (av.FFmpegError, OSError) as exc:
            shown = redact_url_credentials(self.text)
            reason = redact_url_credentials(str(exc)).replace(self.text, shown)
            raise SourceError(f"cannot open {shown!r} as a url within {self.timeout_s:g} s: {reason} "
                              f"(expected {SOURCE_EXPECTED})") from None
        if not container.streams.video:
            container.close()
            raise SourceError(f"{redact_url_credentials(self.text)!r} has no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate and 0 < float(rate) < 1000 else DEFAULT_FPS
        self.container = container
        self._packets = container.demux(stream)
        self._pending = []

    def read(self) -> Any:
        """The next frame (BGR), or None when the stream ended or was lost (the reader reconnects). A packet
        that does not decode is skipped (counted in ``unreadable``), not a lost stream."""
        import av

        while not self._pending:
            if self._packets is None:
                return None
            try:
                packet = next(self._packets)
            except (StopIteration, av.FFmpegError, OSError, EOFError):
                return None
            try:
                self._pending = list(packet.decode())
            except av.InvalidDataError:
                self.unreadable += 1
        return self._pending.pop(0).to_ndarray(format="bgr24")

    def close(self) -> None:
        self._packets, self._pending = None, []
        if self.container is not None:
            container, self.container = self.container, None
            try:
                container.close()
            except Exception:  # a lost connection may fail its close too
                pass
