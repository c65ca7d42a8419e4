"""Shared test fixtures and helpers: the real Coral test data (skipped when absent), composition,
subprocesses, InfluxDB. The tests are laid out by subject (docs/contributing.md):

    tests/<part>/      one folder per part of the package (config, plugins, backends, runtime, streams,
                       tasks, services, web, ground: errors, files, redaction, import direction)
    tests/cli/         the installed console scripts end to end (coral-run, coral-runtime, sweeps, audit)
    tests/live/        tests that need a real server or a browser (InfluxDB, RTSP/MJPEG servers, Chromium)
    tests/helpers/     modules the tests import (on sys.path: ``import fake_delegate``), and their C sources

Markers (pyproject.toml), set here from the layout and the code so that nobody has to remember them:
``live`` (a real server or a browser: every test under tests/live/), ``browser`` (Chromium through
playwright), ``coral_data`` (needs ../shared/coral-test-data, skipped cleanly when absent), ``ray``.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORAL_DATA = REPO.parent / "shared" / "coral-test-data"
HELPERS = Path(__file__).resolve().parent / "helpers"
if str(HELPERS) not in sys.path:
    sys.path.insert(0, str(HELPERS))


def _uses(obj, *needles: str) -> bool:
    try:
        text = inspect.getsource(obj)
    except (OSError, TypeError):
        return False
    return any(n in text for n in needles)


def pytest_collection_modifyitems(config, items):
    """Mark every test by what it needs: under tests/live/ -> live; using playwright -> browser (and live);
    calling coral_file (itself or through a fixture defined in its module or here) -> coral_data."""
    live_dir = Path(__file__).resolve().parent / "live"
    for item in items:
        path = Path(str(getattr(item, "path", item.fspath))).resolve()
        function = getattr(item, "function", None)
        module = getattr(item, "module", None)
        fixtures = [getattr(module, name, None) for name in getattr(item, "fixturenames", ())]
        fixtures += [globals().get(name) for name in getattr(item, "fixturenames", ())]
        owners = [function] + [f for f in fixtures if callable(f)]
        if live_dir in path.parents:
            item.add_marker(pytest.mark.live)
        if _uses(module, "playwright"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.live)
        if any(_uses(o, "coral_file(", "CORAL_DATA") for o in owners):
            item.add_marker(pytest.mark.coral_data)


def coral_file(name: str) -> Path:
    """A file from ../shared/coral-test-data, or skip the test with the reason."""
    path = CORAL_DATA / name
    if not path.is_file():
        pytest.skip(f"Coral test data not present: {path}")
    return path


def console_script(name: str) -> str:
    """Path of an installed console script next to this Python (the venv's bin)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"console script {name!r} is not installed; run: pip install -e '.[test]'")
    return found


def cli_env(extra: dict | None = None) -> dict:
    """This process's environment without CORAL_* (a test's CLI sees only the layers it sets), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CORAL_")}, **(extra or {})}


def run_cli(name: str, *args: str, cwd: Path, env: dict | None = None, timeout: float = 120):
    full_env = cli_env(env)
    return subprocess.run([console_script(name), *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def infer_from_threads(infer, batch: list) -> list:
    """Call ``infer(request)`` from one thread per request; the results in request order."""
    import threading

    results = [None] * len(batch)

    def call(i):
        results[i] = infer(batch[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(batch))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def summaries(root: Path, filename: str = "runtime_summary.json") -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.rglob(filename))]


@pytest.fixture(autouse=True)
def _one_shutdown_per_test():
    """Each test is a run of its own: the one shutdown deadline (coral_inference/shutdown.py) a test's
    run began is over when the test ends, as it is when coral-run's job ends (cli/job.py releases it after
    the summary). Without this, a later in-process run() found the deadline of an earlier test spent and
    cut its waits at once (metrics not sent, a recording's sink queue left behind)."""
    yield
    from coral_inference import shutdown

    shutdown.release()


@pytest.fixture(scope="session")
def double_library(tmp_path_factory) -> Path:
    """The Edge TPU timing double (tests/helpers/edgetpu_double.c), built once per session; skips the test
    when there is no C compiler."""
    import edgetpu_double as double

    try:
        return double.build(tmp_path_factory.mktemp("edgetpu_double"))
    except double.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def on_path(monkeypatch):
    """on_path(root): put a plugin dist root (or an installed site folder) on sys.path for this test; the
    plugin modules it imported (coral_test_*, coral_plugin_example*) are forgotten after."""
    before = set(sys.modules)
    yield lambda root: monkeypatch.syspath_prepend(str(root)) or root
    for name in set(sys.modules) - before:
        if name.startswith(("coral_test_", "coral_plugin_example")):
            del sys.modules[name]


@pytest.fixture
def compose():
    """compose(*overrides) -> DictConfig, through Hydra's compose API on the shipped conf/."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
    from coral_inference.config.schema import register

    register()

    def _compose(*overrides: str):
        with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
            return hydra_compose("config", overrides=list(overrides))

    return _compose


# --- InfluxDB (a real server): INFLUXDB_TEST_URL (set by .ci/run), else a private influxd ------------
INFLUXDB_ENV = "INFLUXDB_TEST_URL"  # not CORAL_*: that prefix is the config's environment layer


def _private_influxd(directory: Path):
    from influxdb_server import InfluxServer, binary

    if not binary():
        pytest.skip(f"no InfluxDB: {INFLUXDB_ENV} is unset and influxd is not installed (apt-get install influxdb)")
    server = InfluxServer(directory)
    try:
        server.wait_ready()
    except RuntimeError:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def influxdb_url(tmp_path_factory):
    """URL of a running InfluxDB 1.x: the one .ci/run started, or a private one for this session."""
    url = os.environ.get(INFLUXDB_ENV)
    if url:
        yield url.rstrip("/")
        return
    server = _private_influxd(tmp_path_factory.mktemp("influxdb"))
    yield server.url
    server.stop()


@pytest.fixture
def influxdb_server(tmp_path):
    """A private influxd this test may stop (skips when influxd is not installed)."""
    server = _private_influxd(tmp_path / "influxdb")
    yield server
    server.stop()


@pytest.fixture
def runtime_context(compose, tmp_path):
    """runtime_context(*overrides, registry=None) -> an initialized RuntimeContext with run_dir=tmp_path/run
    (``registry``: the registry its view is taken from, e.g. a test's new_registry() with its own entries)."""
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.runtime.init import init

    made = []

    def _make(*overrides: str, registry=None):
        context = init(RuntimeConfig.from_dictconfig(compose(*overrides)), registry=registry)
        context.run_dir = tmp_path / "run"
        made.append(context)
        return context

    yield _make
    for context in made:
        context.close()
