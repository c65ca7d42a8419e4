"""Metrics to a real InfluxDB 1.x server (read back with /query); a server that goes away mid-run;
the v2 request shape (token only in the header) against a local HTTP endpoint."""

import http.server
import threading
import time
import uuid
from types import SimpleNamespace

from conftest import run_cli, summaries
from influxdb_server import query
from media import write_video

from coral_inference.services.metrics import MetricsClient, line


def settings(url, **kw):
    base = dict(enabled=True, influxdb_url=url, database="coral_test", token=None, org=None, bucket=None,
                batch_size=4, flush_interval_s=0.05, measurement="coral_inference", max_buffer=100, retries=1,
                timeout_s=1.0)
    return SimpleNamespace(**{**base, **kw})


def test_line_protocol_escaping():
    text = line("m x,y", {"b": "a b", "a": "k=v,w", "none": None}, {"f": 1.5, "i": 3, "ok": True, "s": 'say "hi"'}, 7)
    assert text == r'm\ x\,y,a=k\=v\,w,b=a\ b f=1.5,i=3i,ok=true,s="say \"hi\"" 7'


def test_pipeline_points_land_in_influxdb(tmp_path, influxdb_url):
    db = f"coral_{uuid.uuid4().hex[:16]}"  # unique: the server may be shared by other test sessions
    video = write_video(tmp_path / "clip.mp4", frames=9)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=metrics",
                     f"services.metrics.influxdb_url={influxdb_url}", f"services.metrics.database={db}",
                     "services.metrics.batch_size=4", "services.metrics.retries=0",  # a new database: created once
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = summaries(tmp_path / "run")[0]["results"]["pipeline"]["metrics"]
    assert (metrics["points"], metrics["sent"], metrics["dropped"]) == (9, 9, 0)
    series = query(influxdb_url, "SELECT frame, inference_ms, backend, stream FROM coral_inference", db)["results"][0]["series"][0]
    rows = [dict(zip(series["columns"], v)) for v in series["values"]]
    assert sorted(r["frame"] for r in rows) == list(range(9))
    assert {r["backend"] for r in rows} == {"cpu"} and all(r["inference_ms"] >= 0 for r in rows)
    assert {r["stream"] for r in rows} == {"default"}


def test_server_stopped_mid_run_pipeline_finishes_and_counts_drops(tmp_path, runtime_context, influxdb_server):
    from coral_inference.streams.run import run

    video = write_video(tmp_path / "clip.mp4", frames=30)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=metrics",
                              f"services.metrics.influxdb_url={influxdb_server.url}",
                              "services.metrics.database=midrun", "services.metrics.batch_size=2",
                              "services.metrics.retries=1", "services.metrics.timeout_s=0.5")

    def on_result(name, result, frame):
        if result["frame"] == 10:  # on the stream's worker thread: points of earlier results are written
            time.sleep(0.5)  # the sink thread writes the first ones
            assert context.services["metrics"].flush(timeout=10)  # they reached the server
            influxdb_server.stop()

    totals = run(context, on_result=on_result)
    metrics = totals["metrics"]
    assert totals["totals"]["frames"] == 30 and totals["stopped_by"] == "every source ended"
    assert metrics["sent"] >= 10 and metrics["dropped"] > 0
    assert metrics["sent"] + metrics["dropped"] == metrics["points"] == 30
    assert metrics["last_error"]


class _Capture(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.seen.append((self.path, self.headers.get("Authorization"), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_v2_write_puts_the_token_in_the_header_only():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        client = MetricsClient(settings(url, token="s3cr3t-token", org="my org", bucket="edge"))
        client.write({"backend": "cpu"}, {"frame": 1})
        report = client.close()
    finally:
        server.shutdown()
    path, auth, body = _Capture.seen[-1]
    assert path.startswith("/api/v2/write?") and "bucket=edge" in path and "org=my+org" in path
    assert auth == "Token s3cr3t-token" and "s3cr3t" not in path
    assert body.startswith("coral_inference,backend=cpu frame=1i ")
    assert report["sent"] == 1 and "s3cr3t" not in repr(report) + repr(client)


def test_unreachable_server_never_blocks_writes_and_bounds_the_buffer():
    from influxdb_server import free_port

    client = MetricsClient(settings(f"http://127.0.0.1:{free_port()}", max_buffer=10, batch_size=5, retries=0))
    for i in range(200):
        client.write({}, {"frame": i})
    report = client.close(timeout=2)
    assert report["points"] == 200 and report["sent"] == 0 and report["dropped"] == 200
    assert report["pending"] == 0 and "Connection refused" in report["last_error"]


def test_points_name_the_model_that_ran_the_cpu_twin_when_degraded(tmp_path, runtime_context):
    """backends=auto without an Edge TPU runs model.cpu_path: the points must not be tagged with the Edge TPU model."""
    from conftest import coral_file
    from coral_inference.streams.run import run

    server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    video = write_video(tmp_path / "clip.mp4", frames=2)
    try:
        context = runtime_context(
            "run.mode=pipeline", "backends=auto", f"run.source={video}", "services=metrics",
            f"model.path={coral_file('mobilenet_v1_0.25_128_quant_edgetpu.tflite')}",
            f"model.cpu_path={coral_file('mobilenet_v1_0.25_128_quant.tflite')}",
            f"services.metrics.influxdb_url=http://127.0.0.1:{server.server_port}", "services.metrics.bucket=b")
        assert context.backends[0].status == "degraded"
        totals = run(context)
    finally:
        server.shutdown()
    assert totals["metrics"]["sent"] == 2
    body = _Capture.seen[-1][2]
    assert ",model=mobilenet_v1_0.25_128_quant.tflite," in body and "_edgetpu" not in body


def test_points_of_a_named_model_name_its_cpu_twin_when_it_ran(tmp_path, runtime_context):
    """models.<name> on backends=auto without an Edge TPU runs its cpu_path: its points carry that file."""
    from conftest import coral_file
    from coral_inference.streams.run import run

    _Capture.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    video = write_video(tmp_path / "clip.mp4", frames=2)
    try:
        context = runtime_context(
            "run.mode=pipeline", "backends=auto", f"platform.device_root={tmp_path}", f"streams.s.source={video}",
            "streams.s.model=x", "services=metrics",
            f"models.x.path={coral_file('mobilenet_v1_0.25_128_quant_edgetpu.tflite')}",
            f"models.x.cpu_path={coral_file('mobilenet_v1_0.25_128_quant.tflite')}",
            f"services.metrics.influxdb_url=http://127.0.0.1:{server.server_port}", "services.metrics.bucket=b")
        totals = run(context)
    finally:
        server.shutdown()
    assert totals["metrics"]["sent"] == 2
    body = "\n".join(seen[2] for seen in _Capture.seen)
    assert ",model=mobilenet_v1_0.25_128_quant.tflite," in body and "_edgetpu" not in body
    assert totals["streams"]["s"]["health"] == "degraded"
