"""SegmentPipeline and model.segments: real TFLite interpreters for two segments built in memory
(x -> mid -> out), checked against numpy; order, failure of one segment, early stop, config wiring."""

import threading

import numpy as np
import pytest

import fake_delegate
from conftest import infer_from_threads, run_cli, summaries
from device_tree import fake_tree
from coral_inference.backends.base import InterpreterWorker
from coral_inference.backends.interpreter import get_provider
from coral_inference.backends.models import ModelRef
from coral_inference.backends.segments import SegmentPipeline
from coral_inference.backends.selftest import build_dense_model
from coral_inference.config.validate import validate
from coral_inference.errors import BackendError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init

W0 = [[((r * 8 + c) % 5 - 2) / 4.0 for c in range(8)] for r in range(4)]
B0 = [0.25, -0.5, 0.0, 1.0]
W1 = [[((r + 3 * c) % 7 - 3) / 8.0 for c in range(4)] for r in range(3)]
B1 = [1.0, 0.5, -0.25]


def segment(w, b, input_name, output_name):
    content = build_dense_model(w, b, input_name=input_name, output_name=output_name)
    model = ModelRef(path=f"segment:{output_name}", content=content, sha256="-", edgetpu_compiled=False)
    return InterpreterWorker(get_provider("auto"), model, num_threads=1)


def expected(x):
    mid = x @ np.asarray(W0, np.float32).T + np.asarray(B0, np.float32)
    return mid @ np.asarray(W1, np.float32).T + np.asarray(B1, np.float32)


class FailsAt:
    def __init__(self, worker, n):
        self.worker, self.n, self.calls = worker, n, 0
        self.input_details, self.output_details = worker.input_details, worker.output_details

    def infer(self, inputs):
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("Edge TPU 1 stopped responding")
        return self.worker.infer(inputs)


def requests(n):
    rng = np.random.default_rng(3)
    return [[rng.standard_normal((1, 8)).astype(np.float32)] for _ in range(n)]


def test_two_segments_chain_by_tensor_name_in_order():
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W1, B1, "mid", "out")], ["pci:0", "pci:1"])
    assert pipeline.links == [[0]]
    batch = requests(30)
    results = pipeline.infer_many(batch)
    assert len(results) == 30
    for (x,), (y,) in zip(batch, results):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pipeline.infer(batch[0])[0], expected(batch[0][0]), rtol=1e-5, atol=1e-5)


def test_a_failing_segment_ends_the_stream_with_its_name_and_threads_stop():
    before = threading.active_count()
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), FailsAt(segment(W1, B1, "mid", "out"), 5)],
                               ["pci:0", "pci:1"])
    got = []
    with pytest.raises(BackendError, match="pci:1 of the pipeline failed: RuntimeError: Edge TPU 1 stopped"):
        for result in pipeline.imap(requests(20)):
            got.append(result)
    assert len(got) == 4  # the four before the failure, in order
    pipeline.close()
    assert threading.active_count() == before


def test_stopping_early_stops_every_stage():
    before = threading.active_count()
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W1, B1, "mid", "out")])
    stream = pipeline.imap(iter(requests(1000)))
    first = [next(stream) for _ in range(3)]
    stream.close()
    pipeline.close()
    assert len(first) == 3 and threading.active_count() == before


def test_segments_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="do not feed segment 1"):
        SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W0, B0, "x", "mid")])


def test_positional_link_when_names_differ_but_shapes_fit():
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W1, B1, "renamed", "out")])
    batch = requests(3)
    for (x,), (y,) in zip(batch, pipeline.infer_many(batch)):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)


# model.segments through the config: Edge TPUs on a fake tree, the fake delegate library (C).


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return fake_delegate.build(tmp_path_factory.mktemp("fake_delegate"))


@pytest.fixture
def segment_files(tmp_path):
    paths = []
    for i, (w, b, names) in enumerate([(W0, B0, ("x", "mid")), (W1, B1, ("mid", "out"))]):
        path = tmp_path / f"m_segment_{i}_of_2_edgetpu.tflite"
        path.write_bytes(build_dense_model(w, b, input_name=names[0], output_name=names[1]))
        paths.append(str(path))
    return paths


