"""The checks of ``streams.<name>.tracker``, ``.zones`` and ``.lines`` (called by streams/spec.py for
every enabled stream; numeric ranges are config/ranges.py's): each problem names its key and value."""

from __future__ import annotations

import re
from typing import Any, Callable

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # names appear in files, topics, metrics labels
DIRECTIONS = ("in", "out")


def tracker_kinds(config: Any, registry: Any) -> list[str]:
    """Tracker kinds that exist: none, the registry's, and (before plugins load) those of the plugins
    that would load."""
    from ...plugins.registry import new_registry

    names = set((registry if registry is not None else new_registry()).names("tracker"))
    if registry is None:
        try:
            from ...config.validate import plugin_contributions
        except ImportError:
            plugin_contributions = None
        if plugin_contributions is not None:
            names |= {name for name, _obj, _src in plugin_contributions(config, "tracker")}
    return ["none", *sorted(names)]


def check_stream(config: Any, cfg: Any, key: str, add: Callable, registry: Any) -> None:
    tracker = cfg.tracker
    kinds = tracker_kinds(config, registry)
    kind = str(tracker.kind)
    if kind not in kinds:
        import difflib

        close = difflib.get_close_matches(kind, kinds, n=1)
        add(f"{key}.tracker.kind", f"no tracker named {kind!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
            kind, "one of " + " | ".join(kinds) + " (a plugin registers more: kind tracker)")
    elif kind == "iou" and tracker.options:
        add(f"{key}.tracker.options", "the built-in iou tracker takes no options", dict(tracker.options),
            "{} (options are a plugin tracker's settings)", source_of=f"{key}.tracker.options.{next(iter(tracker.options))}")
    zones, lines = dict(cfg.zones or {}), dict(cfg.lines or {})
    if (zones or lines) and kind == "none":
        what = " and ".join(w for w, v in (("zones", zones), ("lines", lines)) if v)
        first = (f"zones.{next(iter(zones))}.polygon" if zones else f"lines.{next(iter(lines))}.points")
        add(f"{key}.tracker.kind", f"{what} need a tracker (they follow tracked objects)", kind,
            f"a tracker: {key}.tracker.kind=iou (or a plugin's)", source_of=f"{key}.{first}")
    for name, zone in zones.items():
        zkey = f"{key}.zones.{name}"
        _name(name, zkey, add, "polygon")
        _points(zone.polygon, f"{zkey}.polygon", add, "at least three points [[x, y], …] (normalized 0..1)",
                lambda n: n >= 3)
    for name, line in lines.items():
        lkey = f"{key}.lines.{name}"
        _name(name, lkey, add, "points")
        if _points(line.points, f"{lkey}.points", add, "two points [[x1, y1], [x2, y2]] (normalized 0..1)",
                   lambda n: n == 2) and [float(v) for v in line.points[0]] == [float(v) for v in line.points[1]]:
            add(f"{lkey}.points", "the two points are the same", _plain(line.points), "two different points")
        bad = [d for d in line.directions if str(d) not in DIRECTIONS]
        if bad or not line.directions:
            add(f"{lkey}.directions", f"unknown direction {bad[0]!r}" if bad else "no direction", _plain(line.directions),
                "a non-empty list of: in, out")


def _name(name: str, key: str, add: Callable, first: str) -> None:
    if not NAME_RE.match(str(name)):
        add(key, "not a usable name (it appears in event files, topics and metrics)", name,
            "letters, digits, _ and -, starting with a letter or digit, at most 64", source_of=f"{key}.{first}")


def _points(points: Any, key: str, add: Callable, expected: str, count_ok: Callable[[int], bool]) -> bool:
    value = _plain(points)
    ok = isinstance(value, list) and count_ok(len(value)) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                     for v in p) for p in value)
    if not ok:
        add(key, "not a list of [x, y] points of the right length" if value else "missing", value, expected)
    return ok


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
