"""A stop asked for by a signal (Ctrl-C, SIGTERM, SIGHUP), remembered.

The signal handler raises KeyboardInterrupt at once, as Python's own Ctrl-C handler does.
An exception raised while the interpreter runs a finaliser or a weakref callback is only
printed ("Exception ignored in …") and the run would go on to finish as if never asked
to stop: so the request is also remembered, and the run checks it between sentences and
before it writes its files (``check``).
"""

from __future__ import annotations

_requested = False


def request(signum: int, frame: object) -> None:
    """The signal handler: remember the request and stop now."""
    global _requested
    _requested = True
    raise KeyboardInterrupt


def check() -> None:
    """Stop here if a stop was asked for and its first KeyboardInterrupt was lost."""
    if _requested:
        raise KeyboardInterrupt
