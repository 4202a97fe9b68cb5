"""The web UI: server-rendered pages over the same state as the API, no CDN."""
