"""Pipeline throughput with and without services, against a baseline in the same run.

    python bench/pipeline_services.py [--frames 300] [--model PATH] [--influxdb URL]

Baseline: backend.infer() on pre-converted inputs in a loop (no decode, no I/O). Then the pipeline
(OpenCV decode of a generated video, resize, infer, top-k, results.jsonl) with: no services; metrics
to a port where nothing listens (must not stall); metrics to a live InfluxDB (when --influxdb is
given); recording. Prints fps and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from contexts import context_for  # noqa: E402  (bench/contexts.py)


def main() -> None:
    from influxdb_server import free_port
    from media import write_video

    from coral_inference.backends.inputs import to_input
    from coral_inference.streams.run import run

    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--model", default="builtin:selftest")
    parser.add_argument("--influxdb", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    video = write_video(tmp / "clip.mp4", frames=args.frames, size=(320, 240))
    base = ["run.mode=pipeline", "backends=cpu", f"run.source={video}", f"model.path={args.model}"]

    context = context_for(tmp, base)
    backend = next(iter(context.backend_objects.values()))
    import cv2

    frame = cv2.VideoCapture(str(video)).read()[1]
    inputs = [to_input(frame, d) for d in backend.input_details]

    def infer_loop() -> float:
        start = time.perf_counter()
        for _ in range(args.frames):
            backend.infer(inputs)
        return args.frames / (time.perf_counter() - start)

    infer_loop()  # warm-up
    baseline = statistics.median(infer_loop() for _ in range(args.repeat))
    print(f"model {args.model}, {args.frames} frames 320x240, cv2 {cv2.__version__}, median of {args.repeat}")
    print(f"{'baseline: backend.infer loop':48s} {baseline:9.1f} fps  1.00")

    dead = f"http://127.0.0.1:{free_port()}"
    cases = [("pipeline, no services", []),
             ("pipeline + metrics to an unreachable server", ["services=metrics", f"services.metrics.influxdb_url={dead}"])]
    if args.influxdb:
        cases.append(("pipeline + metrics to InfluxDB", ["services=metrics", f"services.metrics.influxdb_url={args.influxdb}"]))
    cases.append(("pipeline + recording (mp4v, 10 s segments)", ["services=recording", "services.recording.segment_s=10"]))
    for label, extra in cases:
        runs = []
        for _ in range(args.repeat):
            case = context_for(tmp, base + extra)
            runs.append(run(case))
            case.close()
        fps = statistics.median(t["fps"] for t in runs)
        m = runs[-1].get("metrics")
        note = f"  sent {m['sent']}, dropped {m['dropped']}" if m else ""
        print(f"{label:48s} {fps:9.1f} fps  {fps / baseline:4.2f}{note}")
    again = statistics.median(infer_loop() for _ in range(args.repeat))
    print(f"{'baseline again, after the cases':48s} {again:9.1f} fps  {again / baseline:4.2f}")
    context.close()


if __name__ == "__main__":
    main()
