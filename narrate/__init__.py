"""narrate: turn news articles into narrated audio, offline."""

__version__ = "0.1.0"
