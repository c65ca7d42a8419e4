"""What to change when a config does not fit: move a stream to a backend with room, slow it (a max_fps that
fits), or add devices. Greedy and in this order, largest stream first: every move is checked against the
target's own load, and a slowed stream keeps the highest rate that fits."""

from __future__ import annotations

import math
from typing import Any


def override(d: Any, field: str, value: Any) -> str:
    """The override that sets ``field`` of stream ``d`` (with run.source: streams.default.<field>)."""
    return f"{d.prefix}.{field}={value}"


def advise(doc: dict[str, Any], pools: dict[str, Any], streams: list[Any], time_of: Any, limit: float) -> list[dict]:
    """``time_of(model, pool)``: the model's Time on a pool (plan/capacity.py)."""
    from . import contribution

    busy = {name: [b["busy"][label] for label in pools[name].devices] for name, b in doc["backends"].items()}
    share = {}
    for d in streams:
        t = time_of(d.model, pools[d.backend]) if d.backend in pools and pools[d.backend].known else None
        added = contribution(d.fps, t, len(pools[d.backend].devices)) if t is not None and t.ms is not None else None
        if added is not None:
            share[d.stream] = added
    out: list[dict[str, Any]] = []
    for name in [n for n, b in doc["backends"].items() if not b["fits"]]:
        mine = sorted((d for d in streams if d.backend == name and d.stream in share),
                      key=lambda d: -max(share[d.stream]))
        for d in mine:  # 1. move, while it does not fit
            if max(busy[name]) <= limit:
                break
            target = _room_for(d, name, pools, busy, time_of, limit)
            if target is not None:
                dest, added = target
                busy[name] = [a - b for a, b in zip(busy[name], share[d.stream])]
                busy[dest] = [a + b for a, b in zip(busy[dest], added)]
                out.append({"action": "move", "stream": d.stream, "from": name, "to": dest,
                            "override": override(d, "backend", dest),
                            "why": f"{pools[dest].key or 'backends.' + dest} has room for its {d.fps:g} fps"})
                share[d.stream] = [0.0] * len(share[d.stream])
        for d in mine:  # 2. slow the largest remaining streams to what fits
            if max(busy[name]) <= limit or not any(share[d.stream]):
                continue
            others = [a - b for a, b in zip(busy[name], share[d.stream])]
            scale = min((limit - o) / s for o, s in zip(others, share[d.stream]) if s > 0)
            fps = math.floor(d.fps * max(scale, 0.0) * 10) / 10
            busy[name] = [o + s * fps / d.fps for o, s in zip(others, share[d.stream])]
            if fps >= 0.1:
                out.append({"action": "slow", "stream": d.stream, "backend": name, "fps": fps, "from_fps": d.fps,
                            "override": override(d, "max_fps", fps),
                            "why": f"at most {fps:g} fps keeps every device of {pools[name].key or 'backends.' + name} within {limit:.0%}"})
            else:
                out.append({"action": "move or stop", "stream": d.stream, "backend": name, "from_fps": d.fps,
                            "why": f"the other streams of {pools[name].key or 'backends.' + name} leave no room for it"})
        out += _more_devices(name, pools[name], streams, share, doc, limit)
    return out


def _room_for(d: Any, name: str, pools: dict, busy: dict, time_of: Any, limit: float):
    """(backend, its added busy) of another backend of the same kind of device with room for ``d``."""
    from . import contribution

    for other, pool in pools.items():
        if other == name or not pool.known or pool.edgetpu != pools[name].edgetpu or not pool.devices:
            continue
        t = time_of(d.model, pool)
        if t.ms is None:
            continue
        added = contribution(d.fps, t, len(pool.devices))
        if added is not None and max(a + b for a, b in zip(busy[other], added)) <= limit:
            return other, added
    return None


def _more_devices(name: str, pool: Any, streams: list[Any], share: dict, doc: dict, limit: float) -> list[dict]:
    """A replicated Edge TPU pool: how many devices would carry every stream as configured."""
    rows = [r for r in doc["streams"] if r["backend"] == name and r["busy"] is not None]
    if not pool.edgetpu or not rows or any(len(r["devices"]) < len(pool.devices) for r in rows):
        return []  # a segmented model: more devices do not speed up one pipeline
    needed = math.ceil(sum(r["busy"] for r in rows) / limit - 1e-9)
    if needed <= len(pool.devices):
        return []
    return [{"action": "add devices", "backend": name, "devices": needed, "from_devices": len(pool.devices),
             "why": f"{needed} Edge TPUs would carry every stream of {pool.key or 'backends.' + name} as configured"}]
