"""services.mqtt: one paho-mqtt 2.x client per run, shared by every stream whose ``sinks.mqtt`` is on.

Topics (``<prefix>`` is ``services.mqtt.topic_prefix``; docs/events.md "Delivery"):

* ``<prefix>/available``: ``online`` (retained) once connected; ``offline`` as the last will and when
  the run ends.
* ``<prefix>/<stream>/events``: every event of the stream, one JSON object each.
* ``<prefix>/<stream>/<label>``: the number of objects of that label in the stream's newest result
  (retained; published when it changes).
* ``<prefix>/<stream>/status``: the stream's status (retained; published when it changes).

``publish`` never blocks (the stream's event or sink thread calls it): messages go into the outbox
(services/outbox.py). One sender thread publishes them one at a time, each after the previous one was
acknowledged (qos 1, 2) or written (qos 0), so they arrive in order; while the broker is down they wait
(paho reconnects by itself, from 1 s up to 8 s apart) and beyond ``max_queue`` the oldest are dropped
and counted. The password is handed to paho only: never in a message, a report or a log.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any, Callable, Optional

from .outbox import Outbox, public

RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 8
KEEPALIVE_S = 30
STATUS_POLL_S = 0.5  # how often the streams' status is looked at
EXTRA = "pip install 'coral_inference[mqtt]'"


def topic_part(text: Any) -> str:
    """A stream or label as one topic level: MQTT's wildcards and separators become ``_``."""
    out = "".join("_" if ch in "+#/\0" else ch for ch in str(text)).strip()
    return out or "_"


