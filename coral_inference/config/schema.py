"""The one schema of the configuration.

These dataclasses are registered in Hydra's ConfigStore as the base of ``conf/config.yaml``; Hydra
and OmegaConf check every value against them at composition, so a wrong type or an unknown key
fails there and names the key. ``RuntimeConfig`` (config/frozen.py) is derived from the same
classes; no other copy of the field list exists.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional


class Fallback(str, Enum):
    error = "error"
    cpu = "cpu"


class Clock(str, Enum):
    std = "std"
    max = "max"


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


@dataclass
class ModelConfig:
    # A .tflite file, or builtin:selftest (a tiny model the package builds itself).
    path: str = "builtin:selftest"
    # CPU twin of an Edge-TPU-compiled model, used when a backend falls back to the CPU.
    cpu_path: Optional[str] = None
    # Labels file: one label per line, or "N label" lines.
    labels: Optional[str] = None
    # Segments of model.path (edgetpu_compiler --num_segments=N): Edge TPU backends pipeline them, one per device.
    segments: List[str] = field(default_factory=list)
    # What the outputs mean: auto | classification | detection | segmentation | pose | raw | a plugin's task.
    # auto decides from the output signature when unambiguous, else raw with a warning (docs/streams.md "Model tasks").
    task: str = "auto"


@dataclass
class RunConfig:
    # What the run does: init (initialize backends, warm up, write the summary) | validate (the config only;
    # no hardware, no model) | bench (init, then time inference per backend) | pipeline (init, then every
    # stream through the backends) | serve (the streams with the web page and API until SIGTERM/Ctrl-C) |
    # a plugin's mode (registry kind "mode"; its dict is results.<mode>). Another name is an error.
    mode: str = "init"
    warmup: int = 1  # warm-up inferences per backend after initialization
    iterations: int = 100  # timed inferences per backend (bench)
    min_seconds: float = 0.0  # bench: keep timing until at least this long
    concurrency: Optional[int] = None  # bench: requests in flight per backend (None: its worker count)
    images: Optional[str] = None  # bench: a folder of images as inputs (else random data)
    source: Optional[str] = None  # pipeline: shorthand for streams.default.source (video, folder, camera, URL)
    max_frames: Optional[int] = None  # pipeline: stop each stream after N frames
    duration_s: Optional[float] = None  # pipeline: stop after S seconds
    top_k: int = 3  # classification: results kept per frame, highest first (>= 1)
    # Lowest score kept (classification, detection, pose); null: the task's default (classification:
    # none, detection: 0.4, pose: 0.2). 0..1.
    score_threshold: Optional[float] = None
    iou_threshold: float = 0.45  # detection (YOLO outputs): non-max suppression overlap, 0..1
    max_detections: int = 100  # detection: boxes kept per frame at most (>= 1)
    min_keypoint_score: float = 0.2  # pose: keypoints below this score are left out, 0..1
    mask_png: bool = False  # segmentation: write each frame's class mask as a colour PNG into the run dir
    interpreter: str = "auto"  # auto | tflite_runtime | ai_edge_litert | tensorflow
    output: OutputFormat = OutputFormat.text  # what coral-run prints on stdout


@dataclass
class PlatformDetect:
    """How platform=auto recognises this platform (all under platform.device_root)."""

    # Any of these substrings in /proc/device-tree/model.
    device_tree_model: List[str] = field(default_factory=list)
    # At least this many PCIe / USB Edge TPUs discovered.
    min_pci: int = 0
    min_usb: int = 0  # (min_pci likewise for PCIe)
    # Lower runs first; the first platform whose rules all hold wins.
    priority: int = 100


@dataclass
class PlatformConfig:
    name: str = "auto"  # the platform option's name (auto: detected from platform.detect rules)
    description: str = ""  # shown in the summary and by coral-runtime devices
    edgetpu_types: List[str] = field(default_factory=list)  # subset of [pci, usb]
    max_devices: int = 0  # Edge TPUs this platform can hold
    delegate_library: str = "libedgetpu.so.1"  # the Edge TPU runtime's shared library (a name or a path)
    clock: Clock = Clock.std  # libedgetpu1-std or libedgetpu1-max (same file name)
    cpu_cores: Optional[int] = None  # None: os.cpu_count()
    device_root: str = "/"  # where /sys, /dev and /proc are read from (tests use a fake tree)
    detect: PlatformDetect = field(default_factory=PlatformDetect)


@dataclass
class BackendSpec:
    kind: str = "cpu"  # cpu | edgetpu | auto | a plugin backend kind
    # Edge TPU device spec(s): "" (first found), ":N", "usb", "usb:N", "pci", "pci:N", "all", or a list.
    devices: Any = None
    min_devices: int = 1  # Edge TPU: start (degraded) when at least this many devices start
    num_threads: Optional[int] = None  # interpreter threads (CPU kernels)
    workers: int = 1  # CPU: interpreters in the pool
    fallback: Fallback = Fallback.error  # what to do when the Edge TPU cannot be used
    delegate_options: Dict[str, str] = field(default_factory=dict)  # passed to the delegate (libedgetpu options)
    description: str = ""  # shown in the summary


@dataclass
class BackendsConfig:
    # Backends to initialize, by name; a name is a field below or a key of `extra`.
    enabled: List[str] = field(default_factory=lambda: ["auto"])
    disabled: List[str] = field(default_factory=list)  # names left out of `enabled` (a layer can remove one)
    auto: BackendSpec = field(
        default_factory=lambda: BackendSpec(kind="auto", devices="", fallback=Fallback.cpu)
    )
    cpu: BackendSpec = field(default_factory=lambda: BackendSpec(kind="cpu"))
    edgetpu_single: BackendSpec = field(default_factory=lambda: BackendSpec(kind="edgetpu", devices=""))
    edgetpu_multi: BackendSpec = field(
        default_factory=lambda: BackendSpec(kind="edgetpu", devices="all", min_devices=2)
    )
    # Backends contributed by plugins (their own conf/backends/<name>.yaml), by name.
    extra: Dict[str, BackendSpec] = field(default_factory=dict)


@dataclass
class IceServer:
    urls: List[str] = field(default_factory=list)  # stun: or turn: URLs
    username: Optional[str] = None  # TURN user name
    credential: Optional[str] = None  # TURN password (a secret: prefer ${oc.env:NAME})


@dataclass
class WebRTCConfig:
    # run.mode=serve: offer the live WebRTC preview (false: the page uses the MJPEG endpoint only).
    enabled: bool = True
    ice_servers: List[IceServer] = field(default_factory=list)  # given to the browser and the server
    width: int = 480  # preview width in pixels (height keeps the aspect ratio), 64..1920
    max_fps: float = 10.0  # preview frames per second per stream at most, (0, 30]


@dataclass
class WebConfig:
    """run.mode=serve: the web page, JSON API and /metrics."""

    host: str = "127.0.0.1"  # another address needs a token
    port: int = 8080  # 0: pick a free port (the URL is printed and in the summary)
    token: Optional[str] = None  # a secret: every request needs it (prefer ${oc.env:CORAL_WEB_TOKEN})
    max_viewers: int = 4  # pages watching live at once (a page showing every stream is one viewer)
    max_body_kb: int = 64  # largest request body accepted
    # A client must send a request's headers, and then its body, within this many seconds (an idle
    # connection is closed after it too); else the connection is closed (408 for a late body).
    request_timeout_s: float = 10.0
    max_connections: int = 100  # open HTTP connections at once; one more is closed at once (counted)


@dataclass
class RecordingEventsConfig:
    """Event clips (docs/recording.md): a ring of each recording stream's recent video, a clip per event."""

    enabled: bool = False  # write a clip around each event of a recording stream (the event's `clip` field)
    pre_s: float = 5.0  # seconds of video before the event
    post_s: float = 5.0  # seconds of video after the event


