"""The recording sink (registry sink "recording", streams/sinks.py): one stream recorded into
``<services.recording.path>/<stream>/`` (inside the run folder), as docs/recording.md describes.

On the first frame it decides how: an RTSP URL or a video file whose video is H.264 is recorded by
copying its packets (services/copy.py: no decode, no encode, the camera's timestamps), unless
``services.recording.draw`` asks for results drawn in; anything else is encoded (services/recording.py:
H.264 stamped with each frame's arrival time, a file or folder at its own frame rate). With
``services.recording.events.enabled`` a ring of recent video is kept and ``clip(event)`` (attached to
the stream's event hub as ``clip``) writes a clip around each event.

A recording that cannot be written is ``failed`` with one reason: in ``state()`` (the stream's status,
/api/streams, the page), the summary, and the run's status (``degraded``); it is printed once, and what
could not be recorded after it is counted (``lost``), never printed again.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Optional


def _field(obj: Any, name: str) -> Any:
    """A setting of a frozen config entry (an attribute, or a mapping's key)."""
    value = getattr(obj, name, None)
    if value is None and hasattr(obj, "get"):
        value = obj.get(name)
    return value or ()


class RecordingSink:
    def __init__(self, stream: Any, context: Any):
        self.cfg = context.config.services.recording
        self.stream = stream
        self.context = context
        self.run_dir = Path(stream.run_dir)
        base = Path(self.cfg.path).expanduser()
        self.directory = (base if base.is_absolute() else self.run_dir / base) / stream.name
        self.status = "waiting"  # waiting (no frame yet) | recording | failed | stopped
        self.mode: Optional[str] = None  # copy | encode
        self.reason: Optional[str] = None  # why the recording failed
        self.copy_unavailable: Optional[str] = None  # why packets are not copied (encode mode)
        self.lost = 0  # frames (encode) or write attempts after the failure, not recorded
        self.store: Any = None
        self.clips: Any = None
        self.recorder: Any = None
        self.copier: Any = None
        self.source_lost: Optional[str] = None
        self._lock = threading.Lock()
        self._detach: Any = None
        self._shape_list: Optional[list] = None
        self._attach()

    # the stream's events ------------------------------------------------------------------------------
    def _attach(self) -> None:
        hub = getattr(self.stream, "events", None)
        if self.cfg.events.enabled and hub is not None and self._detach is None:
            self._detach = hub.attach("clip", self.clip)

    def clip(self, event: dict) -> Optional[str]:
        """The clip for ``event``: its path relative to the run folder at once (the file is complete
        ``post_s`` later); None when the recording failed."""
        if self.status == "failed":
            return None
        try:
            self._prepare()
        except Exception as exc:
            self.failed(exc)
            return None
        at = event.get("_arrived") if isinstance(event, dict) else None
        return self.clips.request(at if isinstance(at, (int, float)) else None)

    def _prepare(self) -> None:
        """The stream's folder, its store and (with events) its clips, once (the first frame or event)."""
        from ..services.mp4 import Clips
        from ..services.retention import Store

        with self._lock:
            if self.store is not None:
                return
            cfg = self.cfg
            self._make_folder()
            store = Store(self.directory, cfg.retain, cfg.retain_days, cfg.max_gb)
            if cfg.events.enabled:
                self.clips = Clips(store, cfg.events.pre_s, cfg.events.post_s, self.run_dir, self._clip_failed)
            self.store = store

    # frames -------------------------------------------------------------------------------------------
    def write(self, result: dict, frame: Any) -> None:
        if frame is None:
            return
        if self.status == "failed":
            self.lost += 1
            return
        if self._detach is None and self.cfg.events.enabled:
            self._attach()  # stream.events may come after the sinks are built
        try:
            if self.mode is None:
                self._start()
            if self.mode == "encode":
                from ..services.recording import annotate, draw_shapes

                image = draw_shapes(annotate(frame, result), self._shapes()) if self.cfg.draw else frame
                self.recorder.write(image, float(result["_arrived"]) if self.stream.live and "_arrived" in result
                                    else None)
        except Exception as exc:
            self.failed(exc)

    def _start(self) -> None:
        from ..services.copy import PacketCopy, probe
        from ..services.mp4 import Segments
        from ..services.recording import Recorder

        cfg = self.cfg
        self._prepare()
        self._attach()
        kind = getattr(self.stream.spec, "source_kind", None)
        container = None
        if cfg.draw:
            self.copy_unavailable = "services.recording.draw is on (results are drawn into the video)"
        else:
            container, self.copy_unavailable = probe(str(self.stream.spec.source), kind)
        if container is not None:
            self.mode = "copy"
            segments = Segments(self.store, cfg.segment_s, self.clips)
            self.recorder = segments
            self.copier = PacketCopy(str(self.stream.spec.source), kind, self.stream.live, container, segments,
                                     self._active, self.failed, self._lost,
                                     follow=None if self.stream.live else self._went_through).start()
        else:
            self.mode = "encode"
            rate = float(cfg.fps or self.stream.source_fps or 10.0)
            self.recorder = Recorder(self.directory, rate, cfg.segment_s, cfg.retain, cfg.codec, store=self.store,
                                     clips=self.clips)
        self.status = "recording"

    def _shapes(self) -> list:
        """The stream's zones and lines (streams.<name>.zones / lines, and the zone_count / line_counter
        blocks of its workflow), once: (kind, name, [(x, y), …]) normalized."""
        if self._shape_list is None:
            shapes = []
            config = getattr(self.stream.spec, "config", None)
            for name, zone in dict(getattr(config, "zones", None) or {}).items():
                shapes.append(("zone", name, [(float(p[0]), float(p[1])) for p in _field(zone, "polygon")]))
            for name, line in dict(getattr(config, "lines", None) or {}).items():
                shapes.append(("line", name, [(float(p[0]), float(p[1])) for p in _field(line, "points")]))
            for label, block in getattr(self.stream, "blocks", ()):
                if getattr(block, "polygon", None):
                    shapes.append(("zone", label, [(float(x), float(y)) for x, y in block.polygon]))
                elif getattr(block, "a", None) is not None and getattr(block, "b", None) is not None:
                    shapes.append(("line", label, [tuple(map(float, block.a)), tuple(map(float, block.b))]))
            self._shape_list = [s for s in shapes if len(s[2]) >= 2]
        return self._shape_list

    def _went_through(self) -> int:
        """A file's frames the stream went through: its results and the frames motion gating skipped (what
        the recording of a file holds; frames read ahead and never processed are not in it)."""
        stats = self.stream.stats
        return stats.frames + stats.gated

    def _make_folder(self) -> None:
        from ..files import ensure_dir

        try:
            parts = self.directory.relative_to(self.run_dir).parts
        except ValueError:
            raise ValueError(f"services.recording.path: {self.cfg.path!r} is outside the run folder "
                             f"{str(self.run_dir)!r}; expected a relative folder inside it") from None
        ensure_dir(self.run_dir, *parts, what="recording folder")

    def _active(self) -> bool:
        status = self.stream.status
        if self.stream.live:
            return status in ("starting", "running", "reconnecting")
        return status != "paused"  # a file: copied as far as the stream read it (PacketCopy follow)

    def _lost(self, why: str) -> None:
        self.source_lost = why

    def _clip_failed(self, exc: BaseException) -> None:
        self.failed(exc)

    def failed(self, exc: BaseException) -> None:
        """The recording cannot go on: failed with one reason, said once; the run is degraded."""
        from ..redaction import redact_text

        with self._lock:
            if self.status == "failed":
                self.lost += 1
                return
            self.status = "failed"
            render = getattr(exc, "render", None)
            text = render() if callable(render) else f"{type(exc).__name__}: {exc}"
            self.reason = redact_text(f"cannot write a recording in {str(self.directory)!r}: {text}")
        name = self.stream.name
        problems = getattr(self.context, "problems", None)
        if isinstance(problems, dict):
            problems[f"streams.{name}.recording"] = self.reason
        note = getattr(self.context, "note", None)
        if callable(note):
            note("recording", f"{name}: recording failed: {self.reason}", "warning")
        print(f"coral-run: stream {name!r}: recording failed: {self.reason} (the stream goes on; the run is degraded)",
              file=sys.stderr, flush=True)

    # reports ------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "mode": self.mode, "reason": self.reason, "lost": self.lost}
        if self.copy_unavailable and self.mode == "encode":
            out["copy_unavailable"] = self.copy_unavailable
        if self.store is not None:
            out["segments"] = len(self.store.paths("segment"))
            out["deleted"] = dict(self.store.deleted)
        if self.clips is not None:
            out["clips"] = self.clips.report()
        return out

    def close(self) -> Optional[dict]:
        if self.copier is not None:
            self.copier.stop()
        if self.recorder is not None:
            try:
                self.recorder.close()
            except Exception as exc:
                self.failed(exc)
        if self._detach is not None:
            self._detach()
            self._detach = None
        if self.status == "recording":
            self.status = "stopped"
        report: dict[str, Any] = {"directory": str(self.directory), **self.state()}
        if self.recorder is None:
            return {**report, "segments_written": 0}
        if self.mode == "encode":
            report.update({k: v for k, v in self.recorder.report().items() if k not in report or k == "mode"})
        else:
            segments = self.recorder
            report.update({"segments_written": len(segments.written), "packets": segments.packets,
                           "kept": [{"file": str(self.directory / e["file"]), "frames": e.get("frames"),
                                     "seconds": e.get("seconds")} for e in self.store.kept("segment")],
                           "reconnects": self.copier.reconnects if self.copier else 0})
        report["retention"] = self.store.report()
        return report

    def files(self) -> list[Path]:
        """The finished segments, then the finished clips."""
        if self.store is None:
            return []
        return self.store.paths("segment", finished_only=True) + self.store.paths("clip", finished_only=True)
