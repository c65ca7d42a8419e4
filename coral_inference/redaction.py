"""The one redaction policy: which keys hold secrets, what in a text is a secret, and the values
this process has seen under secret keys. summary.py, errors.py and the CLIs use it; nothing here
imports the rest of the package.

The rules (documented in docs/configuration.md, "Secrets"):

* **Keys.** A key is split into words (camelCase, kebab-case, snake_case, dots, case-insensitive;
  a trailing plural ``s`` is dropped): it is secret when its words hold a term of ``SECRET_TERMS``
  in a row or one word spells it joined (token, password, passwd, pwd, pass, passphrase, secret,
  credential, api key, auth, authorization, private key, signing key, signature, jwt, bearer,
  cookie, session id, session key, access key, secret key, client secret; a term may span two
  dotted parts: ``api.key``), when its last word is session, private or signing, when a word ends
  in a term (``dbpass``, ``oauth``), or holds password, passphrase, secret, credential, apikey,
  privatekey, accesskey, signingkey or jwt (``dbpassword``), or when it holds the words of a
  ``summary.secret_keys`` entry in a row. ``summary.secret_keys`` itself holds
  names, not secrets. In a dotted key any part counts (``credentials.user`` is secret).
* **Structured values** (the summary, ``.hydra/*.yaml``, ``--cfg`` output, reports): every non-empty
  value under a secret key is ``***`` (a list or mapping keeps its shape, each leaf ``***``);
  credentials inside URLs in any string are ``***``; a string that is an override (``key=value``)
  is redacted as text; other strings are kept verbatim, so a model path that merely contains
  ``secret:`` stays intact.
* **Text** (messages, stdout, stderr, logs, override strings): ``key=value``, ``key: value`` and
  ``'key': value`` parts whose key is secret-looking (the key begins the text, a line or follows a
  space, quote, comma or bracket), a YAML block under a secret key, URL credentials (userinfo and
  query parameters such as ``u``, ``p``, ``password``, ``token``, ``key``, ``secret``, ``sig``), and every
  value this process has seen under a secret key (``remember``): the last catches a secret quoted
  where no key stands next to it.
* **URLs.** The userinfo ends at the last ``@`` before the host, so a password may hold any
  character (``@ : / ? # [ ] " '``, percent-encoded or not); query parameters named by the key rule
  (or ``u``, ``p``, ``pw``, ``key``, ``sig``, ``code``, ``x-amz-*``) lose their values.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable

REDACTED = "***"
# The secret-word rule (docs/configuration.md, "Secrets"). A key is split into words (words()); it is secret
# when its words hold one of SECRET_TERMS in a row, or one word spells a term joined (``apikey``), or its last
# word is one of SECRET_LAST_WORDS (``flask_session``, not ``session_timeout``). The same rule names the
# secret query parameters of a URL (``?signing_key=…``).
SECRET_TERMS = (
    "token", "password", "passwd", "pwd", "pass", "passphrase", "secret", "credential", "api key", "auth",
    "authorization", "private key", "signing key", "signature", "jwt", "bearer", "cookie", "session id",
    "session key", "access key", "secret key", "client secret",
)
SECRET_LAST_WORDS = frozenset({"session", "private", "signing"})
SECRET_WORDS = frozenset(term.replace(" ", "") for term in SECRET_TERMS)
# A single word that ends in a term is secret too (``dbpass``, ``authtoken``, ``oauth``, ``mycookie``); a
# term at a word's start is not (``tokenizer``, ``passes``).
SECRET_SUFFIXES = tuple(sorted(SECRET_WORDS))
# Parts of a single word that make it secret wherever they stand (``dbpassword``, ``jwtkey``).
SECRET_INFIXES = ("password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey", "accesskey",
                  "signingkey", "jwt")
# The default of summary.secret_keys (names; the built-in words above always apply).
DEFAULT_SECRET_KEYS = ("token", "password", "secret", "credential", "api_key")
NAMES_KEY = "secret_keys"  # summary.secret_keys: names, not secrets
# URL query parameters that carry credentials besides any name the rule calls secret.
SECRET_QUERY = frozenset({"u", "p", "pw", "key", "sig", "code"})
MIN_REMEMBERED = 4  # shorter values are replaced only where they stand quoted or bracketed ('S', [S)

_seen: set[str] = set()
_short: set[str] = set()  # shorter values: replaced only where they stand quoted or bracketed
_extra: list[tuple[str, ...]] = [()]  # summary.secret_keys of this process's config (use_secret_keys)


# --- keys ---------------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD = re.compile(r"[a-z]+|[0-9]+")


def words(key: Any) -> list[str]:
    """The words of one key: ``x-apiKey_2`` -> ``['x', 'api', 'key', '2']`` (plural ``s`` dropped)."""
    return list(_words(str(key)))


@functools.lru_cache(maxsize=8192)
def _words(key: str) -> tuple[str, ...]:  # every key of a config, and each secret_keys name, once per process
    text = _ACRONYM.sub(r"\1 \2", _CAMEL.sub(r"\1 \2", key))
    return tuple(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                 for w in _WORD.findall(text.lower()))


@functools.lru_cache(maxsize=4096)
def _part_is_secret(part: str, extra: tuple[str, ...]) -> bool:
    if part.lower() == NAMES_KEY or part.lower().endswith("_" + NAMES_KEY):  # CORAL_SUMMARY__SECRET_KEYS
        return False
    ws = _words(part)
    if any(w in SECRET_WORDS for w in ws) or any(a + b in SECRET_WORDS for a, b in zip(ws, ws[1:])):
        return True
    if ws and ws[-1] in SECRET_LAST_WORDS:
        return True
    if any(w.endswith(SECRET_SUFFIXES) or any(i in w for i in SECRET_INFIXES) for w in ws):
        return True
    for name in extra:
        want = _words(name)
        if not want:
            continue
        joined = "".join(want)
        if any(ws[i:i + len(want)] == want for i in range(len(ws))) or joined in ws or \
                any(a + b == joined for a, b in zip(ws, ws[1:])):
            return True
    return False


def is_secret_key(key: Any, secret_keys: Iterable[str] = ()) -> bool:
    """Whether the value of ``key`` (one name or a dotted path: any part counts, and a term split over
    two parts: ``api.key``) is a secret. ``secret_keys`` adds names (``summary.secret_keys``) to the rule."""
    extra = tuple(str(k) for k in (secret_keys or ())) + _extra[0]
    parts = [p for p in str(key).lstrip("+~").split("@")[0].split(".") if p]
    if any(_part_is_secret(p, extra) for p in parts):
        return True
    for a, b in zip(parts, parts[1:]):
        wa, wb = _words(a), _words(b)
        if wa and wb and wa[-1] + wb[0] in SECRET_WORDS and NAMES_KEY not in (a.lower(), b.lower()):
            return True
    return False


# --- values this process has seen under secret keys ---------------------------------------------

def remember(value: Any) -> None:
    """Record a secret value (and every leaf of a list or mapping): text redaction replaces it
    wherever it appears. Short values (< MIN_REMEMBERED characters) are left to the key rules."""
    if isinstance(value, dict):
        for v in value.values():
            remember(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            remember(v)
    elif value is not None and not isinstance(value, bool):
        text = str(value).strip()
        if 0 < len(text) < MIN_REMEMBERED and text != REDACTED and "${" not in text:
            _short.add(text)
        if len(text) >= MIN_REMEMBERED and text != REDACTED and "${" not in text:
            _seen.add(text)
            for variant in (text.encode("unicode_escape").decode("ascii"), repr(text)[1:-1]):
                if len(variant) >= MIN_REMEMBERED:
                    _seen.add(variant)


def remember_config(value: Any, secret_keys: Iterable[str] = (), under_secret: bool = False) -> None:
    """Remember every value under a secret key of a (plain) config tree, and URL credentials."""
    if isinstance(value, dict):
        for k, v in value.items():
            remember_config(v, secret_keys, under_secret or is_secret_key(k, secret_keys))
    elif isinstance(value, (list, tuple)):
        for v in value:
            remember_config(v, secret_keys, under_secret)
    elif under_secret:
        remember(value)
        remember_env_references(value, secret=True)
    elif isinstance(value, str):
        remember_env_references(value)
        if "://" in value:
            remember(_url_secrets(value))


@functools.lru_cache(maxsize=1)
def _env_reference() -> re.Pattern:
    return re.compile(r"\$\{\s*oc\.env\s*:\s*([A-Za-z_][A-Za-z0-9_]*)")


def remember_env_references(text: Any, secret: bool = False, environ: Any = None) -> None:
    """Remember the value of every environment variable ``text`` interpolates (``${oc.env:NAME}``) when
    ``secret`` (it stands under a secret key) or when NAME itself is secret-looking (``MY_TOKEN``): the
    resolved value then never shows, whatever key it lands under."""
    if not isinstance(text, str) or "oc.env" not in text:
        return
    import os

    environ = os.environ if environ is None else environ
    for name in _env_reference().findall(text):
        if secret or is_secret_key(name):
            remember(environ.get(name))


def remember_override(text: str, secret_keys: Iterable[str] = ()) -> None:
    """Remember the value of a ``key=value`` override (or ``NAME=value`` assignment) with a secret key,
    and credentials of URLs in any override."""
    key, sep, value = str(text).partition("=")
    if sep:
        remember_env_references(value, secret=is_secret_key(key, secret_keys))
    if sep and is_secret_key(key, secret_keys):
        value = value.strip()
        remember(value)
        remember(value.strip("'\""))
        for item in re.split(r"[\[\]{},]", value):  # list / mapping / sweep items
            item = item.split(":", 1)[-1] if ":" in item and not item.startswith(("http", "turn", "stun")) else item
            remember(item.strip().strip("'\""))
    remember(_url_secrets(str(text)))


def use_secret_keys(names: Iterable[str]) -> None:
    """Add a config's ``summary.secret_keys`` names to the rule for the rest of this process."""
    _extra[0] = tuple(dict.fromkeys(_extra[0] + tuple(str(n) for n in names or ())))


