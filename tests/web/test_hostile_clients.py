"""The service under hostile clients (issue 24, item 3), over real HTTP and raw sockets: nothing a client
sends gives a 500 or a traceback (non-UTF-8 Authorization, bytes that are not JSON, odd values), an
``Origin: null`` (any web page can send it from a sandboxed iframe) is refused for what changes state, a
blank token is a configuration error, and racing clients leave the service answering."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("aiohttp")
pytest.importorskip("aiortc")

from fake_streams import FakeManager  # noqa: E402
from web_service import get_json, request, serving  # noqa: E402

TOKEN = "s3cr3t-t0ken-value"
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def raw(url: str, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes, read the whole answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


@pytest.fixture(scope="module")
def tokened():
    with serving(FakeManager(["a"]), token=TOKEN) as s:
        yield s


@pytest.fixture(scope="module")
def open_service():
    with serving(FakeManager(["a"])) as s:
        yield s


@FAST
@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b))
def test_any_authorization_bytes_are_401_never_500(tokened, value):
    answer = raw(tokened.url, b"GET /api/streams HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 b"Authorization: Bearer " + value + b"\r\n\r\n")
    assert status_of(answer) in (400, 401), answer[:200]
    assert b"Traceback" not in answer


def test_non_utf8_authorization_is_refused_and_the_right_token_still_works(tokened):
    answer = raw(tokened.url, b"GET /api/streams HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 b"Authorization: Bearer \xff\xfe\x80\r\n\r\n")
    assert status_of(answer) in (400, 401)
    assert get_json(tokened.url, "/api/streams", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200


@FAST
@given(st.binary(max_size=64))
def test_any_offer_body_is_a_4xx(open_service, body):
    status, _, answer = request(open_service.url, "/api/streams/a/webrtc", method="POST", body=body,
                                headers={"Content-Type": "application/json"})
    assert 400 <= status < 500, (status, answer[:200])
    assert b"Traceback" not in answer


@pytest.mark.parametrize("origin", ["null", "NULL", " null ", "http://evil.example", "file://", ""])
def test_a_foreign_or_null_origin_cannot_change_state(open_service, origin):
    status, _ = get_json(open_service.url, "/api/streams/a/pause", method="POST", headers={"Origin": origin})
    assert status == 403
    own = open_service.url.rstrip("/")
    assert get_json(open_service.url, "/api/streams/a/pause", method="POST", headers={"Origin": own})[0] in (200, 409)


def test_blank_tokens_are_a_configuration_error():
    from coral_inference.config.descriptor import RuntimeDescriptor as D
    from coral_inference.config.descriptor import merge
    from coral_inference.errors import ConfigError

    for token in ("' '", "'\t'", "''"):
        comp = merge(D.from_cli(["run.mode=serve", "run.source=0", f"services.web.token={token}",
                                 "services.web.host=0.0.0.0"])).compose()
        with pytest.raises(ConfigError) as err:
            comp.runtime_config()
        assert "services.web.token" in {p.key for p in err.value.problems}, err.value.problems


def test_half_open_sockets_and_racing_clients_leave_the_service_answering(open_service):
    parts = urlsplit(open_service.url)
    half = []
    for _ in range(20):  # connections that send half a request line and then nothing
        conn = socket.create_connection((parts.hostname, parts.port), timeout=5)
        conn.sendall(b"GET /api/str")
        half.append(conn)
    errors = []

    def client(i):
        try:
            for _ in range(5):
                status, _ = get_json(open_service.url, "/api/streams/a/" + ("pause" if i % 2 else "resume"),
                                     method="POST")
                if status >= 500:
                    errors.append(status)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(repr(exc))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for conn in half:
        conn.close()
    assert errors == []
    assert get_json(open_service.url, "/api/streams")[0] == 200


def test_offers_that_never_connect_free_their_viewer_slots(monkeypatch):
    """Four answered offers whose browsers never connect held every slot forever (MJPEG too)."""
    import asyncio
    import time

    from aiortc import RTCPeerConnection

    from coral_inference.services.webrtc import WebRtcService, WebRtcSettings
    from coral_inference.web import rtc as rtc_module

    monkeypatch.setattr(rtc_module, "CONNECT_TIMEOUT_S", 0.5)
    rtc = WebRtcService(WebRtcSettings((), 160, 10.0))

    async def offer_and_vanish(url):
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        status, answer = await asyncio.to_thread(get_json, url, "/api/streams/a/webrtc", method="POST", body=offer)
        await pc.close()  # the answer is never applied: the peer never connects
        return status

    with serving(FakeManager(["a"]), webrtc=rtc, width=160, max_viewers=2) as s:
        assert [asyncio.run(offer_and_vanish(s.url)) for _ in range(2)] == [200, 200]
        for _ in range(200):  # the slots come back (a hang check, not a speed check)
            if s.hub.viewers() == 0 and rtc.totals()["peers_open"] == 0:
                break
            time.sleep(0.1)
        assert s.hub.viewers() == 0
        assert asyncio.run(offer_and_vanish(s.url)) == 200  # a new viewer gets in


def test_a_streams_last_error_and_source_are_redacted_in_every_answer():
    from coral_inference.redaction import public_json
    from coral_inference.web.feed import sse

    secret = 'p@ss"w[0]rd'
    status = {"a": {"last_error": f"cannot open rtsp://viewer:{secret}@10.0.0.21/stream1: timed out",
                    "source": f"rtsp://viewer:{secret}@10.0.0.21/stream1?token=abc123"}}
    for text in (public_json(status), sse("status", status).decode()):
        assert secret not in text and "abc123" not in text and "viewer:***@10.0.0.21" in text


def _closed_by_server(conn: socket.socket) -> bool:
    """True when the server closes (or resets) the connection before the socket's own timeout."""
    try:
        while conn.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.mark.parametrize("sent", [b"", b"GET /api/streams HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_client_that_never_finishes_its_headers_is_closed(sent):
    with serving(FakeManager(["a"]), request_timeout_s=0.5) as s:
        parts = urlsplit(s.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
            conn.sendall(sent)
            assert _closed_by_server(conn)
        assert get_json(s.url, "/api/streams")[0] == 200


def test_a_body_that_never_arrives_is_408_and_the_connection_is_freed():
    with serving(FakeManager(["a"]), request_timeout_s=0.5) as s:
        parts = urlsplit(s.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
            conn.sendall(b"POST /api/streams/a/webrtc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                         b"\r\nContent-Length: 100\r\n\r\n{\"type\": ")
            answer = conn.recv(65536)
            assert status_of(answer) == 408 and b"request_timeout_s" in answer


def test_connections_beyond_the_cap_are_closed_at_once_and_counted():
    with serving(FakeManager(["a"]), max_connections=3, request_timeout_s=60) as s:
        parts = urlsplit(s.url)
        held = [socket.create_connection((parts.hostname, parts.port), timeout=30) for _ in range(3)]
        try:
            for conn in held:  # each is accepted, answered and held open (keep-alive)
                conn.sendall(b"GET /api/streams HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert status_of(conn.recv(65536)) == 200
            with socket.create_connection((parts.hostname, parts.port), timeout=30) as extra:
                assert _closed_by_server(extra)
            assert s.counters["connections_refused"] >= 1
        finally:
            for conn in held:
                conn.close()
        status = None
        for _ in range(100):  # the held ones are gone: a client gets in again
            try:
                status = get_json(s.url, "/api/streams")[0]
            except ConnectionError:  # the server has not seen the held ones close yet
                time.sleep(0.1)
                continue
            break
        assert status == 200
        metrics = request(s.url, "/metrics")[2]
        assert b"coral_web_connections_refused_total" in metrics
