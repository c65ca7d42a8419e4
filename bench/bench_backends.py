"""Backend throughput benchmarks (results and command in BENCHMARKS.md). Not a test: prints ratios.

1. runtime ÷ raw: backend.infer(inputs) (pool, input checks, output copies) against a bare
   interpreter.invoke() loop, same model (mobilenet_v2 from ../shared/coral-test-data), same num_threads,
   blocks interleaved in one run. Target >= 0.98.
2. pool of 2 workers ÷ 1 worker: backend.infer_many(batch) with backends.cpu.workers=2 vs 1, one thread
   per interpreter, on this machine's cores. Target >= 1.85. Raw threads (one interpreter per thread,
   no pool) are printed as the ceiling.

    [chrt -f 10] python bench/bench_backends.py [--threads 1] [--iterations 20] [--blocks 3] [--batch 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

import numpy as np

MODEL = Path(__file__).resolve().parents[2] / "shared" / "coral-test-data" / "mobilenet_v2_1.0_224_quant.tflite"


def backend(workers: int, threads: int):
    from hydra import compose, initialize_config_module

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
    from coral_inference.config.schema import register
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.runtime.init import init

    register()
    with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
        cfg = compose("config", overrides=["backends=cpu", f"model.path={MODEL}", f"backends.cpu.workers={workers}",
                                           f"backends.cpu.num_threads={threads}", "plugins=none"])
    context = init(RuntimeConfig.from_dictconfig(cfg))
    return context, context.backend("cpu")


def image(detail) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, size=[int(d) for d in detail["shape"]], dtype=np.uint8)]


def rate(fn, count: int) -> float:
    start = time.perf_counter()
    fn(count)
    return count / (time.perf_counter() - start)


def runtime_vs_raw(threads: int, iterations: int, blocks: int) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    context, be = backend(1, threads)
    inputs = image(be.input_details[0])
    raw = Interpreter(model_path=str(MODEL), num_threads=threads)
    raw.allocate_tensors()
    raw.set_tensor(raw.get_input_details()[0]["index"], inputs[0])
    raw.invoke(), be.infer(inputs)  # warm both

    def raw_loop(n):
        for _ in range(n):
            raw.invoke()

    def runtime_loop(n):
        for _ in range(n):
            be.infer(inputs)

    raw_rates, runtime_rates = [], []
    for _ in range(blocks):  # interleaved, so drift hits both alike
        raw_rates.append(rate(raw_loop, iterations))
        runtime_rates.append(rate(runtime_loop, iterations))
    context.close()
    r, b = statistics.median(raw_rates), statistics.median(runtime_rates)
    paired = statistics.median(x / y for x, y in zip(runtime_rates, raw_rates))
    return {"threads": threads, "iterations": iterations, "blocks": blocks, "raw_ips": round(r, 2),
            "runtime_ips": round(b, 2), "ratio": round(paired, 4)}


def pool_scaling(batch: int, blocks: int) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    c1, one = backend(1, 1)
    c2, two = backend(2, 1)
    inputs = image(one.input_details[0])
    requests = [inputs] * batch
    one.infer_many(requests[:2]), two.infer_many(requests[:4])

    interps = []
    for _ in range(2):
        it = Interpreter(model_path=str(MODEL), num_threads=1)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], inputs[0])
        interps.append(it)

    def raw_threads(n):
        def run(it, k):
            for _ in range(k):
                it.invoke()
        ts = [threading.Thread(target=run, args=(it, n // 2)) for it in interps]
        [t.start() for t in ts]
        [t.join() for t in ts]

    def raw_one(n):
        for _ in range(n):
            interps[0].invoke()

    r1, r2, p1, p2 = [], [], [], []
    for _ in range(blocks):
        p1.append(rate(lambda n: one.infer_many(requests[:n]), batch))
        p2.append(rate(lambda n: two.infer_many(requests[:n]), batch))
        r1.append(rate(raw_one, batch))
        r2.append(rate(raw_threads, batch))
    c1.close(), c2.close()
    med = statistics.median
    return {"batch": batch, "blocks": blocks, "pool1_ips": round(med(p1), 2), "pool2_ips": round(med(p2), 2),
            "ratio": round(med(b / a for a, b in zip(p1, p2)), 4),
            "raw_threads_ratio": round(med(b / a for a, b in zip(r1, r2)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--batch", type=int, default=40)
    args = parser.parse_args()
    if not MODEL.is_file():
        raise SystemExit(f"model not found: {MODEL} (the shared Coral test data)")
    import os

    result = {"load_average_before": os.getloadavg()[0], "runtime_vs_raw": runtime_vs_raw(args.threads, args.iterations, args.blocks),
              "pool_2_vs_1": pool_scaling(args.batch, args.blocks)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
