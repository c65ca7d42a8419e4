"""services.mqtt / services.webhook and the per-stream sinks.mqtt / sinks.webhook switches: a sink on
without its service's address is one error naming the key, the value and where it came from; ranges;
coral-run exits 2 with that message and never prints or writes the password or token."""

import pytest

from conftest import run_cli
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError
from media import write_video


def problems_of(*overrides):
    comp = merge(D.from_cli(list(overrides))).compose()
    try:
        comp.runtime_config()
    except ConfigError as exc:
        return {p.key: p for p in exc.problems}
    return {}


@pytest.fixture
def video(tmp_path):
    return write_video(tmp_path / "v.mp4", frames=2)


def test_sinks_mqtt_on_without_a_broker_names_the_switch_and_its_source(video):
    found = problems_of("run.mode=pipeline", "backends=cpu", f"streams.front.source={video}",
                        "streams.front.sinks.mqtt=true")
    p = found["streams.front.sinks.mqtt"]
    assert "services.mqtt.host is not set" in p.message and "front" in p.message
    assert p.value is True and p.source == "command line" and "services.mqtt.host=" in p.expected


def test_services_enabled_turns_every_stream_on_and_is_the_key_named(video):
    found = problems_of("run.mode=pipeline", "backends=cpu", f"run.source={video}", "services.webhook.enabled=true")
    p = found["services.webhook.enabled"]
    assert "services.webhook.url is not set" in p.message and p.source == "command line"
    # a stream that switches it off is not using it
    assert problems_of("run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                       "services.webhook.enabled=true", "streams.a.sinks.webhook=false") == {}


@pytest.mark.parametrize("override,key,word", [
    ("services.mqtt.qos=3", "services.mqtt.qos", "too large"),
    ("services.mqtt.port=0", "services.mqtt.port", "too small"),
    ("services.mqtt.max_queue=0", "services.mqtt.max_queue", "too small"),
    ("services.webhook.timeout_s=0", "services.webhook.timeout_s", "too small"),
    ("services.webhook.retries=-1", "services.webhook.retries", "too small"),
    ("services.webhook.max_queue=0", "services.webhook.max_queue", "too small"),
    ("services.mqtt.topic_prefix=home/+", "services.mqtt.topic_prefix", "topic"),
])
def test_ranges_and_the_prefix(override, key, word):
    found = problems_of(override)
    assert key in found and word in found[key].message


def test_a_webhook_url_that_is_not_http_is_refused_without_showing_its_password(video):
    found = problems_of("run.mode=pipeline", "backends=cpu", f"run.source={video}", "streams.default.sinks.webhook=true",
                        "services.webhook.url=ftp://user:hunter2@example.com/x")
    p = found["services.webhook.url"]
    assert "http" in p.message and "hunter2" not in str(p.value)


def test_coral_run_exits_2_with_one_message_and_no_secret(tmp_path, video):
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}",
                     "streams.default.sinks.mqtt=true", "services.mqtt.password=pw-Zq81x",
                     "services.webhook.token=tok-Zq81x", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "streams.default.sinks.mqtt" in result.stderr and "services.mqtt.host" in result.stderr
    assert "Traceback" not in result.stderr
    for text in [result.stdout, result.stderr] + [p.read_text(errors="replace") for p in (tmp_path / "run").rglob("*")
                                                   if p.is_file()]:
        assert "Zq81x" not in text
