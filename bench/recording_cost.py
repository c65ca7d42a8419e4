"""CPU seconds per minute of recording one 640x480 H.264 camera (issue 22): packet copy against decode+encode.

One GStreamer RTSP camera on loopback (tests/helpers/rtsp_server.py: H.264, 10 fps, 640x480), and for each
way of recording a child process that records it for ``--seconds`` and reports its own CPU time
(getrusage: user + system, every thread), scaled to one minute:

* copy    services/copy.py PacketCopy into services/mp4.py Segments (PyAV demux + mux, no decode/encode)
* encode  PyAV decode + services/recording.py Recorder (libx264, yuv420p): what recording costs when frames
          are encoded (services.recording.draw, or a camera that is not H.264)
* opencv  OpenCV VideoCapture decode + VideoWriter mp4v: the recorder before issue 22

    python bench/recording_cost.py --seconds 30 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "helpers"))


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(mode: str, url: str, seconds: float, folder: Path) -> dict:
    if mode == "copy":
        from coral_inference.services.copy import PacketCopy, probe
        from coral_inference.services.mp4 import Segments
        from coral_inference.services.retention import Store

        container, why = probe(url, "url")
        assert container is not None, why
        segments = Segments(Store(folder, 1000), 10.0)
        start = cpu()
        copy = PacketCopy(url, "url", True, container, segments, lambda: True, lambda exc: None).start()
        time.sleep(seconds)
        copy.stop()
        segments.close()
        frames = segments.packets
    elif mode == "encode":
        import av

        from coral_inference.services.copy import open_source
        from coral_inference.services.recording import Recorder

        container = open_source(url, "url")
        recorder = Recorder(folder, 10.0, 10.0, 1000)
        start = cpu()
        end = time.monotonic() + seconds
        frames = 0
        for frame in container.decode(container.streams.video[0]):
            recorder.write(frame.to_ndarray(format="bgr24"), time.monotonic())
            frames += 1
            if time.monotonic() >= end:
                break
        recorder.close()
        container.close()
        del av
    else:
        import cv2

        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        assert cap.isOpened()
        writer = None
        start = cpu()
        end = time.monotonic() + seconds
        frames = 0
        while time.monotonic() < end:
            ok, image = cap.read()
            if not ok:
                break
            if writer is None:
                writer = cv2.VideoWriter(str(folder / "segment.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0,
                                         (image.shape[1], image.shape[0]))
            writer.write(image)
            frames += 1
        writer.release()
        cap.release()
    used = cpu() - start
    return {"mode": mode, "cpu_s": round(used, 3), "frames": frames, "cpu_s_per_min": round(used * 60 / seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "URL"))
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(args.child[0], args.child[1], args.seconds, Path(tmp))))
        return
    from live_servers import RtspServer

    server = RtspServer(codec="h264", fps=10, size=(640, 480)).start()
    results: dict[str, list] = {"copy": [], "encode": [], "opencv": []}
    try:
        for _ in range(args.rounds):
            for mode in results:  # interleaved: the machine's load hits every mode alike
                out = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds), "--child", mode,
                                      server.url], capture_output=True, text=True, check=True)
                results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        server.stop()
    best = {mode: min(r["cpu_s_per_min"] for r in runs) for mode, runs in results.items()}
    print(json.dumps({"runs": results, "cpu_s_per_min": best,
                      "copy_over_encode": round(best["copy"] / best["encode"], 4),
                      "copy_over_opencv_mp4v": round(best["copy"] / best["opencv"], 4)}, indent=1))


if __name__ == "__main__":
    main()
