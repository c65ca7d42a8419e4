"""The plugin contract: what a plugin declares (PluginSpec) and the call signature of every
extension kind, documented once, here. A plugin author reads this module and PLUGIN_PUBLISHING.md.

Every kind is registered in one Registry (plugins/registry.py) under a name; built-ins and plugin
contributions sit side by side. ``numpy`` below means ``numpy.ndarray``; nothing here imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, runtime_checkable

from .shapes import binds, callable_as, methods, shown, takes

# Entry-point group -> the type of the plugins published in it (not the config groups of
# config/schema.py: those are Hydra's platform/backends/patches/... option folders).
ENTRY_POINT_GROUPS = {
    "coral_inference.backends": "backend",
    "coral_inference.patches": "patch",
    "coral_inference.workflows": "workflow",
}
TYPES = tuple(ENTRY_POINT_GROUPS.values())
# Entry points naming a package of Hydra config group options (e.g. its backends/<name>.yaml).
SEARCHPATH_GROUP = "coral_inference.searchpath"
# Statuses of a plugin record that mean "did not load" (plugins.strict fails the run on any).
NOT_LOADED = ("failed", "incompatible", "declined", "missing")
# The version of this contract, shown by ``plugins list`` and in the summary's plugin records.
# 1 = backend factory (name, spec, context); 2 = (name, spec, context, model).
CONTRACT_VERSION = 2
# Backend contract -> its factory's call, and what a factory of that contract can do (plugins list, summary).
BACKEND_CONTRACTS = {
    1: "factory (name, spec, context): serves `model` only (it reads context.config.model; a stream running "
       "another model on it is refused); take a 4th argument, model, to be handed the model it serves: "
       "factory(name, spec, context, model)",
    2: "factory (name, spec, context, model)",
}


@dataclass
class PluginSpec:
    """What a plugin declares. Only ``name`` is required: ``type`` defaults to what the entry-point
    group says, and a plugin that only has ``activate`` is valid in every group."""

    name: str
    type: Optional[str] = None  # "backend" | "patch" | "workflow"; None: the entry-point group's
    activate: Optional[Callable[[Any], Any]] = None  # (context) -> True | False (declined); None: True
    deactivate: Optional[Callable[[Any], None]] = None  # (context); runs before the final summary
    description: str = ""
    min_core_version: Optional[str] = None  # coral_inference, PEP 440
    # The TFLite interpreter package in use: one version, or {"ai_edge_litert": "1.2", ...} per module.
    min_inference_version: Any = None
    requires: dict = field(default_factory=dict)  # distribution -> PEP 440 specifier
    # dotted key -> value, below every config file; only the plugin's own keys.
    default_config_overrides: dict = field(default_factory=dict)
    settings: Optional[type] = None  # a dataclass typing plugins.config.<name>
    backend: Optional[Callable[..., Any]] = None  # BackendFactory, registered as kind ``kind``
    kind: Optional[str] = None  # backend kind (default: name)
    patch: Any = None  # Patch, registered as ``name``
    workflow: Optional[Callable[..., Any]] = None  # BlockFactory, registered as ``name``
    # Any other kind: {"decoder": {"my_task": MyDecoder()}, "sink": {...}, "check": {...}}
    contributes: dict = field(default_factory=dict)

    @property
    def backend_kind(self) -> str:
        return self.kind or self.name

    def metadata(self, group_type: Optional[str] = None) -> dict:
        """What ``plugins list`` and the summary show of the declaration (JSON-able)."""
        import dataclasses

        kind = self.type or group_type
        out = {"name": self.name, "type": kind, "description": self.description,
               "min_core_version": self.min_core_version, "min_inference_version": self.min_inference_version,
               "requires": dict(self.requires or {}) if isinstance(self.requires, Mapping) else self.requires,
               "default_config_overrides": dict(self.default_config_overrides or {})
               if isinstance(self.default_config_overrides, Mapping) else self.default_config_overrides}
        if kind == "backend":
            out["kind"] = self.backend_kind
        if self.settings is not None and dataclasses.is_dataclass(self.settings):
            out["settings"] = {f.name: getattr(f.type, "__name__", str(f.type))
                               for f in dataclasses.fields(self.settings)}
        if isinstance(self.contributes, Mapping) and self.contributes:
            out["contributes"] = {k: sorted(map(str, v)) if isinstance(v, Mapping) else repr(v)
                                  for k, v in self.contributes.items()}
        return out


# --- backend -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServedModel:
    """The model a backend serves, handed to a contract-2 factory as ``model``: its ``name`` ("default"
    for ``model``, else a key of ``models``), ``key`` (``model`` / ``models.<name>``: the prefix its
    messages name), ``config`` (the frozen model section); ``path``, ``cpu_path``, ``labels``,
    ``segments`` and ``task`` read through to ``config``."""

    name: str
    key: str
    config: Any

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr in ("name", "key", "config"):
            raise AttributeError(attr)
        return getattr(self.config, attr)


@runtime_checkable
class Backend(Protocol):
    """Built by ``factory(name, spec, context, model)`` once per (backend, model) pair the run uses: at
    init with ``model`` (every enabled backend), by the stream manager for each other model a stream
    runs on it. ``spec`` is the frozen ``backends.<name>`` section, ``model`` a ServedModel.
    ``infer`` is called from many threads at once (one per stream or bench worker) and must be
    thread-safe. Contract 1's ``factory(name, spec, context)`` is built for ``model`` only (it reads
    ``context.config.model``); a stream running another model on it is refused, saying how to update."""

    input_details: list  # as the TFLite interpreter reports them
    output_details: list

    def initialize(self) -> Any: ...  # -> BackendState; raise BackendError (exit 3) on failure

    def infer(self, inputs: list) -> list: ...  # list[numpy] -> list[numpy]

    def close(self) -> None: ...


BackendFactory = Callable[[str, Any, Any, Any], Backend]  # (name, spec, context, model); contract 1: no model


def backend_takes_model(factory: Any) -> Optional[bool]:
    """Which contract a backend factory follows, read from its signature (a class by its
    ``__init__``): True when it takes ``(name, spec, context, model)`` (contract 2), False when it
    takes only ``(name, spec, context)`` (contract 1), None when it takes neither (or its signature
    cannot be read)."""
    if binds(factory, 4):
        return True
    return False if binds(factory, 3) else None


# --- patch -------------------------------------------------------------------------------------
@runtime_checkable
class Patch(Protocol):
    """Switched by ``patches.<name>``; ``enable`` runs at init (after plugins, before backends),
    ``disable`` when the run ends, before the final summary is written. ``last_reason`` says why
    ``enable`` returned False; ``detail`` what it did; ``supports`` component -> specifier."""

    description: str

    def enable(self, context: Any) -> bool: ...

    def disable(self, context: Any) -> None: ...


# --- run mode ----------------------------------------------------------------------------------
ModeRunner = Callable[[Any], dict]  # (context) -> JSON-able dict stored as results.<mode>


# --- workflow block ----------------------------------------------------------------------------
class StreamInfo(Protocol):
    """What a block, a sink or a decoder learns of the stream it serves."""

    name: str  # streams.<name>
    frame: int  # index of the current frame in this stream (0-based)
    width: int  # frame size in pixels
    height: int


class Block(Protocol):
    """Called for every result of its stream, in order, on that stream's worker thread:
    return the result (changed or not) or None to drop it. Counts a block keeps go into
    ``result["workflow"][<block name>]``; ``summary()`` (optional) is stored in the stream's
    summary when the stream ends."""

    def __call__(self, result: dict, frame: Any, stream: StreamInfo) -> Optional[dict]: ...


BlockFactory = Callable[..., Block]  # factory(**settings) once per stream; bad settings: raise ValueError/TypeError


# --- decoder -----------------------------------------------------------------------------------
@runtime_checkable
class Decoder(Protocol):
    """Turns a model's outputs into one result of its task, registered under the task name.

    ``match(details)`` -> a reason (str) when this decoder recognises the output signature, else None
    (``task=auto`` uses it; a task set explicitly is checked with it too).
    ``decode(outputs, details, options)`` -> ``{"kind": task, ...}``: ``outputs`` the raw arrays,
    ``details`` the interpreter's output details in one form (tasks/outputs.py: ``name``, ``shape`` a
    tuple of ints, ``dtype`` a name such as "uint8", ``quantization`` (scale, zero_point), scale 0.0 when
    not quantized), ``options`` a mapping with ``labels`` (dict[int, str]), the frame's ``width`` and
    ``height``, ``top_k``, ``score_threshold`` (None: the task's default), ``iou_threshold``,
    ``max_detections``, ``min_keypoint_score``. Keys starting with ``_`` in the result are in-memory only
    (never serialized). Pure: no I/O, no state. Callers use ``tasks.decode.prepare_decoder``."""

    def match(self, details: Sequence[Mapping[str, Any]]) -> Optional[str]: ...

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict: ...


# --- sink --------------------------------------------------------------------------------------
class Sink(Protocol):
    """Built by ``factory(stream, context)`` once per stream that switches it on. ``write`` gets every
    result that passed the workflow, with its frame (BGR numpy), on a thread of its own: it may be
    slow without slowing capture or inference. ``close()`` -> JSON-able totals for the summary."""

    def write(self, result: dict, frame: Any) -> None: ...

    def close(self) -> Optional[dict]: ...


SinkFactory = Callable[[Any, Any], Sink]


# --- tracker -----------------------------------------------------------------------------------
class Tracker(Protocol):
    """Built by ``factory(settings, stream)`` once per stream whose ``streams.<name>.tracker.kind`` names
    it; ``settings`` is that section as a mapping (``max_age_s``, ``min_hits``, ``iou_threshold``, …,
    ``options``: the plugin's own). Called on the stream's worker thread, once per result, in order.

    ``update(objects, t)``: ``objects`` the frame's detections and poses, each ``{"box": [xmin, ymin, xmax,
    ymax] (normalized), "label": str, "score": float}``; ``t`` seconds (a live source's arrival clock, a
    file's media time). Returns one entry per object, in order: its track id (an int, never reused in the
    stream) or None (not a track yet). ``reset()`` (optional): the stream stopped, forget every track.
    The events of docs/events.md are built on what it returns."""

    def update(self, objects: Sequence[Mapping[str, Any]], t: float) -> list: ...


TrackerFactory = Callable[[Mapping[str, Any], Any], Tracker]


# --- config check ------------------------------------------------------------------------------
# check(config, issues): add every problem, raise nothing. ``issues.add(key, message, value=…, expected=…)``
# fills the problem's source from where the value at ``key`` came from (errors.Issues).
Check = Callable[[Any, Any], None]


# --- what a spec contributes, and the check of each kind ----------------------------------------
def contributions(spec: Any) -> list[tuple[str, str, Any]]:
    """(kind, name, object) of everything a spec contributes: ``backend`` under its kind, ``patch``
    and ``workflow`` under the plugin's name, then ``contributes`` (entries that are not a mapping
    name -> object are left out here: plugins/declaration.py reports them)."""
    out = []
    if spec.backend is not None:
        out.append(("backend", spec.backend_kind, spec.backend))
    if spec.patch is not None:
        out.append(("patch", spec.name, spec.patch))
    if spec.workflow is not None:
        out.append(("workflow", spec.name, spec.workflow))
    if isinstance(spec.contributes, Mapping):
        for kind, entries in spec.contributes.items():
            if isinstance(entries, Mapping):
                out += [(kind, name, obj) for name, obj in entries.items()]
    return out


def _backend(obj: Any) -> list[str]:
    if not callable(obj):
        return [f"is {shown(obj)}, not callable: expected a factory (name, spec, context, model) -> Backend"]
    if backend_takes_model(obj) is None:
        return [f"cannot be called as a backend factory (name, spec, context, model) (contract 2) nor "
                f"(name, spec, context) (contract 1): {takes(obj)}"]
    return []


def _patch(obj: Any) -> list[str]:
    problems = methods(("enable", "(context)"), ("disable", "(context)"))(obj)
    supports = getattr(obj, "supports", None)
    if supports is not None and not isinstance(supports, Mapping):
        problems.append(f"supports is {type(supports).__name__}, not a mapping component -> specifier")
    return problems


# Kind -> the problems of one contribution of it ([] when it fits the kind's protocol above). The
# registry's kinds are this table's keys: a new kind is one entry here (and its section above).
KIND_CHECKS: dict[str, Callable[[Any], list[str]]] = {
    "backend": _backend,
    "patch": _patch,
    "mode": callable_as("a run mode", "context"),
    "workflow": callable_as("a block factory"),
    "decoder": methods(("match", "(details)"), ("decode", "(outputs, details, options)")),
    "sink": callable_as("a sink factory", "stream", "context"),
    "check": callable_as("a config check", "config", "issues"),
    "tracker": callable_as("a tracker factory", "settings", "stream"),
}


def contribution_problems(kind: str, name: str, obj: Any) -> list[str]:
    """What ``obj`` lacks to be the ``kind`` named ``name``, each as ``<kind> '<name>': <what>``
    ([] when it fits; an unknown kind is the registry's error, not checked here)."""
    check = KIND_CHECKS.get(kind)
    return [f"{kind} {name!r}: {problem}" for problem in check(obj)] if check else []
