"""A two-model, two-stream run tells one truth (issue 19's done-when): Coral's real Edge TPU classifier on a
fake USB Accelerator through the timing double (tests/helpers/edgetpu_double.c) for one stream, a real CPU
model for the other; the summary lists both (backend, model) pairs with every file's sha256 and their final
counts; `coral-runtime audit verify` catches a change to either model file and names its key."""

import json
import shutil

import pytest

from conftest import coral_file, run_cli, summaries
from device_tree import fake_tree
from media import write_video

TPU = "mobilenet_v1_0.25_128_quant_edgetpu.tflite"
TWIN = "mobilenet_v1_0.25_128_quant.tflite"
CPU = "mobilenet_v2_1.0_224_quant.tflite"
LABELS = "imagenet_labels.txt"
FRAMES = 5


@pytest.fixture
def two_model_run(tmp_path, double_library):
    """Run it once; (run folder, summary, the model copies)."""
    files = {}
    for name in (TPU, TWIN, CPU, LABELS):
        files[name] = tmp_path / name
        shutil.copy(coral_file(name), files[name])
    root = tmp_path / "root"
    fake_tree(root, usb_ready=1)
    video = write_video(tmp_path / "v.mp4", frames=FRAMES)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends.enabled=[edgetpu_single,cpu]",
                   "backends.edgetpu_single.devices=usb:0", f"platform.device_root={root}",
                   f"platform.delegate_library={double_library}",
                   f"+backends.edgetpu_single.delegate_options={{device_ms: 1, device_root: {root}}}",
                   f"models.tpu.path={files[TPU]}", f"models.tpu.cpu_path={files[TWIN]}",
                   f"models.tpu.labels={files[LABELS]}", f"models.big.path={files[CPU]}",
                   f"streams.front.source={video}", "streams.front.model=tpu", "streams.front.backend=edgetpu_single",
                   f"streams.back.source={video}", "streams.back.model=big", "streams.back.backend=cpu",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(run_dir)
    return run_dir, summary, files


def test_the_summary_holds_every_pair_with_hashes_and_final_counts(two_model_run):
    import hashlib

    run_dir, summary, files = two_model_run
    entries = {(b["name"], b["model_name"]): b for b in summary["backends"]}
    assert set(entries) == {("edgetpu_single", "tpu"), ("cpu", "big")}  # the pairs that served a stream
    tpu, big = entries[("edgetpu_single", "tpu")], entries[("cpu", "big")]
    assert tpu["streams"] == ["front"] and big["streams"] == ["back"]
    assert tpu["device"] == "usb:0" and tpu["delegate"]["library"] and tpu["fallback"]["taken"] is False
    assert big["interpreter"]["module"] and tpu["model_key"] == "models.tpu"
    for entry in (tpu, big):  # final counts: every frame of its stream, not the counts at init
        assert entry["requests"] == FRAMES and sum(w["requests"] for w in entry["pool"]) == FRAMES
        assert entry["failures"] == 0
    by_key = {f["key"]: f for e in (tpu, big) for f in e["files"]}
    assert set(by_key) == {"models.tpu.path", "models.tpu.cpu_path", "models.tpu.labels", "models.big.path"}
    for key, name in (("models.tpu.path", TPU), ("models.tpu.cpu_path", TWIN), ("models.tpu.labels", LABELS),
                      ("models.big.path", CPU)):
        assert by_key[key]["sha256"] == hashlib.sha256(files[name].read_bytes()).hexdigest()
    assert by_key["models.tpu.path"]["ran"] is True and by_key["models.tpu.cpu_path"]["ran"] is False
    assert summary["idle_backends"]  # `model` built on each backend at init, serving no stream


@pytest.mark.parametrize("changed", [TPU, TWIN, CPU, LABELS])
def test_audit_verify_catches_a_change_to_any_file_and_names_it(two_model_run, tmp_path, changed):
    run_dir, _summary, files = two_model_run
    proc = run_cli("coral-runtime", "audit", "verify", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 0 and "audit: ok" in proc.stdout, proc.stdout + proc.stderr
    with open(files[changed], "ab") as f:
        f.write(b"\0")
    proc = run_cli("coral-runtime", "audit", "verify", str(run_dir), "--json", cwd=tmp_path)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    [bad] = [m for m in report["models"] if m["status"] != "match"]
    key = {TPU: "models.tpu.path", TWIN: "models.tpu.cpu_path", CPU: "models.big.path", LABELS: "models.tpu.labels"}[changed]
    assert bad["status"] == "changed" and bad["path"] == str(files[changed]) and bad["key"] == key
    text = run_cli("coral-runtime", "audit", "verify", str(run_dir), cwd=tmp_path).stdout
    assert f"{files[changed]} [{key}" in text and "changed" in text and "audit: MISMATCH" in text


def test_audit_verify_reads_no_file_the_recorded_config_does_not_name(two_model_run, tmp_path):
    run_dir, summary, _files = two_model_run
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"secret")
    summary["backends"][0]["files"].append({"key": "models.tpu.path", "path": str(outside), "sha256": "0" * 64})
    (run_dir / "runtime_summary.json").write_text(json.dumps(summary))
    proc = run_cli("coral-runtime", "audit", "verify", str(run_dir), "--json", cwd=tmp_path)
    assert proc.returncode == 5
    [refused] = [m for m in json.loads(proc.stdout)["models"] if m["path"] == str(outside)]
    assert refused["status"] == "refused" and refused["actual"] is None


def test_audit_verify_checks_the_model_built_at_init_that_served_no_stream(tmp_path):
    """`model` is built on each backend at init (idle_backends when every stream runs a models.<name>): its
    file is hashed in the summary, and audit verify recomputes it too."""
    own = tmp_path / TWIN
    shutil.copy(coral_file(TWIN), own)
    video = write_video(tmp_path / "v.mp4", frames=2)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={own}",
                   f"models.big.path={coral_file(CPU)}", f"streams.s.source={video}", "streams.s.model=big",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(run_dir)
    assert [b["model_name"] for b in summary["backends"]] == ["big"] and summary["idle_backends"]
    assert run_cli("coral-runtime", "audit", "verify", str(run_dir), cwd=tmp_path).returncode == 0
    with open(own, "ab") as f:
        f.write(b"\0")
    proc = run_cli("coral-runtime", "audit", "verify", str(run_dir), "--json", cwd=tmp_path)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    [bad] = [m for m in json.loads(proc.stdout)["models"] if m["status"] != "match"]
    assert bad["status"] == "changed" and bad["path"] == str(own) and bad["key"] == "model.path"
