"""A RuntimeContext for in-process benchmarks: compose conf/ with overrides, init with a fresh run dir."""

from __future__ import annotations

import time
from pathlib import Path


def context_for(tmp: Path, overrides: list[str]):
    from hydra import compose, initialize_config_module

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
    from coral_inference.config.schema import register
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.runtime.init import init

    register()
    with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
        cfg = compose("config", overrides=overrides)
    return init(RuntimeConfig.from_dictconfig(cfg), run_dir=tmp / f"run{time.monotonic_ns()}")