def forget_all() -> None:
    """Tests only: drop the remembered values and added names."""
    _seen.clear()
    _short.clear()
    _extra[0] = ()


def scrub(text: str) -> str:
    """``text`` with every remembered secret value replaced by ***."""
    if not (_seen or _short) or not text:
        return text
    for value in sorted(_seen, key=len, reverse=True):
        if value in text:
            text = text.replace(value, REDACTED)
    for value in _short:
        if value in text:  # 'S', [S, =S, :S — not every S of the text
            text = re.sub(r"(?<=['\"\[{(=:,])" + re.escape(value) + r"(?=['\"\]}),]|$)", REDACTED, text,
                          flags=re.MULTILINE)
    return text


# --- URLs ---------------------------------------------------------------------------------------
# A URL's userinfo ends at the LAST ``@`` before the host: a password may hold ``@ : / ? # [ ] " '``
# (percent-encoded or not). In free text a URL ends at whitespace (or where a second URL starts after a
# separator: ``['rtsp://a:b@c','rtsp://d:e@f']``); a string that is one value (a config value, a
# ``source``) is one URL to its end, spaces included.

@functools.lru_cache(maxsize=1)
def _url_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    scheme = re.compile(r"(?i)(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://")
    nested = re.compile(r"(?i)[,;|'\"()\[\]{}<>][a-z][a-z0-9+.\-]*://")  # a second URL in a list or a repr
    query = re.compile(r"([?&;])([^=&#\s'\"<>?]+)=")
    return scheme, nested, query


