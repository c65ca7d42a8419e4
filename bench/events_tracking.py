"""What a frame of tracking costs next to an inference (issue 20).

Per frame: the built-in ``iou`` tracker alone (``update``), and the whole event step
(streams/events/lifecycle.py: tracker, 2 zones, 1 line, events into a real EventHub with no sink), for
1, 5 and 20 objects moving across the frame, against ``invoke()`` of MoveNet Lightning (CPU, 1 thread,
from ../shared/coral-test-data) and Coral's published Edge TPU figure for it (7.1 ms). Medians (ms) of
interleaved blocks. Usage: python bench/events_tracking.py [BLOCKS] [FRAMES]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "coral-test-data"
EDGETPU_MOVENET_MS = 7.1  # coral.ai model page, MoveNet Lightning on the Edge TPU


def frames(objects: int, n: int) -> list[list[dict]]:
    rng = np.random.default_rng(objects)
    start = rng.random((objects, 2)) * 0.8
    speed = (rng.random((objects, 2)) - 0.5) * 0.01
    out = []
    for i in range(n):
        xy = (start + speed * i) % 0.9
        out.append([{"class": 0, "label": "person", "score": 0.8,
                     "box": [float(x), float(y), float(x) + 0.08, float(y) + 0.12]} for x, y in xy])
    return out


def config() -> NS:
    zone = NS(polygon=[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]], labels=[], min_frames=2)
    other = NS(polygon=[[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0]], labels=[], min_frames=2)
    line = NS(points=[[0.3, 0.0], [0.3, 1.0]], directions=["in", "out"], labels=[])
    tracker = NS(kind="iou", max_age_s=1.0, min_hits=3, iou_threshold=0.3, snapshot_interval_s=2.0)
    return NS(tracker=tracker, zones={"a": zone, "b": other}, lines={"l": line})


def per_frame_tracker(sequence: list[list[dict]]) -> float:
    from coral_inference.streams.events.tracker import IouTracker

    tracker = IouTracker({"max_age_s": 1.0, "min_hits": 3, "iou_threshold": 0.3})
    t0 = time.perf_counter()
    for i, objs in enumerate(sequence):
        tracker.update([{"box": o["box"], "label": "person"} for o in objs], i * 0.1)
    return (time.perf_counter() - t0) / len(sequence) * 1000.0


def per_frame_lifecycle(sequence: list[list[dict]]) -> float:
    from coral_inference.streams.events.hub import EventHub
    from coral_inference.streams.events.lifecycle import Lifecycle
    from coral_inference.streams.events.tracker import IouTracker

    hub = EventHub("bench")
    life = Lifecycle("bench", config(), IouTracker({"max_age_s": 1.0, "min_hits": 3, "iou_threshold": 0.3}), hub)
    image = np.zeros((4, 4, 3), np.uint8)
    t0 = time.perf_counter()
    for i, objs in enumerate(sequence):
        life.step({"frame": i, "time": "t", "predictions": [dict(o) for o in objs]}, image, i * 0.1)
    took = (time.perf_counter() - t0) / len(sequence) * 1000.0
    hub.close()
    return took


def movenet_invoke() -> float | None:
    path = DATA / "movenet_single_pose_lightning_ptq.tflite"
    if not path.is_file():
        return None
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=1)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.random.default_rng(0).integers(0, 255, d["shape"]).astype(d["dtype"]))
    it.invoke()
    t0 = time.perf_counter()
    for _ in range(10):
        it.invoke()
    return (time.perf_counter() - t0) / 10 * 1000.0


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    sequences = {k: frames(k, n) for k in (1, 5, 20)}
    times: dict[str, list[float]] = {}
    for _ in range(blocks):
        for k, seq in sequences.items():
            times.setdefault(f"tracker {k}", []).append(per_frame_tracker(seq))
            times.setdefault(f"events {k}", []).append(per_frame_lifecycle(seq))
        value = movenet_invoke()
        if value is not None:
            times.setdefault("movenet", []).append(value)
    movenet = statistics.median(times.pop("movenet")) if "movenet" in times else None
    print(f"{'per frame':<36}{'median ms':>10}{'/ MoveNet CPU':>15}{'/ Edge TPU 7.1':>16}")
    for name, values in times.items():
        med = statistics.median(values)
        kind, k = name.split()
        label = f"{'iou tracker' if kind == 'tracker' else 'tracker+zones+line+events'}, {k} obj"
        cpu = f"{med / movenet:.3f}" if movenet else "-"
        print(f"{label:<36}{med:>10.3f}{cpu:>15}{med / EDGETPU_MOVENET_MS:>16.3f}")
    if movenet:
        print(f"{'MoveNet invoke (CPU, 1 thread)':<36}{movenet:>10.3f}")


if __name__ == "__main__":
    main()
