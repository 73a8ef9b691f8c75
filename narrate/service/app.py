"""The ASGI application: the store, the job threads and the webhook loop behind one
FastAPI app (OpenAPI docs at /docs). The routes are in routes.py; this wires them up and
owns their lifetime (started and stopped with the server)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from narrate import __version__
from narrate.errors import NarrateError
from narrate.service import errors, routes, routes_meta
from narrate.service.auth import authenticate
from narrate.service.config import ServiceConfig
from narrate.service.documents import document_for, settings_for
from narrate.service.store import Store
from narrate.service.webhooks import Webhooks
from narrate.service.worker import Workers


class RateLimiter:
    """A token bucket per key: ``per_minute`` writes a minute, in bursts up to that."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * self.per_minute / 60.0)
            allowed = tokens >= 1.0
            self._buckets[key_id] = (tokens - 1.0 if allowed else tokens, now)
        return allowed


@dataclass
class Service:
    config: ServiceConfig
    store: Store
    workers: Workers
    webhooks: Webhooks
    secret: str
    limiter: RateLimiter
    started: float = field(default_factory=time.time)


class WriteGate:
    """Before a write's body is read: the key is checked (401), then its length (411
    without one, 413 over the limit). A client without a key learns nothing from how
    its body would have been parsed, and a large body is refused unread."""

    def __init__(self, app: ASGIApp, store: Store, max_bytes: int) -> None:
        self.app = app
        self.store = store
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("PUT", "POST", "PATCH"):
            headers = dict(scope["headers"])
            try:
                await run_in_threadpool(
                    authenticate, self.store, headers.get(b"authorization", b"").decode("latin-1")
                )
            except errors.ApiError as exc:
                await errors.error_response(exc.status, exc.code, exc.message, exc.headers)(
                    scope, receive, send
                )
                return
            length = headers.get(b"content-length", b"").decode("latin-1")
            problem = None
            if not length.isdigit():
                problem = (411, "length_required", "send the body with a Content-Length")
            elif int(length) > self.max_bytes:
                problem = (413, "body_too_large", f"the body is over the limit of {self.max_bytes} bytes")
            if problem:
                await errors.error_response(*problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def warm_up(config: ServiceConfig) -> None:
    """Read a tiny article of each kind before the first request: the ingesters and the
    normaliser load their modules and tables now, not while a client waits."""
    for kind, text in (
        ("text", "Warm up."),
        ("html", "<html><body><article><p>Warm up.</p></article></body></html>"),
    ):
        with suppress(NarrateError):
            document_for({kind: text}, "warm-up")
    settings_for({}, config.profile, config.jobs)


def create_app(config: ServiceConfig) -> FastAPI:
    store = Store(config.database)
    webhooks = Webhooks(store, config)
    workers = Workers(store, config, webhooks.deliveries, finished=webhooks.notify)
    service = Service(
        config, store, workers, webhooks, store.server_secret(), RateLimiter(config.rate_per_minute)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(warm_up, config)
        workers.start()
        webhooks.start()
        yield
        await run_in_threadpool(workers.stop)
        webhooks.stop()

    app = FastAPI(
        title="narrate",
        version=__version__,
        lifespan=lifespan,
        description="Narrated audio for every article a newsroom publishes, made offline.",
    )
    app.state.service = service
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(routes_meta.router)
    app.add_middleware(WriteGate, store=store, max_bytes=config.max_body_bytes)
    return app
