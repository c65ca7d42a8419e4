"""Property-based tests (hypothesis) for issue #15's numbers and files: random numbers for every numeric
key are accepted (and then in range) or refused with exit 2 naming the key, never an exit 1; random bytes
as config, model, labels and summary files are read or refused with exit 2, never a traceback or a hang."""

import math
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from test_ranges import numeric_keys

from coral_inference.config.ranges import range_for
from coral_inference.errors import ConfigError

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CLI = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KEYS = sorted({key.replace("backends.*.", "backends.cpu.") for key, _ in numeric_keys()
               if "extra.*" not in key and "*" not in key.replace("backends.*.", "")})
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 1, 0.5, -0.0, 2**31, 2**63, 10**18, 1e-300]),
)


def render(value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


@contextmanager
def no_hang(seconds: int = 10):
    def fail(*_):
        raise AssertionError(f"took more than {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=30, deadline=None)
@given(key=st.sampled_from(KEYS), value=NUMBERS)
def test_any_number_for_any_numeric_key_is_accepted_in_range_or_exit_2_naming_it(key, value):
    from coral_inference.config.descriptor import RuntimeDescriptor, merge
    from coral_inference.config.schema import register

    register()
    try:
        config = merge(RuntimeDescriptor.from_cli([f"{key}={render(value)}"])).compose().runtime_config()
    except ConfigError as exc:
        assert exc.exit_code == 2
        assert any(key in p.key or key in p.message for p in exc.problems), exc.render()
        return
    node = config
    for part in key.split("."):
        node = getattr(node, part)
    assert range_for(key).problem(node) is None, (key, value, node)


@CLI
@given(key=st.sampled_from(KEYS), value=NUMBERS)
def test_numbers_through_coral_run_are_exit_0_or_2(tmp_path, key, value):
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", f"{key}={render(value)}", cwd=tmp_path,
                   timeout=60)
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, proc.stderr


YAMLISH = st.one_of(st.binary(max_size=400),
                    st.text(alphabet="[]{}:&*!-, '\"\n#|>9a.\\%@`~\t", max_size=300).map(str.encode))


@FEW
@given(data=YAMLISH)
@example(data=b"{.}")  # a key that is no name ('.', '', 'a.') was a problem with an empty key
@example(data=b'run: {"": 3}')
def test_random_bytes_as_a_config_file(tmp_path, data):
    from coral_inference.config.descriptor import RuntimeDescriptor

    path = tmp_path / "c.yaml"
    path.write_bytes(data)
    with no_hang():
        layer = RuntimeDescriptor.from_file(path)  # problems are collected, never raised
    assert all(p.key for p in layer.issues.items)


@FEW
@given(data=st.binary(max_size=400), header=st.booleans())
def test_random_bytes_as_a_model(tmp_path, data, header):
    from coral_inference.backends.models import load_model

    path = tmp_path / "m.tflite"
    path.write_bytes((data[:4].ljust(4, b"\0") + b"TFL3" + data[4:]) if header else data)
    with no_hang():
        try:
            load_model(str(path))
        except ConfigError as exc:
            assert "model.path" in exc.message


@FEW
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_random_bytes_as_labels(tmp_path, data):
    from coral_inference.tasks.labels import read_labels_file

    path = tmp_path / "labels.txt"
    path.write_bytes(data)
    with no_hang():
        try:
            labels = read_labels_file(str(path))
        except ConfigError as exc:
            assert "model.labels" in exc.message
            return
    assert all(isinstance(k, int) and isinstance(v, str) for k, v in labels.items())


JSONISH = st.one_of(
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                 lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                     st.sampled_from(["config", "config_sha256", "backends", "model", "path", "sha256", "status",
                                      "overrides", "choices", "error", "benchmark", "timed", "cwd", "hash"]),
                     kids, max_size=5), max_leaves=20).map(lambda v: __import__("json").dumps(v).encode()),
)


@FEW
@given(data=JSONISH)
def test_random_bytes_as_a_summary_for_audit_and_sweep_report(tmp_path, data):
    from coral_inference.audit import verify
    from coral_inference.sweep.report import write_reports

    job = tmp_path / "sweep" / "0"
    job.mkdir(parents=True, exist_ok=True)
    (job / "runtime_summary.json").write_bytes(data)
    with no_hang():
        for action in (lambda: verify(job), lambda: write_reports(tmp_path / "sweep")):
            try:
                action()
            except ConfigError as exc:
                assert exc.exit_code == 2 and "runtime_summary.json" in exc.render()


@CLI
@given(data=st.binary(min_size=1, max_size=200))
def test_random_bytes_through_the_cli_never_a_traceback(tmp_path, data):
    (tmp_path / "x.bin").write_bytes(data)
    for args in (["config", "validate", "-c", "x.bin"], ["model", "inspect", "x.bin"], ["audit", "verify", "x.bin"]):
        proc = run_cli("coral-runtime", *args, cwd=tmp_path, timeout=60)
        assert proc.returncode in (0, 2, 5) and "Traceback" not in proc.stderr, (args, proc.stderr)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e999", str(10**50)])
def test_numbers_from_the_environment_are_exit_0_or_2(tmp_path, value):
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", cwd=tmp_path,
                   env={"CORAL_SERVICES__METRICS__TIMEOUT_S": value})
    assert proc.returncode == 2 and "services.metrics.timeout_s" in proc.stderr, proc.stderr
