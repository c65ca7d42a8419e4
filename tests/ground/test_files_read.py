"""Files the product reads are checked before a byte is read (coral_inference/files.py): FIFOs and
devices never block, sizes are bounded, YAML has limits on depth, aliases and integers, text is UTF-8.
Every failure is exit 2 naming the file (issue #15), never a traceback or a hang."""

import json
import os

import pytest

from conftest import run_cli

from coral_inference import files as F

ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdef", "bcdefg"))
BAD = {
    "alias_bomb": (ALIAS_BOMB.encode(), "aliases are expanded"),
    "deep": (b"[" * 5000 + b"]" * 5000, "nested more than"),
    "long_int": (b"run:\n  warmup: " + b"9" * 5000 + b"\n", "an integer of 5000 digits"),
    "not_utf8": (b"run:\n  mode: \xff\xfe\n", "not UTF-8"),
    "syntax": (b"run: [1\n", "YAML syntax error"),
}


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return path


def test_alias_bomb_is_small_and_refused_fast():
    assert len(ALIAS_BOMB) < 500


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_yaml_is_a_file_problem_naming_the_file(tmp_path, name):
    data, fragment = BAD[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with pytest.raises(F.FileProblem) as info:
        F.load_yaml_checked(path, "config file")
    assert fragment in info.value.message and str(path) in info.value.message and info.value.exit_code == 2


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "folder"])
def test_only_regular_files_are_read(tmp_path, fifo, special):
    path = {"fifo": fifo, "folder": tmp_path}.get(special, special)
    with pytest.raises(F.FileProblem, match="not a regular file"):
        F.read_bytes_checked(path, "model file", "model")  # returns at once: O_NONBLOCK + fstat


def test_size_limit_and_head(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (F.LIMITS["sysfs"] + 1))
    with pytest.raises(F.FileProblem, match="too large"):
        F.read_bytes_checked(path, "sysfs file", "sysfs")
    assert F.read_bytes_checked(path, "x", "labels", head=3) == b"xxx"


def test_good_yaml_with_a_few_aliases_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("a: &x {b: 1}\nc: *x\nd: [1, 2.5, null, true]\n")
    assert F.load_yaml_checked(path) == {"a": {"b": 1}, "c": {"b": 1}, "d": [1, 2.5, None, True]}


def test_json_reader_bounds_depth_and_integers(tmp_path):
    for text, fragment in (("[" * 100 + "]" * 100, "nested"), ("9" * 5000, "digits"), ("{", "not valid JSON")):
        with pytest.raises(F.FileProblem, match=fragment):
            F.parse_json(text, "x.json", "summary")


def test_c_file_fifo_and_dev_zero_exit_2(tmp_path, fifo):
    for path in (fifo, "/dev/zero"):
        proc = run_cli("coral-runtime", "config", "validate", "-c", str(path), cwd=tmp_path, timeout=30)
        assert proc.returncode == 2 and "not a regular file" in proc.stderr and str(path) in proc.stderr
        assert "Traceback" not in proc.stderr


