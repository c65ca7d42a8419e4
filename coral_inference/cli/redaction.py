"""Hydra writes .hydra/config.yaml, hydra.yaml and overrides.yaml before the task runs, with
command-line values verbatim (hydra issue #2249): this callback rewrites them redacted, before
the job's own code starts (on_job_start runs right after Hydra saved them); the same for a
sweep's multirun.yaml. Hydra's launchers also log each job's overrides: redact_hydra_log_records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")


def redact_yaml_file(path: Path, secret_keys) -> bool:
    """Rewrite one YAML file with secrets redacted (atomically); True when it changed."""
    import os
    import tempfile

    import yaml

    from ..summary import redact

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    # libyaml's C loader when PyYAML has it: this runs on every job start (start-up time is a benchmark)
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    cleaned = redact(data, secret_keys)
    if cleaned == data:
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(cleaned, handle, sort_keys=False, default_flow_style=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


def _secret_keys(config: Any) -> tuple[str, ...]:
    from ..summary import DEFAULT_SECRET_KEYS

    return tuple(config.get("summary", {}).get("secret_keys", ()) or ()) or DEFAULT_SECRET_KEYS


class RedactHydraFiles(Callback):
    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        from hydra.types import RunMode

        hydra_cfg = config.hydra
        keys = _secret_keys(config)
        if hydra_cfg.mode == RunMode.MULTIRUN:  # the sweeper saved it (command line verbatim) before any job
            redact_yaml_file(Path(hydra_cfg.sweep.dir) / "multirun.yaml", keys)
        if hydra_cfg.output_subdir is None:
            return
        folder = Path(hydra_cfg.runtime.output_dir) / hydra_cfg.output_subdir
        for name in FILES:
            redact_yaml_file(folder / name, keys)

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:  # jobs that ran where this folder is not
        redact_yaml_file(Path(config.hydra.sweep.dir) / "multirun.yaml", _secret_keys(config))


def redact_hydra_log_records() -> None:
    """Hydra's launchers log every job's overrides (``#0 : services.metrics.token=…``) on stdout:
    records of the hydra loggers are formatted and redacted as they are made."""
    import logging

    from ..summary import redact_text

    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.name.startswith("hydra"):  # hydra.* and hydra_plugins.* (joblib, ray launchers)
            try:
                record.msg, record.args = redact_text(record.getMessage()), ()
            except Exception:  # a malformed record is logging's to report
                pass
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
