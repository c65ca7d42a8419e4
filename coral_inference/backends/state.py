"""BackendState: what became of one enabled backend (the summary's ``backends`` entries). The
backends build it; runtime/context.py keeps a list of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class BackendState:
    """What became of one enabled backend."""

    name: str
    kind: str
    status: str = "pending"  # ok | degraded | failed | skipped
    device: str | None = None  # "cpu", "usb:0", "pci:0", or a list joined by ","
    devices: list[dict[str, Any]] = field(default_factory=list)  # resolved devices (type, index, path)
    model: dict[str, Any] = field(default_factory=dict)  # path, sha256, size, edgetpu_compiled
    interpreter: dict[str, Any] = field(default_factory=dict)  # module, version
    delegate: dict[str, Any] | None = None  # library, clock, options
    fallback: dict[str, Any] | None = None  # policy, taken, reason
    timings_ms: dict[str, float] = field(default_factory=dict)  # init, first_inference, warmup_avg
    num_threads: int | None = None
    workers: int = 1
    pool: list[dict[str, Any]] = field(default_factory=list)  # per worker: label, healthy, reason, requests
    reason: str | None = None  # why this status (always set for degraded/skipped/failed)
    error: dict[str, Any] | None = None  # type, message
    selfcheck: dict[str, Any] | None = None  # builtin model: output compared with numpy
    benchmark: dict[str, Any] | None = None  # run.mode=bench
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
