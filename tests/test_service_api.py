"""narrate serve, driven over real HTTP on loopback: submit → webhook → audio with a
Range request; edits, idempotency, keys and every bad-input code (README, "The
newsroom service")."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from audio_tools import duration_ms
from narrate.service.keys import verify_signature
from service_tools import Service, call, create_key, narrate_cli

STORY = (
    "# Harbour Reopens After Repairs\n\nThe harbour reopened on Monday after a week of repairs. "
    "Ferries ran on time all morning.\n\nThe mayor thanked the crews.\n"
)


def put(service: Service, article_id: str, body: dict, token: str | None = None):  # noqa: ANN201
    return call("PUT", f"{service.url}/v1/articles/{article_id}", body, token=token or service.key.token)


def readme_verify(secret: str, body: bytes, header: str, window_s: int = 300) -> bool:
    """The README's verification snippet, as a receiver would write it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    if abs(time.time() - int(fields["t"])) > window_s:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_submit_webhook_range_and_decode(service: Service, tmp_path: Path) -> None:
    reply = put(
        service, "harbour", {"markdown": STORY, "author": "Ana Reyes", "url": "https://news.example/h"}
    )
    assert reply.status == 202, reply.body
    assert reply.json()["status"] in ("queued", "running") and reply.json()["revision"] == 1

    service.receiver.wait(lambda posts: any(json.loads(b)["article"]["id"] == "harbour" for _, b in posts))
    headers, body = next(
        (h, b) for h, b in service.receiver.posts if json.loads(b)["article"]["id"] == "harbour"
    )
    assert json.loads(body)["event"] == "article.done"
    assert verify_signature(service.key.secret, body, headers["x-narrate-signature"])
    assert readme_verify(service.key.secret, body, headers["x-narrate-signature"])
    assert not readme_verify("whsec_wrong", body, headers["x-narrate-signature"])

    article = service.server.article("harbour", service.key.token)
    assert article["status"] == "done" and article["manifest"]["source"]["author"] == "Ana Reyes"
    assert set(article["links"]["files"]) >= {"vtt"}
    head = call("GET", article["links"]["audio"], headers={"Range": "bytes=0-1023"})
    assert head.status == 206 and len(head.body) == 1024
    assert head.headers["content-type"] == "audio/mpeg" and head.headers["content-range"].startswith(
        "bytes 0-1023/"
    )
    headers_only = call("HEAD", article["links"]["audio"])  # podcast apps ask before they fetch
    assert (
        headers_only.status == 200
        and headers_only.body == b""
        and headers_only.headers["accept-ranges"] == "bytes"
    )
    whole = call("GET", article["links"]["audio"])
    assert int(headers_only.headers["content-length"]) == len(whole.body)
    assert whole.status == 200 and whole.body[:1024] == head.body
    assert (
        call("GET", article["links"]["audio"], headers={"If-None-Match": whole.headers["etag"]}).status == 304
    )
    path = tmp_path / "harbour.mp3"
    path.write_bytes(whole.body)
    assert duration_ms(path) == pytest.approx(article["duration_ms"], abs=150)
    page = call("GET", article["links"]["player"])
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b"<audio" in page.body and b'kind="captions"' in page.body and b"AI" in page.body
    captions = call("GET", article["links"]["files"]["vtt"])
    assert captions.headers["content-type"].startswith("text/vtt") and b"harbour" in captions.body.lower()


def test_an_edit_resynthesises_only_the_changed_sentence(service: Service) -> None:
    first = put(service, "edit-me", {"markdown": STORY})
    assert first.status == 202
    done = service.server.wait_for("edit-me", service.key.token)
    assert done["status"] == "done", done["error"]
    edited = STORY.replace("The mayor thanked the crews.", "The mayor thanked the divers and crews.")
    second = put(service, "edit-me", {"markdown": edited})
    assert second.status == 202 and second.json()["revision"] == 2
    redone = service.server.wait_for("edit-me", service.key.token, revision=2)
    assert redone["status"] == "done" and redone["narrated_revision"] == 2
    assert redone["synthesized"] == 1, redone  # the changed sentence, nothing else
    assert redone["from_cache"] >= 4
    spoken = [u["written"] for u in redone["manifest"]["utterances"]]
    assert "The mayor thanked the divers and crews." in spoken


