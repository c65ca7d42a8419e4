"""Subprocess tests of every coral-runtime command (installed console script), JSON parsed."""

import json

from conftest import REPO, run_cli

FIXTURES = REPO / "tests" / "fixtures"


def runtime(tmp_path, *args, env=None):
    return run_cli("coral-runtime", *args, cwd=tmp_path, env=env)


def test_seed_smoke_init_minimal_fixture(tmp_path):
    proc = runtime(tmp_path, "init", "-c", str(FIXTURES / "runtime_minimal.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "coral-runtime init: ok" in proc.stdout and "backend cpu [cpu on cpu]: ok" in proc.stdout
    assert "platform cpu" in proc.stdout and "patches enabled:" in proc.stdout and "plugins loaded:" in proc.stdout


def test_apply_full_fixture_json_reports_every_step(tmp_path):
    proc = runtime(tmp_path, "apply", "-c", str(FIXTURES / "runtime_full.yaml"), "--json",
                   "--summary", "out/summary.json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "degraded"  # edgetpu_single fell back to the CPU, as configured
    assert [b["name"] for b in doc["backends"]] == ["cpu", "edgetpu_single"]
    assert doc["backends"][1]["fallback"]["taken"] is True
    assert doc["platform"]["name"] == "cpu" and "plugins" in doc
    assert {p["name"]: p["enabled"] for p in doc["patches"]}["opencv_threads"] is True
    assert doc["config"]["services"]["webrtc"]["ice_servers"][0]["urls"] == ["stun:stun.l.google.com:19302"]
    assert doc["config"]["backends"]["cpu"]["workers"] == 2
    assert doc["sources"]["backends.cpu.workers"][-1]["source"].endswith("runtime_full.yaml")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["config_sha256"] == doc["config_sha256"]


def test_init_without_edgetpu_exits_3(tmp_path):
    proc = runtime(tmp_path, "init", "platform=coral_devboard", "backends=edgetpu_multi", "--json")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "failed" and doc["error"]["exit_code"] == 3


def test_validate_ok_json(tmp_path):
    proc = runtime(tmp_path, "config", "validate", "--json", "-c", str(FIXTURES / "runtime_full.yaml"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["backends"] == ["cpu", "edgetpu_single"] and doc["problems"] == []


def test_file_with_three_mistakes_reports_all_three(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "backends:\n  cpu:\n    num_thread: 2\n"  # unknown key
        "run:\n  warmup: many\n"  # wrong type
        "model:\n  path: /nonexistent/model.tflite\n"  # missing model file
    )
    proc = runtime(tmp_path, "config", "validate", "-c", "bad.yaml", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    problems = json.loads(proc.stdout)["error"]["problems"]
    assert sorted(p["key"] for p in problems) == ["backends.cpu.num_thread", "model.path", "run.warmup"]
    assert all(p["source"] == "file bad.yaml" and p["expected"] for p in problems)
    text = runtime(tmp_path, "config", "validate", "-c", "bad.yaml")
    assert text.returncode == 2 and text.stderr.count("\n  - ") == 3


def test_validate_platform_vs_backends(tmp_path):
    proc = runtime(tmp_path, "config", "validate", "platform=usb_accelerator", "backends=edgetpu_multi", "--json")
    assert proc.returncode == 2
    [problem] = json.loads(proc.stdout)["error"]["problems"]
    assert problem["key"] == "backends.edgetpu_multi.min_devices" and "at most 1" in problem["message"]


def test_validate_strict_env(tmp_path):
    env = {"CORAL_PLATFROM": "cpu"}
    loose = runtime(tmp_path, "config", "validate", "--json", env=env)
    assert loose.returncode == 0 and "CORAL_PLATFORM" in json.loads(loose.stdout)["warnings"][0]["message"]
    strict = runtime(tmp_path, "config", "validate", "--strict", env=env)
    assert strict.returncode == 2 and "CORAL_PLATFROM" in strict.stderr


def test_literal_secret_on_command_line_warns(tmp_path):
    proc = runtime(tmp_path, "config", "validate", "--json", "services.metrics.token=abc123")
    assert proc.returncode == 0
    [warning] = json.loads(proc.stdout)["warnings"]
    assert warning["key"] == "services.metrics.token" and "oc.env" in warning["expected"]
    assert "abc123" not in proc.stdout
    quiet = runtime(tmp_path, "config", "validate", "--json", env={"CORAL_SERVICES__METRICS__TOKEN": "abc123"})
    assert json.loads(quiet.stdout)["warnings"] == []


def test_show_redacts_secrets(tmp_path):
    env = {"CORAL_INFLUX_TOKEN": "tok-5511"}
    proc = runtime(tmp_path, "config", "show", "--resolve", "services=metrics", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "tok-5511" not in proc.stdout and "token: '***'" in proc.stdout
    raw = json.loads(runtime(tmp_path, "config", "show", "--json", "services=metrics", env=env).stdout)
    assert raw["config"]["services"]["metrics"]["token"] == "***"  # unresolved references are redacted too
    assert raw["choices"]["services"] == "metrics"


def test_explain_prints_value_and_chain(tmp_path):
    (tmp_path / "d.yaml").write_text("backends:\n  cpu:\n    num_threads: 3\n")
    env = {"CORAL_BACKENDS__CPU__NUM_THREADS": "4"}
    proc = runtime(tmp_path, "config", "explain", "backends.cpu.num_threads", "-c", "d.yaml", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    [item] = json.loads(proc.stdout)["values"]
    assert item["value"] == 4
    assert [e["layer"] for e in item["chain"]] == ["schema", "file", "env"]
    text = runtime(tmp_path, "config", "explain", "backends.cpu.num_threads", "-c", "d.yaml", env=env).stdout
    assert "backends.cpu.num_threads = 4" in text and "<- wins     env      env CORAL_BACKENDS__CPU__NUM_THREADS" in text


def test_explain_unknown_key_exits_2_with_did_you_mean(tmp_path):
    proc = runtime(tmp_path, "config", "explain", "backends.cpu.num_thread")
    assert proc.returncode == 2 and "num_threads" in proc.stderr


def test_config_init_writes_a_valid_descriptor_and_never_overwrites(tmp_path):
    proc = runtime(tmp_path, "config", "init", "--platform", "usb_accelerator", "--output", "rt.yaml", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == "rt.yaml"
    text = (tmp_path / "rt.yaml").read_text()
    assert text.startswith("#") and "platform: usb_accelerator" in text
    valid = json.loads(runtime(tmp_path, "config", "validate", "-c", "rt.yaml", "--json").stdout)
    assert valid["ok"] and valid["choices"]["platform"] == "usb_accelerator"
    again = runtime(tmp_path, "config", "init", "--output", "rt.yaml")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "rt.yaml").read_text() == text
    assert runtime(tmp_path, "config", "init", "--output", "rt.yaml", "--force").returncode == 0


def test_config_init_to_stdout_and_unknown_platform(tmp_path):
    proc = runtime(tmp_path, "config", "init", "--json")
    assert proc.returncode == 0 and "platform: auto" in json.loads(proc.stdout)["descriptor"]
    bad = runtime(tmp_path, "config", "init", "--platform", "raspberry")
    assert bad.returncode == 2 and "rpi_usb" in bad.stderr


def test_composition_errors_name_key_source_and_expectation(tmp_path):
    proc = runtime(tmp_path, "config", "validate", "--json", env={"CORAL_BACKENDS": "edgetpu_mult"})
    [p] = json.loads(proc.stdout)["error"]["problems"]
    assert proc.returncode == 2 and p["key"] == "backends" and "env CORAL_BACKENDS" in p["source"]
    assert p["expected"] == "one of auto, cpu, edgetpu_multi, edgetpu_single"
    proc = runtime(tmp_path, "config", "validate", "--json", "backends.cpu.workers=many")
    [p] = json.loads(proc.stdout)["error"]["problems"]
    assert p["key"] == "backends.cpu.workers" and p["expected"] == "an integer" and "command line" in p["source"]


def test_help_without_subcommand_exits_2(tmp_path):
    assert runtime(tmp_path, "config").returncode == 2


def test_unwritable_output_files_are_config_errors_without_traceback(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    init = runtime(tmp_path, "config", "init", "--output", "a_file/rt.yaml")
    assert init.returncode == 2 and "Traceback" not in init.stderr
    assert "--output: cannot write 'a_file/rt.yaml'" in init.stderr
    proc = runtime(tmp_path, "init", "backends=cpu", "--summary", "a_file/s.json", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--summary: cannot write 'a_file/s.json'" in proc.stderr
    assert json.loads(proc.stdout)["error"]["exit_code"] == 2


def test_a_command_group_without_subcommand_prints_its_own_help(tmp_path):
    proc = runtime(tmp_path, "config")
    assert proc.returncode == 2 and proc.stdout.startswith("usage: coral-runtime config")


def test_explain_prints_lists_as_json(tmp_path):
    proc = runtime(tmp_path, "config", "explain", "backends.enabled", "backends=cpu")
    assert proc.returncode == 0 and proc.stdout.startswith('backends.enabled = ["cpu"]')
    doc = json.loads(runtime(tmp_path, "config", "explain", "platform.detect", "--json").stdout)
    assert {v["key"]: v["value"] for v in doc["values"]}["platform.detect.device_tree_model"] == []


def test_init_shows_the_warnings_also_when_the_config_fails(tmp_path):
    proc = runtime(tmp_path, "init", "run.warmup=-1", env={"CORAL_BACKEND": "cpu"})
    assert proc.returncode == 2 and "run.warmup" in proc.stderr
    assert "did you mean 'CORAL_BACKENDS'" in proc.stderr


def test_show_resolve_names_the_source_of_an_unresolvable_value(tmp_path):
    proc = runtime(tmp_path, "config", "show", "--resolve", "model.labels=${oc.env:CORAL_TEST_SURELY_UNSET_VAR}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "model.labels: cannot resolve" in proc.stderr and "CORAL_TEST_SURELY_UNSET_VAR" in proc.stderr
    assert "from command line" in proc.stderr
