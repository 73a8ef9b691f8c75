"""The service's state, in one place: articles (each with its current job), API keys and
webhook deliveries, in SQLite (WAL) in the data folder. Nothing else opens the database;
another database can replace this module behind the same methods.

Every change is one transaction, so a server killed at any moment (kill -9) finds the
database as it was after the last complete change; ``recover()`` at start puts jobs that
were running back in the queue.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, secret TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
  webhook_url TEXT, created REAL NOT NULL, revoked REAL);
CREATE TABLE IF NOT EXISTS articles (
  id TEXT PRIMARY KEY, dir TEXT NOT NULL, revision INTEGER NOT NULL, status TEXT NOT NULL,
  fingerprint TEXT NOT NULL, request TEXT NOT NULL, key_id TEXT, webhook_url TEXT, error TEXT,
  created REAL NOT NULL, updated REAL NOT NULL, started REAL, finished REAL, runs INTEGER NOT NULL DEFAULT 0,
  duration_ms REAL, utterances INTEGER, synthesized INTEGER, from_cache INTEGER, audio TEXT,
  seconds REAL, done_revision INTEGER);
CREATE INDEX IF NOT EXISTS articles_status ON articles (status, updated);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, revision INTEGER NOT NULL, event TEXT NOT NULL,
  url TEXT NOT NULL, key_id TEXT, body BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, created REAL NOT NULL,
  last_status INTEGER, last_error TEXT, delivered REAL,
  UNIQUE (article_id, revision, event, url));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
CREATE TABLE IF NOT EXISTS retired (id TEXT PRIMARY KEY, revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id INTEGER NOT NULL, at REAL NOT NULL, status INTEGER, error TEXT);
"""

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Submitted:
    article: dict[str, Any]
    new_job: bool  # False: the same content is already narrated, queued or running


