"""Scratch folders in the system temp folder (the timeline being assembled, a run's clips
without a cache, encoded pieces), named after the process that made them
(``narrate-<kind>-<pid>-…``). A run killed outright cannot remove its own: the next run
removes those whose process is gone (once per process, before it makes its first).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

_NAME = re.compile(r"narrate-(?:[a-z]+-)?(\d+)-")
_OLD = re.compile(r"narrate-(?:clips-|pieces-)?[a-z0-9_]{8}$")  # before the PID was in the name
OLD_AGE_S = 24 * 3600
_swept = False


def make(kind: str) -> str:
    """A new scratch folder for ``kind`` (removing dead runs' first); the caller removes it."""
    sweep()
    return tempfile.mkdtemp(prefix=f"narrate-{kind}-{os.getpid()}-")


def sweep(force: bool = False) -> int:
    """Remove the scratch folders of runs that are no longer alive; how many were removed."""
    global _swept
    if _swept and not force:
        return 0
    _swept = True
    removed = 0
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            if entry.name.startswith("narrate-") and _dead(entry):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    return removed


def _dead(entry: os.DirEntry[str]) -> bool:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not entry.is_dir(follow_symlinks=False) or info.st_uid != os.getuid():
        return False  # only our own folders, never through a link
    match = _NAME.match(entry.name)
    if match:
        return not alive(int(match.group(1)))
    return bool(_OLD.match(entry.name)) and time.time() - info.st_mtime > OLD_AGE_S


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (its leftovers are then not stale). A zombie (a
    killed worker its new parent has not reaped yet) writes nothing more: not alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return True  # no /proc to ask (or it just ended): trust the signal check
    return stat[stat.rfind(b")") + 2:][:1] != b"Z"