@dataclass
class RecordingConfig:
    """Recordings per stream in <path>/<stream>/ (docs/recording.md): the camera's H.264 packets copied
    into MP4 segments when it can be, else frames encoded to H.264."""

    enabled: bool = False  # record every stream (streams.<name>.sinks.recording overrides per stream)
    path: str = "recordings"  # a relative folder inside the run folder
    segment_s: float = 60.0  # seconds per segment (copied segments are cut on the next keyframe)
    retain: int = 10  # segments kept per stream (older ones deleted)
    retain_days: Optional[float] = None  # delete segments and clips older than this (null: no age limit)
    max_gb: Optional[float] = None  # per stream: delete the oldest segments and clips above this size
    codec: str = "h264"  # encoder when frames are encoded: h264 (browsers play it) or mp4v (they do not)
    fps: Optional[float] = None  # encoded recordings of files: frame rate (null: the file's; live: arrival times)
    draw: bool = False  # draw results, zones and lines into the recording (always encodes)
    events: RecordingEventsConfig = field(default_factory=RecordingEventsConfig)  # event clips


@dataclass
class MetricsConfig:
    """InfluxDB points of every stream and backend (v1: database; v2: org, bucket, token)."""

    enabled: bool = False  # write points to InfluxDB
    influxdb_url: Optional[str] = None  # http://host:8086 of the InfluxDB server
    database: Optional[str] = None  # InfluxDB v1
    token: Optional[str] = None  # InfluxDB v2 (a secret: prefer ${oc.env:INFLUX_TOKEN})
    org: Optional[str] = None  # InfluxDB v2 organisation
    bucket: Optional[str] = None  # InfluxDB v2 bucket
    batch_size: int = 500  # points per write request at most
    flush_interval_s: float = 1.0  # a batch is written at least this often
    measurement: str = "coral_inference"  # the InfluxDB measurement name
    max_buffer: int = 10000  # points held while the server is slow or down; the oldest are dropped
    retries: int = 3  # per batch, with exponential backoff from 0.2 s
    timeout_s: float = 2.0  # per HTTP request