def test_an_edit_that_changes_the_format_leaves_no_stale_audio(service: Service) -> None:
    text = "Short story. It changes format."
    put(service, "reformat", {"text": text, "options": {"captions": ["vtt", "srt"]}})
    assert service.server.wait_for("reformat", service.key.token)["status"] == "done"
    put(service, "reformat", {"text": text, "options": {"format": "ogg"}})
    done = service.server.wait_for("reformat", service.key.token, revision=2)
    assert done["status"] == "done", done["error"]
    folder = next(p.parent for p in (service.server.data / "articles").glob("*/article.ogg"))
    listed = {"article.ogg", "article.json", *done["manifest"]["files"].values()}
    assert "article.srt" not in listed
    assert {p.name for p in folder.iterdir()} == listed  # no article.mp3, no article.srt


def test_the_same_content_twice_is_one_narration(service: Service) -> None:
    body = {"text": "Budget Passes\n\nThe council passed the budget on Tuesday."}
    assert put(service, "twice", body).status == 202
    done = service.server.wait_for("twice", service.key.token)
    again = put(service, "twice", body)
    assert (
        again.status == 200 and again.json()["revision"] == 1 and again.json()["finished"] == done["finished"]
    )
    # a different webhook URL is not different content
    assert put(service, "twice", {**body, "webhook_url": "http://127.0.0.1:9/x"}).status == 200
    service.receiver.wait(lambda posts: any(b'"twice"' in body for _, body in posts))
    deadline = time.monotonic() + 10
    while (log := call("GET", f"{service.url}/v1/articles/twice/deliveries", token=service.key.token).json())[
        "deliveries"
    ][0]["state"] != "delivered":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # time for a second delivery, were there one
    assert len([b for b in service.receiver.bodies() if b["article"]["id"] == "twice"]) == 1
    assert [d["state"] for d in log["deliveries"]] == ["delivered"] and log["deliveries"][0]["attempts"] == 1


def test_writes_and_reads_need_a_valid_key(service: Service) -> None:
    body = {"text": "Nothing to see here today."}
    url = f"{service.url}/v1/articles/auth"
    missing = call("PUT", url, body)
    assert (missing.status, missing.code) == (401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert call("PUT", url, body, token="nk_forged_token").code == "invalid_key"
    unparsed = call(
        "PUT", url, raw=b'{"text": broken', token="nk_forged_token"
    )  # the key first, then the body
    assert (unparsed.status, unparsed.code) == (401, "invalid_key")
    assert call("GET", url).code == "unauthorized"
    spare = create_key(service.server.data, "--label", "spare")
    listed = narrate_cli("serve", "keys", "list", "--data", str(service.server.data))
    assert spare.key_id in listed.stdout and spare.token not in listed.stdout
    assert (
        narrate_cli("serve", "keys", "revoke", "--data", str(service.server.data), spare.key_id).returncode
        == 0
    )
    revoked = call("PUT", url, body, token=spare.token)
    assert (revoked.status, revoked.code) == (401, "invalid_key")
    again = narrate_cli("serve", "keys", "revoke", "--data", str(service.server.data), spare.key_id)
    assert again.returncode == 2 and again.stderr.startswith("narrate: error: no active key")


HTML_WITHOUT_ARTICLE = "<html><body><nav><a href='/'>Home</a></nav></body></html>"


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b'{"text": "unclosed', 400, "malformed_json"),
        (b'["a list"]', 400, "malformed_json"),
        (b'{"title": "No content"}', 422, "missing_field"),
        (b'{"text": "a", "html": "<p>b</p>"}', 422, "conflicting_fields"),
        (b'{"text": "Fine.", "colour": "red"}', 422, "unknown_field"),
        (b'{"text": "Fine.", "profile": "no-such-voice"}', 422, "unknown_profile"),
        (b'{"text": "Fine.", "options": {"format": "midi"}}', 422, "invalid_field"),
        (b'{"text": "Fine.", "profile": "/etc/passwd"}', 422, "unknown_profile"),
        (b"[" * 20000 + b"]" * 20000, 400, "malformed_json"),
        (b'{"text": ""}', 422, "unreadable_article"),
        (json.dumps({"html": HTML_WITHOUT_ARTICLE}).encode(), 422, "no_article"),
        (b'{"text": "Fine.", "webhook_url": "file:///etc/passwd"}', 422, "invalid_field"),
        (json.dumps({"text": "word " * 1100}).encode(), 413, "text_too_long"),
        (json.dumps({"text": "x" * 60000}).encode(), 413, "body_too_large"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_every_bad_input_has_its_own_code(service: Service, raw: bytes, status: int, code: str) -> None:
    reply = call("PUT", f"{service.url}/v1/articles/bad", raw=raw, token=service.key.token)
    assert (reply.status, reply.code) == (status, code), reply.body
    assert reply.json()["error"]["message"]
    assert call("GET", f"{service.url}/v1/articles/bad", token=service.key.token).status == 404


def test_bad_ids_and_queries_are_4xx_json(service: Service) -> None:
    token = service.key.token
    assert put(service, "..%2Fetc", {"text": "Fine."}).code in ("invalid_id", "not_found")
    assert call("GET", f"{service.url}/v1/articles/nope", token=token).code == "not_found"
    assert call("GET", f"{service.url}/v1/articles/nope/audio").code == "not_found"
    assert call("GET", f"{service.url}/v1/articles?status=bogus", token=token).code == "invalid_field"
    assert call("GET", f"{service.url}/v1/articles?cursor=zzz", token=token).code == "invalid_cursor"
    assert call("POST", f"{service.url}/v1/articles/x", {"text": "a"}, token=token).status == 405


def test_list_pages_and_delete(service: Service) -> None:
    token = service.key.token
    for n in range(3):
        assert put(service, f"page-{n}", {"text": f"Page story number {n} is short."}).status == 202
    for n in range(3):
        service.server.wait_for(f"page-{n}", token)
    seen: list[str] = []
    cursor = None
    while True:
        query = "status=done&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", f"{service.url}/v1/articles?{query}", token=token).json()
        seen += [a["id"] for a in page["articles"]]
        if not (cursor := page["next"]):
            break
    assert {"page-0", "page-1", "page-2"} <= set(seen) and len(seen) == len(set(seen))
    audio = service.server.article("page-1", token)["links"]["audio"]
    assert call("DELETE", f"{service.url}/v1/articles/page-1", token=token).json() == {"deleted": "page-1"}
    assert call("GET", f"{service.url}/v1/articles/page-1", token=token).status == 404
    assert call("GET", audio).status == 404


