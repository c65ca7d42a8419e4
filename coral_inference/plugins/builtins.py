"""The built-in entries of the registry, as lazy "module:attr" strings: naming them imports nothing.

Each part of the package owns what it lists here (its module holds the object); this table only
says where to find it. Kinds and their call signatures: plugins/contract.py.
"""

from __future__ import annotations

BUILTINS: dict[str, dict[str, str]] = {
    "backend": {
        "cpu": "coral_inference.backends.cpu:CpuBackend",
        "edgetpu": "coral_inference.backends.edgetpu:EdgeTpuBackend",
        "auto": "coral_inference.backends.edgetpu:AutoBackend",
    },
    "patch": {name: f"coral_inference.patches.{name}:PATCH" for name in
              ("opencv_threads", "webrtc")},
    "mode": {
        "pipeline": "coral_inference.streams.run:run",
        "bench": "coral_inference.runtime.bench:run",
        "serve": "coral_inference.web.serve:run",
    },
    "workflow": {name: f"coral_inference.streams.blocks:{name}" for name in
                 ("score_filter", "label_filter")},
    "decoder": {name: f"coral_inference.tasks.{name}:DECODER" for name in
                ("classification", "detection", "segmentation", "pose", "raw")},
    "sink": {"masks": "coral_inference.tasks.sinks:mask_sink",
             "results": "coral_inference.streams.sinks:ResultsSink",
             "recording": "coral_inference.streams.sinks:RecordingSink",
             "metrics": "coral_inference.streams.sinks:MetricsSink",
             "buffer": "coral_inference.streams.sinks:buffer_sink",
             "mqtt": "coral_inference.streams.delivery:MqttSink",
             "webhook": "coral_inference.streams.delivery:WebhookSink",
             "snapshots": "coral_inference.streams.events.sinks:snapshots_sink",
             "events": "coral_inference.streams.events.sinks:events_sink"},
    "tracker": {"iou": "coral_inference.streams.events.tracker:iou_tracker"},
    "check": {  # check(config, issues), run by config/validate.py after its own checks, in name order
        "backends": "coral_inference.backends.checks:check",
        "bench": "coral_inference.runtime.bench:check_bench",
        "delivery": "coral_inference.streams.delivery:check",
        "devices": "coral_inference.backends.platform_checks:check_devices_claimed",
        "fallback": "coral_inference.backends.platform_checks:check_model_fallback",
        "interpreter": "coral_inference.backends.checks:check_interpreter",
        "model": "coral_inference.backends.platform_checks:check_model",
        "modes": "coral_inference.runtime.modes:check",
        "platform": "coral_inference.backends.platform_checks:check_platform",
        "segments": "coral_inference.backends.checks:check_segments",
        "streams": "coral_inference.streams.checks:check",
        "tasks": "coral_inference.tasks.checks:check_tasks",
        "web": "coral_inference.web.checks:check",
        "webrtc": "coral_inference.services.webrtc:check",
    },
}
