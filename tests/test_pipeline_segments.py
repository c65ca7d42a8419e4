"""SegmentPipeline: real TFLite interpreters for two segments built in memory (x -> mid -> out), checked
against numpy; order, failure of one segment, early stop."""

import threading

import numpy as np
import pytest

from coral_inference.backends.base import InterpreterWorker
from coral_inference.backends.interpreter import get_provider
from coral_inference.backends.models import ModelRef
from coral_inference.backends.pipeline import SegmentPipeline
from coral_inference.backends.selftest import build_dense_model
from coral_inference.errors import BackendError

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
    assert threading.active_count() == before


def test_stopping_early_stops_every_stage():
    before = threading.active_count()
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W1, B1, "mid", "out")])
    stream = pipeline.imap(iter(requests(1000)))
    first = [next(stream) for _ in range(3)]
    stream.close()
    assert len(first) == 3 and threading.active_count() == before


def test_segments_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="do not feed segment 1"):
        SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W0, B0, "x", "mid")])


def test_positional_link_when_names_differ_but_shapes_fit():
    pipeline = SegmentPipeline([segment(W0, B0, "x", "mid"), segment(W1, B1, "renamed", "out")])
    batch = requests(3)
    for (x,), (y,) in zip(batch, pipeline.infer_many(batch)):
        np.testing.assert_allclose(y, expected(x), rtol=1e-5, atol=1e-5)
