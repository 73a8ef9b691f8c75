"""Webhooks: when a job ends, a signed JSON POST to the client's URL (the request's
``webhook_url``, else its key's), retried with exponential backoff and jitter until it
lands or ``retry_for_s`` (24 hours) has passed. Every attempt is logged in the store.

Deliveries are rows in the store, written in the same transaction as the job's outcome,
so a server killed between the two still sends it after a restart (at least once; the
body carries the article id and revision for the receiver to drop a duplicate).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from narrate import __version__
from narrate.service.config import ServiceConfig
from narrate.service.keys import SIGNATURE_HEADER, sign_body
from narrate.service.store import Store

# Straight to the receiver: a proxy from the environment would see (and could hold) the body.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def body_for(job: dict[str, Any], outcome: dict[str, Any]) -> bytes:
    record = {
        "event": f"article.{outcome['status']}",
        "article": {
            "id": job["id"],
            "revision": job["revision"],
            "status": outcome["status"],
            "error": outcome.get("error"),
            "duration_ms": outcome.get("duration_ms"),
        },
    }
    return json.dumps(record, sort_keys=True).encode("utf-8")


def backoff(attempts: int, config: ServiceConfig) -> float:
    """Seconds before the next attempt: base·2^(attempts-1), capped, ±50% jitter."""
    delay = min(config.retry_base_s * 2 ** max(0, attempts - 1), config.retry_max_s)
    return delay * random.uniform(0.5, 1.5)


class Webhooks:
    def __init__(self, store: Store, config: ServiceConfig) -> None:
        self.store = store
        self.config = config
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="narrate-webhook")
        self._thread = threading.Thread(target=self._loop, name="narrate-webhooks", daemon=True)

    def deliveries(self, job: dict[str, Any], outcome: dict[str, Any]) -> list[tuple[str, str | None, bytes]]:
        """(url, key id, body) of the webhooks a finished job sends: none without a URL."""
        url = job.get("webhook_url")
        if not url and job.get("key_id"):
            key = self.store.key(job["key_id"])
            url = key["webhook_url"] if key else None
        return [(url, job.get("key_id"), body_for(job, outcome))] if url else []

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        lease = self.config.webhook_timeout_s + 30
        while not self._stop.is_set():
            now = time.time()
            for delivery in self.store.due_deliveries(now):
                if self.store.claim_delivery(delivery["id"], now, lease):
                    self._pool.submit(self._attempt, delivery)
            self._wake.wait(0.2)
            self._wake.clear()

    def _attempt(self, delivery: dict[str, Any]) -> None:
        status, error = self._post(delivery)
        attempts = delivery["attempts"] + 1
        if status is not None and 200 <= status < 300:
            self.store.record_attempt(delivery["id"], status, None, None, "delivered")
            return
        next_at = time.time() + backoff(attempts, self.config)
        state = "pending" if next_at <= delivery["created"] + self.config.retry_for_s else "gave_up"
        self.store.record_attempt(delivery["id"], status, error, next_at, state)

    def _post(self, delivery: dict[str, Any]) -> tuple[int | None, str | None]:
        body = bytes(delivery["body"])
        key = self.store.key(delivery["key_id"]) if delivery["key_id"] else None
        headers = {"Content-Type": "application/json", "User-Agent": f"narrate/{__version__}"}
        if key is not None:
            headers[SIGNATURE_HEADER] = sign_body(key["secret"], body)
        request = urllib.request.Request(delivery["url"], data=body, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.config.webhook_timeout_s) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
