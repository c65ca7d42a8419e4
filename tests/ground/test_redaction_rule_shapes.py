"""The redaction policy (coral_inference/redaction.py) over open-ended inputs (hypothesis):

* URL passwords over the whole printable range (``[ ] " ' @ : / ? #`` raw or percent-encoded): the userinfo
  ends at the last ``@`` before the host, in a value (spaces included) and in free text (a message, quotes,
  brackets, a JSON dump, a list of URLs);
* every term of the documented secret-word list in every key shape (snake, kebab, camel, Pascal, upper,
  dotted, with prefixes and suffixes: ``db_pass``, ``jwtSecret``, ``signing_key``), as a config key and as
  a URL query parameter name;
* a secret-named environment variable interpolated under any key (``${oc.env:MY_TOKEN}``) is remembered.
"""

import json
import re
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coral_inference import redaction
from coral_inference.redaction import (REDACTED, SECRET_LAST_WORDS, SECRET_TERMS, is_secret_key, redact,
                                       redact_text, redact_url_credentials)

MANY = settings(max_examples=300, deadline=None)
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))  # space .. ~
NO_SPACE = PRINTABLE.replace(" ", "")
NESTED = re.compile(r"(?i)[,;|'\"()\[\]{}<>][a-z][a-z0-9+.\-]*://")  # where a second URL starts (documented)

users = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=8)
hosts = st.one_of(st.from_regex(r"\A[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){0,2}\Z"),
                  st.just("127.0.0.1"), st.just("[::1]"), st.just("cam-3.local"))
ports = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
paths = st.one_of(st.just(""), st.from_regex(r"\A(/[A-Za-z0-9._-]{1,8}){1,3}\Z"))
schemes = st.sampled_from(["rtsp", "rtsps", "http", "https", "rtmp", "mqtt", "postgresql+psycopg"])


def _passwords(alphabet):
    return st.text(alphabet=alphabet, min_size=1, max_size=24).filter(lambda p: not NESTED.search(p))


@pytest.fixture(autouse=True)
def _fresh_memory():
    redaction.forget_all()
    yield
    redaction.forget_all()


@MANY
@given(schemes, users, _passwords(PRINTABLE), hosts, ports, paths)
def test_a_url_value_loses_any_printable_password(scheme, user, password, host, port, path):
    url = f"{scheme}://{user}:{password}@{host}{port}{path}"
    want = f"{scheme}://{user}:{REDACTED}@{host}{port}{path}"
    assert redact_url_credentials(url, bounded=True) == want
    assert redact({"source": url}) == {"source": want}
    assert redaction._url_secrets(url) == [password]


@MANY
@given(schemes, users, _passwords(NO_SPACE), hosts, ports, paths,
       st.sampled_from(["{u}", "could not open '{u}': timeout", 'open "{u}" failed', "[{u}]", "({u})",
                        "source={u} lost", "<{u}>", "a {u}\nb", "{u}, then rtsp://other/x"]))
def test_a_url_in_text_loses_any_password_without_spaces(scheme, user, password, host, port, path, form):
    url = f"{scheme}://{user}:{password}@{host}{port}{path}"
    want = f"{scheme}://{user}:{REDACTED}@{host}{port}{path}"
    assert redact_url_credentials(form.format(u=url)) == form.format(u=want)
    assert redact_text(form.format(u=url)) == form.format(u=want)


@MANY
@given(schemes, users, _passwords(NO_SPACE), hosts, paths)
def test_a_list_of_urls_and_a_json_dump(scheme, user, password, host, path):
    url = f"{scheme}://{user}:{password}@{host}{path}"
    want = f"{scheme}://{user}:{REDACTED}@{host}{path}"
    assert redact_url_credentials(f"['{url}','{scheme}://b:c@d']") == f"['{want}','{scheme}://b:{REDACTED}@d']"
    dumped = json.dumps({"last_error": f"cannot open {url}", "n": 1})
    out = redact_text(dumped)
    assert json.loads(out) == {"last_error": f"cannot open {want}", "n": 1}


@MANY
@given(schemes, _passwords(PRINTABLE), hosts)
def test_a_userinfo_without_a_colon_goes_whole(scheme, token, host):
    assume(":" not in token and "/" not in token)
    assert redact_url_credentials(f"{scheme}://{token}@{host}/x", bounded=True) == f"{scheme}://{REDACTED}@{host}/x"


