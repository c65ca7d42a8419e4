"""Device times measured by bench runs: ``--bench PATH`` names a run directory of ``coral-run run.mode=bench``
(or its runtime_summary.json) or a sweep directory (one job folder per run).

Each benchmarked backend of a summary gives one measurement: the model (by the sha256 of each file, so a moved
file still matches), whether it ran on Edge TPUs or the CPU, and the device-milliseconds per inference the bench
saw: ``busy × 1000 / throughput`` with ``busy = min(concurrency, workers)`` devices kept busy (a single device at
concurrency 1: its mean latency). For a segmented model ``1000 / throughput`` is the slowest segment's time (the
pipeline's bottleneck), counted on each of its devices. Host time between inferences is included: the figure is
what the runtime achieved, not the device's own time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Measurement:
    identity: tuple[str, ...]  # sha256 of each model file (the segments in order)
    edgetpu: bool  # measured on Edge TPUs (else the CPU)
    ms: float  # device-ms per inference (per segment device for a segmented model)
    devices: int  # devices (or CPU workers) the bench ran on
    throughput_ips: float
    source: str  # "measured: <summary> backend <name> ..."


def read(paths: list[str], filename: str) -> list[Measurement]:
    """The measurements of every --bench PATH; a PATH with no bench summary is a ConfigError."""
    from ..audit import load_summary
    from ..sweep.report import job_summaries

    found: list[Measurement] = []
    for text in paths:
        path = Path(text).expanduser()
        if path.is_file() or (path / filename).is_file():
            summaries = [(path if path.is_file() else path / filename, load_summary(path, filename))]
        elif path.is_dir():
            summaries = [(job / filename, s) for job, s in job_summaries(path, filename) if s is not None]
        else:
            raise ConfigError(f"--bench: {text!r} is not a run directory, summary file or sweep directory "
                              f"(expected the folder of a coral-run run.mode=bench run)")
        before = len(found)
        for file, summary in summaries:
            found += from_summary(summary, file)
        if len(found) == before:
            raise ConfigError(f"--bench: no benchmarked backend in {text!r} ({len(summaries)} summary(ies) read; "
                              "expected runtime_summary.json of coral-run run.mode=bench)")
    return found


def from_summary(summary: dict[str, Any], file: Path) -> list[Measurement]:
    out = []
    for backend in summary.get("backends") or []:
        timed = ((backend.get("benchmark") or {}).get("timed") or {}) if isinstance(backend, dict) else {}
        throughput = timed.get("throughput_ips")
        model = backend.get("model") or {} if isinstance(backend, dict) else {}
        if not isinstance(throughput, (int, float)) or throughput <= 0 or not isinstance(model, dict):
            continue
        segments = [s.get("sha256") for s in model.get("segments") or [] if isinstance(s, dict)]
        identity = tuple(segments) if segments else (model.get("sha256"),)
        if not all(isinstance(h, str) for h in identity):
            continue
        workers = int(backend.get("workers") or 1)
        concurrency = int(timed.get("concurrency") or 1)
        edgetpu = backend.get("device") not in (None, "cpu") and bool(backend.get("delegate"))
        busy = 1 if segments else max(1, min(concurrency, workers))
        library = (backend.get("delegate") or {}).get("library") if edgetpu else None
        source = (f"measured: {file} backend {backend.get('name')!r} ({throughput:g} inferences/s on "
                  f"{workers} {'Edge TPU' if edgetpu else 'CPU worker'}(s), concurrency {concurrency}"
                  + (f", delegate {library}" if library else "") + ")")
        out.append(Measurement(identity, edgetpu, round(busy * 1000.0 / throughput, 4), workers, float(throughput),
                               source))
    return out


def best(measurements: list[Measurement], identity: tuple[str, ...], edgetpu: bool) -> Measurement | None:
    """The last measurement of this model on this kind of device (the order of --bench, then of the jobs)."""
    matching = [m for m in measurements if m.identity == identity and m.edgetpu == edgetpu]
    return matching[-1] if matching else None
