"""What motion gating (streams.<name>.motion, streams/motion.py) costs per frame, next to an inference.

For 640x360, 1280x720 and 1920x1080 frames (a textured still scene with a square moving across), time the
motion detector per frame, against what a frame costs when it is inferred: the conversion to the model's
input (backends/inputs.py to_input, MobileNet v2's 224x224) and a CPU invoke() of Coral's
mobilenet_v2_1.0_224_quant.tflite (one thread); Coral's published Edge TPU time for that model (USB 3) is 2.6 ms.
Interleaved blocks, medians (ms per frame).

    python bench/motion_cost.py [BLOCKS] [N]     # default 5 blocks of 200 frames
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "coral-test-data"
MODEL = DATA / "mobilenet_v2_1.0_224_quant.tflite"
SIZES = [(640, 360), (1280, 720), (1920, 1080)]
EDGETPU_MS = 2.6  # Coral's table, MobileNet v2, USB Accelerator on USB 3


def frames(size: tuple[int, int], n: int) -> list:
    import cv2

    w, h = size
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3)).astype(np.uint8), (9, 9), 0)
    out = []
    for i in range(n):
        frame = background.copy()
        x = int(i / max(n - 1, 1) * (w - w // 8))
        cv2.rectangle(frame, (x, h // 3), (x + w // 8, h // 3 + h // 5), (255, 255, 255), -1)
        out.append(frame)
    return out


def per_frame(fn, items) -> float:
    t = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - t) / len(items) * 1000.0


def main() -> None:
    from coral_inference.backends.inputs import to_input
    from coral_inference.streams.motion import MotionDetector

    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    invoke = None
    detail = {"shape": np.array([1, 224, 224, 3]), "dtype": np.uint8, "quantization": (0.0, 0)}
    if MODEL.is_file():
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(MODEL), num_threads=1)
        it.allocate_tensors()
        detail = it.get_input_details()[0]
        it.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        invoke = it.invoke
    video = {size: frames(size, n) for size in SIZES}
    rows: dict = {size: {"motion": [], "convert": []} for size in SIZES}
    cpu = []
    for _ in range(blocks):
        for size in SIZES:
            detector = MotionDetector(25, 0.001)
            rows[size]["motion"].append(per_frame(detector, video[size]))
            rows[size]["convert"].append(per_frame(lambda f: to_input(f, detail), video[size]))
        if invoke is not None:
            cpu.append(per_frame(lambda _: invoke(), range(max(n // 10, 5))))
    cpu_ms = statistics.median(cpu) if cpu else None
    print(f"{blocks} blocks of {n} frames, medians, ms per frame")
    print(f"inference: Edge TPU {EDGETPU_MS} ms (Coral, MobileNet v2); CPU invoke here "
          + (f"{cpu_ms:.2f} ms" if cpu_ms is not None else "(model absent)"))
    for size in SIZES:
        m = statistics.median(rows[size]["motion"])
        c = statistics.median(rows[size]["convert"])
        print(f"{size[0]}x{size[1]}: motion {m:.3f} ms | to_input 224x224 {c:.3f} ms | motion ÷ (to_input + "
              f"Edge TPU) {m / (c + EDGETPU_MS):.3f}" + (f" | motion ÷ CPU invoke {m / cpu_ms:.3f}" if cpu_ms else ""))


if __name__ == "__main__":
    main()
