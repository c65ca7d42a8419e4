"""A real RTSP server on 127.0.0.1 for the live-source tests: GStreamer's RTSP server, run by the SYSTEM
python3 (python3-gi, gir1.2-gst-rtsp-server-1.0) as its own process:

    /usr/bin/python3 tests/helpers/rtsp_server.py PORT      # serves rtsp://127.0.0.1:PORT/test (MJPEG over RTP)
    /usr/bin/python3 tests/helpers/rtsp_server.py PORT h264 FPS WIDTH HEIGHT   # H.264 (x264enc), a camera's shape

The H.264 stream is what cameras send: a keyframe every second, and (x264's default look-ahead) a burst of
frames when a client connects. It prints "ready" when it listens and runs until terminated."""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PIPELINE = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=160,height=120,framerate=20/1 "
            "! jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26 )")


H264 = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width={w},height={h},framerate={fps}/1 "
        "! timeoverlay ! x264enc key-int-max={fps} bitrate=800 speed-preset=ultrafast ! video/x-h264,profile=baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )")


def main() -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(sys.argv[1])
    factory = GstRtspServer.RTSPMediaFactory()
    if len(sys.argv) > 2 and sys.argv[2] == "h264":
        fps, width, height = (int(v) for v in sys.argv[3:6])
        factory.set_launch(H264.format(fps=fps, w=width, h=height))
    else:
        factory.set_launch(PIPELINE)
    # one pipeline per client: a media shared by clients that connect and leave at once aborts the server
    # (gst-rtsp-server 1.22, rtsp-media.c gst_rtsp_media_get_rates: assertion failed), a test camera must not
    factory.set_shared(False)
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
