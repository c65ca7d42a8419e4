"""What one browser viewer costs the pipeline: the same stream's fps without and with a live WebRTC
viewer (Debian's chromium through playwright), in one `coral-run run.mode=serve` run, windows
interleaved (off, on, off, on, ...). Target: the viewer costs <= 15 % of the pipeline's fps.

    python bench/serve_viewer.py [--model PATH] [--rounds 3] [--window 6] [--frames 9000] [--size 640x480]
                                 [extra coral-run overrides ...]

Default preview settings (services.webrtc.width / max_fps) unless overridden.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import serve_run

STATS_JS = """async () => { let n = 0; for (const pc of Object.values(window.coralPeers || {})) {
  (await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0; }); }
  return n; }"""


def window(url: str, seconds: float, page=None) -> tuple[float, float | None]:
    """(pipeline fps, preview fps decoded by the browser) over ``seconds``."""
    t0, f0 = serve_run.frames(url, "cam")
    d0 = page.evaluate(STATS_JS) if page else None
    time.sleep(seconds)
    t1, f1 = serve_run.frames(url, "cam")
    d1 = page.evaluate(STATS_JS) if page else None
    status = serve_run.get(url, "/api/streams")["streams"]["cam"]["status"]
    if status != "running":
        raise SystemExit(f"the stream is {status} before the end: give more --frames")
    return (f1 - f0) / (t1 - t0), ((d1 - d0) / (t1 - t0) if page else None)


def main() -> None:
    from media import write_video
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="builtin:selftest")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=float, default=6.0)
    parser.add_argument("--frames", type=int, default=9000)
    parser.add_argument("--size", default="640x480")
    args, extra = parser.parse_known_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        video = write_video(Path(tmp) / "cam.mp4", args.frames, fps=30, size=(w, h))
        proc, url = serve_run.start(Path(tmp) / "run", [f"streams.cam.source={video}", f"model.path={args.model}",
                                                         *extra])
        off, on, preview = [], [], []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=serve_run.CHROMIUM_ARGS,
                                            headless=True)
                page = browser.new_page()
                time.sleep(2.0)  # past start-up
                for _ in range(args.rounds):
                    page.goto("about:blank")
                    while serve_run.get(url, "/api/streams")["streams"]["cam"]["viewers"]:
                        time.sleep(0.2)
                    off.append(window(url, args.window)[0])
                    page.goto(url)
                    while page.evaluate(STATS_JS) < 3:
                        time.sleep(0.2)
                    fps, shown = window(url, args.window, page)
                    on.append(fps)
                    preview.append(shown)
                browser.close()
        finally:
            serve_run.stop(proc)
    base, with_viewer = statistics.median(off), statistics.median(on)
    print(f"model {args.model}, {w}x{h} video, {args.rounds} rounds of {args.window:g} s, overrides {extra}")
    print("without viewer fps:", [round(v, 1) for v in off])
    print("with viewer fps:   ", [round(v, 1) for v in on], " preview fps decoded:", [round(v, 1) for v in preview])
    print(f"median without {base:.1f}, with {with_viewer:.1f}: the viewer costs {100 * (1 - with_viewer / base):.1f} %"
          f" (target <= 15 %)")


if __name__ == "__main__":
    main()