@dataclass
class MqttConfig:
    """Events, object counts and stream status to an MQTT broker (docs/events.md "Delivery")."""

    enabled: bool = False  # the default of every stream's sinks.mqtt
    host: Optional[str] = None  # the broker's address (required when a stream's sinks.mqtt is on)
    port: int = 1883  # the broker's port (8883 is usual with tls)
    username: Optional[str] = None  # login name, if the broker wants one
    password: Optional[str] = None  # a secret: prefer ${oc.env:CORAL_MQTT_PASSWORD}
    tls: bool = False  # connect over TLS (the system's CA certificates)
    topic_prefix: str = "coral"  # topics: <prefix>/available, <prefix>/<stream>/events|status|<label>
    client_id: Optional[str] = None  # the MQTT client id (null: coral-<host name>-<process id>)
    qos: int = 1  # 0 at most once, 1 at least once, 2 exactly once (events, counts, status)
    max_queue: int = 10000  # messages held while the broker is down; beyond, the oldest are dropped (counted)


@dataclass
class WebhookConfig:
    """One HTTP POST (JSON) per event (docs/events.md "Delivery")."""

    enabled: bool = False  # the default of every stream's sinks.webhook
    url: Optional[str] = None  # http:// or https:// address the events are posted to
    token: Optional[str] = None  # a secret, sent as "Authorization: Bearer <token>" (prefer ${oc.env:CORAL_WEBHOOK_TOKEN})
    timeout_s: float = 5.0  # seconds per POST
    retries: int = 3  # quick retries of a failed POST before the server counts as down (the event stays queued)
    max_queue: int = 10000  # events held while the server is down; beyond, the oldest are dropped (counted)