def test_segments_run_one_per_edge_tpu_through_the_config(compose, tmp_path, library, segment_files, monkeypatch):
    monkeypatch.delenv("FAKE_EDGETPU_DEVICES", raising=False)
    fake_tree(tmp_path / "root", pci=3)
    rc = RuntimeConfig.from_dictconfig(compose(
        "backends=edgetpu_multi", f"platform.device_root={tmp_path / 'root'}", f"platform.delegate_library={library}",
        f"model.segments=[{segment_files[0]},{segment_files[1]}]"))
    assert validate(rc).items == []
    context = init(rc)
    backend, state = context.backend("edgetpu_multi"), context.backends[0]
    assert state.device == "pci:0,pci:1" and state.model["key"] == "model.segments"
    assert [s["outputs"][0]["name"] for s in state.model["segments"]] == ["mid", "out"]
    batch = requests(10)
    for (x,), (y,) in zip(batch, backend.infer_many(batch)):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
    context.close()


def test_segments_need_one_edge_tpu_each(compose, tmp_path, library, segment_files):
    fake_tree(tmp_path / "root", pci=1)
    rc = RuntimeConfig.from_dictconfig(compose(
        "backends=edgetpu_single", f"platform.device_root={tmp_path / 'root'}", f"platform.delegate_library={library}",
        f"model.segments=[{segment_files[0]},{segment_files[1]}]"))
    with pytest.raises(BackendError, match="model.segments has 2 segments; expected one Edge TPU per segment"):
        init(rc)


def test_a_missing_segment_is_a_config_problem(compose, tmp_path, segment_files):
    rc = RuntimeConfig.from_dictconfig(compose(f"model.segments=[{segment_files[0]},{tmp_path / 'nope.tflite'}]"))
    [problem] = validate(rc).errors
    assert problem.key == "model.segments[1]" and "not found" in problem.message


def test_coral_run_summary_lists_the_segments(tmp_path, library, segment_files):
    fake_tree(tmp_path / "root", pci=2)
    proc = run_cli("coral-run", "backends=edgetpu_multi", f"platform.device_root={tmp_path / 'root'}",
                   f"platform.delegate_library={library}", f"model.segments=[{segment_files[0]},{segment_files[1]}]",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    backend = summary["backends"][0]
    assert backend["status"] == "ok" and len(backend["model"]["segments"]) == 2
    assert backend["model"]["pair"]["segments"] == segment_files and len(backend["model"]["sha256"]) == 64


class OneCallerAtATime:
    """A real segment worker that records whether two threads were ever inside its interpreter at once."""

    def __init__(self, worker):
        self.worker, self.inside, self.overlaps = worker, 0, 0
        self.input_details, self.output_details = worker.input_details, worker.output_details
        self.lock = threading.Lock()
        self.entered = threading.Event()

    def infer(self, inputs):
        with self.lock:
            self.inside += 1
            self.overlaps += self.inside > 1
        self.entered.set()
        try:
            # hold the interpreter until another caller had the chance to enter (bounded: never hangs)
            threading.Event().wait(0.002)
            return self.worker.infer(inputs)
        finally:
            with self.lock:
                self.inside -= 1


def test_infer_from_many_threads_never_shares_a_segment_interpreter():
    """The backend protocol: infer() is thread-safe. Each call streams through the same segment workers,
    whose interpreters must never run two requests at once."""
    stages = [OneCallerAtATime(segment(W0, B0, "x", "mid")), OneCallerAtATime(segment(W1, B1, "mid", "out"))]
    pipeline = SegmentPipeline(stages, ["pci:0", "pci:1"])
    batch = requests(24)
    results = infer_from_threads(pipeline.infer, batch)
    for (x,), (y,) in zip(batch, results):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
    assert [s.overlaps for s in stages] == [0, 0]


def test_a_segment_with_a_second_interpreter_answers_every_request_and_closes():
    """extra: a second interpreter of the last segment (what a segment with CPU ops gets): every request
    answered with its own outputs, in request order from imap, and close() ends every thread."""
    before = threading.active_count()
    stages = [segment(W0, B0, "x", "mid"), segment(W1, B1, "mid", "out")]
    pipeline = SegmentPipeline(stages, ["pci:0", "pci:1"], extra={1: [segment(W1, B1, "mid", "out")]})
    assert (pipeline.capacity, pipeline.interpreters(0), pipeline.interpreters(1)) == (3, 1, 2)
    batch = requests(40)
    for (x,), (y,) in zip(batch, pipeline.imap(batch)):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
    results = infer_from_threads(pipeline.infer, batch)
    for (x,), (y,) in zip(batch, results):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
    pipeline.close()
    assert threading.active_count() == before