def _host_at(text: str, i: int) -> bool:
    """Whether a host starts at ``i`` (after an ``@``)."""
    return i < len(text) and (text[i].isalnum() or text[i] in "[%_")


def _userinfo_end(region: str) -> int:
    """The index of the ``@`` that ends the userinfo of a URL whose text after ``://`` is ``region``; -1: none."""
    k = len(region)
    while True:
        k = region.rfind("@", 0, k)
        if k < 0:
            return -1
        if _host_at(region, k + 1):
            user = region[:k]
            if ":" not in user and "/" in user:  # an @ in the path (https://host/@scope/x): no userinfo
                return -1
            return k
        if k == 0:
            return -1


def _query_value_end(text: str, i: int, bounded: bool) -> int:
    """Where a query value starting at ``i`` ends: ``&``, ``#`` or the URL's end (in free text also
    whitespace, or a quote or bracket that closes the text around the URL)."""
    j = i
    while j < len(text):
        c = text[j]
        if c in "&#":
            break
        if not bounded:
            if c.isspace():
                break
            if c in "'\"])}" and (j + 1 == len(text) or text[j + 1].isspace() or text[j + 1] in ",;:)]}'\""):
                break
        j += 1
    return j


def _urls(text: str, bounded: bool = False) -> list[tuple[int, int, int]]:
    """(start of the text after ``://``, userinfo's ``@`` or -1, end) of every URL in ``text``."""
    scheme, nested, _ = _url_patterns()
    out, pos = [], 0
    for m in scheme.finditer(text):
        if m.start() < pos:
            continue
        start = m.end()
        if bounded and m.start() == 0:
            end = len(text)
        else:
            end = start
            while end < len(text) and not text[end].isspace():
                end += 1
        second = nested.search(text, start, end)
        if second is not None:
            end = second.start()
        at = _userinfo_end(text[start:end])
        out.append((start, start + at if at >= 0 else -1, end))
        pos = end
    return out