def test_feed_metrics_and_health(service: Service) -> None:
    token = service.key.token
    assert put(
        service, "feed-item", {"text": "Feed Story\n\nIt is in the feed.", "title": "Feed Story"}
    ).status
    service.server.wait_for("feed-item", token)
    feed = call("GET", f"{service.url}/v1/feed.xml")
    assert feed.status == 200 and feed.headers["content-type"].startswith("application/rss+xml")
    import feedparser

    parsed = feedparser.parse(feed.body)
    entry = next(e for e in parsed.entries if e.title == "Feed Story")
    enclosure = entry.enclosures[0]
    assert call("GET", enclosure.href, headers={"Range": "bytes=0-9"}).status == 206
    metrics = call("GET", f"{service.url}/metrics").body.decode()
    assert 'narrate_jobs{state="done"}' in metrics and "narrate_queue_depth" in metrics
    assert "narrate_synthesis_seconds_total" in metrics
    assert call("GET", f"{service.url}/healthz").json()["status"] == "ok"
    assert call("GET", f"{service.url}/openapi.json").json()["info"]["title"] == "narrate"


def test_a_failed_job_reports_its_error_line_and_webhook(service: Service) -> None:
    reply = put(service, "arabic", {"text": "مرحبا بكم في الأخبار اليوم"})
    assert reply.status == 202
    failed = service.server.wait_for("arabic", service.key.token)
    assert failed["status"] == "failed" and "Arabic" in failed["error"] and "\n" not in failed["error"]
    assert failed["links"].get("audio") is None
    service.receiver.wait(lambda posts: any(b"arabic" in body for _, body in posts))
    event = next(b for b in service.receiver.bodies() if b["article"]["id"] == "arabic")
    assert event["event"] == "article.failed" and event["article"]["error"] == failed["error"]
    assert put(service, "arabic", {"text": "Now it is in English."}).status == 202  # a fix re-queues it
    assert service.server.wait_for("arabic", service.key.token, revision=2)["status"] == "done"
