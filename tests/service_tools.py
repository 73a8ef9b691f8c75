"""Driving the real service: ``narrate serve`` in a subprocess on 127.0.0.1, plain HTTP
from the standard library, and webhook receivers that are tiny HTTP servers on loopback.
Loaded as a pytest plugin (tests/conftest.py) for its fixtures."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

STARTUP_S = 30
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str:
        return str(self.json()["error"]["code"])


def call(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 30,
) -> Reply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with DIRECT.open(request, timeout=timeout) as response:
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def narrate_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "narrate", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


@dataclass
class Key:
    token: str
    secret: str
    key_id: str


def create_key(data: Path, *extra: str) -> Key:
    result = narrate_cli("serve", "keys", "create", "--data", str(data), *extra)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines())
    return Key(fields["key"].strip(), fields["webhook secret"].strip(), fields["id"].strip())


@dataclass
class Server:
    """One ``narrate serve`` process; ``start()`` waits until /healthz answers."""

    data: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        STARTED.append(self)
        with (self.data.parent / f"server-{self.port}.log").open("ab") as log:
            self.process = subprocess.Popen(  # its own session: cleanup() ends the whole group
                [
                    sys.executable,
                    "-m",
                    "narrate",
                    "serve",
                    "--data",
                    str(self.data),
                    "--port",
                    str(self.port),
                    *self.args,
                ],
                stdout=log,
                stderr=log,
                cwd=REPO,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data.parent / f"server-{self.port}.log").read_text()
            try:
                if call("GET", self.url + "/healthz", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self.process = None
        return code

    def kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def article(self, article_id: str, token: str) -> dict[str, Any]:
        return dict(call("GET", f"{self.url}/v1/articles/{article_id}", token=token).json())

    def wait_for(
        self,
        article_id: str,
        token: str,
        revision: int = 1,
        timeout: float = 60,
        states: tuple[str, ...] = ("done", "failed"),
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.article(article_id, token)
            if found["revision"] >= revision and found["status"] in states:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{article_id} still {found['status']} after {timeout} s")


STARTED: list[Server] = []


@pytest.fixture(autouse=True)
def cleanup_servers() -> Iterator[None]:
    """A test that fails half-way must not leave a server (or its engine workers)
    running: after each test, every process group it started and did not stop ends."""
    before = len(STARTED)
    yield
    for server in STARTED[before:]:
        if server.process is not None and server is not _SESSION.get("server"):
            server.kill_group()
    del STARTED[before:]


_SESSION: dict[str, Server] = {}


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST (headers, body)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait(self, test: Callable[[list[tuple[dict[str, str], bytes]]], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test(self.posts):
                return
            time.sleep(0.05)
        raise AssertionError(f"webhooks not received in {timeout} s: {len(self.posts)} so far")

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.posts]


@dataclass
class Service:
    server: Server
    key: Key
    receiver: Receiver

    @property
    def url(self) -> str:
        return self.server.url


SERVICE_CONFIG = """
[serve]
workers = 3
max_text_chars = 5000
max_body_bytes = 50000
retry_base_s = 0.2
"""


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The shared server most tests drive, with a key whose webhooks go to a receiver."""
    root = tmp_path_factory.mktemp("service")
    (root / "serve.toml").write_text(SERVICE_CONFIG, encoding="utf-8")
    receiver = Receiver().start()
    key = create_key(root / "data", "--label", "tests", "--webhook", receiver.url)
    server = Server(root / "data", ("--config", str(root / "serve.toml"))).start()
    _SESSION["server"] = server
    yield Service(server, key, receiver)
    if server.process is not None:
        server.stop()
    receiver.stop()
