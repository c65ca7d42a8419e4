"""coral-run: the Hydra main. Compose conf/, build the RuntimeConfig, init the backends, write
the summary into the run directory.

Exit codes: 0 ok/degraded, 2 configuration error, 3 device/backend failure, 4 plugin failure
under plugins.strict, 1 anything else. In a multirun (-m) a failed job does not stop the sweep:
its summary says why, and the sweep exits 1 at the end.
"""

from __future__ import annotations

import sys
from typing import Any

import hydra
from omegaconf import DictConfig

from .. import CONF_MODULE, HYDRA_VERSION_BASE
from ..errors import EXIT_CONFIG, EXIT_OK, EXIT_UNEXPECTED

_state = {"task_started": False}


@hydra.main(config_path=f"pkg://{CONF_MODULE}", config_name="config", version_base=HYDRA_VERSION_BASE)
def _hydra_main(cfg: DictConfig) -> Any:
    _state["task_started"] = True
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode as HydraRunMode

    from .job import run_job

    hc = HydraConfig.get()
    code, _message = run_job(cfg, hc)
    if code == EXIT_OK or hc.mode == HydraRunMode.MULTIRUN:
        # In a sweep a failed job must not end the others: its summary records the failure and
        # SweepCallback makes the sweep exit 1 at the end.
        return code
    sys.exit(code)


def main() -> None:
    from ..config.schema import register

    from .callbacks import SWEEP_STATE

    register()
    try:
        _hydra_main()
        if SWEEP_STATE["failed"]:
            print(f"coral-run: {SWEEP_STATE['failed']} of {SWEEP_STATE['jobs']} sweep jobs failed", file=sys.stderr)
            raise SystemExit(EXIT_UNEXPECTED)
    except SystemExit as exc:
        # Hydra exits 1 for errors before the task ran (bad override, unknown group option,
        # wrong type): those are configuration errors.
        if exc.code == 1 and not _state["task_started"]:
            raise SystemExit(EXIT_CONFIG) from None
        raise


if __name__ == "__main__":
    main()
