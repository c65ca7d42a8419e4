"""Edge TPU utilization with the timing double (issue 21), through coral-run on a real Edge-TPU-compiled model:

    utilization = inferences/s ÷ (devices × 1000 / device-ms)

    python bench/edgetpu_utilization.py one-tpu        # 1 stream, 1 Edge TPU, 2.6 ms, 640x360 video: >= 0.95
    python bench/edgetpu_utilization.py two-tpus       # 1 stream, 2 Edge TPUs, in_flight default (3): >= 1.8 x one-tpu
    python bench/edgetpu_utilization.py four-streams   # 4 streams, 2 Edge TPUs, 7.2 ms: >= 0.95
    python bench/edgetpu_utilization.py motion         # mostly still video: device inferences <= 0.2 of frames
    python bench/edgetpu_utilization.py segments-bench   # 2-segment SSD, 2 Edge TPUs, 3.6 ms/segment, bench: >= 0.90
    python bench/edgetpu_utilization.py segments-stream  # the same through a stream of the video: >= 0.85
    python bench/edgetpu_utilization.py all            # every figure, rounds interleaved
    options: --frames 600 --rounds 3 --model PATH (default: Coral's mobilenet_v1_0.25_128_quant_edgetpu.tflite)

Each round is one `coral-run run.mode=pipeline` process on a fake tree of two USB Accelerators with the double
(tests/helpers/edgetpu_double.c) as platform.delegate_library; medians over the rounds. Inferences/s is the sum of
the streams' steady rates (results between the first and the last, from the summary); device inferences come
from the double's own count. The host CPU the run used (user+sys ÷ wall, in cores of the 2 here) says where the
host, not the devices, is the limit. Streams run with streams.<name>.in_flight at its default (the backend's
devices + 1; the summary's value is printed). The segment figures (issue 25) divide by the pipeline's bound,
one device's 1000 / 3.6 inferences/s (each request passes both devices). The motion figure turns on streams.a.motion (default settings) and
reads which source frames were inferred from results.jsonl (`source_frame`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "helpers"))
DATA = ROOT.parent / "shared" / "coral-test-data"
MODEL = "mobilenet_v1_0.25_128_quant_edgetpu.tflite"
SIZE = (640, 360)

from childproc import measure  # noqa: E402  (bench/childproc.py)


def has_stream_key(name: str) -> bool:
    import dataclasses

    from coral_inference.config.schema import StreamConfig

    return name in {f.name for f in dataclasses.fields(StreamConfig)}


class Rig:
    """The double, a fake tree with two USB Accelerators, the videos; runs coral-run with the double's log."""

    def __init__(self, tmp: Path, model: Path, frames: int):
        import edgetpu_double
        from device_tree import fake_tree

        self.tmp, self.model, self.frames = tmp, model, frames
        self.library = edgetpu_double.build(tmp / "double")
        self.root = fake_tree(tmp / "root", usb_ready=2)
        self.video = write_moving_video(tmp / "clip.mp4", frames, moving=range(frames))
        self.still = None
        self.runs = 0

    def still_video(self) -> tuple[Path, range]:
        """A still scene with one object moving through 10 % of the frames (in the middle)."""
        if self.still is None:
            n = self.frames // 10
            moving = range(self.frames // 2 - n // 2, self.frames // 2 - n // 2 + n)
            self.still = (write_moving_video(self.tmp / "still.mp4", self.frames, moving=moving), moving)
        return self.still

    def run(self, devices: int, device_ms: float, streams: dict[str, Path], extra: list[str] = (),
            mode: str = "pipeline", model: list[str] | None = None) -> dict:
        """One coral-run; ``model``: the model overrides (default model.path=<--model>); ``mode`` bench: the
        backend's timed throughput instead of the streams' rates (the bound: one device's 1000 / device-ms)."""
        import edgetpu_double

        self.runs += 1
        run_dir, log = self.tmp / f"run{self.runs}", self.tmp / f"run{self.runs}.log"
        backend = "edgetpu_multi" if devices > 1 else "edgetpu_single"
        specs = "[" + ",".join(f"usb:{i}" for i in range(devices)) + "]" if devices > 1 else "usb:0"
        options = f"{{device_ms: {device_ms}, device_root: {self.root}, log: {log}}}"
        cmd = [str(Path(sys.executable).parent / "coral-run"), f"run.mode={mode}", f"backends={backend}",
               f"backends.{backend}.devices={specs}", f"platform.device_root={self.root}",
               f"platform.delegate_library={self.library}", f"+backends.{backend}.delegate_options={options}",
               *(model or [f"model.path={self.model}"]), "run.warmup=1", f"hydra.run.dir={run_dir}"]
        for name, source in streams.items():
            cmd += [f"streams.{name}.source={source}", f"streams.{name}.sinks.buffer=false"]
        cmd += list(extra)
        wall, _rss, cpu = measure(cmd, str(self.tmp), dict(os.environ))
        summary = json.loads((run_dir / "runtime_summary.json").read_text())
        invokes = {r["device"]: int(r["invokes"]) for r in edgetpu_double.read_log(log) if r["event"] == "destroy"}
        if mode == "bench":
            [backend_entry] = summary["backends"]
            ips = backend_entry["benchmark"]["timed"]["throughput_ips"]
            return {"ips": ips, "utilization": ips / (1000.0 / device_ms), "host_cores": cpu / wall,
                    "per_device": invokes, "concurrency": backend_entry["benchmark"]["timed"]["concurrency"]}
        pipeline = summary["results"]["pipeline"]
        records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
        ips = sum(s["fps"] or 0 for s in pipeline["streams"].values())
        bound = (1000.0 / device_ms) if model and any(m.startswith("model.segments") for m in model) \
            else devices * 1000.0 / device_ms  # a pipeline of segments: one device's rate
        return {"ips": ips, "utilization": ips / bound, "host_cores": cpu / wall,
                "frames": pipeline["totals"]["frames"], "device_inferences": sum(invokes.values()) - 1,  # - init's first
                "per_device": invokes, "records": records,
                "in_flight": sorted({s.get("in_flight") for s in pipeline["streams"].values()}, key=str)}


def write_moving_video(path: Path, frames: int, moving: range) -> Path:
    """A textured still background; a bright square crosses it in the frames of ``moving`` (tests/helpers/media.py)."""
    from media import write_moving_video as write

    return write(path, frames, moving, size=SIZE)


def med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def one_tpu(rig: Rig, rows: dict) -> None:
    rows.setdefault("one-tpu", []).append(rig.run(1, 2.6, {"a": rig.video}))


def two_tpus(rig: Rig, rows: dict) -> None:  # streams.a.in_flight at its default: the pool's 2 devices + 1
    rows.setdefault("two-tpus", []).append(rig.run(2, 2.6, {"a": rig.video}))


def four_streams(rig: Rig, rows: dict) -> None:
    rows.setdefault("four-streams", []).append(rig.run(2, 7.2, {f"s{i}": rig.video for i in range(4)}))


def motion(rig: Rig, rows: dict) -> None:
    video, moving = rig.still_video()
    extra = ["streams.a.motion.enabled=true"] if has_stream_key("motion") else []
    row = rig.run(1, 2.6, {"a": video}, extra)
    inferred = {r.get("source_frame", r["frame"]) for r in row["records"]}  # gated frames have no result
    row["ratio"] = row["device_inferences"] / rig.frames
    row["moving_inferred"] = sum(1 for i in moving if i in inferred) / len(moving)
    rows.setdefault("motion", []).append(row)


SEGMENTS = ("ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite",
            "ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite")


def segments_args() -> list[str]:
    paths = [DATA / name for name in SEGMENTS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"no segment files {missing} (../shared/coral-test-data absent?)")
    return [f"model.segments=[{','.join(str(p) for p in paths)}]"]


def segments_bench(rig: Rig, rows: dict) -> None:
    """Coral's SSD MobileNet v2 in two segments on two Edge TPUs at 3.6 ms a segment: run.mode=bench."""
    iterations = max(rig.frames, 200)
    rows.setdefault("segments-bench", []).append(
        rig.run(2, 3.6, {}, [f"run.iterations={iterations}"], mode="bench", model=segments_args()))


def segments_stream(rig: Rig, rows: dict) -> None:
    """The same two segments, one stream of the video through run.mode=pipeline, decoded as detection."""
    rows.setdefault("segments-stream", []).append(rig.run(2, 3.6, {"a": rig.video}, model=segments_args()))


FIGURES = {"one-tpu": one_tpu, "two-tpus": two_tpus, "four-streams": four_streams, "motion": motion,
           "segments-bench": segments_bench, "segments-stream": segments_stream}


THROUGHPUT = {  # figure -> (what it runs, the target after the utilization, the stream key it waits for)
    "one-tpu": ("1 stream, 1 Edge TPU at 2.6 ms", " (target >= 0.95)", None),
    "two-tpus": ("1 stream, 2 Edge TPUs at 2.6 ms", "", None),
    "four-streams": ("4 streams, 2 Edge TPUs at 7.2 ms", " (target >= 0.95)", None),
    "segments-bench": ("bench, SSD MobileNet v2 in 2 segments on 2 Edge TPUs at 3.6 ms/segment, of the pipeline "
                       "bound 1000/3.6", " (target >= 0.90)", None),
    "segments-stream": ("1 stream, the 2-segment SSD on 2 Edge TPUs at 3.6 ms/segment, of the pipeline bound",
                        " (target >= 0.85)", None),
}
WAITS = {"in_flight": "frames in flight", "motion": "motion gating"}


def waits(key: str | None) -> str:
    return f"; waits for streams.<name>.{key} ({WAITS[key]})" if key and not has_stream_key(key) else ""


def report(rows: dict) -> None:
    for name, (what, target, key) in THROUGHPUT.items():
        if name not in rows:
            continue
        r = rows[name]
        if name == "two-tpus" and "one-tpu" in rows:
            target = f", {med(r, 'ips') / med(rows['one-tpu'], 'ips'):.3f} x one-tpu (target >= 1.8)"
        split = f"; device split {r[-1]['per_device']}" if len(r[-1]["per_device"]) > 1 else ""
        flight = (f"; in_flight {r[-1]['in_flight']}" if "in_flight" in r[-1]
                  else f"; concurrency {r[-1]['concurrency']}")
        print(f"{name}: {what}: {med(r, 'ips'):.1f} inferences/s, utilization {med(r, 'utilization'):.3f}{target}"
              f"{split}{flight}; host {med(r, 'host_cores'):.2f} cores{waits(key)}")
    if "motion" in rows:
        r = rows["motion"]
        print(f"motion: mostly still video ({r[-1]['frames']} frames, the object in 10 %): device inferences "
              f"{med(r, 'ratio'):.3f} of the frames (target <= 0.2), moving frames inferred "
              f"{med(r, 'moving_inferred'):.3f} (target 1.0); host {med(r, 'host_cores'):.2f} cores{waits('motion')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=[*FIGURES, "all"])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", type=Path, default=DATA / MODEL)
    args = parser.parse_args()
    if not args.model.is_file():
        raise SystemExit(f"no model at {args.model} (../shared/coral-test-data absent?): pass --model PATH")
    import edgetpu_double

    try:
        rig = Rig(Path(tempfile.mkdtemp(prefix="bench-edgetpu-")), args.model, args.frames)
    except edgetpu_double.Unavailable as exc:
        raise SystemExit(f"cannot build the timing double: {exc}")
    figures = list(FIGURES) if args.figure == "all" else (["one-tpu", "two-tpus"] if args.figure == "two-tpus"
                                                          else [args.figure])
    print(f"model {args.model.name}, {args.frames} frames {SIZE[0]}x{SIZE[1]}, {args.rounds} rounds interleaved, "
          f"medians; load {os.getloadavg()[0]:.2f}")
    rows: dict = {}
    for _ in range(args.rounds):
        for name in figures:
            FIGURES[name](rig, rows)
    report(rows)


if __name__ == "__main__":
    main()
