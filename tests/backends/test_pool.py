"""The worker pool: real TFLite interpreters (the built-in model, checked against numpy); a worker that
starts failing mid-stream stands in for an Edge TPU unplugged during a run."""

import threading

import numpy as np
import pytest

from conftest import infer_from_threads
from coral_inference.backends.interpreter import get_provider
from coral_inference.backends.models import load_model
from coral_inference.backends.base import InterpreterWorker
from coral_inference.backends.pool import InputError, WorkerPool
from coral_inference.backends.selftest import SELFTEST, reference_output
from coral_inference.errors import BackendError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init


class FailingAfter:
    """A real interpreter worker whose invoke starts raising after `ok` successful requests."""

    def __init__(self, worker, ok):
        self.worker, self.ok, self.answered, self.attempts = worker, ok, 0, 0
        self.lock = threading.Lock()

    def infer(self, inputs):
        with self.lock:
            self.attempts += 1
            failing = self.attempts > self.ok
        if failing:
            raise RuntimeError("Edge TPU USB transfer failed (device unplugged)")
        out = self.worker.infer(inputs)
        with self.lock:
            self.answered += 1
        return out


def workers(n):
    provider, model = get_provider("auto"), load_model(SELFTEST)
    return [InterpreterWorker(provider, model, num_threads=1) for _ in range(n)]


def requests(n):
    rng = np.random.default_rng(7)
    return [[rng.standard_normal((1, 8)).astype(np.float32)] for _ in range(n)]


def assert_answers(batch, results):
    assert len(results) == len(batch)
    for inputs, outputs in zip(batch, results):
        np.testing.assert_allclose(outputs[0], reference_output(inputs[0]), rtol=1e-5, atol=1e-5)


def test_one_worker_failing_mid_stream_every_request_answered_once_in_order():
    wrapped = [FailingAfter(w, ok) for w, ok in zip(workers(3), (10**9, 5, 10**9))]
    seen = []
    pool = WorkerPool(wrapped, ["cpu:0", "cpu:1", "cpu:2"], on_unhealthy=seen.append)
    batch = requests(60)
    results = pool.infer_many(batch)
    assert_answers(batch, results)
    assert sum(w.answered for w in wrapped) == 60  # nobody answered twice, nothing lost
    health = pool.health()
    assert [h["healthy"] for h in health] == [True, False, True]
    assert "unplugged" in health[1]["reason"] and health[1]["requests"] == 5
    assert [s["label"] for s in seen] == ["cpu:1"]
    pool.close()


def test_stream_keeps_order_with_a_bounded_window():
    pool = WorkerPool(workers(2))
    batch = requests(25)
    assert_answers(batch, list(pool.imap(iter(batch), window=3)))
    pool.close()


def test_no_healthy_worker_left_is_a_clear_error():
    pool = WorkerPool([FailingAfter(w, 2) for w in workers(2)], ["pci:0", "pci:1"], name="backends.edgetpu_multi")
    with pytest.raises(BackendError) as info:
        pool.infer_many(requests(10))
    text = info.value.render()
    assert "backends.edgetpu_multi: no healthy worker left" in text and "pci:0: RuntimeError" in text
    assert pool.healthy == 0
    with pytest.raises(BackendError, match="no healthy worker left"):
        pool.infer(requests(1)[0])


def test_a_bad_request_is_the_callers_error_and_the_worker_stays_healthy():
    pool = WorkerPool(workers(2))
    with pytest.raises(InputError, match="input 'input'"):
        pool.infer([np.zeros((1, 9), np.float32)])
    with pytest.raises(InputError, match="takes 1 input"):
        pool.infer([])
    assert pool.healthy == 2
    assert_answers(requests(1), [pool.infer(requests(1)[0])])


def test_infer_is_thread_safe_from_many_caller_threads():
    pool = WorkerPool(workers(2))
    batch = requests(40)
    results = infer_from_threads(pool.infer, batch)
    assert_answers(batch, results)
    assert sum(h["requests"] for h in pool.health()) == 40


def test_cpu_backend_workers_share_the_pool_and_record_health(compose):
    context = init(RuntimeConfig.from_dictconfig(compose("backends=cpu", "backends.cpu.workers=3")))
    backend = context.backend("cpu")
    batch = requests(12)
    assert_answers(batch, backend.infer_many(batch))
    state = context.backends[0]
    assert [w["label"] for w in state.pool] == ["cpu:0", "cpu:1", "cpu:2"] and state.workers == 3
    backend.pool.workers[1] = FailingAfter(backend.workers[1], 0)
    assert_answers(batch, backend.infer_many(batch))
    assert state.pool[1]["healthy"] is False and "cpu:1 marked unhealthy" in state.warnings[0]
    context.close()


def test_our_own_errors_pass_through_without_blaming_the_worker():
    from coral_inference.errors import Interrupted

    class Interrupting:
        def infer(self, inputs):
            raise Interrupted("terminated by SIGTERM")

    pool = WorkerPool([Interrupting()])
    with pytest.raises(Interrupted):
        pool.infer(requests(1)[0])
    assert pool.healthy == 1


def test_a_backend_that_fails_after_starting_its_workers_is_closed(compose):
    """Interpreters (and on an Edge TPU, the delegates holding the devices) of a backend that failed are
    released at once, not kept alive by the error the context records."""
    from coral_inference.backends.cpu import CpuBackend
    from coral_inference.plugins.registry import new_registry

    made = []

    class FailsWarmUp(CpuBackend):
        def warm_up(self, count):
            made.append(self)
            raise BackendError("warm-up failed: the device stopped responding")

    registry = new_registry()
    registry.add("backend", "cpu", FailsWarmUp, replace=True)
    with pytest.raises(BackendError, match="warm-up failed"):
        init(RuntimeConfig.from_dictconfig(compose("backends=cpu", "backends.cpu.workers=2")), registry=registry)
    [backend] = made
    assert backend.workers == [] and backend.pool is None and backend.runner is None
