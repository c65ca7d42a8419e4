"""Stream manager benchmarks (issue 12), each a ratio measured in one run, rounds interleaved, medians:

    python bench/streams.py [--model PATH] [--frames 200] [--rounds 3]

1. one stream from a video file vs a bare ``backend.infer()`` loop on one pre-converted input
   (backends=cpu, 1 worker, 1 thread): pipeline fps / loop fps, target >= 0.90;
2. two streams on ``backends.cpu.workers=2`` vs one stream on ``workers=1`` (1 thread each): total fps
   ratio, target >= 1.7 on a 2-core machine;
3. a live MJPEG source (loopback HTTP) faster than inference: the stream's capture-to-result p95 vs its
   inference p95, target <= 2x.
The default model is mobilenet_v2_1.0_224_quant from ../shared/coral-test-data (builtin:selftest when absent).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "helpers"))

from contexts import context_for  # noqa: E402  (bench/contexts.py)


def run_streams(tmp: Path, overrides: list[str], timeout: float = 600.0) -> dict:
    from coral_inference.streams.manager import StreamManager

    context = context_for(tmp, overrides)
    try:
        manager = StreamManager(context)
        manager.start()
        manager.wait(timeout=timeout)
        manager.stop()
        return manager.summary()
    finally:
        context.close()


def main() -> None:
    from media import write_video

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--live-seconds", type=float, default=6.0)
    args = parser.parse_args()
    model = args.model
    if model is None:
        candidate = ROOT.parent / "shared" / "coral-test-data" / "mobilenet_v2_1.0_224_quant.tflite"
        model = str(candidate) if candidate.is_file() else "builtin:selftest"
    tmp = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    video = write_video(tmp / "clip.mp4", frames=args.frames, size=(320, 240))
    common = ["run.mode=pipeline", "backends=cpu", "backends.cpu.num_threads=1", f"model.path={model}",
              "run.warmup=3"]
    print(f"model {Path(model).name}, video {args.frames} frames 320x240, {args.rounds} rounds interleaved, medians")

    # 1. one file stream vs the bare infer loop
    import cv2

    from coral_inference.backends.inputs import to_input

    ctx = context_for(tmp, common + [f"run.source={video}"])
    backend = next(iter(ctx.backend_objects.values()))
    frame = cv2.VideoCapture(str(video)).read()[1]
    inputs = [to_input(frame, d) for d in backend.input_details]

    def loop() -> float:
        start = time.perf_counter()
        for _ in range(args.frames):
            backend.infer(inputs)
        return args.frames / (time.perf_counter() - start)

    loop()
    bare, one = [], []
    for _ in range(args.rounds):
        bare.append(loop())
        s = run_streams(tmp, common + [f"streams.a.source={video}", "streams.a.sinks.buffer=false"])
        one.append(s["streams"]["a"]["frames"] / s["duration_s"])
    ctx.close()
    b, o = statistics.median(bare), statistics.median(one)
    print(f"1. bare infer loop {b:.1f} fps; one file stream {o:.1f} fps; ratio {o / b:.3f} (target >= 0.90)")

    # 2. two streams on two workers vs one stream on one worker
    single, double = [], []
    for _ in range(args.rounds):
        s = run_streams(tmp, common + ["backends.cpu.workers=1", f"streams.a.source={video}"])
        single.append(s["totals"]["frames"] / s["duration_s"])
        s = run_streams(tmp, common + ["backends.cpu.workers=2", f"streams.a.source={video}", f"streams.b.source={video}"])
        double.append(s["totals"]["frames"] / s["duration_s"])
        split = [w["requests"] for w in s["backends"]["cpu"]]
    one1, two2 = statistics.median(single), statistics.median(double)
    print(f"2. one stream, workers=1: {one1:.1f} fps; two streams, workers=2: {two2:.1f} fps; ratio {two2 / one1:.3f} "
          f"(target >= 1.7); requests per worker {split}")

    # 3. a live source faster than inference
    from live_servers import MjpegServer

    ratios = []
    for _ in range(args.rounds):
        server = MjpegServer(fps=60, size=(320, 240)).start()
        try:
            ctx = context_for(tmp, common + [f"streams.cam.source={server.url}"])
            from coral_inference.streams.manager import StreamManager

            manager = StreamManager(ctx)
            manager.start()
            time.sleep(args.live_seconds)
            manager.stop()
            st = manager.status()["cam"]
            ctx.close()
        finally:
            server.stop()
        ratios.append(st["capture_to_result_ms"]["p95"] / st["latency_ms"]["p95"])
        print(f"   live: {st['frames']} results, {st['dropped']} dropped, capture-to-result p95 "
              f"{st['capture_to_result_ms']['p95']} ms, inference p95 {st['latency_ms']['p95']} ms")
    print(f"3. live source: capture-to-result p95 / inference p95 = {statistics.median(ratios):.2f} (target <= 2)")


if __name__ == "__main__":
    main()
