"""coral-runtime audit verify on real run directories."""

import json
import shutil

from conftest import coral_file, run_cli


def _run(tmp_path, *overrides):
    proc = run_cli("coral-run", "hydra.run.dir=run", *overrides, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "run"


def _verify(tmp_path, run_dir, *flags):
    proc = run_cli("coral-runtime", "audit", "verify", str(run_dir), "--json", *flags, cwd=tmp_path)
    return proc.returncode, json.loads(proc.stdout)


def test_untouched_run_verifies(tmp_path):
    run_dir = _run(tmp_path, "backends=cpu")
    code, report = _verify(tmp_path, run_dir)
    assert code == 0 and report["ok"]
    assert report["config"]["status"] == "match"
    assert [m["status"] for m in report["models"]] == ["match"]  # the rebuilt built-in model


def test_edited_config_in_summary_is_a_mismatch(tmp_path):
    run_dir = _run(tmp_path, "backends=cpu")
    path = run_dir / "runtime_summary.json"
    summary = json.loads(path.read_text())
    summary["config"]["backends"]["cpu"]["num_threads"] = 4
    path.write_text(json.dumps(summary))
    code, report = _verify(tmp_path, run_dir)
    assert code == 5 and not report["ok"] and report["config"]["status"] == "changed"


def test_changed_and_missing_model_files(tmp_path):
    model = tmp_path / "model.tflite"
    shutil.copy(coral_file("mobilenet_v1_0.25_128_quant.tflite"), model)
    run_dir = _run(tmp_path, "backends=cpu", f"model.path={model}")
    with open(model, "ab") as handle:
        handle.write(b"\0")
    code, report = _verify(tmp_path, run_dir)
    assert code == 5 and report["models"][0]["status"] == "changed"
    model.unlink()
    code, report = _verify(tmp_path, run_dir)
    assert code == 0 and report["models"][0]["status"] == "missing" and report["missing"] == [str(model)]
    code, _ = _verify(tmp_path, run_dir, "--require-models")
    assert code == 5


def test_not_a_run_dir_is_exit_2_without_traceback(tmp_path):
    proc = run_cli("coral-runtime", "audit", "verify", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "runtime_summary.json" in proc.stderr and "Traceback" not in proc.stderr


def test_a_relative_model_path_is_checked_where_the_run_read_it(tmp_path):
    from coral_inference.backends.selftest import build_selftest_model

    launch = tmp_path / "launch"
    launch.mkdir()
    (launch / "m.tflite").write_bytes(build_selftest_model())
    run_dir = _run(launch, "backends=cpu", "model.path=m.tflite")
    assert json.loads((run_dir / "runtime_summary.json").read_text())["cwd"] == str(launch)
    code, report = _verify(tmp_path, run_dir)  # audited from another folder
    assert code == 0 and [m["status"] for m in report["models"]] == ["match"]
    (launch / "m.tflite").write_bytes(build_selftest_model() + b"\0")
    code, report = _verify(tmp_path, run_dir)
    assert code == 5 and report["models"][0]["status"] == "changed"


def test_sinks_per_stream_and_the_results_lines_recounted(tmp_path):
    from media import write_video

    video = write_video(tmp_path / "clip.mp4", frames=5)
    run_dir = _run(tmp_path, "run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                   f"streams.b.source={video}", "streams.b.sinks.buffer=false")
    code, report = _verify(tmp_path, run_dir)
    assert code == 0 and report["ok"], report
    a, b = report["streams"]["a"], report["streams"]["b"]
    assert a["results_lines"] == {"recorded": 5, "actual": 5, "status": "match"}
    assert a["sinks"]["results"]["written"] == 5 and a["sinks"]["buffer"]["report"] == {"kept": 5, "total": 5}
    assert "buffer" not in b["sinks"]
    text = run_cli("coral-runtime", "audit", "verify", str(run_dir), cwd=tmp_path).stdout
    assert "stream a: sinks buffer 5 written, results 5 written" in text and "lines 5 of 5 recorded: match" in text
    # a line taken out of results.jsonl after the run: the recount says so
    results = run_dir / "results.jsonl"
    lines = results.read_text().splitlines()
    results.write_text("\n".join(line for line in lines if '"frame": 3' not in line or '"stream": "a"' not in line) + "\n")
    code, report = _verify(tmp_path, run_dir)
    assert code == 5 and not report["ok"]
    assert report["streams"]["a"]["results_lines"] == {"recorded": 5, "actual": 4, "status": "changed"}
    assert report["streams"]["b"]["results_lines"]["status"] == "match"