def article_dir(article_id: str) -> str:
    """The article's folder name under the data folder: a hash, so any id is safe."""
    return hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:24]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # One writer at a time inside this process: a thread waiting here is woken the
        # moment the lock is free, where SQLite's own busy handler would sleep and poll.
        self._writing = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db().executescript(SCHEMA)

    # -- connections ---------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        with self._writing:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        row = self._db().execute(sql, args).fetchone()
        return dict(row) if row is not None else None

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- meta ----------------------------------------------------------------------------
    def server_secret(self) -> str:
        """A random secret made once per data folder (it signs audio URLs)."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(32),))
        found = self._one("SELECT value FROM meta WHERE name = 'secret'")
        return str(found["value"]) if found else ""

    # -- keys ----------------------------------------------------------------------------
    def add_key(self, key_id: str, hashed: str, secret: str, label: str, webhook_url: str | None) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO keys (id, hash, secret, label, webhook_url, created) VALUES (?,?,?,?,?,?)",
                (key_id, hashed, secret, label, webhook_url, time.time()),
            )

    def keys(self) -> list[dict[str, Any]]:
        rows = self._db().execute(
            "SELECT id, label, webhook_url, created, revoked FROM keys ORDER BY created"
        )
        return [dict(r) for r in rows]

    def key_count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM keys WHERE revoked IS NULL").fetchone()[0])

    def revoke_key(self, key_id: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "UPDATE keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id)
            )
        return cursor.rowcount == 1

    def key_by_hash(self, hashed: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM keys WHERE hash = ? AND revoked IS NULL", hashed)

    def key(self, key_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM keys WHERE id = ?", key_id)

    # -- articles and their jobs ----------------------------------------------------------
    def submit(
        self,
        article_id: str,
        fingerprint: str,
        request: dict[str, Any],
        key_id: str | None,
        webhook_url: str | None,
    ) -> Submitted:
        """Queue a narration of ``request`` unless the article already has this content
        (done, queued or running): then nothing changes. New content bumps the revision."""
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is not None and row["fingerprint"] == fingerprint and row["status"] != "failed":
                return Submitted(dict(row), False)
            if row is None:  # new, or put again after a DELETE: revisions never repeat
                gone = db.execute("SELECT revision FROM retired WHERE id = ?", (article_id,)).fetchone()
                revision = 1 if gone is None else gone["revision"] + 1
            else:
                revision = row["revision"] + 1
            db.execute(
                "INSERT INTO articles (id, dir, revision, status, fingerprint, request, key_id, webhook_url,"
                " created, updated) VALUES (?,?,?,'queued',?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
                " revision = excluded.revision, status = 'queued', fingerprint = excluded.fingerprint,"
                " request = excluded.request, key_id = excluded.key_id, webhook_url = excluded.webhook_url,"
                " error = NULL, updated = excluded.updated, started = NULL, finished = NULL",
                (
                    article_id,
                    article_dir(article_id),
                    revision,
                    fingerprint,
                    json.dumps(request),
                    key_id,
                    webhook_url,
                    now,
                    now,
                ),
            )
            found = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return Submitted(dict(found), True)

    def article(self, article_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM articles WHERE id = ?", article_id)

    def articles(
        self, status: str | None, since: float | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """A page of articles, oldest change first; ``after`` is the last page's cursor
        ("<updated>|<id>")."""
        where: list[str] = ["1"]
        args: list[Any] = []
        if status:
            where.append("status = ?")
            args.append(status)
        if since is not None:
            where.append("updated >= ?")
            args.append(since)
        if after:
            stamp, _, last = after.partition("|")
            where.append("(updated > ? OR (updated = ? AND id > ?))")
            args += [float(stamp), float(stamp), last]
        sql = f"SELECT * FROM articles WHERE {' AND '.join(where)} ORDER BY updated, id LIMIT ?"
        return [dict(r) for r in self._db().execute(sql, (*args, limit))]

    def delete(self, article_id: str) -> dict[str, Any] | None:
        with self._write() as db:
            row = db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            if row is not None:  # receivers dedupe webhooks by (id, revision): never reuse one
                db.execute("INSERT OR REPLACE INTO retired (id, revision) VALUES (?, ?)",
                           (article_id, row["revision"]))
        return dict(row) if row is not None else None

    def claim(self, busy: set[str]) -> dict[str, Any] | None:
        """The oldest queued job whose article no thread is narrating, now running."""
        marks = ",".join("?" * len(busy))
        with self._write() as db:
            row = db.execute(
                f"SELECT id FROM articles WHERE status = 'queued' AND id NOT IN ({marks})"
                " ORDER BY updated, id LIMIT 1",
                tuple(busy),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE articles SET status = 'running', started = ?, runs = runs + 1 WHERE id = ?",
                (time.time(), row["id"]),
            )
            found = db.execute("SELECT * FROM articles WHERE id = ?", (row["id"],)).fetchone()
        return dict(found)

    def finish(
        self,
        article_id: str,
        revision: int,
        outcome: dict[str, Any],
        deliveries: list[tuple[str, str | None, bytes]],
    ) -> bool:
        """Record a job's end (``outcome``: status, error, durations …) and queue its
        webhook deliveries (url, key id, body), in one transaction; False when the
        article was deleted or edited meanwhile (the job is then forgotten)."""
        now = time.time()
        names = ", ".join(f"{k} = ?" for k in outcome)
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE articles SET {names}, finished = ?, updated = ? WHERE id = ? AND revision = ?"
                " AND status = 'running'",
                (*outcome.values(), now, now, article_id, revision),
            )
            if cursor.rowcount != 1:
                return False
            for url, key_id, body in deliveries:
                db.execute(
                    "INSERT OR IGNORE INTO deliveries (article_id, revision, event, url, key_id, body,"
                    " next_at, created) VALUES (?,?,?,?,?,?,?,?)",
                    (article_id, revision, outcome["status"], url, key_id, body, now, now),
                )
        return True

    def requeue(self, article_id: str, revision: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE articles SET status = 'queued' WHERE id = ? AND revision = ? AND status = 'running'",
                (article_id, revision),
            )

    def recover(self) -> int:
        """At start: every job left running by a server that stopped is queued again."""
        with self._write() as db:
            return db.execute("UPDATE articles SET status = 'queued' WHERE status = 'running'").rowcount

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATES, 0)
        for row in self._db().execute("SELECT status, count(*) AS n FROM articles GROUP BY status"):
            found[row["status"]] = row["n"]
        return found

    def totals(self) -> dict[str, float]:
        row = (
            self._db()
            .execute(
                "SELECT coalesce(sum(seconds), 0) AS seconds, coalesce(sum(synthesized), 0) AS synthesized,"
                " coalesce(sum(duration_ms), 0) / 1000.0 AS audio FROM articles WHERE status = 'done'"
            )
            .fetchone()
        )
        return dict(row)

    # -- webhook deliveries ---------------------------------------------------------------
    def due_deliveries(self, now: float, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db().execute(
            "SELECT * FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
            (now, limit),
        )
        return [dict(r) for r in rows]

    def claim_delivery(self, delivery_id: int, now: float, lease_s: float) -> bool:
        """Take a due delivery for one attempt: it is not due again for ``lease_s`` (so
        no other loop, or later pass of this one, sends it meanwhile)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE deliveries SET next_at = ? WHERE id = ? AND state = 'pending' AND next_at <= ?",
                (now + lease_s, delivery_id, now),
            )
        return cursor.rowcount == 1

    def record_attempt(
        self, delivery_id: int, status: int | None, error: str | None, next_at: float | None, state: str
    ) -> None:
        now = time.time()
        with self._write() as db:
            db.execute("INSERT INTO attempts VALUES (?,?,?,?)", (delivery_id, now, status, error))
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, state = ?,"
                " next_at = coalesce(?, next_at), delivered = CASE WHEN ? = 'delivered' THEN ? END"
                " WHERE id = ?",
                (status, error, state, next_at, state, now, delivery_id),
            )

    def deliveries(self, article_id: str) -> list[dict[str, Any]]:
        rows = self._db().execute(
            "SELECT id, revision, event, url, state, attempts, next_at, created, last_status, last_error,"
            " delivered FROM deliveries WHERE article_id = ? ORDER BY id",
            (article_id,),
        )
        found = [dict(r) for r in rows]
        for delivery in found:
            log = self._db().execute(
                "SELECT at, status, error FROM attempts WHERE delivery_id = ? ORDER BY at", (delivery["id"],)
            )
            delivery["log"] = [dict(a) for a in log]
        return found

    def pending_deliveries(self) -> int:
        return int(
            self._db().execute("SELECT count(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]
        )
