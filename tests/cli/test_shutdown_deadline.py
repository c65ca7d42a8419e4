"""Shutdown (issue 24, item 2): every wait after the stop is bounded by one deadline (shutdown.py), a
second SIGTERM / SIGINT during shutdown only shortens it (no exit 1, no traceback, the summary written),
and a signal during a plugin's import or activate() stops the run instead of being recorded as that
plugin's failure (Interrupted passes every ``except Exception``).

Real coral-run processes, a real socket server that accepts connections and never answers (a silent
InfluxDB), a real plugin distribution. The only waits asserted are "the process ended at all" (hang
checks far above the deadline), never how fast."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import textwrap
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import cli_env, console_script
from media import write_video
from plugin_dists import write_dist
from coral_inference import shutdown
from coral_inference.errors import CoralError, Interrupted

HANG_S = 120  # a process not ended by then hangs (the deadline is shutdown.SHUTDOWN_S)


@pytest.fixture
def silent_server():
    """Accepts every connection, reads nothing, answers nothing."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def _start(tmp_path, *args, env=None):
    full_env = cli_env()
    full_env.update(env or {})
    return subprocess.Popen([console_script("coral-run"), *args, f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path,
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_serving(proc, tmp_path, what=b"frames"):
    """Until the run's streams are running (its results file has a line)."""
    results = tmp_path / "run" / "results.jsonl"
    for _ in range(600):
        if proc.poll() is not None:
            break
        if results.exists() and results.stat().st_size > 0:
            return
        time.sleep(0.1)
    out, err = proc.communicate(timeout=HANG_S)
    pytest.fail(f"the run never produced a result: {err[-2000:]}")


def _summary(tmp_path):
    return json.loads((tmp_path / "run" / "runtime_summary.json").read_text())


@pytest.mark.parametrize("second", [None, signal.SIGTERM, signal.SIGINT])
def test_a_silent_influxdb_does_not_hold_the_shutdown_and_a_second_signal_only_shortens_it(tmp_path, silent_server,
                                                                                         second):
    video = write_video(tmp_path / "long.mp4", frames=2000)
    # without the deadline the metrics thread waited timeout_s x (retries + 1) = 2400 s for this server
    proc = _start(tmp_path, "run.mode=pipeline", f"run.source={video}", "streams.default.max_fps=20",
                  "services=metrics", f"services.metrics.influxdb_url={silent_server}",
                  "services.metrics.timeout_s=600", "services.metrics.retries=3")
    _wait_serving(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    if second is not None:
        time.sleep(0.3)
        proc.send_signal(second)
    out, err = proc.communicate(timeout=HANG_S)
    assert "Traceback" not in err, err
    assert proc.returncode == 0, err  # a pipeline stopped by a signal stopped on purpose
    summary = _summary(tmp_path)
    pipeline = summary["results"]["pipeline"]
    assert pipeline["stopped_by"] == "SIGTERM"
    metrics = pipeline["metrics"]
    assert metrics["sent"] == 0 and metrics["dropped"] + metrics["pending"] > 0  # cut, and counted


@settings(max_examples=6, deadline=None)
@given(st.floats(0.0, 1.5), st.sampled_from([signal.SIGTERM, signal.SIGINT]), st.floats(0.0, 0.3))
def test_signal_storms_in_serve_end_with_a_summary_and_no_traceback(tmp_path_factory, delay, second, gap):
    tmp_path = tmp_path_factory.mktemp("storm")
    video = write_video(tmp_path / "v.mp4", frames=600)
    proc = _start(tmp_path, "run.mode=serve", f"run.source={video}", "streams.default.max_fps=20",
                  "services.web.port=0")
    _wait_serving(proc, tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    time.sleep(gap)
    proc.send_signal(second)
    proc.send_signal(second)
    out, err = proc.communicate(timeout=HANG_S)
    assert "Traceback" not in err, err
    # 0: stopped by the first signal; 130 / 143 only when a signal came before serve took its handlers
    assert proc.returncode in (0, 130, 143), err
    summary = _summary(tmp_path)
    if proc.returncode == 0:
        assert summary["results"]["serve"]["stopped_by"] == "SIGTERM"
    else:
        assert summary["error"]["type"] == "Interrupted"


def test_interrupted_is_no_exception_and_no_coral_error():
    """So the many `except Exception` around plugins, patches, sinks and discovery let it pass."""
    assert not issubclass(Interrupted, Exception) and not issubclass(Interrupted, CoralError)
    exc = Interrupted("interrupted: terminated by SIGTERM", exit_code=143)
    assert exc.exit_code == 143 and exc.to_dict()["type"] == "Interrupted"


SLOW_PLUGIN = textwrap.dedent('''
    import os, time
    from coral_inference.plugins import PluginSpec

    def activate(context):
        open(os.environ["SLOWSTART_MARK"], "w").write("activating")
        time.sleep(60)
        return True

    class Patch:
        description = "never mind"

        def enable(self, context):
            return True

        def disable(self, context):
            pass

    spec = PluginSpec(name="slowstart", type="patch", patch=Patch(), activate=activate)
''')


def test_a_signal_during_a_plugins_activate_stops_the_run_not_the_plugin(tmp_path):
    root = write_dist(tmp_path / "dist", "coral-test-slowstart", "0.1", {"coral_test_slowstart.py": SLOW_PLUGIN},
                      {"coral_inference.patches": {"slowstart": "coral_test_slowstart:spec"}})
    mark = tmp_path / "mark"
    proc = _start(tmp_path, "backends=cpu", "++patches.slowstart=true", env={"PYTHONPATH": str(root), "SLOWSTART_MARK": str(mark)})
    for _ in range(600):
        if mark.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert mark.exists(), proc.communicate(timeout=HANG_S)[1]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    summary = _summary(tmp_path)
    assert summary["status"] == "failed" and summary["error"]["type"] == "Interrupted"
    assert not any(p.get("status") == "failed" and "activate() raised" in str(p.get("reason"))
                   for p in (summary.get("plugins") or {}).get("details") or [])


def test_the_deadline_bounds_every_wait_and_a_hurry_shortens_one_under_way():
    shutdown.release()
    try:
        assert shutdown.remaining(5.0) == 5.0  # no shutdown yet: a wait's own cap
        shutdown.begin(total=3.0)
        assert 0 < shutdown.remaining(100.0) <= 3.0
        blocker = threading.Event()
        threading.Timer(0.2, shutdown.hurry).start()
        finished = shutdown.wait(lambda t: blocker.wait(t), cap=100.0)
        assert not finished and shutdown.hurried()
        assert shutdown.remaining(100.0) <= shutdown.HURRY_S
    finally:
        shutdown.release()
    assert not shutdown.begun()