def test_config_dir_files_are_checked_before_hydra_reads_them(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "site.yaml").write_bytes(ALIAS_BOMB.encode())
    (conf / "other.yaml").write_bytes(BAD["not_utf8"][0])
    proc = run_cli("coral-run", "--config-dir", str(conf), "--config-name", "site", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "site.yaml" in proc.stderr and "other.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_5000_digit_integers_from_env_and_command_line_exit_2(tmp_path):
    digits = "9" * 5000
    proc = run_cli("coral-run", "hydra.run.dir=r", cwd=tmp_path, env={"CORAL_RUN__WARMUP": digits})
    assert proc.returncode == 2 and "CORAL_RUN__WARMUP" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("coral-run", "hydra.run.dir=r", f"run.warmup={digits}", cwd=tmp_path)
    assert proc.returncode == 2 and "run.warmup" in proc.stderr and "Traceback" not in proc.stderr


def test_model_and_labels_fifo_exit_2(tmp_path, fifo):
    proc = run_cli("coral-runtime", "model", "inspect", str(fifo), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "FIFO" in proc.stderr
    proc = run_cli("coral-run", "hydra.run.dir=r", f"model.labels={fifo}", f"model.path={fifo}", cwd=tmp_path,
                   timeout=60)
    assert proc.returncode == 2 and "model.labels" in proc.stderr and "model.path" in proc.stderr


@pytest.mark.parametrize("content, fragment", [
    ("[1, 2]", "not an object"),
    ('{"backends": [{"model": {"path": 3, "sha256": "x"}}]}', "backends[0].model.path"),
    ('{"config": [], "config_sha256": "x"}', "'config'"),
])
def test_audit_verify_checks_the_shape_of_the_summary(tmp_path, content, fragment):
    (tmp_path / "runtime_summary.json").write_text(content)
    proc = run_cli("coral-runtime", "audit", "verify", str(tmp_path), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr


def test_audit_verify_fifo_summary_exit_2(tmp_path):
    os.mkfifo(tmp_path / "runtime_summary.json")
    proc = run_cli("coral-runtime", "audit", "verify", str(tmp_path), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "FIFO" in proc.stderr


@pytest.mark.parametrize("content, fragment", [("[]", "not an object"), ('{"status": 3}', "'status'"),
                                               ('{"backends": [{"benchmark": {"timed": []}}]}', "timed")])
def test_sweep_report_checks_the_shape_of_job_summaries(tmp_path, content, fragment):
    job = tmp_path / "sweep" / "0"
    job.mkdir(parents=True)
    (job / "runtime_summary.json").write_text(content)
    proc = run_cli("coral-runtime", "sweep", "report", str(tmp_path / "sweep"), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "sweep" / "sweep_summary.json").exists()


def test_sweep_report_fifo_summary_exit_2(tmp_path):
    job = tmp_path / "sweep" / "0"
    job.mkdir(parents=True)
    os.mkfifo(job / "runtime_summary.json")
    proc = run_cli("coral-runtime", "sweep", "report", str(tmp_path / "sweep"), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "FIFO" in proc.stderr


def test_device_tree_fifo_exit_2(tmp_path):
    model = tmp_path / "root" / "proc" / "device-tree" / "model"
    model.parent.mkdir(parents=True)
    os.mkfifo(model)
    proc = run_cli("coral-runtime", "devices", "--device-root", str(tmp_path / "root"), cwd=tmp_path, timeout=30)
    assert proc.returncode == 0  # devices does not read the device tree
    from coral_inference.runtime.platform import read_device_tree_model

    with pytest.raises(F.FileProblem, match="platform.device_root"):
        read_device_tree_model(str(tmp_path / "root"))


def test_sysfs_fifo_exit_2(tmp_path):
    entry = tmp_path / "root" / "sys" / "bus" / "usb" / "devices" / "1-1"
    entry.mkdir(parents=True)
    os.mkfifo(entry / "idVendor")
    proc = run_cli("coral-runtime", "devices", "--device-root", str(tmp_path / "root"), cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "idVendor" in proc.stderr and "platform.device_root" in proc.stderr


def test_labels_with_a_huge_number_are_read_as_text(tmp_path):
    from coral_inference.errors import ConfigError
    from coral_inference.tasks.labels import load_labels  # what streams read labels with

    path = tmp_path / "labels.txt"
    path.write_text("9" * 5000 + " cat\n")
    assert load_labels(str(path), None) == {0: "9" * 5000 + " cat"}
    path.write_bytes(b"\xff cat\n")
    with pytest.raises(ConfigError, match="model.labels"):
        load_labels(str(path), None)


def test_strict_json():
    text = F.dumps_strict({"a": float("nan"), "b": [float("inf"), -float("inf")]})
    assert json.loads(text) == {"a": "NaN", "b": ["Infinity", "-Infinity"]}


@pytest.mark.parametrize("text, fragment", [
    ("backends:\n  cpu:\n    devices: !!binary aGVsbG8=\n", "!!binary"),
    ("model:\n  path: !!set {a}\n", "!!set"),
    ("plugins:\n  config:\n    x: {null: 1}\n", "mapping key"),
])
def test_yaml_values_json_cannot_hold_are_refused_naming_the_file(tmp_path, text, fragment):
    (tmp_path / "c.yaml").write_text(text)
    proc = run_cli("coral-runtime", "config", "validate", "-c", "c.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and fragment in proc.stderr and "c.yaml" in proc.stderr, proc.stderr


def test_yaml_dates_stay_text_and_merge_keys_work(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("d: 2001-12-14\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n")
    assert F.load_yaml_checked(path) == {"d": "2001-12-14", "base": {"x": 1}, "m": {"x": 1, "y": 2}}


def test_a_nul_byte_in_a_path_is_exit_2(tmp_path):
    (tmp_path / "c.yaml").write_text('model:\n  labels: "a\\0b"\n  cpu_path: "m\\0"\n')
    proc = run_cli("coral-runtime", "config", "validate", "-c", "c.yaml", cwd=tmp_path, timeout=30)
    assert proc.returncode == 2 and "NUL" in proc.stderr and "model.labels" in proc.stderr
    assert "model.cpu_path" in proc.stderr and "Traceback" not in proc.stderr