@pytest.mark.parametrize("text", ["https://registry.example/@scope/pkg", "http://h/x?email=a@b.c",
                                  "see http://h:8080/x and mail me@example.com", "rtsp://cam/live"])
def test_urls_without_credentials_stay(text):
    assert redact_url_credentials(text) == text


@pytest.mark.parametrize("text, want", [
    ("rtsp://u:p%40ss%3Aw%2F@h/x", "rtsp://u:***@h/x"),
    ("rtsp://u:p@ss@h/x", "rtsp://u:***@h/x"),
    ("rtsp://admin:p]a[s\"s'@10.0.0.2:554/s", "rtsp://admin:***@10.0.0.2:554/s"),
    ("rtsp://admin:a/b?c#d@cam/s", "rtsp://admin:***@cam/s"),
])
def test_the_characters_the_review_found(text, want):
    assert redact_url_credentials(text) == want
    assert redact_url_credentials(text, bounded=True) == want


# --- the secret-word rule, in every key shape -------------------------------------------------------

AFFIXES = st.lists(st.sampled_from(["db", "my", "x", "jwt", "app", "main", "v2", "api", "old"]), max_size=2)
TAILS = st.lists(st.sampled_from(["value", "2", "file", "b64", "hash", "text"]), max_size=2)
STYLES = ["snake", "kebab", "camel", "pascal", "upper", "dotted", "joined"]


def _shape(words, style):
    if style == "snake":
        return "_".join(words)
    if style == "kebab":
        return "-".join(words)
    if style == "upper":
        return "_".join(words).upper()
    if style == "dotted":
        return "plugins.config." + ".".join(words)
    if style == "joined":
        return "".join(words)
    key = "".join(w.capitalize() for w in words)
    return key[0].lower() + key[1:] if style == "camel" else key


@pytest.mark.parametrize("term", SECRET_TERMS)
@settings(max_examples=40, deadline=None)
@given(prefix=AFFIXES, suffix=TAILS, style=st.sampled_from(STYLES))
def test_every_listed_term_in_every_key_shape(term, prefix, suffix, style):
    if style == "joined":  # one word: a term joined with what comes before it (dbpass, jwttoken, myapikey)
        suffix = []
    key = _shape(prefix + term.split() + suffix, style)
    assert is_secret_key(key), key
    assert redact({key: "Zq9-value"}) == {key: REDACTED}
    assert "Zq9-value" not in redact_text(f"{key}=Zq9-value")
    assert redact_url_credentials(f"http://h/x?{key}=Zq9-value&a=1") == f"http://h/x?{key}={REDACTED}&a=1"


@pytest.mark.parametrize("word", sorted(SECRET_LAST_WORDS))
@settings(max_examples=20, deadline=None)
@given(prefix=AFFIXES, style=st.sampled_from([s for s in STYLES if s != "joined"]))  # as a word: not possession
def test_words_secret_as_the_last_word(word, prefix, style):
    assert is_secret_key(_shape(prefix + [word], style))


# --- values interpolated from secret-named variables ----------------------------------------------------

@MANY
@given(st.sampled_from(["MY_TOKEN", "DB_PASSWORD", "jwtSecret", "CAM_PASS", "API_KEY"]),
       st.text(alphabet=NO_SPACE, min_size=6, max_size=20).filter(lambda v: "${" not in v and "*" not in v))
def test_a_secret_named_variable_is_remembered_under_any_key(name, value):
    redaction.remember_env_references("${oc.env:" + name + "}", environ={name: value})
    assert value not in redact_text(f"streams.cam.source: no such file (value '{value}')")


def test_a_plain_variable_is_remembered_only_under_a_secret_key(monkeypatch):
    monkeypatch.setenv("CAMERA_HOST", "cam-1.local")
    redaction.remember_override("streams.cam.host=${oc.env:CAMERA_HOST}", ())
    assert redact_text("cannot reach cam-1.local") == "cannot reach cam-1.local"
    redaction.remember_override("services.web.token=${oc.env:CAMERA_HOST}", ())
    assert redact_text("cannot reach cam-1.local") == "cannot reach ***"