class MqttService:
    summary_key = "mqtt"  # results.pipeline.mqtt (streams/manager.py)

    def __init__(self, cfg: Any, note: Optional[Callable[[str, str, str], None]] = None):
        import paho.mqtt.client as mqtt

        self._mqtt = mqtt
        self.host, self.port, self.tls = str(cfg.host), int(cfg.port), bool(cfg.tls)
        self.prefix = str(cfg.topic_prefix).strip("/") or "coral"
        self.qos = int(cfg.qos)
        self.client_id = cfg.client_id or f"coral-{socket.gethostname()}-{os.getpid()}"
        self._note = note or (lambda step, message, level="info": None)
        self.outbox = Outbox(cfg.max_queue)
        self.state = "connecting"  # connecting | connected | down | closed
        self.connects = 0
        self.disconnects = 0
        self.last_error: Optional[str] = None
        self._secret = cfg.password
        self._outage_noted = False
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._acked: set[int] = set()
        self._ack = threading.Condition()
        self._lock = threading.Lock()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id)
        if cfg.username or cfg.password:
            client.username_pw_set(cfg.username or "", cfg.password)
        if self.tls:
            client.tls_set()
        client.will_set(self.topic("available"), "offline", qos=self.qos, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self.client = client
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        client.loop_start()
        self._retained: dict[str, Any] = {}  # topic -> the last retained payload the broker took
        self._watched: dict[str, list] = {}  # stream -> [status(), last status published]
        self._sender = threading.Thread(target=self._send, name="coral-mqtt", daemon=True)
        self._sender.start()
        self._watcher = threading.Thread(target=self._watch, name="coral-mqtt-status", daemon=True)
        self._watcher.start()

    # What the sinks call (never blocks) -----------------------------------------------------------
    def topic(self, *parts: Any) -> str:
        return "/".join([self.prefix, *(topic_part(p) for p in parts)])

    def publish(self, topic: str, payload: Any, retain: bool = False) -> None:
        if not isinstance(payload, (str, bytes)):
            payload = json.dumps(payload, default=str, separators=(",", ":"))
        self.outbox.put((topic, payload, retain))

    def event(self, stream: str, event: dict) -> None:
        self.publish(self.topic(stream, "events"), public(event))

    def count(self, stream: str, label: str, n: int) -> None:
        self.publish(self.topic(stream, label), str(int(n)), retain=True)

    def status(self, stream: str, status: str) -> None:
        self.publish(self.topic(stream, "status"), str(status), retain=True)

    def watch(self, stream: str, status: Callable[[], str]) -> None:
        """Publish ``status()`` of ``stream`` whenever it changes (polled every STATUS_POLL_S)."""
        try:
            now = str(status())  # as it is now (a stream not started yet): published once it changes
        except Exception:
            now = None
        with self._lock:
            self._watched[stream] = [status, now]

    def unwatch(self, stream: str, final: Optional[str] = None) -> None:
        """The stream's sink closes: its last status goes out (if it changed), then it is not watched."""
        self._poll()
        with self._lock:
            entry = self._watched.pop(stream, None)
        if entry is not None and final is not None and final != entry[1]:
            self.status(stream, final)

    def _poll(self, only: Optional[str] = None) -> None:
        with self._lock:
            watched = [(k, v) for k, v in self._watched.items() if only is None or k == only]
        for stream, entry in watched:
            try:
                now = str(entry[0]())
            except Exception:  # a stream being torn down: the next poll sees it again
                continue
            if now != entry[1]:
                entry[1] = now
                self.status(stream, now)

    def poll_status(self, stream: str) -> None:
        """Publish the stream's status now if it changed (the sink calls it with each result)."""
        self._poll(stream)

    def _watch(self) -> None:
        while not self._stop.wait(STATUS_POLL_S):
            self._poll()

    # paho's callbacks (its network thread) -----------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if getattr(reason, "is_failure", False):
            self._down(f"the broker refused the connection: {reason}")
            return
        client.publish(self.topic("available"), "online", qos=self.qos, retain=True)
        with self._lock:
            self.connects += 1
            back = self.state == "down"
            self.state = "connected"
            retained = list(self._retained.items()) if self.connects > 1 else []
        for topic, payload in retained:  # a restarted broker may have lost them (no persistence)
            client.publish(topic, payload, qos=self.qos, retain=True)
        if back:
            self._note("mqtt", f"broker {self.host}:{self.port} reachable again; {self.outbox.pending} "
                               "queued message(s) go out in order", "info")
        self._connected.set()

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._down("cannot connect (no broker answers)")

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected.clear()
        if self._stop.is_set():
            return
        with self._lock:
            self.disconnects += 1
        self._down(f"disconnected: {reason}")

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        with self._ack:
            self._acked.add(mid)
            self._ack.notify_all()

    def _down(self, message: str) -> None:
        from ..redaction import scrub

        if self._secret:
            message = message.replace(str(self._secret), "***")
        with self._lock:
            self.last_error = scrub(message)[:300]
            if self.state != "closed":
                self.state = "down"
            first = not self._outage_noted
            self._outage_noted = True
        if first:  # logged once; later outages are counted (disconnects) and last_error
            self._note("mqtt", f"broker {self.host}:{self.port}: {self.last_error}; messages queue "
                               f"(at most services.mqtt.max_queue={self.outbox.max_queue}) until it is back",
                       "warning")

    # The sender thread ---------------------------------------------------------------------------
    def _send(self) -> None:
        ok = self._mqtt.MQTT_ERR_SUCCESS
        no_conn = self._mqtt.MQTT_ERR_NO_CONN
        while not self._stop.is_set():
            item = self.outbox.peek(timeout=0.5)
            if item is None:
                continue
            if not self._connected.wait(0.5):
                continue
            topic, payload, retain = item
            info = self.client.publish(topic, payload, qos=self.qos, retain=retain)
            if info.rc == no_conn and self.qos == 0:
                continue  # not queued by paho: sent again once connected
            if info.rc not in (ok, no_conn):  # qos 1/2 with no connection: paho keeps it and resends it
                self.last_error = f"publish: {self._mqtt.error_string(info.rc)}"
                self._stop.wait(0.2)
                continue
            with self._ack:
                while info.mid not in self._acked and not self._stop.is_set():
                    self._ack.wait(0.5)
                acked = info.mid in self._acked
                self._acked.discard(info.mid)
            if acked:
                if retain:
                    with self._lock:
                        self._retained[topic] = payload
                self.outbox.done(item)

    # The end ---------------------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> dict[str, Any]:
        """Deliver what is queued within ``timeout`` seconds (a broker that is down may come back
        meanwhile: paho keeps reconnecting), say ``offline``, disconnect; what is left is dropped and counted."""
        if self.state == "closed":
            return self.report()
        deadline = time.monotonic() + timeout
        if self.outbox.pending and not self._connected.is_set():
            self.client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MIN_S)  # try again every second now
        while self.outbox.pending and time.monotonic() < deadline:
            self.outbox.wait_empty(min(0.2, max(0.0, deadline - time.monotonic())))
        self._stop.set()
        self._sender.join(2.0)
        self._watcher.join(2.0)
        self.outbox.close()
        if self._connected.is_set():
            info = self.client.publish(self.topic("available"), "offline", qos=self.qos, retain=True)
            try:
                info.wait_for_publish(max(0.5, min(2.0, deadline - time.monotonic())))
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            self.state = "closed"
        return self.report()

    def healthy(self) -> bool:
        return self.state in ("connected", "closed")

    def report(self) -> dict[str, Any]:
        with self._lock:
            out = {"broker": f"{self.host}:{self.port}", "tls": self.tls, "topic_prefix": self.prefix,
                   "qos": self.qos, "state": self.state, "connects": self.connects,
                   "disconnects": self.disconnects, **self.outbox.counts(), "max_queue": self.outbox.max_queue,
                   "last_error": self.last_error}
        return out

    def __repr__(self) -> str:
        return f"MqttService({self.host}:{self.port})"