def _secret_param(name: str) -> bool:
    from urllib.parse import unquote

    plain = unquote(name)
    return plain.lower() in SECRET_QUERY or plain.lower().startswith("x-amz-") or is_secret_key(plain)


def _query_secrets(text: str, start: int, end: int, bounded: bool) -> list[tuple[int, int]]:
    """(start, end) of every secret query parameter value of the URL text[start:end]."""
    _, _, query = _url_patterns()
    q = text.find("?", start, end)
    if q < 0:
        return []
    out = []
    for m in query.finditer(text, q, end):
        stop = min(_query_value_end(text, m.end(), bounded), end)
        if stop > m.end() and _secret_param(m.group(2)):
            out.append((m.end(), stop))
    return out


def _url_spans(text: str, bounded: bool = False) -> list[tuple[int, int, bool]]:
    """(start, end, whole userinfo) of every secret in the URLs of ``text``: passwords (or a userinfo
    without ``:``, whole) and the values of secret query parameters."""
    spans = []
    for start, at, end in _urls(text, bounded):
        if at >= 0:
            colon = text.find(":", start, at)
            spans.append((colon + 1, at, False) if colon >= 0 else (start, at, True))
        spans += [(a, b, False) for a, b in _query_secrets(text, max(start, at + 1), end, bounded)]
    return spans


def redact_url_credentials(text: str, bounded: bool = False) -> str:
    """``scheme://user:S@host`` -> ``scheme://user:***@host`` (a userinfo without ``:`` goes whole);
    ``?u=a&p=S`` -> ``?u=***&p=***`` (query parameters that carry credentials). ``bounded``: ``text`` is
    one value, so a URL it starts with runs to its end."""
    if "://" not in text:
        return text
    out, pos = [], 0
    for a, b, _ in sorted(_url_spans(text, bounded)):
        if a < pos:
            continue
        out.append(text[pos:a] + REDACTED)
        pos = b
    return "".join(out) + text[pos:]


def _url_secrets(text: str) -> list[str]:
    return [text[a:b] for a, b, _ in _url_spans(text, bounded=True) if b > a]


# --- structured values --------------------------------------------------------------------------

def redact(value: Any, secret_keys: Iterable[str] = DEFAULT_SECRET_KEYS) -> Any:
    """A copy with every non-empty value under a secret key replaced by *** (a list or mapping
    keeps its shape) and URL credentials redacted in every string. Other strings stay verbatim."""
    if isinstance(value, dict):
        return {k: (_leaves(v) if is_secret_key(k, secret_keys) else redact(v, secret_keys))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secret_keys) for v in value]
    if isinstance(value, str):
        if _override_form().match(value):  # an override string (overrides.yaml, override_dirname, argv)
            return redact_text(value, secret_keys)
        return redact_url_credentials(value, bounded=True)
    return value


