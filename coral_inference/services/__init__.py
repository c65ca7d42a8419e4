"""Services that do real work in a pipeline run: metrics (InfluxDB), recording (video files), webrtc
(ICE server settings for plugins). Each module imports its heavy dependencies only when used."""
