"""The valid range of every numeric key, in one table, checked at validation whether or not the key's
feature is on (config/validate.py runs it after the registry's checks). This is the only place a range
is written: the other checks leave bounds to it and check only relations between keys.

``RANGES`` maps a dotted key pattern (``*`` stands for one level: a dict key or a list index) to a
``Range``. NaN and infinities are refused unless a range says what they mean (none does today: "no
limit" is written ``null`` where a key allows it). Integers are bounded as well, so a huge value is an
error naming the key, not a run that never ends or an overflow deep inside a library.

Adding a numeric key to the schema? Add one line here: tests/config/test_ranges.py walks the schema and fails
for a numeric field without a range. ``coral-runtime config explain KEY`` shows the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator

DAY = 86_400.0


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    doc: str
    integer: bool = False
    low_open: bool = False  # low itself excluded (> low)
    nan: bool = False  # NaN allowed
    inf: bool = False  # +/-inf allowed

    def expected(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        low = f"> {_num(self.low)}" if self.low_open else f">= {_num(self.low)}"
        return f"{kind} {low} and <= {_num(self.high)}"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is out of range (None: fine)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None  # types are the schema's job
        if isinstance(value, float) and math.isnan(value):
            return None if self.nan else "NaN is not a valid value here"
        if isinstance(value, float) and math.isinf(value):
            return None if self.inf else "infinity is not a valid value here"
        if self.integer and isinstance(value, float) and not value.is_integer():
            return "not a whole number"
        if value < self.low or (self.low_open and value == self.low):
            return "too small"
        if value > self.high:
            return "too large"
        return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _i(low: float, high: float, doc: str, **kw: Any) -> Range:
    return Range(low, high, doc, integer=True, **kw)


def _f(low: float, high: float, doc: str, **kw: Any) -> Range:
    return Range(low, high, doc, **kw)


_BACKEND = {
    "min_devices": _i(0, 64, "Edge TPUs a backend needs at least (devices=all)"),
    "num_threads": _i(1, 256, "interpreter threads (CPU kernels)"),
    "workers": _i(1, 256, "CPU interpreters in the pool"),
}

RANGES: dict[str, Range] = {
    "run.warmup": _i(0, 10**9, "warm-up inferences per backend"),
    "run.iterations": _i(1, 10**12, "timed inferences per backend (bench)"),
    "run.min_seconds": _f(0, DAY, "bench: keep timing at least this long (seconds)"),
    "run.max_frames": _i(1, 10**12, "pipeline: stop after N frames (null: no limit)"),
    "run.duration_s": _f(0, 365 * DAY, "pipeline: stop after S seconds (null: no limit)", low_open=True),
    "run.top_k": _i(1, 10_000, "results kept per frame"),
    "run.score_threshold": _f(0, 1, "scores below are left out (null: the task's default)"),
    "run.iou_threshold": _f(0, 1, "detection non-max suppression overlap"),
    "run.max_detections": _i(1, 100_000, "detections kept per frame"),
    "run.min_keypoint_score": _f(0, 1, "pose keypoints below this score are left out"),
    # one thread per request in flight: 64 fit the address space of a 32-bit board (1024 x 8 MiB stacks did not)
    "run.concurrency": _i(1, 64, "bench: requests in flight per backend (null: its worker count)"),
    # Rates have a floor, not just > 0: 1 / max_fps is a wait in seconds (1e-300 would overflow a timestamp).
    "streams.*.max_fps": _f(0.001, 1000, "a stream's frames per second at most (null: as they come)"),
    "streams.*.open_timeout_s": _f(0, 600, "a live source's open (and read) timeout (seconds)", low_open=True),
    "streams.*.in_flight": _i(1, 64, "requests a stream keeps at its backend at once (null: its devices + 1)"),
    "streams.*.reconnect.max_attempts": _i(0, 10**9, "reconnect attempts of a live source (null: forever)"),
    "streams.*.reconnect.backoff_s": _f(0.001, DAY, "first wait before a reconnect (seconds)"),
    "streams.*.reconnect.backoff_max_s": _f(0.001, DAY, "longest wait between reconnects (seconds)"),
    "streams.*.motion.threshold": _i(1, 255, "gray levels a pixel must change to count as moving"),
    "streams.*.motion.min_area": _f(0, 1, "fraction of the frame the largest moving region must cover", low_open=True),
    "streams.*.motion.max_idle_s": _f(0, 365 * DAY, "seconds without inference before a frame is inferred anyway "
                                      "(null: never)", low_open=True),
    "streams.*.motion.mask.*.*.*": _f(0, 1, "motion mask polygon coordinates (normalized)"),
    "streams.*.tracker.max_age_s": _f(0, DAY, "a track not seen this long ends (seconds)", low_open=True),
    "streams.*.tracker.min_hits": _i(1, 10_000, "frames an object is seen in before it is a track"),
    "streams.*.tracker.iou_threshold": _f(0, 1, "box overlap that continues a track", low_open=True),
    "streams.*.tracker.snapshot_interval_s": _f(0, DAY, "at most one better-snapshot update per track this often"),
    "streams.*.zones.*.polygon.*.*": _f(0, 1, "a zone's corner, normalized (0..1 of the frame)"),
    "streams.*.zones.*.min_frames": _i(1, 1_000_000, "frames in a row inside/outside before enter/leave"),
    "streams.*.lines.*.points.*.*": _f(0, 1, "a line's end, normalized (0..1 of the frame)"),
    "platform.max_devices": _i(0, 64, "Edge TPUs the platform can hold"),
    "platform.cpu_cores": _i(1, 4096, "CPU cores (null: os.cpu_count())"),
    "platform.detect.min_pci": _i(0, 64, "platform=auto: PCIe Edge TPUs needed"),
    "platform.detect.min_usb": _i(0, 64, "platform=auto: USB Edge TPUs needed"),
    "platform.detect.priority": _i(-1_000_000, 1_000_000, "platform=auto: lower is tried first"),
    **{f"backends.*.{k}": r for k, r in _BACKEND.items()},
    **{f"backends.extra.*.{k}": r for k, r in _BACKEND.items()},
    "services.webrtc.width": _i(64, 1920, "live preview width in pixels (height keeps the aspect ratio)"),
    "services.webrtc.max_fps": _f(0.01, 30, "live preview frames per second per stream"),
    "services.web.port": _i(0, 65535, "HTTP port (0: a free port)"),
    "services.web.max_viewers": _i(1, 1000, "pages watching live at once"),
    "services.web.max_body_kb": _i(1, 10240, "request size limit (KiB)"),
    "services.web.request_timeout_s": Range(0.1, 3600, "seconds a client has for its headers and body", low_open=True),
    "services.web.max_connections": _i(1, 100_000, "open HTTP connections at once"),
    "services.recording.segment_s": _f(0.1, DAY, "seconds per recording segment"),
    "services.recording.retain": _i(1, 1_000_000, "segments kept (older ones deleted)"),
    "services.recording.fps": _f(0.01, 1000, "recording frame rate (null: the source's)"),
    "services.recording.retain_days": _f(0, 36500, "days recordings are kept", low_open=True),
    "services.recording.max_gb": _f(0, 1_000_000, "gigabytes of recordings per stream", low_open=True),
    "services.recording.events.pre_s": _f(0, 300, "seconds of video before an event"),
    "services.recording.events.post_s": _f(0, 300, "seconds of video after an event"),
    "services.metrics.batch_size": _i(1, 1_000_000, "points per HTTP write"),
    "services.metrics.flush_interval_s": _f(0.001, 3600, "seconds between writes"),
    "services.metrics.max_buffer": _i(1, 10_000_000, "points held while the server is slow or down"),
    "services.metrics.retries": _i(0, 100, "retries per batch"),
    "services.metrics.timeout_s": _f(0, 600, "seconds per HTTP request", low_open=True),
    "services.mqtt.port": _i(1, 65535, "MQTT broker port"),
    "services.mqtt.qos": _i(0, 2, "MQTT quality of service (0, 1 or 2)"),
    "services.mqtt.max_queue": _i(1, 10_000_000, "MQTT messages held while the broker is down"),
    "services.webhook.timeout_s": _f(0, 600, "seconds per webhook POST", low_open=True),
    "services.webhook.retries": _i(0, 100, "quick retries of a failed webhook POST"),
    "services.webhook.max_queue": _i(1, 10_000_000, "webhook events held while the server is down"),
}


# Ranges of values that are not numeric keys of their own (checked by the part that reads them):
CAMERA_INDEX = _i(0, 1023, "a camera source: the index of a video device (/dev/videoN)")
WORKFLOW_BLOCKS = _i(0, 256, "blocks in one stream's workflow")
WORKFLOW_DEPTH = 8  # nesting of a block setting's value (lists in lists, mappings in mappings)


def _parts(key: str) -> list[str]:
    return key.replace("[", ".").replace("]", "").split(".")


def range_for(key: str) -> Range | None:
    """The range of a dotted key (``backends.cpu.workers``, ``streams[0].fps``), None when it has none.
    An exact pattern beats one with ``*``; among patterns, the one with fewer ``*``."""
    parts = _parts(key)
    best: tuple[int, Range] | None = None
    for pattern, rng in RANGES.items():
        pp = _parts(pattern)
        if len(pp) == len(parts) and all(p == "*" or p == k for p, k in zip(pp, parts)):
            stars = pp.count("*")
            if best is None or stars < best[0]:
                best = (stars, rng)
    return best[1] if best else None


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{key}[{i}]")
    else:
        yield key, value


def problems(tree: dict[str, Any]) -> list[tuple[str, Any, str, Range]]:
    """(key, value, why, range) for every numeric value of ``tree`` out of its key's range."""
    out = []
    for key, value in _leaves(tree):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        rng = range_for(key)
        why = rng.problem(value) if rng else None
        if why:
            out.append((key, value, why, rng))
    return out


def check(config: Any, issues: Any) -> None:
    """Registry check: every numeric value in range, each problem naming key, value, source, range."""
    tree = config.to_dict() if hasattr(config, "to_dict") else config
    for key, value, why, rng in problems(tree):
        shown = value if not isinstance(value, float) or math.isfinite(value) else str(value)
        if isinstance(value, int) and value.bit_length() > 128:  # str() of a 5000-digit int raises
            shown = f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        issues.add(key, f"{why} ({rng.doc})", value=shown, expected=rng.expected())
