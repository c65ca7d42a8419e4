"""Property-based tests (hypothesis) for issue 15: random secret-looking keys (generated from the rule in
coral_inference/redaction.py) and random values never appear in any artifact or stream; random CORAL_*
values (non-UTF-8 bytes included) round-trip into the config or fail with exit 2, never 1."""

import json
import os
import string
import subprocess

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from conftest import cli_env, console_script

from coral_inference import redaction
from coral_inference.redaction import SECRET_WORDS, is_secret_key, redact, redact_text

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
               phases=[Phase.explicit, Phase.reuse, Phase.generate])  # subprocesses: no minutes of shrinking

PLAIN = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)
SECRET_PHRASES = sorted(SECRET_WORDS) + ["api key", "private key", "access key", "session id", "credentials", "tokens"]


@st.composite
def secret_keys(draw):
    """A key the rule calls secret: other words around one secret word (or pair), in some style."""
    core = draw(st.sampled_from(SECRET_PHRASES)).split()
    words = draw(st.lists(PLAIN, max_size=2)) + core + draw(st.lists(PLAIN, max_size=2))
    style = draw(st.sampled_from(["snake", "kebab", "camel", "upper", "pascal"]))
    if style == "snake":
        key = "_".join(words)
    elif style == "kebab":
        key = "-".join(words)
    elif style == "upper":
        key = "_".join(words).upper()
    else:
        key = "".join(w.capitalize() for w in words)
        key = key[0].lower() + key[1:] if style == "camel" else key
    assume(key.lower() != "secret_keys")
    return key


# values: no whitespace, quotes or brackets (the characters that end an unquoted override value)
VALUE_CHARS = string.ascii_letters + string.digits + "-_.~!@#$%^&+/"
# (a marker in front: a random value must not be a word every artifact holds anyway, like max_devices)
values = st.text(alphabet=VALUE_CHARS, min_size=3, max_size=24).filter(
    lambda v: "${" not in v and "*" not in v).map(lambda v: "Zq9" + v)
any_values = st.text(st.characters(blacklist_categories=("Cs",)), min_size=3, max_size=24).filter(
    lambda v: v.strip() == v and "*" not in v).map(lambda v: "Zq9" + v)


@pytest.fixture(autouse=True)
def _fresh_memory():
    redaction.forget_all()
    yield
    redaction.forget_all()


@FAST
@given(secret_keys())
def test_keys_generated_from_the_rule_are_secret(key):
    assert is_secret_key(key)


@FAST
@given(secret_keys(), any_values)
def test_structured_artifacts_never_hold_the_value(key, value):
    assume(value not in key)
    doc = {"services": {"x": {key: value, "items": [1]}}, "list": [{key: [value, value]}]}
    cleaned = redact(doc)
    assert value not in json.dumps(cleaned, ensure_ascii=False)
    for text in (json.dumps(doc, indent=2), json.dumps(doc, ensure_ascii=False), yaml.safe_dump(doc),
                 yaml.safe_dump(doc, default_flow_style=True), repr(doc)):
        out = redact_text(text)
        assert value not in out, (text, out)
        assert value not in out.encode("unicode_escape").decode("ascii")


@FAST
@given(secret_keys(), values, st.sampled_from(["{k}={v}", "+x.{k}={v}", "x:\n  {k}: {v}\n", "{k}: {v}",
                                                "{{'{k}': '{v}'}}", "a=1 {k}={v} b=2", "x.{k}=[{v},{v}]",
                                                "Error executing job with overrides: ['{k}={v}']",
                                                "http://h/?{k}={v}&db=x", "http://user:{v}@h/"]))
def test_text_never_holds_the_value(key, value, form):
    # (``a.dotted.key: text`` is how a problem is named, not a value: problems redact themselves)
    if form.startswith("http"):  # a URL carries its credentials percent-encoded
        from urllib.parse import quote

        value = quote(value, safe="")
    assume(value not in key and value not in form)
    assert value not in redact_text(form.format(k=key, v=value))


@FAST
@given(secret_keys(), values)
def test_a_value_remembered_from_the_command_line_is_gone_from_any_message(key, value):
    assume(value not in key)
    redaction.remember_override(f"plugins.config.demo.{key}={value}")
    message = f"Cannot convert 'dict' to string: '{{'a': '{value}'}}' at input '[{value}'"
    assert value not in redact_text(message)


def _all_bytes(folder):
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@FEW
@given(secret_keys(), values)
def test_every_channel_of_a_real_run(tmp_path_factory, key, value):
    assume(value not in key and not value.startswith(("-", "+", "~")))
    tmp = tmp_path_factory.mktemp("run")
    env = cli_env()
    args = [f"+plugins.config.demo.{key}='{value}'", "run.mode=validate", "run.output=json", "hydra.run.dir=run"]
    runs = [subprocess.run([console_script("coral-run"), *args], cwd=tmp, env=env, capture_output=True, timeout=120),
            subprocess.run([console_script("coral-run"), "--cfg", "job", *args], cwd=tmp, env=env,
                           capture_output=True, timeout=120),
            subprocess.run([console_script("coral-run"), f"services.metrics.token={{a:'{value}'}}"], cwd=tmp,
                           env=env, capture_output=True, timeout=120)]
    assert [r.returncode for r in runs] == [0, 0, 2], [r.stderr for r in runs]
    for run in runs:
        assert value.encode() not in run.stdout + run.stderr
    assert value.encode() not in _all_bytes(tmp / "run")


# --- environment values ----------------------------------------------------------------------------------

ENV_NAME = "CORAL_SERVICES__METRICS__ORG"  # an Optional[str] key: text goes in as it is
env_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00$"), max_size=30)


def _expected_text(text):
    """What a text key gets from an environment value: null / ~ -> None, 'quoted' -> the inside,
    anything else -> the text without surrounding blanks."""
    s = text.strip()
    if s.lower() in ("null", "~"):
        return None
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


@settings(max_examples=80, deadline=None)
@given(env_text)
def test_an_env_value_for_a_text_key_is_kept_as_text(text):
    from coral_inference.config.descriptor import RuntimeDescriptor

    layer = RuntimeDescriptor.from_env({ENV_NAME: text})
    assert not layer.issues.errors
    [entry] = layer.entries
    assert entry.value == _expected_text(text)


@settings(max_examples=6, deadline=None)
@given(env_text)
def test_an_env_value_round_trips_through_composition(text):
    from coral_inference.config.descriptor import RuntimeDescriptor, merge

    composition = merge(RuntimeDescriptor.from_env({ENV_NAME: text})).compose()
    assert composition.cfg.services.metrics.org == _expected_text(text)


@FEW
@given(st.binary(min_size=1, max_size=12).filter(lambda b: b"\x00" not in b))
def test_random_env_bytes_are_exit_0_or_2_never_1(tmp_path_factory, raw):
    tmp = tmp_path_factory.mktemp("env")
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"CORAL_")}
    env[ENV_NAME.encode()] = raw
    env[b"CORAL_SERVICES__METRICS__TOKEN"] = raw + b"-tok3n"
    proc = subprocess.run([console_script("coral-run"), "run.mode=validate", "hydra.run.dir=run"], cwd=tmp,
                          env=env, capture_output=True, timeout=120)
    assert proc.returncode in (0, 2), proc.stderr
    assert b"Traceback" not in proc.stderr
    if proc.returncode == 0:
        assert (raw + b"-tok3n") not in _all_bytes(tmp / "run") + proc.stdout + proc.stderr
