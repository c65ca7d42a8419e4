"""A stream's workflow: its ordered blocks, built once per stream from ``streams.<name>.workflow``.

Each item is ``{block: <name>, <setting>: <value>, …}``; ``<name>`` is a registry "workflow" entry (the
built-ins in streams/blocks.py, or a plugin's ``workflow=`` factory registered under the plugin's name).
The block is ``factory(**settings)`` (bad settings: ValueError/TypeError, a configuration error) and is
called as ``block(result, frame, stream)`` -> the result, or None to drop it (plugins/contract.py Block).
A block's counts go into ``result["workflow"][<name>]`` and, from its optional ``summary()``, into the
stream's summary. Two blocks of the same name in one workflow are told apart as ``name``, ``name#2``, …
"""

from __future__ import annotations

from typing import Any, Iterable

# Blocks of earlier versions and what says the same now (a stream's named lines and zones follow
# tracked objects: docs/events.md).
REPLACED = {"line_counter": "streams.<name>.lines.<line>.points (with streams.<name>.tracker.kind=iou)",
            "zone_count": "streams.<name>.zones.<zone>.polygon (with streams.<name>.tracker.kind=iou)"}


def _items(workflow: Iterable[Any]) -> list[tuple[int, Any, dict[str, Any]]]:
    out = []
    for i, item in enumerate(workflow or ()):
        if hasattr(item, "items"):
            settings = {k: _plain(v) for k, v in item.items() if k != "block"}
            out.append((i, item.get("block"), settings))
        else:
            out.append((i, None, {"_not_a_mapping": item}))
    return out


def _shape_problem(name: Any, settings: dict[str, Any]) -> tuple[str, str, Any] | None:
    """(key suffix, message, value) when an item's shape is wrong before any block sees it: a block
    name that is not text (``{block: {x: 1}}``), a setting name that is not text, settings nested
    deeper than ranges.WORKFLOW_DEPTH."""
    from ..config.ranges import WORKFLOW_DEPTH

    if name is not None and not isinstance(name, str):
        return ".block", "the block name is not text", _plain(name)
    for k, v in settings.items():
        if not isinstance(k, str):
            return "", f"setting name {k!r} is not text", k
        if _depth(v) > WORKFLOW_DEPTH:
            return f".{k}", f"nested more than {WORKFLOW_DEPTH} levels deep", "(a deeply nested value)"
    return None


def _depth(value: Any) -> int:
    """Nesting of lists and mappings (iterative)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > 64:
            break
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, d + 1) for v in item)
    return deepest


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _names(registry: Any) -> list[str]:
    return sorted(registry.names("workflow"))


def _plugin_block_names() -> set[str]:
    """Names of workflow plugins installed (entry points), loaded or not."""
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group="coral_inference.workflows")}


def check_blocks(workflow: Iterable[Any], key: str, add: Any, registry: Any = None) -> None:
    """Problems of a workflow list: unknown blocks, bad settings (the factory is built to find out)."""
    from ..config.ranges import WORKFLOW_BLOCKS
    from ..plugins.registry import new_registry

    registry = registry or new_registry()
    workflow = tuple(workflow or ())
    if len(workflow) > WORKFLOW_BLOCKS.high:  # checked before any block is built: 20,000 blocks is no workflow
        add(key, f"{len(workflow)} blocks ({WORKFLOW_BLOCKS.doc})", f"a list of {len(workflow)} items",
            f"at most {int(WORKFLOW_BLOCKS.high)} blocks")
        return
    expected = "{block: <name>, <setting>: <value>, …} with a block of: " + ", ".join(_names(registry))
    plugin_blocks: set[str] | None = None
    for i, name, settings in _items(workflow):
        item_key = f"{key}[{i}]"
        if "_not_a_mapping" in settings:
            add(item_key, "not a mapping", settings["_not_a_mapping"], expected)
            continue
        shape = _shape_problem(name, settings)
        if shape is not None:
            add(item_key + shape[0], shape[1], shape[2], expected)
            continue
        if not name:
            add(f"{item_key}.block", "no block name", None, expected)
            continue
        if name in REPLACED and not registry.has("workflow", name):
            add(f"{item_key}.block", f"the block {name!r} was replaced by the stream's named "
                f"{'lines' if name == 'line_counter' else 'zones'} (docs/events.md)", name,
                REPLACED[name].replace("<name>", key.split(".")[1] if key.count(".") >= 2 else "<name>"))
            continue
        if not registry.has("workflow", name):
            if plugin_blocks is None:
                plugin_blocks = _plugin_block_names()  # entry points read once per workflow, not per item
            if name in plugin_blocks:
                continue  # an installed plugin's block: its settings are checked when the plugin loads
            import difflib

            close = difflib.get_close_matches(str(name), _names(registry), n=1)
            add(f"{item_key}.block", f"unknown workflow block {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                name, expected + " (or an installed coral_inference.workflows plugin)")
            continue
        try:
            registry.get("workflow", name)(**settings)
        except (ValueError, TypeError) as exc:
            add(item_key, f"bad settings for block {name!r}: {exc}", settings,
                f"the settings block {name!r} takes (docs/streams.md: Workflow blocks)")


def build(workflow: Iterable[Any], registry: Any, key: str) -> list[tuple[str, Any]]:
    """[(label, block)] for a stream, each block told its label (``block.name``, when it has that
    attribute); ConfigError naming the item on an unknown block or bad settings."""
    from ..errors import ConfigError

    blocks: list[tuple[str, Any]] = []
    seen: dict[str, int] = {}
    for i, name, settings in _items(workflow):
        shape = _shape_problem(name, settings)
        if shape is not None:
            raise ConfigError(f"{key}[{i}]{shape[0]}: {shape[1]}")
        factory = registry.get("workflow", name) if name else None
        if factory is None:
            raise ConfigError(f"{key}[{i}].block: unknown workflow block {name!r} (expected one of "
                              f"{', '.join(_names(registry))})")
        try:
            block = factory(**settings)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{key}[{i}]: bad settings for block {name!r}: {exc}") from None
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}#{seen[name]}"
        if hasattr(block, "name"):  # a block that keeps its name learns its label
            try:
                block.name = label
            except AttributeError:
                pass
        blocks.append((label, block))
    return blocks


def summaries(blocks: list[tuple[str, Any]]) -> dict[str, Any]:
    out = {}
    for label, block in blocks:
        summary = getattr(block, "summary", None)
        if callable(summary):
            try:
                out[label] = summary()
            except Exception as exc:  # a plugin's summary(): recorded, never fatal
                out[label] = {"error": f"{type(exc).__name__}: {exc}"}
    return out
