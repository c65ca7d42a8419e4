"""Issue 15, secrets: one redaction policy (coral_inference/redaction.py) applied at every exit.
Each example of the issue is reproduced with the installed console scripts."""

import io
import json
import os
import subprocess

import pytest

from conftest import console_script, run_cli

from coral_inference import redaction
from coral_inference.redaction import is_secret_key, redact, redact_text

SECRET = "Zq9-sEcReT-77"


@pytest.fixture(autouse=True)
def _fresh_memory():
    redaction.forget_all()
    yield
    redaction.forget_all()


def _files_holding(folder, needle):
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


# --- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["token", "apiKey", "api_key", "x-api-key", "APIKey", "passwd", "pwd", "auth",
                                 "Authorization", "private_key", "privateKey", "accessKey", "bearer", "cookie",
                                 "session_id", "sessionKey", "credentials", "db_password", "dbPassword",
                                 "clientSecret", "authToken", "MY_TOKEN", "services.metrics.token",
                                 "plugins.config.demo.credentials.user", "CORAL_SERVICES__METRICS__TOKEN",
                                 # the shapes a review found missing
                                 "db_pass", "DB_PASS", "dbPass", "dbpass", "jwt", "jwtSecret", "JWT_SECRET",
                                 "signing_key", "signingKey", "flask_session", "sessionId", "AWS_SECRET_ACCESS_KEY",
                                 "access_key_id", "client_secret", "mqtt.passwd", "wifi_pwd", "signature", "api.key"])
def test_secret_looking_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["path", "model", "tokenizer", "author", "keys", "summary.secret_keys",
                                 "secret_keys", "CORAL_SUMMARY__SECRET_KEYS", "passes", "session_timeout", "monkey",
                                 "compose", "private_mode", "signing_algorithm", "source"])
def test_keys_that_are_not_secret(key):
    assert not is_secret_key(key)


def test_summary_secret_keys_add_names_by_words():
    assert not is_secret_key("pin_code") and is_secret_key("pin_code", ["pin"])
    assert is_secret_key("myPassphraseX", ["passphrase"]) and is_secret_key("deviceSerial", ["device_serial"])


def test_url_credentials_in_any_string():
    assert redact_text("see http://user:S@host:8086/x") == "see http://user:***@host:8086/x"
    assert redact_text("http://h/write?db=c&u=a&p=S&precision=ns") == "http://h/write?db=c&u=***&p=***&precision=ns"
    assert redact_text("https://ghp_abc@github.com/x") == "https://***@github.com/x"
    assert redact({"url": "http://h/?password=S&sig=T"}) == {"url": "http://h/?password=***&sig=***"}


def test_a_value_that_merely_contains_a_secret_word_stays():
    config = {"model": {"path": "models/secret: v1.tflite", "labels": "secret:labels.txt"}}
    assert redact(config) == config
    assert redact_text("model.path=secret:m.tflite path: secret:m.tflite") == \
        "model.path=secret:m.tflite path: secret:m.tflite"


def test_text_rules_keep_json_and_yaml_parsable():
    doc = json.dumps({"token": "x", "n": {"api_keys": ["a", "b"], "password": None, "pwd": 12}}, indent=2)
    assert json.loads(redact_text(doc)) == {"token": "***", "n": {"api_keys": "***", "password": None, "pwd": "***"}}
    yaml_text = "credentials:\n  user: u\n  pass:\n  - a\ntoken: S\nnext: 1\n"
    import yaml

    assert yaml.safe_load(redact_text(yaml_text)) == {"credentials": {"user": "***", "pass": ["***"]},
                                                      "token": "***", "next": 1}
    assert redact_text("token: ${oc.env:INFLUX_TOKEN}") == "token: ${oc.env:INFLUX_TOKEN}"


def test_values_seen_under_secret_keys_are_replaced_anywhere():
    redaction.remember_override(f"services.metrics.token={SECRET}")
    redaction.remember_override("services.metrics.password=S")
    assert redact_text(f"Cannot convert 'dict' to string: '{{'a': '{SECRET}'}}'") == \
        "Cannot convert 'dict' to string: '{'a': '***'}'"
    assert redact_text("no viable alternative at input '[S'") == "no viable alternative at input '[***'"
    assert redact_text("Status: ok, Size 5") == "Status: ok, Size 5"  # a short value only where quoted


