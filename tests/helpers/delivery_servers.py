"""Real delivery endpoints for tests, on 127.0.0.1 only: Debian's mosquitto broker (a subprocess with a
config file of its own; stopped and started again on the same port for an outage), a paho-mqtt client
subscribing to it, and a loopback HTTP server that takes webhook POSTs (also stoppable)."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_mosquitto() -> bool:
    return Path(MOSQUITTO).is_file() or shutil.which("mosquitto") is not None


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Broker:
    """``mosquitto -c <conf>`` listening on 127.0.0.1:<port>; ``password``: only that user may connect.
    ``persist``: the broker keeps sessions and retained messages across a restart (saved when it stops), so
    a test subscriber's session (clean_session off) gets what was published before it reconnected."""

    def __init__(self, folder: Path, port: Optional[int] = None, user: Optional[str] = None,
                 password: Optional[str] = None, persist: bool = True):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: Optional[subprocess.Popen] = None
        import getpass

        # as root, mosquitto would switch to the user "mosquitto", who cannot read a test's private folder
        persistence = [f"persistence true", f"persistence_location {self.folder}/"] if persist else ["persistence false"]
        lines = [f"user {getpass.getuser()}", f"listener {self.port} 127.0.0.1", *persistence, f"log_dest file {self.folder / 'mosquitto.log'}",
                 "log_type all"]
        if user:
            pw = self.folder / "passwd"
            subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), user, password or ""], check=True,
                           capture_output=True)
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines += ["allow_anonymous true"]
        self.conf = self.folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> "Broker":
        exe = MOSQUITTO if Path(MOSQUITTO).is_file() else shutil.which("mosquitto")
        with open(self.folder / "mosquitto.out", "ab") as out:
            self.proc = subprocess.Popen([exe, "-c", str(self.conf)], stdout=out, stderr=out)
        deadline = time.monotonic() + 20
        while not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start on port {self.port}: {self.log()[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None

    def log(self) -> str:
        return "".join((self.folder / name).read_text(errors="replace") for name in ("mosquitto.out", "mosquitto.log")
                       if (self.folder / name).exists())

    def __enter__(self) -> "Broker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class Subscriber:
    """A real paho client subscribed to ``topics`` (wildcards fine, qos 1) with a session the broker keeps
    (clean_session off: what comes while it reconnects waits for it); every message kept, in order."""

    def __init__(self, port: int, topics: str | list = "#", user: Optional[str] = None, password: Optional[str] = None):
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, str, bool]] = []  # (topic, payload, retained)
        self.redelivered = 0  # messages with the DUP flag (not kept)
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-sub-{port}-{id(self)}",
                                  clean_session=False)
        if user:
            self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self._ready.wait(20):
            raise RuntimeError("the test subscriber did not connect")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        for topic in self.topics:
            client.subscribe(topic, qos=1)
        self._ready.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._cond:
            if msg.dup:  # the broker giving this session again what it may have had (an ack lost in a restart)
                self.redelivered += 1
                return
            self.messages.append((msg.topic, msg.payload.decode("utf-8", "replace"), bool(msg.retain)))
            self._cond.notify_all()

    def on(self, topic: str) -> list[str]:
        with self._cond:
            return [p for t, p, _ in self.messages if t == topic]

    def wait_for(self, predicate, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def events(self, topic: str) -> list[dict]:
        return [json.loads(p) for p in self.on(topic)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class WebhookReceiver:
    """A loopback HTTP server keeping every POST (path, headers, JSON body), in arrival order."""

    def __init__(self, port: Optional[int] = None, status: int = 200):
        self.port = port or free_port()
        self.status = status
        self.posts: list[dict] = []
        self._cond = threading.Condition()
        self.server: Optional[http.server.ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "WebhookReceiver":
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer._cond:
                    outer.posts.append({"path": self.path, "headers": dict(self.headers),
                                        "body": json.loads(body or b"null")})
                    outer._cond.notify_all()
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def bodies(self) -> list[Any]:
        with self._cond:
            return [p["body"] for p in self.posts]

    def wait_for(self, n: int, timeout: float = 30.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.posts) >= n, timeout)
