"""The job threads: each claims the oldest queued article, narrates it with
``narrate.pipeline.narrate_document`` (the function ``narrate batch`` calls) through one
engine pool shared by every thread (engines load once per worker process, not per job),
and records the outcome with its webhook deliveries in one transaction.

Stopping (SIGTERM): no new job is claimed, running ones get ``shutdown_grace_s`` to
finish; any still running then is put back in the queue, and the next start narrates it.
A job the process dies in (kill -9) stays "running" in the database until ``recover()``
at the next start queues it again; outputs are written atomically, so a job run twice
leaves the same files, and the second run finds them up to date.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from narrate.errors import NarrateError
from narrate.models import Hints
from narrate.pipeline import narrate_document
from narrate.service.config import ServiceConfig
from narrate.service.documents import document_for, output_for, settings_for, tidy
from narrate.service.store import Store
from narrate.synthesis import Synthesizer, synthesizer_for

Event = Callable[[dict[str, Any], dict[str, Any]], list[tuple[str, str | None, bytes]]]


class Workers:
    """``start()`` the threads, ``notify()`` when a job is queued, ``stop()`` at the end.
    ``deliveries(job, outcome)`` says which webhooks a finished job sends."""

    def __init__(
        self,
        store: Store,
        config: ServiceConfig,
        deliveries: Event,
        finished: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.config = config
        self._deliveries = deliveries
        self._finished = finished  # told when a job's outcome is stored (the webhooks wake)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}  # article id → revision being narrated
        self._pools: dict[Any, tuple[Synthesizer, Hints]] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> int:
        recovered = self.store.recover()
        for n in range(self.config.workers):
            thread = threading.Thread(target=self._loop, name=f"narrate-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return recovered

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + self.config.shutdown_grace_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for article_id, revision in self._busy.items():
                self.store.requeue(article_id, revision)
            pools = list(self._pools.values())
        for synth, _ in pools:
            synth.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                job = self.store.claim(set(self._busy))
                if job is not None:
                    self._busy[job["id"]] = job["revision"]
            if job is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._busy.pop(job["id"], None)

    def _pool(self, settings: Any) -> tuple[Synthesizer, Hints]:
        """One running synthesizer (and one set of shared readings) per engine and voice
        and format, made on first use and kept until the service stops."""
        key = (settings.engine, settings.voice, settings.output.format)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = (synthesizer_for(settings, shared=True), Hints())
            return self._pools[key]

    def _run(self, job: dict[str, Any]) -> None:
        started = time.monotonic()
        request = json.loads(job["request"])
        outcome: dict[str, Any]
        try:
            settings = settings_for(request, self.config.profile, self.config.jobs)
            doc = document_for(request, job["id"])
            synth, hints = self._pool(settings)
            dest = output_for(self.config.articles / job["dir"], settings)
            result = narrate_document(doc, settings, dest, synthesizer=synth, hints=hints)
            tidy(dest)
            outcome = {
                "status": "done",
                "error": None,
                "duration_ms": result.duration_ms,
                "utterances": result.utterances,
                "synthesized": result.synthesized,
                "from_cache": result.from_cache,
                "audio": result.audio.name,
                "done_revision": job["revision"],
            }
        except NarrateError as err:
            outcome = {"status": "failed", "error": str(err)}
        except Exception as err:  # one article's bug must not take the service down
            outcome = {"status": "failed", "error": f"internal error: {type(err).__name__}: {err}"}
        if self._stop.is_set() and outcome["status"] == "failed":
            return  # stopped mid-job (the engines closed under it): re-queued by stop()
        outcome["seconds"] = round(time.monotonic() - started, 3)
        finished = self.store.finish(job["id"], job["revision"], outcome, self._deliveries(job, outcome))
        self._finished()
        if not finished and self.store.article(job["id"]) is None:  # deleted while it was narrated
            shutil.rmtree(self.config.articles / job["dir"], ignore_errors=True)
