"""services.webrtc.ice_servers: validated at config time (every problem at once, exit 2)."""

import pytest

from conftest import run_cli

from coral_inference.config.validate import validate
from coral_inference.runtime.config import RuntimeConfig


def problems(compose, servers):
    config = RuntimeConfig.from_dictconfig(compose("services=full", f"services.webrtc.ice_servers={servers}"))
    return [(p.key, p.message) for p in validate(config).errors]


@pytest.mark.parametrize("servers", [
    "[{urls:['stun:stun.l.google.com:19302']}]",
    "[{urls:['turn:turn.example.org:3478?transport=tcp','turns:[2001:db8::1]:5349'],username:u,credential:c}]",
])
def test_valid_servers(compose, servers):
    assert problems(compose, servers) == []


def test_every_problem_is_reported(compose):
    found = problems(compose, "[{urls:['http://x.org','stun:ok.org:99999']},{urls:['turn:t.org']},{urls:[]},"
                              "{urls:['turns:t.org?transport=udp'],username:u,credential:c}]")
    assert found == [
        ("services.webrtc.ice_servers[0].urls[0]", "not a STUN/TURN URI"),
        ("services.webrtc.ice_servers[0].urls[1]", "not a STUN/TURN URI"),
        ("services.webrtc.ice_servers[1].username", "a TURN server needs a username"),
        ("services.webrtc.ice_servers[1].credential", "a TURN server needs a credential"),
        ("services.webrtc.ice_servers[2].urls", "no URL given"),
        ("services.webrtc.ice_servers[3].urls[0]", "turns: runs over TLS, which needs tcp"),
    ]


def test_not_checked_when_webrtc_is_off(compose):
    config = RuntimeConfig.from_dictconfig(compose("services.webrtc.enabled=false",
                                                   "services.webrtc.ice_servers=[{urls:['bad']}]"))
    assert validate(config).errors == []


def test_cli_exits_2_and_never_prints_the_credential(tmp_path):
    result = run_cli("coral-run", "run.mode=validate", "services=full",
                     "services.webrtc.ice_servers=[{urls:['turn:t.org','nope'],username:u,credential:hunter2}]",
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "services.webrtc.ice_servers[0].urls[1]: not a STUN/TURN URI (value 'nope'" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert "hunter2" not in (tmp_path / "run" / "runtime_summary.json").read_text()
