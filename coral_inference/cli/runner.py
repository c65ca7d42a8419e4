"""The runner: coral-run's job after the configuration is checked (runtime.init, the run mode, close, the
summary) runs in a Python without Hydra, OmegaConf or the composition in memory. Normally it was forked
before Hydra was imported and got the job over a socket (cli/preload.py, ``run_payload``); otherwise
coral-run replaces itself with it here (``os.execv``, same process id, same stdout/stderr, the exit code is
the job's).

Why: Hydra's imports and composition hold ~20 MiB for the rest of a process; numpy + ai-edge-litert and an
interpreter add ~25 MiB. In one process they add up (peak RSS ~1.5x a script that only runs the model);
after the exec only the runner's part is left, for the whole run (pipeline and serve runs included). The
runner gets the checked, resolved configuration and the job record as JSON in an anonymous memory file
(``memfd_create``: never on disk, values may be secrets), writes the summary and prints it exactly as
in-process. A sweep (-m) keeps its jobs in-process: Hydra must get each job's result back.

Signals: SIGTERM and SIGINT are blocked across the exec (the signal mask survives it) and unblocked once
the runner has its job and its handlers: a signal during the interpreter's start stays pending and then
ends the run with a `failed` summary (143 / 130), never a run folder without one.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from typing import Any

MODULE = "coral_inference.cli.runner"


def exec_runner(job: Any, runtime_config: Any) -> None:
    """Replace this process with the runner for ``job``; returns only when that is not possible here
    (no memfd_create or exec refused): the caller then runs the job in-process."""
    import logging

    from ..runtime.config import thaw

    from . import preload, rundir

    data = {"job": asdict(job), "config": thaw(runtime_config.data), "choices": thaw(runtime_config.choices),
            "sources": thaw(runtime_config.sources)}
    forked = preload.take()  # the runner forked before Hydra was imported (cli/preload.py), ready for the job
    if forked is not None:
        for handler in logging.getLogger().handlers:
            handler.flush()
        held = list(rundir._held.items())
        payload = json.dumps({**data, "held": [k for k, _ in held], "cwd": os.getcwd(), "env": dict(os.environ)},
                             default=str).encode("utf-8")
        forked.handoff(payload, [fd for _, fd in held])  # returns only when that runner is gone
    if not hasattr(os, "memfd_create"):
        return
    payload = json.dumps(data, default=str).encode("utf-8")
    try:
        fd = os.memfd_create("coral-run-job", 0)  # no MFD_CLOEXEC: the runner inherits it
    except OSError:
        return
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        for held in rundir._held.values():  # the run folder's lock (cli/rundir.py) stays held by the runner
            os.set_inheritable(held, True)
        for handler in logging.getLogger().handlers:  # Hydra's job log file: nothing left in a buffer
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        # SIGTERM / SIGINT stay pending (the mask survives exec) until the runner can write a summary
        _block_signals(True)
        os.execv(sys.executable, [sys.executable, "-P", "-m", MODULE, str(fd)])  # -P: cwd not on sys.path
    except OSError:
        _block_signals(False)
        os.close(fd)


def _block_signals(block: bool) -> None:
    import signal

    try:
        signal.pthread_sigmask(signal.SIG_BLOCK if block else signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no pthread_sigmask here
        pass


def main() -> int:
    """The runner: read the job, run it, exit with its code."""
    from .job import _on_sigterm_raise

    _on_sigterm_raise()  # first: SIGTERM from here on ends in a `failed` summary
    from .gcstartup import freeze_startup

    freeze_startup()
    with os.fdopen(int(sys.argv[1]), encoding="utf-8") as memfile:
        payload = json.load(memfile)
    return run_payload(payload)


def run_payload(payload: dict) -> int:
    """Run the job of a payload (exec_runner's JSON) to its summary; its exit code."""
    from ..runtime.config import RuntimeConfig
    from .job import Job, execute
    from .output_redaction import install

    job = Job(**payload["job"])
    install(job.argv[1:])  # stdout, stderr, log records: redacted as in coral-run itself
    try:
        _block_signals(False)  # a signal that came during the exec and start is delivered here
        config = RuntimeConfig.from_data(payload["config"], payload["choices"], payload["sources"])
    except BaseException as exc:  # noqa: B036 - the summary says why
        return execute(job, failure=exc)[0]
    return execute(job, config)[0]


if __name__ == "__main__":
    from ..errors import Interrupted
    from .job import LAST, exit_process

    try:
        code = main()
    except (KeyboardInterrupt, Interrupted):  # a signal the summary was already written for
        code = LAST.get("code", 130)
    exit_process(code)