def test_the_stream_chokepoint_redacts_lines_and_hydras_job_error():
    from coral_inference.cli.redaction import RedactingStream

    out = io.StringIO()
    stream = RedactingStream(out)
    stream.write("Error executing job with overrides: ['services.metrics.token=")
    stream.write(SECRET + "', 'x=1']\n")
    print("token:", SECRET, file=stream)  # print writes the parts separately
    stream.flush()
    assert SECRET not in out.getvalue() and "'x=1'" in out.getvalue()


# --- through the console scripts ------------------------------------------------------------------

def test_cfg_job_and_resolve_print_no_secret(tmp_path):
    proc = run_cli("coral-run", "--cfg", "job", f"services.metrics.token={SECRET}", f"+x.apiKey={SECRET}a",
                   f"+x.passwd={SECRET}b", f"+x.auth={SECRET}c",
                   f"services.metrics.influxdb_url='http://user:{SECRET}d@host/?u=a&p={SECRET}e'", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert "token: '***'" in proc.stdout and "http://user:***@host/?u=***&p=***" in proc.stdout
    env = {"CORAL_SERVICES__METRICS__TOKEN": SECRET}
    proc = run_cli("coral-run", "--cfg", "job", "--resolve", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and SECRET not in proc.stdout + proc.stderr


def test_new_key_words_and_url_credentials_never_reach_an_artifact(tmp_path):
    proc = run_cli("coral-run", f"+plugins.config.demo.apiKey={SECRET}a", f"+plugins.config.demo.passwd={SECRET}b",
                   f"+plugins.config.demo.auth={SECRET}c", f"+plugins.config.demo.url='http://u:{SECRET}d@h/'",
                   "run.mode=validate", "hydra.run.dir=run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert _files_holding(tmp_path / "run", SECRET) == []
    demo = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())["config"]["plugins"]["config"]["demo"]
    assert demo == {"apiKey": "***", "passwd": "***", "auth": "***", "url": "http://u:***@h/"}


def test_error_texts_never_quote_the_secret(tmp_path):
    for override in (f"services.metrics.token={{a:{SECRET}}}", f"services.metrics.token=[{SECRET}"):
        proc = run_cli("coral-run", override, cwd=tmp_path)
        assert proc.returncode == 2 and "services.metrics.token" in proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
    for extra in ((), ("--json",)):
        proc = run_cli("coral-runtime", "config", "validate", *extra, "--set",
                       f"services.metrics.influxdb_url=http://h/?password={SECRET}", cwd=tmp_path)
        assert proc.returncode == 2 and "services.metrics.influxdb_url" in proc.stdout + proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
    env = {"CORAL_SERVICES__WEBRTC__ICE_SERVERS": f"[{{urls:x,credential:{SECRET}}}"}
    proc = run_cli("coral-run", cwd=tmp_path, env=env)
    assert proc.returncode == 2 and "CORAL_SERVICES__WEBRTC__ICE_SERVERS" in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr


def test_a_non_utf8_coral_value_is_exit_2_and_nothing_is_written(tmp_path):
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"CORAL_")}
    env[b"CORAL_SERVICES__METRICS__ORG"] = b"org\xff"
    proc = subprocess.run([console_script("coral-run"), f"services.metrics.token={SECRET}", "hydra.run.dir=run"],
                          cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert b"CORAL_SERVICES__METRICS__ORG" in proc.stderr and b"UTF-8" in proc.stderr
    assert SECRET.encode() not in proc.stdout + proc.stderr and not (tmp_path / "run").exists()


def test_hydra_files_are_redacted_when_they_are_not_yaml_we_can_read(tmp_path):
    from coral_inference.cli.redaction import redact_yaml_file

    path = tmp_path / "overrides.yaml"
    path.write_bytes(b"- services.metrics.org='o\\udcff'\n- services.metrics.token=" + SECRET.encode() + b"\n")
    assert redact_yaml_file(path, ()) and SECRET.encode() not in path.read_bytes()
    assert b"services.metrics.org='o\\udcff'" in path.read_bytes()


def test_a_model_path_with_secret_in_it_stays_and_audit_verify_finds_it(tmp_path):
    from coral_inference.backends.selftest import build_selftest_model

    model = tmp_path / "secret: m.tflite"
    model.write_bytes(build_selftest_model())
    proc = run_cli("coral-run", f"model.path='{model}'", "backends=cpu", "hydra.run.dir=run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["config"]["model"]["path"] == str(model)
    verify = run_cli("coral-runtime", "audit", "verify", "run", "--require-models", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


# --- the metrics client never sends the token to another origin -----------------------------------

def _server(handler):
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("code", [302, 307, 308])
def test_metrics_client_refuses_a_redirect_and_counts_the_points_as_dropped(code):
    import http.server
    from types import SimpleNamespace

    from coral_inference.services.metrics import MetricsClient

    seen = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def _any(self):
            seen.append((self.command, self.headers.get("Authorization")))
            self.send_response(204)
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args):
            pass

    other = _server(Elsewhere)

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(code)
            self.send_header("Location", f"http://localhost:{other.server_port}/steal?p={SECRET}")
            self.end_headers()

        def log_message(self, *args):
            pass

    first = _server(Redirect)
    cfg = SimpleNamespace(enabled=True, influxdb_url=f"http://127.0.0.1:{first.server_port}", database=None,
                          token=SECRET, org="o", bucket="b", batch_size=2, flush_interval_s=0.05,
                          measurement="m", max_buffer=10, retries=2, timeout_s=2.0)
    try:
        client = MetricsClient(cfg)
        client.write({"a": "b"}, {"x": 1})
        report = client.close()
    finally:
        first.shutdown()
        other.shutdown()
    assert seen == []  # nothing reached the other origin, with or without the header
    assert report["sent"] == 0 and report["dropped"] == 1 and report["retries"] == 0
    assert f"HTTP {code}" in report["last_error"] and "not followed" in report["last_error"]
    assert SECRET not in repr(report)


def test_quoted_env_text_is_kept_verbatim_never_interpolated(tmp_path):
    env = {"CORAL_SERVICES__METRICS__ORG": "'${oc.env:P}'", "P": SECRET}
    proc = run_cli("coral-run", "run.mode=validate", "run.output=json", "hydra.run.dir=run", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["config"]["services"]["metrics"]["org"] == "${oc.env:P}"
    from coral_inference.config.sources import parse_env_value, render

    assert render(parse_env_value("'a ${x} b'")) == "'a \\${x} b'" and render("${x}") == "'${x}'"


def test_a_secret_in_a_config_file_quoted_by_a_composition_error_is_redacted(tmp_path):
    (tmp_path / "fc").mkdir()
    (tmp_path / "fc" / "dep.yaml").write_text(
        f"defaults:\n  - config\n  - _self_\nservices:\n  metrics:\n    token: {{a: {SECRET}}}\n")
    proc = run_cli("coral-run", "--config-dir", "fc", "--config-name", "dep", cwd=tmp_path)
    assert proc.returncode == 2 and "services.metrics.token" in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert redact_text(f"--set=services.metrics.token={SECRET}") == "--set=services.metrics.token=***"


def test_a_non_utf8_command_line_argument_is_exit_2_naming_it(tmp_path):
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"CORAL_")}
    for cli, args in (("coral-run", [b"services.metrics.org='o\xffx'", b"hydra.run.dir=run"]),
                      ("coral-runtime", [b"config", b"validate", b"services.metrics.org='o\xffx'"])):
        proc = subprocess.run([console_script(cli).encode(), *args], cwd=tmp_path, env=env, capture_output=True,
                              timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert b"not valid UTF-8" in proc.stderr and b"services.metrics.org" in proc.stderr
    assert not (tmp_path / "run").exists()
