"""A real RTSP server on 127.0.0.1 for the live-source tests: GStreamer's RTSP server, run by the SYSTEM
python3 (python3-gi, gir1.2-gst-rtsp-server-1.0) as its own process:

    /usr/bin/python3 tests/helpers/rtsp_server.py PORT      # serves rtsp://127.0.0.1:PORT/test (MJPEG over RTP)

It prints "ready" when it listens and runs until terminated."""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PIPELINE = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=160,height=120,framerate=20/1 "
            "! jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26 )")


def main() -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(sys.argv[1])
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINE)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/test", factory)
    if server.attach(None) == 0:
        print("cannot listen", flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