@dataclass
class ServicesConfig:
    webrtc: WebRTCConfig = field(default_factory=WebRTCConfig)
    web: WebConfig = field(default_factory=WebConfig)
    recording: RecordingConfig = field(default_factory=RecordingConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)  # events to an MQTT broker
    webhook: WebhookConfig = field(default_factory=WebhookConfig)  # events as HTTP POSTs


class PluginMode(str, Enum):
    auto = "auto"  # every discovered plugin
    none = "none"
    allowlist = "allowlist"  # only the names in plugins.allowlist


@dataclass
class PluginsConfig:
    mode: PluginMode = PluginMode.auto  # which discovered plugins load (see PluginMode)
    allowlist: List[str] = field(default_factory=list)  # plugin names loaded under mode=allowlist
    strict: bool = False  # any plugin failure fails the run (exit 4)
    config: Dict[str, Any] = field(default_factory=dict)  # per-plugin settings, by plugin name


@dataclass
class SummaryConfig:
    filename: str = "runtime_summary.json"  # the summary's file name in the run folder
    # true: a run folder that holds a finished run (its summary or results) is reused and its files replaced;
    # false: such a folder is refused (exit 2) so a second run never overwrites the first one's results.
    overwrite: bool = False
    # Keys whose values are redacted in every artifact and in stdout (substring, case-insensitive).
    secret_keys: List[str] = field(
        default_factory=lambda: ["token", "password", "secret", "credential", "api_key"]
    )


# --- streams (coral_inference/streams/) -------------------------------------------------------------
@dataclass
class ReconnectConfig:
    """How a live source (camera index, rtsp:// or http:// URL) comes back after it is lost."""

    max_attempts: Optional[int] = None  # None: forever
    backoff_s: float = 0.5  # first wait; doubles each attempt
    backoff_max_s: float = 8.0  # the longest wait between two attempts


@dataclass
class MotionConfig:
    """Motion gating (coral_inference/streams/motion.py): frames in which nothing moves are not inferred."""

    enabled: bool = False  # on: only frames with motion (the first one, and one after max_idle_s) go to the device
    threshold: int = 25  # gray levels (of 255) a pixel must differ from the running average to count as moving
    min_area: float = 0.001  # the largest moving region must cover at least this fraction of the frame
    # Areas where motion is ignored: polygons [[[x, y], …], …] in normalized coordinates (0–1), or the path
    # of a PNG file whose black pixels are ignored (stretched to the frame).
    mask: Any = None
    max_idle_s: Optional[float] = 10.0  # seconds without an inferred frame after which one is inferred anyway (null: never)


@dataclass
class TrackerConfig:
    """streams.<name>.tracker: object identity across frames, and the events of docs/events.md."""

    kind: str = "none"  # none (no tracking, no events) | iou (built-in) | a plugin's (registry kind tracker)
    max_age_s: float = 1.0  # a track not seen for this long ends (seconds; a file's media time)
    min_hits: int = 3  # frames an object must be seen in before it is a track (gets its id, `start`)
    iou_threshold: float = 0.3  # a box continues a track when it overlaps its predicted box this much
    snapshot_interval_s: float = 2.0  # `update` for a better-scored sighting: at most one per track this often
    options: Dict[str, Any] = field(default_factory=dict)  # a plugin tracker's own settings


@dataclass
class ZoneConfig:
    """streams.<name>.zones.<zone>: a polygon tracked objects enter and leave (their box centre)."""

    polygon: List[Any] = field(default_factory=list)  # [[x, y], …] normalized 0..1, 3 points or more
    labels: List[str] = field(default_factory=list)  # only these labels (or class ids) count; empty: all
    min_frames: int = 1  # frames in a row inside (outside) before `enter` (`leave`)


@dataclass
class LineConfig:
    """streams.<name>.lines.<line>: a segment tracked objects cross (their box centre)."""

    points: List[Any] = field(default_factory=list)  # [[x1, y1], [x2, y2]] normalized 0..1
    # Crossings that make `cross` events: in (from the left of points[0] -> points[1] to its right), out
    directions: List[str] = field(default_factory=lambda: ["in", "out"])
    labels: List[str] = field(default_factory=list)  # only these labels (or class ids) count; empty: all


