"""A private InfluxDB 1.x server for the tests: loopback only, temporary data dir, its own config.

Used by the `influxdb_url` / `influxdb_server` fixtures (tests/conftest.py) and by .ci/run:

    python tests/helpers/influxdb_server.py DIR URL_FILE   # start, wait for /ping, write the URL, run until SIGTERM
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{dir}/meta"

[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  auth-enabled = false
  log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary() -> str | None:
    return shutil.which("influxd")


class InfluxServer:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.port, rpc_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "influxdb.conf"
        self.config.write_text(CONFIG.format(dir=self.dir, port=self.port, rpc_port=rpc_port))
        self.log = open(self.dir / "influxd.log", "wb")
        self.proc = subprocess.Popen([binary() or "influxd", "run", "-config", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"influxd exited with {self.proc.returncode}; see {self.dir / 'influxd.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as r:
                    if r.status == 204:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"influxd did not answer {self.url}/ping within {timeout}s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def query(url: str, q: str, db: str | None = None) -> dict:
    params = {"q": q, **({"db": db} if db else {})}
    body = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/query", data=body), timeout=10) as r:
        import json

        return json.loads(r.read())


def _exit(signum, frame):
    raise SystemExit(0)  # leaves proc.wait() below; the `finally` stops influxd (no work in the handler)


def main(directory: str, url_file: str) -> None:
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    server = InfluxServer(Path(directory))
    try:
        server.wait_ready()
        Path(url_file).write_text(server.url)
        server.proc.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
