"""services.web.max_viewers counts pages: the previews of one page (its viewer id) share one slot, so a
page showing four cameras is one viewer; a preview without an id is a viewer of its own."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("aiortc")

from fake_streams import FakeManager  # noqa: E402
from web_service import get_json, serving  # noqa: E402


def open_mjpeg(url, path):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    return conn, resp


def wait_for(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.05)
    return predicate()


def test_two_pages_of_four_cameras_are_two_viewers():
    names = ["a", "b", "c", "d"]
    with serving(FakeManager(names), max_viewers=2, width=160) as s:
        held = []
        for page in ("page-one", "page-two"):
            for name in names:
                conn, resp = open_mjpeg(s.url, f"/api/streams/{name}/mjpeg?viewer={page}")
                assert resp.status == 200 and resp.readline() == b"--frame\r\n", (page, name)
                held.append(conn)
        body = get_json(s.url, "/api/streams")[1]
        assert body["viewers"] == 2 and body["max_viewers"] == 2
        assert all(body["streams"][n]["viewers"] == 2 for n in names)  # two previews of each camera
        status, refused = get_json(s.url, "/api/streams/a/mjpeg?viewer=page-three")  # a third page
        assert status == 503 and "max_viewers=2" in refused["error"]
        status, refused = get_json(s.url, "/api/streams/a/mjpeg")  # no id: a viewer of its own, also over
        assert status == 503
        for conn in held[:4]:  # page one leaves
            conn.close()
        assert wait_for(lambda: s.pages() == 1)
        conn, resp = open_mjpeg(s.url, "/api/streams/c/mjpeg?viewer=page-three")
        assert resp.status == 200
        conn.close()
        for conn in held[4:]:
            conn.close()
        assert wait_for(lambda: s.pages() == 0 and s.hub.viewers() == 0)
        assert s.totals()["refused"] == 2


@pytest.mark.parametrize("viewer", ["", "x" * 65, "a/b", "a b", "é"])
def test_an_unusable_viewer_id_is_a_viewer_of_its_own(viewer):
    from urllib.parse import quote

    with serving(FakeManager(["a"]), max_viewers=1, width=160) as s:
        first, resp = open_mjpeg(s.url, f"/api/streams/a/mjpeg?viewer={quote(viewer)}")
        assert resp.status == 200
        status, _ = get_json(s.url, f"/api/streams/a/mjpeg?viewer={quote(viewer)}")
        assert status == 503  # not taken as one page id
        first.close()
