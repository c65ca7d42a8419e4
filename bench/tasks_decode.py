"""Decoding cost per frame against the inference it follows (issue 13).

For each real Coral model in ../shared/coral-test-data (MoveNet, DeepLab, MobileNet) and for detection
outputs of realistic size (an SSD model built by tests/helpers/tflite_builder.py; a YOLO head [1, 84, 8400] with a
realistic 20 candidates above the threshold), time ``invoke()`` and the prepared decoder in interleaved
blocks. Reports medians (ms) and decode / inference. Usage: python bench/tasks_decode.py [BLOCKS] [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "coral-test-data"
sys.path.insert(0, str(ROOT / "tests" / "helpers"))


def interpreter(path: Path):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=1)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.random.default_rng(0).integers(0, 255, d["shape"]).astype(d["dtype"]))
    return it


def timed(fn, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1000.0


def main() -> None:
    from coral_inference.plugins.registry import new_registry
    from coral_inference.tasks.decode import prepare_decoder

    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    cases = []
    for name, image in (("movenet_single_pose_lightning_ptq.tflite", "squat.bmp"),
                        ("deeplabv3_mnv2_dm05_pascal_quant.tflite", "bird_segmentation.bmp"),
                        ("mobilenet_v2_1.0_224_quant.tflite", "cat.bmp")):
        it = interpreter(DATA / name)
        it.invoke()
        details = it.get_output_details()
        outputs = [it.get_tensor(d["index"]) for d in details]
        dec = prepare_decoder("auto", details, {}, {"min_keypoint_score": 0.0}, new_registry())
        cases.append((name, dec.task, it.invoke, lambda dec=dec, o=outputs: dec(o, 640, 480)))
    head = np.random.default_rng(1).random((1, 84, 8400), np.float32) * 0.3
    head[0, 4:, :20] += 0.6  # 20 candidates above the 0.4 threshold
    yolo = prepare_decoder("auto", [{"name": "o", "shape": [1, 84, 8400], "dtype": "float32"}], {}, {},
                           new_registry())
    mobilenet = cases[-1][2]
    cases.append(("yolo head [1, 84, 8400] (vs mobilenet_v2 invoke)", yolo.task, mobilenet,
                  lambda: yolo([head], 640, 480)))
    print(f"{'model':52} {'task':14} {'invoke ms':>10} {'decode ms':>10} {'decode/invoke':>14}")
    for name, task, invoke, decode in cases:
        inv, dec, ratio = [], [], []
        for _ in range(blocks):  # interleaved
            a, b = timed(invoke, n), timed(decode, n)
            inv.append(a), dec.append(b), ratio.append(b / a)
        print(f"{name:52} {task:14} {statistics.median(inv):10.3f} {statistics.median(dec):10.3f} "
              f"{statistics.median(ratio):14.4f}")


if __name__ == "__main__":
    main()