@dataclass
class StreamConfig:
    source: Optional[str] = None  # video file, folder of images, camera index, rtsp:// or http:// URL
    model: str = "default"  # a key of `models`; "default" is `model`
    backend: Optional[str] = None  # a backend name; None: the first running one
    max_fps: Optional[float] = None  # frames per second at most (None: as fast as they come)
    # A live source that does not open (or send a frame) within this many seconds is retried (reconnect);
    # every stream opens its source at the same time as the others, each within its own timeout.
    open_timeout_s: float = 3.0
    # Requests this stream keeps at its backend at once, the next frame converted while one is on a device; results
    # leave in frame order. None: the backend's devices + 1 (a live source: its devices, so no frame waits stale).
    in_flight: Optional[int] = None
    enabled: bool = True  # false: the stream is configured but not run
    # Ordered workflow blocks: [{block: score_filter, min_score: 0.5}, {block: label_filter, include: [person]}]
    workflow: List[Dict[str, Any]] = field(default_factory=list)
    # Sink name -> true/false/null for this stream: registry kind "sink" (built-ins: results, recording,
    # metrics, buffer, masks; plugins' too) plus preview (the live view); null or absent: the default
    # (streams/spec.py sink_default); an unknown name is an error naming the sinks that exist.
    sinks: Dict[str, Optional[bool]] = field(default_factory=dict)
    reconnect: ReconnectConfig = field(default_factory=ReconnectConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)  # motion gating: still frames skip the device
    tracker: TrackerConfig = field(default_factory=TrackerConfig)  # object identity and events
    zones: Dict[str, ZoneConfig] = field(default_factory=dict)  # named polygons (need a tracker)
    lines: Dict[str, LineConfig] = field(default_factory=dict)  # named crossing lines (need a tracker)


@dataclass
class CoralConfig:
    """The root of the composed configuration."""

    model: ModelConfig = field(default_factory=ModelConfig)
    # More models by name, for streams (streams.<name>.model); `model` is the entry named "default".
    models: Dict[str, ModelConfig] = field(default_factory=dict)
    # Streams by name; run.source is the shorthand for streams.default.source.
    streams: Dict[str, StreamConfig] = field(default_factory=dict)
    run: RunConfig = field(default_factory=RunConfig)
    platform: PlatformConfig = field(default_factory=PlatformConfig)
    backends: BackendsConfig = field(default_factory=BackendsConfig)
    # Named patches, on or off (built-ins and those from coral_inference.patches plugins).
    patches: Dict[str, bool] = field(default_factory=dict)
    services: ServicesConfig = field(default_factory=ServicesConfig)
    plugins: PluginsConfig = field(default_factory=PluginsConfig)
    summary: SummaryConfig = field(default_factory=SummaryConfig)


# conf/hydra/launcher/{joblib,ray}.yaml deliberately shadow the launcher plugins' presets of the same
# name; Hydra validates them against the plugins' schemas (what we want) and warns that such matching
# is deprecated. Silence that one notice. It is set here because launcher worker processes import this
# module (the ConfigStore holds CoralConfig) before they compose their job's config.
warnings.filterwarnings("ignore", message=r"(?s).*'hydra/launcher/(joblib|ray)' is validated against ConfigStore")

SCHEMA_NAME = "coral_schema"
GROUPS = ("platform", "backends", "patches", "services", "plugins", "streams")
# Maps of typed entries that take new names from a dotted override (`streams.front.source=…`, no `+`):
# OmegaConf cannot create a typed entry from a dotted key (it assigns {} first, which a dataclass entry
# refuses), so Hydra composes these maps untyped and open, and RuntimeConfig types every entry
# (typed_entries: unknown keys and wrong types are errors naming `streams.<name>.<key>`).
OPEN_MAPS = {"streams": StreamConfig, "models": ModelConfig}


