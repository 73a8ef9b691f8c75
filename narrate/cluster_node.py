"""What a cluster batch runs on each node (narrate.cluster schedules it there): one
``NodeNarrator`` per node holds the batch's engine pool, loaded once, and narrates one
article per call with ``narrate.batch.narrate_one``, the function local batch runs in its
threads. Nothing here imports Ray: narrate.cluster makes this class a Ray actor.

A node works in the folder the batch was started in (articles and outputs are on storage
every node mounts at the same path) and writes each output atomically, as a single
machine does, so a node that dies half-way leaves only temporary files behind.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrate import __version__
from narrate.batch import BatchOptions, Item, Row, narrate_one
from narrate.config import Settings
from narrate.errors import DependencyError, NarrateError, OutputError
from narrate.export.staging import ensure_folder
from narrate.models import Hints


def _plain_main() -> None:
    """Engine workers are spawned, and a spawned process first imports its parent's main
    module: in a Ray worker that is Ray's worker script, which costs each engine worker
    ~0.7 s and Ray's memory. This process is the actor's alone and its main module is
    running already, so the name is pointed at an empty module the workers need not load."""
    sys.modules["__main__"] = types.ModuleType("__main__")


@dataclass(frozen=True)
class Hello:
    """A node's answer once its engines are loaded: who it is, or why it cannot work."""

    host: str
    pid: int
    error: str = ""


class NodeNarrator:
    """One node's share of a batch: ``narrate(item)`` may be called from several threads
    at once (a shared synthesizer, as local batch shares one)."""

    def __init__(self, settings: Settings, options: BatchOptions, version: str, cwd: str,
                 out_dir: str) -> None:
        self.host = socket.gethostname()
        self.settings = settings
        self.options = options
        self.hints = Hints()  # one voice, one codec: the limiter's and codec's readings shared
        self.synth: Any = None
        self.error = ""
        try:
            self._prepare(version, cwd, Path(out_dir))
        except NarrateError as err:
            self.error = f"node {self.host}: {err}"
        except Exception as err:  # a bug: said once by the driver, not retried on every node
            self.error = f"node {self.host}: internal error: {type(err).__name__}: {err}"

    def _prepare(self, version: str, cwd: str, out_dir: Path) -> None:
        if version != __version__:
            raise DependencyError(f"it runs narrate {__version__}, the driver {version} "
                                  "(install the same version on every node)")
        try:
            os.chdir(cwd)
        except OSError:
            raise OutputError(f"cannot see {cwd}, the folder the batch was started in: articles and "
                              "outputs must be on storage every node mounts at the same path") from None
        ensure_folder(out_dir)
        _plain_main()
        from narrate.synthesis import synthesizer_for

        self.synth = synthesizer_for(self.settings, shared=True)
        self.synth.start()  # the engine workers load now, before the first article

    def hello(self) -> Hello:
        return Hello(self.host, os.getpid(), self.error)

    def narrate(self, item: Item) -> Row:
        return narrate_one(item, self.settings, self.options, self.synth, self.hints)

    def close(self) -> float:
        """Stop the engine workers (they would also leave when this process ends); the CPU
        seconds this actor spent, with its engine workers and encoders."""
        if self.synth is not None:
            self.synth.close()  # waits for the workers: their CPU time is counted below
            self.synth = None
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
