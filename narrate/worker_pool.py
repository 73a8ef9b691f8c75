"""The engine workers' processes, seen from the main side: how they are started (fork or
spawn), how Ctrl-C is held back while they are, and how a pool of them is stopped at
once. synthesis.py decides when; this module knows how."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator

NATIVE_ENGINE_MODULES = ("pyttsx3", "piper", "onnxruntime")  # engine libraries loaded in-process


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Ctrl-C held back while workers may be forked (a submit forks them): a worker
    forked with it pending would print a KeyboardInterrupt traceback of its own before
    its initializer ignores it. It reaches this process when the block ends."""
    main = threading.current_thread() is threading.main_thread()
    if not main or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def start_method(in_process_engine: bool) -> str:
    """``fork`` while this process runs one thread and holds no engine library: a
    worker is then ready in ~20 ms (its engine's load) instead of ~130 ms (an
    interpreter and the imports). Otherwise ``spawn``: a fork copies locks that
    other threads (espeak-ng's own among them, once initialised) may hold, and the
    copy hangs on them."""
    if in_process_engine or any(name in sys.modules for name in NATIVE_ENGINE_MODULES):
        return "spawn"
    try:
        threads = len(os.listdir("/proc/self/task"))  # native threads too, not just Python's
    except OSError:
        return "spawn"
    return "fork" if threads == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def stop(pool: cf.ProcessPoolExecutor) -> list[int]:
    """Kill the pool's workers, wait for them briefly, shut the pool down; their PIDs."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.kill()
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(timeout=2)
    pool.shutdown(wait=False, cancel_futures=True)
    return [proc.pid for proc in procs if proc.pid is not None]


def kill_strays() -> None:
    """Kill any worker process of ours still alive: a pool that failed while starting one
    (too many open files, say) may not know it has it, and the interpreter would wait for
    it at exit for ever."""
    for proc in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            proc.kill()
            proc.join(timeout=2)
