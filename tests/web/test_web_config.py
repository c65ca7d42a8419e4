"""services.web / services.webrtc settings and the serve checks (registry "check" entry "web"):
every problem at once, exit 2 naming the key; the webrtc patch in serve mode."""

from __future__ import annotations

import sys

import pytest

from conftest import run_cli

from coral_inference.config.validate import validate
from coral_inference.runtime.config import RuntimeConfig


def problems(compose, *overrides):
    config = RuntimeConfig.from_dictconfig(compose(*overrides))
    return {p.key: p.message for p in validate(config).errors}


def test_defaults_are_valid_and_loopback(compose):
    config = RuntimeConfig.from_dictconfig(compose("run.mode=serve"))
    web = config.services.web
    assert (web.host, web.token, web.max_viewers) == ("127.0.0.1", None, 4)
    assert config.services.webrtc.enabled is True and config.services.webrtc.max_fps == 10.0
    assert not {k for k in problems(compose, "run.mode=serve") if k.startswith(("services.", "run.mode"))}


def test_other_address_without_token_is_refused(compose):
    found = problems(compose, "run.mode=serve", "services.web.host=0.0.0.0")
    assert "without services.web.token" in found["services.web.host"]
    assert "services.web.host" not in problems(compose, "run.mode=serve", "services.web.host=0.0.0.0",
                                               "services.web.token=abc")
    for loopback in ("localhost", "127.0.0.2", "'::1'"):
        assert "services.web.host" not in problems(compose, "run.mode=serve", f"services.web.host={loopback}")
    # a shared config file with host=0.0.0.0 does not break other modes
    assert "services.web.host" not in problems(compose, "services.web.host=0.0.0.0")


def test_ranges_every_problem_at_once(compose):
    found = problems(compose, "services.web.port=70000", "services.web.max_viewers=0", "services.web.max_body_kb=0",
                     "services.webrtc.width=10", "services.webrtc.max_fps=0")
    assert set(found) == {"services.web.port", "services.web.max_viewers", "services.web.max_body_kb",
                          "services.webrtc.width", "services.webrtc.max_fps"}


def test_cli_exit_2_names_key_value_source_and_never_the_token(tmp_path):
    result = run_cli("coral-run", "run.mode=serve", "services.web.host=0.0.0.0", "services.webrtc.max_fps=99",
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "services.web.host: listening on an address other than loopback without services.web.token" in result.stderr
    assert "value '0.0.0.0'; from command line" in result.stderr
    assert "services.webrtc.max_fps: too large (live preview frames per second per stream) (value 99.0" in result.stderr


def test_missing_serve_extra_is_exit_2_naming_it(tmp_path):
    import subprocess

    code = ("import sys; sys.modules['aiortc'] = None\n"
            f"sys.argv = ['coral-run', 'run.mode=serve', 'hydra.run.dir={tmp_path}/run']\n"
            "from coral_inference.cli.run import main\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "run.mode=serve needs aiortc, which is not installed" in result.stderr
    assert "pip install 'coral_inference[serve]'" in result.stderr


def test_webrtc_patch_in_serve_mode_holds_settings_and_counters(runtime_context):
    context = runtime_context("run.mode=serve", "services.webrtc.ice_servers=[{urls:[turn:t.example.org:3478],"
                              "username:u,credential:pw}]", "services.webrtc.width=320")
    state = next(p for p in context.patches if p.name == "webrtc")
    assert state.status == "enabled" and "0 peers served, 0 frames sent" in state.detail
    service = context.services["webrtc"]
    assert service.ice_servers == ({"urls": ["turn:t.example.org:3478"], "username": "u", "credential": "pw"},)
    assert service.settings.width == 320 and "pw" not in repr(service)
    service.count(peers_served=2, frames_sent=40)
    context.close()
    assert "2 peers served, 40 frames sent" in state.detail
