"""WebRTC preview: one aiortc peer per viewer per stream, fed the newest annotated frame.

``PreviewTrack.recv`` waits for a frame newer than the last one sent, at most ``max_fps`` a second
(a viewer never sees a queue: a frame that came while the encoder was busy is simply replaced).
A peer holds its page's viewer slot (``services.web.max_viewers`` counts pages: a page's peers share
one) until its connection fails or closes, the viewer says goodbye (DELETE), or the service stops.
"""

from __future__ import annotations

import asyncio
import fractions
import itertools
import time
from typing import Any

from .preview import PreviewHub

CLOCK = 90000  # the RTP video clock
IDLE_S = 1.0  # with no new frame (a paused stream), the last one is sent again after this long



CONNECT_TIMEOUT_S = 15.0  # an answered offer must connect within this, or its viewer slot is freed

class BadOffer(ValueError):
    """A malformed or unusable SDP offer (400)."""


def _track_class() -> type:
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError

    class PreviewTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self, hub: PreviewHub, name: str, counters: Any):
            super().__init__()
            self.hub, self.name, self.counters = hub, name, counters
            self.seq = 0
            self._start: float | None = None
            self._sent_at = 0.0

        async def recv(self) -> Any:
            import av

            if self.readyState != "live":
                raise MediaStreamError
            wait = self._sent_at + self.hub.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.seq = await self.hub.wait_newer(self.name, self.seq, IDLE_S)
            _, image = await asyncio.to_thread(self.hub.image, self.name)
            if image is None:
                image = _blank(self.hub.width)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            now = time.monotonic()
            if self._start is None:
                self._start = now
            self._sent_at = now
            frame.pts = int((now - self._start) * CLOCK)
            frame.time_base = fractions.Fraction(1, CLOCK)
            if self.counters is not None:
                self.counters.count(frames_sent=1)
            return frame

    return PreviewTrack


def _blank(width: int) -> Any:
    import numpy as np

    return np.zeros((width * 9 // 16 // 2 * 2, width, 3), np.uint8)


class Peers:
    """Open peers, by id; at most ``slots()`` previews at once (shared with MJPEG clients)."""

    def __init__(self, hub: PreviewHub, counters: Any, ice_servers: tuple, take_slot: Any, give_slot: Any):
        self.hub, self.counters, self.ice_servers = hub, counters, ice_servers
        self._take, self._give = take_slot, give_slot
        self._peers: dict[str, tuple[Any, str, Any]] = {}
        self._expiry: set[Any] = set()  # the timers of answered offers not yet connected
        self._ids = itertools.count(1)
        self._track = None

    @property
    def open(self) -> int:
        return len(self._peers)

    def _configuration(self) -> Any:
        from aiortc import RTCConfiguration, RTCIceServer

        return RTCConfiguration(iceServers=[RTCIceServer(**server) for server in self.ice_servers])

    async def offer(self, name: str, sdp: str, kind: str, viewer: str | None = None) -> dict[str, Any]:
        """The answer to a browser's offer for stream ``name``. Raises BadOffer (400) or
        LookupError when every slot is taken (503)."""
        from aiortc import RTCPeerConnection, RTCSessionDescription

        if kind != "offer" or not isinstance(sdp, str) or "m=video" not in sdp:
            raise BadOffer("expected {\"type\": \"offer\", \"sdp\": <an SDP offer with a video m-line>}")
        slot = self._take(name, viewer)
        if not slot:
            raise LookupError("too many viewers")
        pc = RTCPeerConnection(self._configuration())
        peer_id = f"p{next(self._ids)}"
        self._peers[peer_id] = (pc, name, slot)
        if self._track is None:
            self._track = _track_class()
        track = self._track(self.hub, name, self.counters)

        @pc.on("connectionstatechange")
        async def _changed() -> None:
            if pc.connectionState == "connected" and self.counters is not None:
                self.counters.count(peers_served=1)
            if pc.connectionState in ("failed", "closed"):
                await self.close(peer_id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            pc.addTrack(track)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # aiortc says what it could not parse or negotiate
            await self.close(peer_id)
            raise BadOffer(f"unusable SDP offer: {type(exc).__name__}: {exc}") from None
        if self.counters is not None:
            self.counters.count(peers_open=1)
        self._expiry.add(asyncio.ensure_future(self._expire(peer_id, pc)))
        return {"id": peer_id, "type": pc.localDescription.type, "sdp": pc.localDescription.sdp}

    async def _expire(self, peer_id: str, pc: Any) -> None:
        """An answered offer that does not connect within CONNECT_TIMEOUT_S frees its viewer slot (offers
        that never connect would otherwise hold every slot, MJPEG viewers' included)."""
        try:
            await asyncio.sleep(CONNECT_TIMEOUT_S)
            if peer_id in self._peers and pc.connectionState != "connected":
                await self.close(peer_id)
        finally:
            self._expiry.discard(asyncio.current_task())

    async def close(self, peer_id: str) -> bool:
        entry = self._peers.pop(peer_id, None)
        if entry is None:
            return False
        pc, name, slot = entry
        self._give(name, slot)
        if self.counters is not None and pc.localDescription is not None:
            self.counters.count(peers_open=-1)
        await pc.close()
        return True

    async def close_all(self) -> None:
        for timer in list(self._expiry):
            timer.cancel()
        await asyncio.gather(*(self.close(p) for p in list(self._peers)), return_exceptions=True)
