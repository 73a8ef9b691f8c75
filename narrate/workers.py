"""What runs inside an engine worker process: one engine loaded once, each clip written
straight into the cache (audio never crosses the process boundary twice).

Spawned workers import this module and what it needs only, not the settings machinery
or the main side of synthesis (synthesis.py). The main process stops the workers itself.
"""

from __future__ import annotations

import atexit
import errno
import importlib
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from narrate.cache import ClipCache
from narrate.engines.base import Engine, VoiceSettings
from narrate.errors import EngineError, NarrateError, OutputError
from narrate.models import Clip

_WORKER: dict[str, Any] = {}


def init(engine_path: str, settings: VoiceSettings, cache_root: str) -> None:
    # Ctrl-C reaches the whole process group: the main process stops the workers itself,
    # so a worker must not print a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked while this worker was forked (_sigint_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        # The engine driver may chatter on stdout (and its C libraries on stderr: "cannot
        # create wakeup pipe"); a worker's output is never ours to use. Its failures reach
        # the main process as exceptions. NARRATE_DEBUG=1 keeps its stderr.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        if not os.environ.get("NARRATE_DEBUG"):
            os.dup2(devnull, 2)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
        _WORKER["cache"] = ClipCache(Path(cache_root))
        # The class by its import path (the main process looked it up among the entry
        # points): reading the installed packages' metadata again costs each worker ~35 ms.
        module, name = engine_path.split(":")
        engine_cls = getattr(importlib.import_module(module), name)
        _WORKER["engine"] = engine_cls.load(settings)
        _WORKER["identity"] = engine_cls.identity(settings)  # its library is loaded now: cheap
    except NarrateError as exc:
        _WORKER["error"] = exc
    except (OSError, ImportError, RuntimeError) as exc:  # e.g. too many open files: said once, cleanly
        _WORKER["error"] = EngineError(f"the engine could not start in a worker: {exc}")
    atexit.register(_exit)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: BaseProcess) -> None:
    """A worker whose main process was killed outright (kill -9: no chance to stop its
    pool) would idle forever, holding its engine: it leaves when the main process ends
    (even one that died before this worker had started)."""
    parent.join()
    os._exit(0)


def _exit() -> None:
    """Release the engine while the interpreter is still whole (pyttsx3's finaliser
    otherwise runs during teardown and prints an ignored exception)."""
    engine = _WORKER.pop("engine", None)
    if engine is not None:
        engine.close()


def ready() -> str | None:
    """Submitted to start a worker early: the engine's identity, once it is loaded."""
    return _WORKER.get("identity")


def synthesize(text: str, key: str) -> float:
    """Speak ``text`` into the cache under ``key``; return the clip's duration in ms."""
    if "error" in _WORKER:
        raise _WORKER["error"]
    engine: Engine = _WORKER["engine"]
    clip = engine.synthesize(text)
    store(_WORKER["cache"], key, clip)
    return clip.duration_ms


_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def store(cache: ClipCache, key: str, clip: Clip) -> None:
    if not cache.put(key, clip):
        error = cache.last_error
        reason = f": {error.strerror}" if error is not None and error.strerror else ""
        full = error is None or error.errno in _FULL
        hint = " (is the disk full?)" if full else " (or run with --no-cache)"
        raise OutputError(f"cannot write the clip cache in {cache.root}{reason}{hint}")