@functools.lru_cache(maxsize=1)
def _override_form() -> re.Pattern:
    return re.compile(r"^[+~]*[A-Za-z_][\w.\-@/]*=")


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _leaves(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_leaves(v) for v in value]
    return value if value in (None, "") or isinstance(value, bool) else REDACTED


# --- text ---------------------------------------------------------------------------------------

_KEY_BEFORE = " \t\r\n,;([{'\"`|-&?<>="


@functools.lru_cache(maxsize=1)
def _key_pattern() -> re.Pattern:
    # a key (optionally quoted, with Hydra's + / ~ prefixes), then = or :
    return re.compile(r"([+~]*)(['\"]?)([A-Za-z_][\w.\-@/]*)\2([ \t]*)([=:])")


def redact_text(text: str, secret_keys: Iterable[str] = DEFAULT_SECRET_KEYS) -> str:
    """Free text (a message, a log line, an override, a YAML or JSON dump) with secrets redacted:
    remembered values, URL credentials, YAML blocks under a secret key, and the value of every
    ``key=value`` / ``key: value`` whose key is secret-looking."""
    if not isinstance(text, str) or not text:
        return text
    if "\n" in text:
        text = _yaml_blocks(text, secret_keys)
    text = _key_values(text, secret_keys)
    return scrub(redact_url_credentials(text))


def _key_values(text: str, secret_keys: Iterable[str]) -> str:
    out, pos = [], 0
    for match in _key_pattern().finditer(text):
        start, end = match.start(), match.end()
        if start < pos:
            continue
        if start > 0 and text[start - 1] not in _KEY_BEFORE:
            continue
        sep = match.group(5)
        after = text[end:end + 1]
        if sep == ":":
            if after == ":" or after == "/":  # a URL (http://) or a C++ / module path (a::b)
                continue
            flow = start > 0 and text[start - 1] in ",{[" or bool(match.group(2))
            if not (after in (" ", "\t", "\n", "") or flow):
                continue  # 'secret:foo' in a value is text, not a key
            if not flow and "." in match.group(3):
                continue  # 'a.dotted.key: message' is how a problem is named, not a YAML mapping
        if not is_secret_key(match.group(3), secret_keys):
            continue
        while end < len(text) and text[end] in " \t":
            end += 1
        before = text[start - 1] if start > 0 else ""
        closing = before if before and before in "'\"" and not match.group(2) else ""
        stop = _value_end(text, end, yaml_style=(sep == ":" and (before == "" or before not in ",{")),
                          closing=closing, multiline=bool(match.group(2)))
        if stop == end or _already_redacted(text[end:stop]):
            continue
        if match.group(2) or (text[end] in "'\"" and text[stop - 1:stop] == text[end] and stop - end > 1):
            quote = text[end] if text[end] in "'\"" else match.group(2)  # JSON / a repr stays parsable
            out.append(text[pos:end] + quote + REDACTED + quote)
        elif sep == ":" and not closing and not (before and before in ",{[("):
            out.append(text[pos:end] + f"'{REDACTED}'")  # YAML: a bare *** would be an alias
        else:
            out.append(text[pos:end] + REDACTED)
        pos = stop
    return "".join(out) + text[pos:]


def _value_end(text: str, i: int, yaml_style: bool = False, closing: str = "", multiline: bool = False) -> int:
    """Where the value starting at ``i`` ends: a quoted string, a bracketed list or mapping (an
    unclosed one runs to the end of the line; under a quoted key, a JSON one, to its close), a YAML-style value to the end of the line, or text
    up to a space, quote, closing bracket or a comma before the next key (``a,b`` sweeps go whole)."""
    if i < len(text) and text[i] in "'\"":
        close = _closing_quote(text, i)
        newline = text.find("\n", i)
        if close == -1 or (newline != -1 and newline < close):
            return len(text) if newline == -1 else newline
        return close + 1
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\n" and not (multiline and depth):  # an indented JSON list goes on; [S stops at the line's end
            break
        if depth and c in "'\"" and text[i:j].rstrip()[-1:] in ("[", "{", ",", ":"):
            close = _closing_quote(text, j)  # a quoted item: its brackets and commas are text
            if close != -1:
                j = close + 1
                continue
        if c in "[{(":
            depth += 1
        elif c in "]})":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and closing and c == closing:
            break  # the key stood inside a quoted string: its value ends with it
        elif depth == 0 and yaml_style:
            if (c == "," and not _sweep_item(text, j + 1)) or c == '"' or text.startswith("\\n", j):
                break  # the next key; the end of the JSON string or the escaped line this YAML sits in
        elif depth == 0 and c == "," and _sweep_item(text, j + 1):
            pass  # a sweep's next value (token=a,b), not the next override (token=a,b=1)
        elif depth == 0 and (c in ",'\"" or c.isspace()):
            break
        j += 1
    if yaml_style:
        while j > i and text[j - 1] in " \t\r":
            j -= 1
    return j


