"""Capacity planning (``coral-runtime plan``): does this config fit these Edge TPUs?

Each stream asks its backend for ``fps`` inferences per second of its model (plan/demand.py); each inference
holds a device for the model's device time (plan/capacity.py: given, measured or published). A replicated pool
of N devices shares the load evenly (N x 1000 / ms inferences/s at most); a segmented model holds each of its
devices for that segment's time. A device's *busy* is the fraction of each second it is held. The config fits
when every device's busy is at most ``1 - margin`` (default margin 0.2, docs/backends.md "Capacity planning").
When it does not, plan/advice.py says which stream to move or slow, and how many devices would carry it.
"""

from __future__ import annotations

from typing import Any

from ..config.keys import model_key

DEFAULT_MARGIN = 0.2
DEFAULT_ASSUME_FPS = 30.0


def make_plan(config: Any, *, measurements: list[Any], given: dict[str, float], link: str = "auto",
              margin: float = DEFAULT_MARGIN, assume_fps: float = DEFAULT_ASSUME_FPS) -> dict[str, Any]:
    """The plan document (JSON-ready): models, streams, backends with per-device busy, fits, advice."""
    from ..backends.devices import discover
    from ..runtime.platform import resolve
    from . import advice, capacity, demand, published

    found = discover(config.platform.device_root)
    platform = resolve(config, [d.to_dict() for d in found])
    column = published.link_for(platform.get("name"), link)
    pools = capacity.pools(config, found)
    streams, disabled = demand.demands(config, assume_fps)
    models_cfg = {"default": config.model, **dict(config.models)}
    times: dict[tuple[str, str], Any] = {}
    problems: list[str] = []

    def time_of(model: str, pool: Any) -> Any:
        if (model, pool.name) not in times:
            times[(model, pool.name)] = capacity.model_time(model, models_cfg[model], pool, measurements, given,
                                                            column)
        return times[(model, pool.name)]

    for pool in pools.values():  # the default model's time on every backend (capacity even without streams)
        if pool.known:
            time_of("default", pool)
    busy = {name: [0.0] * len(pool.devices) for name, pool in pools.items()}
    rows = []
    for d in streams:
        pool = pools.get(d.backend)
        row: dict[str, Any] = {"stream": d.stream, "source": d.source, "model": d.model, "backend": d.backend,
                               "fps": d.fps, "fps_source": d.fps_source, "busy": None, "devices": []}
        rows.append(row)
        if pool is None or not pool.known:
            problems.append(f"{d.prefix}: backend {d.backend!r} " + ("is not enabled" if pool is None else
                            f"is a {pool.kind!r} backend (a plugin's kind): the plan sizes edgetpu, auto and cpu"))
            continue
        t = time_of(d.model, pool)
        if t.ms is None:
            problems.append(t.source)
            continue
        share = contribution(d.fps, t, len(pool.devices))
        if share is None:
            problems.append(f"{model_key(d.model)}.segments: "
                            f"{len(t.ms)} segments need {len(t.ms)} devices; {pool.key or 'backends.' + pool.name} has "
                            f"{len(pool.devices)}")
            continue
        row["busy"] = round(sum(share), 6)
        row["devices"] = [pool.devices[i] for i, s in enumerate(share) if s > 0]
        busy[pool.name] = [a + b for a, b in zip(busy[pool.name], share)]
    limit = 1.0 - margin
    backends = {}
    for name, pool in pools.items():
        per_device = {label: round(b, 6) for label, b in zip(pool.devices, busy[name])}
        default_time = times.get(("default", name))
        backends[name] = {
            "kind": pool.kind, "edgetpu": pool.edgetpu, "devices": pool.devices, "devices_source": pool.devices_source,
            "demand_ips": round(sum(r["fps"] for r in rows if r["backend"] == name), 3),
            "busy": per_device, "utilization": round(max(busy[name], default=0.0), 6),
            "fits": max(busy[name], default=0.0) <= limit + 1e-9,
            "capacity_ips": _capacity(default_time, len(pool.devices)) if default_time else None,
            "models": sorted({r["model"] for r in rows if r["backend"] == name}),
        }
    model_rows = {f"{m}@{p}": {"model": m, "backend": p, "files": list(models_cfg[m].segments) or [models_cfg[m].path],
                               "device_ms": t.ms, "segmented": t.segmented, "source": t.source}
                  for (m, p), t in times.items()}
    fits = None if problems else all(b["fits"] for b in backends.values())
    doc = {"fits": fits, "margin": margin, "limit": round(limit, 6), "link": column,
           "platform": platform.get("name"), "models": model_rows, "streams": rows, "disabled_streams": disabled,
           "backends": backends, "problems": problems, "notes": notes(pools, rows, models_cfg)}
    doc["advice"] = advice.advise(doc, pools, streams, time_of, limit) if fits is False else []
    return doc


def contribution(fps: float, time: Any, devices: int) -> list[float] | None:
    """Busy added to each device of a pool of ``devices`` by ``fps`` inferences/s of a model with ``time``."""
    if time.segmented:
        if len(time.ms) > devices:
            return None
        return [fps * ms / 1000.0 for ms in time.ms] + [0.0] * (devices - len(time.ms))
    return [fps * time.ms[0] / 1000.0 / devices] * devices


def _capacity(time: Any, devices: int) -> float | None:
    """Inferences/s of that model alone, every device fully busy: N x 1000 / ms, or the slowest segment's."""
    if time.ms is None or not devices:
        return None
    if time.segmented:
        return round(1000.0 / max(time.ms), 3) if len(time.ms) <= devices else None
    return round(devices * 1000.0 / time.ms[0], 3) if time.ms[0] > 0 else None


def notes(pools: dict[str, Any], rows: list[dict[str, Any]], models_cfg: dict[str, Any]) -> list[str]:
    out = ["host work (decoding, resizing, the outputs' decoding, blocks, sinks) is not counted: on a two-core "
           "host it can be the limit before the Edge TPUs are (BENCHMARKS.md, 'Edge TPU utilization')"]
    for name, pool in pools.items():
        models = {r["model"] for r in rows if r["backend"] == name}
        if pool.edgetpu and len(models) > 1:
            out.append(f"{pool.key or 'backends.' + name}: {len(models)} models share its Edge TPUs; unless they are co-compiled "
                       "(edgetpu_compiler with all of them at once), each switch reloads a model's parameters, "
                       "which this plan does not count")
        if not pool.edgetpu and pool.known:
            out.append(f"{pool.key or 'backends.' + name}: CPU workers share the host's cores; a measurement on W workers does not "
                       "scale linearly to more")
    return out
