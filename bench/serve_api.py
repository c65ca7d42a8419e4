"""API latency while two streams run: GET requests at a fixed rate (open loop: each is sent at its
scheduled time, whatever the previous took) spread over /api/streams, /api/summary, /metrics,
/healthz and /api/streams/<name>/latest, each timed from send to the last byte. Target: p99 <= 50 ms
at 50 requests/s.

    python bench/serve_api.py [--rate 50] [--seconds 20] [--model PATH] [--stream-fps 30] [overrides ...]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import serve_run

PATHS = ["/api/streams", "/api/summary", "/metrics", "/healthz", "/api/streams/a/latest", "/api/streams/b/latest"]


def main() -> None:
    from media import write_video

    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--model", default="builtin:selftest")
    parser.add_argument("--stream-fps", type=float, default=30.0)
    args, extra = parser.parse_known_args()
    frames = int(args.stream_fps * (args.seconds + 30))
    with tempfile.TemporaryDirectory() as tmp:
        overrides = [f"model.path={args.model}"]
        for name in ("a", "b"):
            video = write_video(Path(tmp) / f"{name}.mp4", frames, fps=30, size=(640, 480))
            overrides += [f"streams.{name}.source={video}", f"streams.{name}.max_fps={args.stream_fps}"]
        proc, url = serve_run.start(Path(tmp) / "run", overrides + extra)
        try:
            time.sleep(3.0)
            latencies, errors = run_load(url, args.rate, args.seconds)
            status = serve_run.get(url, "/api/streams")["streams"]
        finally:
            serve_run.stop(proc)
    lat = sorted(latencies)
    q = statistics.quantiles(lat, n=100)
    measured = ", ".join(f"{n} {s['fps']}" for n, s in status.items())
    print(f"{len(lat)} requests at {args.rate:g}/s for {args.seconds:g} s, {errors} errors; two streams at "
          f"max_fps {args.stream_fps:g} (measured fps: {measured})")
    print(f"latency ms: p50 {q[49]:.1f}  p95 {q[94]:.1f}  p99 {q[98]:.1f}  max {lat[-1]:.1f}  (target p99 <= 50)")


def run_load(url: str, rate: float, seconds: float) -> tuple[list[float], int]:
    """Open-loop load from 4 client threads with persistent connections (a browser keeps a few)."""
    parts = urlsplit(url)
    count = int(rate * seconds)
    start = time.monotonic() + 0.2
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(offset: int, step: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        for i in range(offset, count, step):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0 = time.monotonic()
            try:
                conn.request("GET", PATHS[i % len(PATHS)])
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            # from the scheduled time: a request that had to wait for its client counts that wait
            elapsed = (time.monotonic() - min(t0, due)) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k, 4)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


if __name__ == "__main__":
    main()
