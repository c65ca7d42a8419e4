"""Every numeric key has a documented range (coral_inference/config/ranges.py), checked at validation
whether or not its feature is on; NaN and inf are refused; the examples of issue #15 are exit 2."""

import dataclasses
import json
import typing

import pytest

from conftest import run_cli

from coral_inference.config.ranges import RANGES, range_for
from coral_inference.config.schema import CoralConfig


def numeric_keys(tp=CoralConfig, prefix=""):
    """Dotted keys of every int/float field of the schema (``*`` for a dict key or list index)."""
    hints = typing.get_type_hints(tp)
    for f in dataclasses.fields(tp):
        t, key = hints[f.name], f"{prefix}{f.name}"
        if typing.get_origin(t) is typing.Union:
            t = next(a for a in typing.get_args(t) if a is not type(None))
        origin = typing.get_origin(t)
        if dataclasses.is_dataclass(t):
            yield from numeric_keys(t, key + ".")
        elif origin in (dict, list):
            inner = typing.get_args(t)[-1]
            if dataclasses.is_dataclass(inner):
                yield from numeric_keys(inner, key + ".*.")
            elif inner in (int, float):
                yield key + ".*", inner
        elif t in (int, float):
            yield key, t


def test_every_numeric_key_of_the_schema_has_a_range():
    keys = list(numeric_keys())
    assert len(keys) > 20
    missing = [key for key, _ in keys if range_for(key) is None]
    assert not missing, f"numeric keys without a range: add them to config/ranges.py RANGES: {missing}"


def test_integer_fields_have_integer_ranges():
    wrong = [key for key, tp in numeric_keys() if tp is int and not range_for(key).integer]
    assert not wrong


def test_every_range_has_a_doc_and_sane_bounds():
    for pattern, rng in RANGES.items():
        assert rng.doc and rng.low <= rng.high, pattern


def test_ranges_apply_to_lists_and_named_entries():
    assert range_for("backends.extra.mine.workers").integer
    assert range_for("backends.cpu.workers") is range_for("backends.edgetpu_multi.workers")
    assert range_for("nothing.here") is None


@pytest.mark.parametrize("override, key", [
    ("run.min_seconds=inf", "run.min_seconds"),
    ("services.metrics.timeout_s=inf", "services.metrics.timeout_s"),
    ("services.metrics.timeout_s=-1", "services.metrics.timeout_s"),
    ("services.recording.segment_s=nan", "services.recording.segment_s"),
    ("run.warmup=100000000000000000000000000000", "run.warmup"),
    ("services.metrics.batch_size=0", "services.metrics.batch_size"),
    ("backends.cpu.workers=100000", "backends.cpu.workers"),
])
def test_bad_numbers_are_refused_whether_or_not_the_feature_is_on(override, key):
    from coral_inference.config.descriptor import RuntimeDescriptor, merge
    from coral_inference.errors import ConfigError

    comp = merge(RuntimeDescriptor.from_cli([override])).compose()  # services=none: recording, metrics off
    with pytest.raises(ConfigError) as info:
        comp.runtime_config()
    assert key in [p.key for p in info.value.problems], info.value.render()


def test_devices_of_the_wrong_type_is_exit_2(tmp_path):
    proc = run_cli("coral-run", "hydra.run.dir=run", "backends=edgetpu_single",
                   "backends.edgetpu_single.devices=12345", cwd=tmp_path)
    assert proc.returncode == 2 and "backends.edgetpu_single.devices" in proc.stderr, proc.stderr


def test_explain_shows_the_range(tmp_path):
    proc = run_cli("coral-runtime", "config", "explain", "services.metrics.timeout_s", cwd=tmp_path)
    assert proc.returncode == 0 and "> 0 and <= 600" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("mode", ["pipeline", "bench", "serve"])
def test_each_number_out_of_range_is_one_problem(mode, tmp_path):
    """Only config/ranges.py says what a number's range is: a value out of range is reported once,
    whichever other checks look at its key (streams, bench, backends, web)."""
    from coral_inference.config.descriptor import RuntimeDescriptor, merge
    from coral_inference.errors import ConfigError

    concrete = {"streams.*": "streams.s", "backends.extra.*": "backends.extra.mine", "backends.*": "backends.cpu"}
    overrides = [f"run.mode={mode}", "backends=cpu", "streams.s.source=0"]
    keys, extra = [], {"kind": "cpu"}
    for pattern, rng in RANGES.items():
        key = pattern
        for star, name in concrete.items():
            key = key.replace(star, name)
        value = rng.low if rng.low_open else rng.low - 1
        value = int(value) if rng.integer else value
        if key.startswith("backends.extra.mine."):  # an entry of its own: from a file
            extra[key.rsplit(".", 1)[1]] = value
        else:
            overrides.append(f"{key}={value}")
        keys.append(key)
    (tmp_path / "extra.yaml").write_text(json.dumps({"backends": {"extra": {"mine": extra}}}))
    comp = merge(RuntimeDescriptor.from_file(tmp_path / "extra.yaml"), RuntimeDescriptor.from_cli(overrides)).compose()
    with pytest.raises(ConfigError) as info:
        comp.runtime_config()
    reported = [p.key for p in info.value.problems]
    assert {key: reported.count(key) for key in keys} == {key: 1 for key in keys}, info.value.render()
