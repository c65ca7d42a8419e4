"""run.mode=serve: the HTTP API, the page and the WebRTC peers."""
