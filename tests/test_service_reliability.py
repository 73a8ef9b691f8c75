"""The service's reliability promises (README, "Reliability"): kill -9 mid-job and a
restart lose nothing; SIGTERM finishes or re-queues; a webhook receiver that is down
gets its delivery when it comes back; 200 articles from 20 concurrent clients are all
narrated once."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from audio_tools import duration_ms
from narrate.service.keys import verify_signature
from narrate.service.store import Store
from service_tools import Receiver, Server, Service, call, create_key, free_port

SENTENCES = [
    f"Paragraph {n} of the long report says the ferry number {n * 7} left at dawn." for n in range(1, 25)
]
LONG = "# A Long Report On Ferries\n\n" + "\n\n".join(SENTENCES) + "\n"


def wait_running(server: Server, article_id: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.article(article_id, token)["status"] != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


def test_kill9_mid_job_then_sigterm_mid_job_lose_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (tmp_path / "serve.toml").write_text("[serve]\nworkers = 1\nshutdown_grace_s = 0.2\n", encoding="utf-8")
    key = create_key(data)
    env = {"NARRATE_CACHE_DIR": str(tmp_path / "cache")}  # an empty cache: the job takes a while
    args = ("--config", str(tmp_path / "serve.toml"))
    server = Server(data, args, env=env).start()
    path = "/v1/articles/long"
    assert call("PUT", server.url + path, {"markdown": LONG}, token=key.token).status == 202
    wait_running(server, "long", key.token)
    time.sleep(0.5)  # mid-synthesis
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL

    server = Server(data, args, env=env).start()  # the same data folder
    during = call("GET", f"{server.url}{path}/audio")
    assert (during.status, during.json()["error"]["code"]) == (
        404,
        "not_ready",
    )  # nothing half-made is served
    done = server.wait_for("long", key.token, timeout=120)
    assert done["status"] == "done" and done["revision"] == 1, done["error"]
    audio = call("GET", done["links"]["audio"])
    (tmp_path / "long.mp3").write_bytes(audio.body)
    assert duration_ms(tmp_path / "long.mp3") == pytest.approx(done["duration_ms"], rel=0.01)

    # SIGTERM while an edit is running: the server stops within its grace, the job is
    # queued again, and the next start finishes it.
    assert (
        call("PUT", server.url + path, {"markdown": LONG.replace("dawn", "dusk")}, token=key.token).status
        == 202
    )
    wait_running(server, "long", key.token)
    assert server.stop(signal.SIGTERM, timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises it
    left = Store(data / "narrate.db").article("long")
    assert left is not None and left["status"] in ("queued", "done")  # re-queued, not left running
    server = Server(data, args, env=env).start()
    redone = server.wait_for("long", key.token, revision=2, timeout=120)
    assert redone["status"] == "done" and redone["narrated_revision"] == 2
    server.stop()


def test_a_webhook_receiver_down_then_up_gets_its_delivery(service: Service) -> None:
    receiver = Receiver(free_port())  # not listening yet
    body = {"text": "Late Listener\n\nThe receiver was down at first.", "webhook_url": receiver.url}
    url = f"{service.url}/v1/articles/late-hook"
    assert call("PUT", url, body, token=service.key.token).status == 202
    deadline = time.monotonic() + 60
    while True:
        log = call("GET", f"{url}/deliveries", token=service.key.token).json()["deliveries"]
        if log and log[0]["attempts"] >= 2:
            break
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
    assert log[0]["state"] == "pending" and log[0]["last_status"] is None and log[0]["last_error"]
    receiver.start()
    try:
        receiver.wait(lambda posts: len(posts) >= 1)
        headers, raw = receiver.posts[0]
        assert json.loads(raw)["article"]["id"] == "late-hook"
        assert verify_signature(service.key.secret, raw, headers["x-narrate-signature"])
        deadline = time.monotonic() + 10
        while (entry := call("GET", f"{url}/deliveries", token=service.key.token).json()["deliveries"][0])[
            "state"
        ] != "delivered":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert entry["log"][-1]["status"] == 204 and all(a["status"] is None for a in entry["log"][:-1])
        time.sleep(0.6)  # delivered: no more attempts
        assert len(receiver.posts) == 1
    finally:
        receiver.stop()


def test_200_articles_from_20_clients_all_done_once(service: Service) -> None:
    token = service.key.token
    ids = [f"load-{n:03d}" for n in range(200)]
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def client(mine: list[str]) -> None:
        for article_id in mine:
            body = {"text": f"Brief {article_id}. The tide was high.", "options": {"disclaimer": False}}
            reply = call("PUT", f"{service.url}/v1/articles/{article_id}", body, token=token)
            with lock:
                statuses[article_id] = reply.status

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(ids[n::20],)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == dict.fromkeys(ids, 202)
    deadline = started + 50
    while True:
        done = {
            a["id"]: a
            for a in call("GET", f"{service.url}/v1/articles?status=done&limit=500", token=token).json()[
                "articles"
            ]
            if a["id"].startswith("load-")
        }
        if len(done) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(done) == ids
    assert all(a["revision"] == 1 and a["narrated_revision"] == 1 for a in done.values())
    service.receiver.wait(
        lambda posts: len({json.loads(b)["article"]["id"] for _, b in posts if b"load-" in b}) == len(ids),
        timeout=20,
    )
    events = [b["article"]["id"] for b in service.receiver.bodies() if b["article"]["id"].startswith("load-")]
    assert sorted(events) == ids  # every one reported, none twice
