"""The runner, started early: coral-run forks it before Hydra is imported, and it imports numpy and our
runtime modules while the parent composes the configuration (two cores do both at once).

The runner (cli/runner.py) is where a single run's job runs without Hydra in memory. Started by
``os.execv`` after the composition, it paid a second interpreter start and its imports on the critical
path. Forked at the top of ``coral-run``'s ``main()`` instead (only the interpreter and this package's
``__init__`` are in memory then, so it never holds Hydra's pages), it is ready when the parent hands it the
job: the payload (JSON) and the run folder's lock fds over a Unix socket pair (``SCM_RIGHTS``). The parent
then replaces itself (``os.execv``, same process id) with a waiter of a few MiB that passes SIGINT, SIGTERM and
SIGHUP on to the runner and exits with its exit code. The runner has its own process group, so a signal to
coral-run's process or to its group (Ctrl-C) reaches it once, through the waiter; it gets SIGTERM if the
waiter dies (``PR_SET_PDEATHSIG``).

When the job does not go to the runner (validation, a sweep, help, an error before the handoff), the parent
exits and closes its end: the runner sees end-of-file and leaves (``os._exit(0)``, printing nothing). A
SIGTERM before the handoff is the parent's to answer (its summary), the runner leaves with it.
``CORAL_NO_PRELOAD=1`` turns this off (the runner is then exec'd after the composition, as before).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

SKIP_FLAGS = {"-m", "--multirun", "-h", "--help", "--hydra-help", "--cfg", "-c", "--info", "-i",
              "--shell-completion", "-sc", "--version", "--experimental-rerun"}
WAITER = r"""
import os, signal, sys
pid = int(sys.argv[1])
def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(signum, forward)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGINT})
status = os.waitpid(pid, 0)[1]
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""
_preload: Optional["Preload"] = None
_HELD: list[int] = []  # in the runner: the lock fds the parent passed


class Preload:
    def __init__(self, pid: int, sock: Any):
        self.pid, self.sock = pid, sock

    def handoff(self, payload: bytes, fds: list[int]) -> bool:
        """Give the job to the runner, then become the waiter (never returns on success). False: the runner
        is gone (the caller runs the job itself)."""
        import signal
        import socket
        import struct

        blocked = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # from here on, signals wait for the waiter
        try:
            socket.send_fds(self.sock, [struct.pack("!Q", len(payload))], fds)
            self.sock.sendall(payload)
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        try:  # the waiter keeps the process id and the exit code; Hydra's memory is given back
            os.execv(sys.executable, [sys.executable, "-I", "-S", "-c", WAITER, str(self.pid)])
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            _, status = os.waitpid(self.pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) % 256)
        return True  # not reached


def start(argv: list[str]) -> None:
    """Fork the runner (call first thing in coral-run's main); nothing when it cannot help."""
    global _preload
    import socket

    if (os.environ.get("CORAL_NO_PRELOAD", "").lower() in ("1", "true", "yes", "on") or not hasattr(os, "fork")
            or not hasattr(socket, "send_fds") or any(a in SKIP_FLAGS or a.startswith("--cfg=") for a in argv[1:])
            or "hydra" in sys.modules):
        return
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        pid = os.fork()
    except OSError:
        parent.close()
        child.close()
        return
    if pid == 0:
        parent.close()
        _child(child)  # never returns
    child.close()
    _preload = Preload(pid, parent)


def take() -> Optional[Preload]:
    """The forked runner, if one waits for a job (at most once)."""
    global _preload
    preload, _preload = _preload, None
    return preload


def _child(sock: Any) -> None:
    import signal

    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C while the parent composes is the parent's
        os.setpgid(0, 0)  # its own process group: every signal comes through the waiter, exactly once
        _die_with_parent()
        _warm()
        payload, fds = _receive(sock)
        if payload is None:
            os._exit(0)
        from .job import _on_sigterm_raise

        _on_sigterm_raise()  # SIGTERM from here on ends in a `failed` summary
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _HELD.extend(fds)  # the run folder's lock (cli/rundir.py), held until this process ends
        payload.pop("held", None)
        os.chdir(payload.pop("cwd", os.getcwd()))
        env = payload.pop("env", None)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.argv = list(payload["job"]["argv"])
        from .runner import run_payload

        code = run_payload(payload)
        import atexit

        atexit._run_exitfuncs()  # the job's process ends like a Python program: its atexit handlers run (once)
    except BaseException:  # noqa: B036 - never a traceback from the runner; the parent reports what it can
        code = 1 if code == 0 else code
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _die_with_parent() -> None:
    """SIGTERM to this runner when the process that forked it dies (Linux prctl PR_SET_PDEATHSIG): a waiter
    killed with SIGKILL leaves no run behind it."""
    import ctypes
    import signal

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(0)


def _warm() -> None:
    """What the runner needs anyway, imported while the parent composes (never the interpreter module:
    which one runs is the configuration's choice, and two TFLite runtimes must not share a process)."""
    from .gcstartup import freeze_startup

    import numpy  # noqa: F401

    from ..runtime import init  # noqa: F401
    from ..runtime.config import RuntimeConfig  # noqa: F401
    from . import job, output_redaction, render  # noqa: F401

    # What every run's init does next, done now: the built-in backends and patches (not a TFLite runtime:
    # backends/interpreter.py imports one only when a backend starts), the shipped platform files (read once
    # per process), the entry-point scan (one per process and sys.path).
    from .. import files, shutdown  # noqa: F401
    from ..backends import build, cpu, edgetpu, inputs, pool, selftest  # noqa: F401
    from ..patches import opencv_threads, webrtc  # noqa: F401
    from ..plugins.discovery import entry_points
    from ..runtime import modes, platform  # noqa: F401

    platform.shipped_platforms()
    entry_points("coral_inference.backends")
    freeze_startup()


def _receive(sock: Any) -> tuple[Optional[dict], list[int]]:
    import json
    import socket
    import struct

    try:
        head, fds, _flags, _addr = socket.recv_fds(sock, 8, 16)
    except OSError:
        return None, []
    while 0 < len(head) < 8:  # a stream may cut even a short header
        more = sock.recv(8 - len(head))
        if not more:
            break
        head += more
    if len(head) < 8:
        return None, []
    size = struct.unpack("!Q", head)[0]
    chunks, got = [], 0
    while got < size:
        chunk = sock.recv(min(1 << 20, size - got))
        if not chunk:
            return None, []
        chunks.append(chunk)
        got += len(chunk)
    return json.loads(b"".join(chunks)), list(fds)
