"""Concurrent throughput of backends on this host (for real boards: docs/hardware-checklist.md).

Bench mode (run.mode=bench) times one request at a time, i.e. latency; a pool of Edge TPUs only shows its
throughput under a concurrent load. This drives each named backend with ``backend.infer_many`` over N
identical random requests and prints inferences/s, one line per backend:

    python bench/pool_throughput.py edgetpu_single,edgetpu_multi model.path=m_edgetpu.tflite [--requests 1000]
    python bench/pool_throughput.py cpu backends.cpu.workers=2 model.path=m.tflite
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", help="comma-separated backend options of conf/backends/, e.g. edgetpu_single,edgetpu_multi")
    parser.add_argument("overrides", nargs="*", help="config overrides for every backend, e.g. model.path=m.tflite")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    from hydra import compose, initialize_config_module

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
    from coral_inference.backends.inputs import random_inputs
    from coral_inference.config.schema import register
    from coral_inference.errors import CoralError
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.runtime.init import init

    register()
    for name in args.backends.split(","):
        with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
            cfg = compose("config", overrides=[f"backends={name}", "plugins=none", *args.overrides])
        try:
            context = init(RuntimeConfig.from_dictconfig(cfg))
        except CoralError as exc:
            print(f"{name}: {exc.render()}", file=sys.stderr)
            sys.exit(exc.exit_code)
        try:
            backend = context.backend(name)
            batch = [random_inputs(backend.input_details)] * args.requests
            start = time.perf_counter()
            backend.infer_many(batch)
            elapsed = time.perf_counter() - start
            workers = context.backends[0].workers
            print(f"{name}: {args.requests / elapsed:.1f} inferences/s ({args.requests} requests, {workers} worker(s), "
                  f"device {context.backends[0].device})")
        finally:
            context.close()


if __name__ == "__main__":
    main()