def _closing_quote(text: str, i: int) -> int:
    """The quote that closes the one at ``i``: backslash escapes (JSON, a repr) and YAML's doubled
    '' are inside the string; -1 when it is not closed."""
    quote, j = text[i], i + 1
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == quote:
            if quote == "'" and text[j + 1:j + 2] == "'":
                j += 2
                continue
            return j
        j += 1
    return -1


@functools.lru_cache(maxsize=1)
def _redacted_form() -> re.Pattern:
    return re.compile(r"""\$\{[^{}]*\}|(["']?)\*\*\*\1|\bnull\b|\btrue\b|\bfalse\b|~|"[^"]*"\s*:|'[^']*'\s*:|[\w.\-]+\s*:|[\s\[\]{},]""")


def _already_redacted(value: str) -> bool:
    """Whether a value holds nothing but ***, null, booleans, keys, brackets and ${…} references
    (a redacted dump; a reference names where the secret is, it is not the secret)."""
    return _redacted_form().sub("", value) == ""


def _sweep_item(text: str, i: int) -> bool:
    """Whether the comma-separated item starting at ``i`` is a bare value (no key= / key:)."""
    item = re.match(r"[^,\s\]\}'\"]*", text[i:]).group(0)
    return bool(item) and "=" not in item and ":" not in item


def _yaml_blocks(text: str, secret_keys: Iterable[str]) -> str:
    """Lines indented below ``key:`` (nothing after the colon) with a secret key: their values go."""
    lines = text.split("\n")
    block_indent = None
    for n, line in enumerate(lines):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if stripped and (indent > block_indent or (indent == block_indent and stripped.startswith("- "))):
                lines[n] = line[:indent] + _yaml_leaf(stripped)
                continue
            if stripped:
                block_indent = None
        m = re.match(r"(?:- )?['\"]?([^\s:'\"]+)['\"]?:\s*$", stripped)
        if m and is_secret_key(m.group(1), secret_keys):
            block_indent = indent
    return "\n".join(lines)


def _yaml_leaf(stripped: str) -> str:
    """``- x`` -> ``- ***``, ``k: v`` -> ``k: ***``, ``k:`` stays (its children are handled in turn)."""
    prefix = ""
    while stripped.startswith("- "):
        prefix, stripped = prefix + "- ", stripped[2:]
    m = re.match(r"(['\"]?[^\s:'\"]+['\"]?:)(\s*)(.*)$", stripped)
    if m:
        keep = not m.group(3).strip() or _already_redacted(m.group(3))
        return prefix + m.group(1) + ("" if not m.group(3).strip() else m.group(2) + (m.group(3) if keep else f"'{REDACTED}'"))
    return prefix + (stripped if not stripped.strip() or _already_redacted(stripped) else f"'{REDACTED}'")


def redact_argv(args: Iterable[Any], secret_keys: Iterable[str] = DEFAULT_SECRET_KEYS) -> list[str]:
    return [redact_text(str(arg), secret_keys) for arg in args]


def public_json(value: Any) -> str:
    """JSON for anything the live service answers (API bodies, Server-Sent Events, error bodies): URL
    passwords and secret query parameters in every string, values under secret keys, and every remembered
    secret replaced by ***. A stream's ``last_error`` quoting its camera URL stays a public string."""
    import json

    return scrub(json.dumps(redact(value, DEFAULT_SECRET_KEYS + _extra[0]), default=str))
