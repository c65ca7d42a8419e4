"""Hydra writes .hydra/config.yaml, hydra.yaml and overrides.yaml before the task runs, with
command-line values verbatim (hydra issue #2249): this callback rewrites them redacted, before
the job's own code starts (on_job_start runs right after Hydra saved them)."""

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


class RedactHydraFiles(Callback):
    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        from ..summary import DEFAULT_SECRET_KEYS

        hydra_cfg = config.hydra
        if hydra_cfg.output_subdir is None:
            return
        folder = Path(hydra_cfg.runtime.output_dir) / hydra_cfg.output_subdir
        keys = tuple(config.get("summary", {}).get("secret_keys", ()) or ()) or DEFAULT_SECRET_KEYS
        for name in FILES:
            redact_yaml_file(folder / name, keys)
