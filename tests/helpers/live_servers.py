"""Live sources for tests, on 127.0.0.1 only: a loopback HTTP MJPEG server (multipart/x-mixed-replace,
what IP cameras serve and OpenCV reads) and GStreamer's RTSP server as a subprocess (tests/helpers/rtsp_server.py).
Both can be stopped and started again on the same port: an outage."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MjpegServer:
    def __init__(self, fps: float = 20.0, size=(160, 120), port: int | None = None):
        self.fps, self.size = fps, size
        self.port = port or free_port()
        self.server = None
        self.sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def _frame(self, i: int) -> bytes:
        import cv2
        import numpy as np

        image = np.full((self.size[1], self.size[0], 3), (i * 7) % 256, np.uint8)
        cv2.putText(image, str(i), (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 255), 2)
        return cv2.imencode(".jpg", image)[1].tobytes()

    def start(self) -> "MjpegServer":
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while outer.server is self.server and not getattr(self.server, "closing", False):
                        data = outer._frame(i)
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n")
                        outer.sent += 1
                        i += 1
                        time.sleep(1.0 / outer.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.allow_reuse_address = True
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            server.closing = True
            server.shutdown()
            server.server_close()


def gstreamer_rtsp_available() -> str | None:
    """Why the RTSP server cannot run here (None when it can)."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import GstRtspServer"], capture_output=True, text=True)
    return None if probe.returncode == 0 else "GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed"


class RtspServer:
    """``codec="h264"``: an H.264 camera at ``fps`` and ``size`` (tests/helpers/rtsp_server.py); else MJPEG."""

    def __init__(self, port: int | None = None, codec: str = "jpeg", fps: int = 10, size=(640, 480)):
        self.port = port or free_port()
        self.proc = None
        self.args = ["h264", str(fps), str(size[0]), str(size[1])] if codec == "h264" else []

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/test"

    def start(self) -> "RtspServer":
        script = Path(__file__).with_name("rtsp_server.py")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        # the server's stderr goes to a file, never an unread pipe (a full pipe stalls its main loop), and is
        # read back when a test needs to say why the server went away
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(script), str(self.port), *self.args], stdout=subprocess.PIPE,
                                     stderr=self._stderr, text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if line != "ready" or not self._accepts():
            state = self.state()
            self.stop()
            raise RuntimeError(f"RTSP server did not start: {line!r}; {state}")
        return self

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
            return True
        except OSError:
            return False

    def state(self) -> str:
        """"running" or how the server ended and the end of its stderr (for a test's failure message)."""
        if self.proc is None:
            return "stopped"
        code = self.proc.poll()
        if code is None:
            return "running"
        self._stderr.seek(0)
        return f"exited with {code}: {self._stderr.read()[-2000:]!r}"

    def stop(self) -> None:
        if self.proc is not None:
            proc, self.proc = self.proc, None
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
            self._stderr.close()


class TcpProxy:
    """A loopback TCP relay in front of a server that records when each client connection arrived
    (``accepted``: monotonic times): shows whether clients connected at once or one after another."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[float] = []
        self.refused: list[str] = []
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(time.monotonic())
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                upstream.settimeout(None)
            except OSError as exc:
                # the server is gone or not answering: this client is dropped, the relay goes on (a dead accept
                # thread would leave every later client hanging in the backlog)
                self.refused.append(repr(exc))
                client.close()
                continue
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        for conn in self._conns:
            conn.close()
