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
              ("opencv_threads", "camera", "buffer_sink", "video_sink", "metric_sink", "webrtc")},
    "mode": {
        "pipeline": "coral_inference.pipeline.run:run",
        "bench": "coral_inference.runtime.bench:run",
        "serve": "coral_inference.web.serve:run",
    },
    "workflow": {},
    "decoder": {name: f"coral_inference.tasks.{name}:DECODER" for name in
                ("classification", "detection", "segmentation", "pose", "raw")},
    "sink": {},
    "check": {
        "web": "coral_inference.web.checks:check",
        "tasks": "coral_inference.tasks.checks:check_tasks",
        "ranges": "coral_inference.config.ranges:check",  # last: a key another check refused is said once
        "names": "coral_inference.config.names:check",
    },
}
