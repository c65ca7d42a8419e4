"""Hydra writes .hydra/config.yaml, hydra.yaml and overrides.yaml before the task runs, with
command-line values verbatim (hydra issue #2249): this callback rewrites them redacted, before
the job's own code starts (on_job_start runs right after Hydra saved them); the same for a
sweep's multirun.yaml. ``install`` is the chokepoint of a CLI process: stdout, stderr and every log
record (Hydra's launchers log each job's overrides) go through the text rules of redaction.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")


def redact_yaml_file(path: Path, secret_keys) -> bool:
    """Rewrite one YAML file with secrets redacted (atomically); True when it changed. Redaction
    never depends on decoding: a file that is not UTF-8 or not loadable YAML (Hydra writes an
    undecodable byte as an escape PyYAML will not read back) is redacted as text, line by line."""
    import yaml

    from ..files import write_text_atomic
    from ..redaction import redact, redact_text

    try:
        raw = path.read_bytes()
    except OSError:
        return False
    text = raw.decode("utf-8", "surrogateescape")
    try:
        # libyaml's C loader when PyYAML has it: this runs on every job start (start-up time is a benchmark)
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        cleaned = redact(data, secret_keys)
        out = None if cleaned == data else yaml.safe_dump(cleaned, sort_keys=False, default_flow_style=False)
    except Exception:  # not YAML we can read back: the text rules (keys, YAML blocks, values seen, URLs)
        out = redact_text(text, secret_keys)
        out = None if out == text else out
    if out is None:
        return False
    write_text_atomic(path, out, "Hydra record", key="hydra.output_subdir", errors="surrogateescape")
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


# stdout, stderr and log records: in a module of their own, which imports no Hydra (the runner process,
# cli/runner.py, installs them too).
from .output_redaction import RedactingStream, install, redact_log_records  # noqa: E402,F401


def refuse_undecodable_argv(argv: list[str], prog: str) -> None:
    """An argument that is not valid UTF-8 is a configuration error (exit 2) naming it: it could be
    written nowhere (the summary, .hydra/) and must not end the run with UnicodeEncodeError."""
    import sys

    from ..config.sources import is_utf8, shown_bytes
    from ..errors import EXIT_CONFIG
    from ..redaction import redact_text

    for arg in argv:
        if not is_utf8(arg):
            print(f"{prog}: error: the command-line argument {redact_text(shown_bytes(arg))!r} is not valid UTF-8 "
                  "(expected UTF-8 text: options, group=option and key=value overrides)", file=sys.stderr)
            raise SystemExit(EXIT_CONFIG)