def schema_node() -> Any:
    """The schema as Hydra composes it: CoralConfig with the OPEN_MAPS untyped and open."""
    from omegaconf import OmegaConf, open_dict

    node = OmegaConf.structured(CoralConfig)
    with open_dict(node):
        for key in OPEN_MAPS:
            del node[key]
            node[key] = OmegaConf.create({}, flags={"struct": False})
    return node


def typed_entries(cfg: Any) -> list[tuple[str, str, Any]]:
    """Type every entry of the OPEN_MAPS in ``cfg`` (a DictConfig) in place; the problems as
    (dotted key, message, value), every one of them."""
    from omegaconf import DictConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    problems = []
    for key, entry_type in OPEN_MAPS.items():
        node = cfg.get(key) if isinstance(cfg, DictConfig) else None
        if node is None:
            continue
        if not isinstance(node, DictConfig):
            problems.append((key, f"must be a mapping of name -> {entry_type.__name__}", _plain(node), "a mapping"))
            continue
        for name in list(node.keys()):
            entry = node._get_node(name)
            if isinstance(entry, DictConfig) and OmegaConf.get_type(entry) is entry_type:
                continue
            try:
                if not isinstance(entry, DictConfig):
                    raise TypeError(f"must be a mapping of {entry_type.__name__} keys")
                node[name] = OmegaConf.merge(OmegaConf.structured(entry_type), entry)
            except OmegaConfBaseException as exc:
                found = _field_problems(entry_type, entry, f"{key}.{name}")
                if not found:
                    sub = getattr(exc, "full_key", None)
                    found = [(f"{key}.{name}" + (f".{sub}" if sub else ""), str(exc).splitlines()[0], None,
                              f"a mapping of {entry_type.__name__} fields")]
                problems += found
            except TypeError as exc:
                problems.append((f"{key}.{name}", str(exc), _plain(entry), f"a mapping of {entry_type.__name__} fields"))
    return problems


def _plain(node: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(node, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(node, resolve=False)
        except Exception:  # noqa: BLE001 - shown only
            return str(node)
    return node


def _field_problems(entry_type: Any, entry: Any, where: str) -> list[tuple[str, str, Any, str]]:
    """The entry's fields one by one: (key, message, value, expected) of each the schema refuses, so a
    wrong type names its own key (``streams.s.workflow``) and its value."""
    import dataclasses as dc
    import typing

    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from .sources import expectation

    fields = {f.name: f for f in dc.fields(entry_type)}
    hints = typing.get_type_hints(entry_type)
    out = []
    for field_name in list(entry.keys()):
        key = f"{where}.{field_name}"
        value = _plain(entry._get_node(field_name))
        if field_name not in fields:
            out.append((key, "unknown key", value, f"one of {', '.join(fields)}"))
            continue
        try:
            OmegaConf.merge(OmegaConf.structured(entry_type), {field_name: entry._get_node(field_name)})
        except OmegaConfBaseException as exc:
            sub = getattr(exc, "full_key", None) or ""
            inner = f"{where}.{sub}" if sub and sub.startswith(field_name + ".") else key
            out.append((inner, "wrong type", value, expectation(hints[field_name])))
    return out


def register() -> None:
    """Register the schema in Hydra's ConfigStore (called by the CLIs, never at import), the empty
    plugin-defaults layer and the search path of plugin config options (config/plugin_defaults.py,
    config/searchpath.py)."""
    from hydra.core.config_store import ConfigStore

    from .plugin_defaults import store_plugin_defaults
    from .searchpath import register_searchpath

    from omegaconf import OmegaConf

    node = schema_node()
    # plugins.config.<name>.<key>=value works without +/++: new keys are accepted here and checked
    # against the plugin's settings dataclass in validation (config/validate.py).
    OmegaConf.set_struct(node.plugins.config, False)
    ConfigStore.instance().store(name=SCHEMA_NAME, node=node)
    store_plugin_defaults([])
    register_searchpath()
