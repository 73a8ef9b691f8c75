"""The service's small parts without a server: signatures, signed URLs, backoff, config,
and the command line's clean refusals."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from narrate.errors import ConfigError
from narrate.service import keys
from narrate.service.config import ServiceConfig, is_loopback, load_config
from narrate.service.webhooks import backoff
from service_tools import Server, call, create_key, narrate_cli


def test_a_webhook_signature_checks_body_secret_and_age() -> None:
    body = b'{"event": "article.done"}'
    header = keys.sign_body("whsec_a", body)
    assert keys.verify_signature("whsec_a", body, header)
    assert not keys.verify_signature("whsec_b", body, header)
    assert not keys.verify_signature("whsec_a", body + b" ", header)
    old = keys.sign_body("whsec_a", body, int(time.time()) - 3600)
    assert not keys.verify_signature("whsec_a", body, old)  # outside the replay window
    assert not keys.verify_signature("whsec_a", body, "garbage")


def test_signed_urls_expire_and_name_their_path() -> None:
    query = dict(p.split("=") for p in keys.signed_query("s3cret", "/v1/articles/a/audio", 60).split("&"))
    assert keys.check_signed("s3cret", "/v1/articles/a/audio", query["expires"], query["sig"])
    assert not keys.check_signed("s3cret", "/v1/articles/b/audio", query["expires"], query["sig"])
    assert not keys.check_signed("other", "/v1/articles/a/audio", query["expires"], query["sig"])
    expired = str(int(time.time()) - 1)
    sig = keys.sign_path("s3cret", "/x", int(expired))
    assert not keys.check_signed("s3cret", "/x", expired, sig)
    assert not keys.check_signed("s3cret", "/x", None, None)


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    config = ServiceConfig(retry_base_s=10, retry_max_s=100)
    for attempts, centre in ((1, 10), (2, 20), (3, 40), (9, 100)):
        delays = [backoff(attempts, config) for _ in range(50)]
        assert all(0.5 * centre <= d <= 1.5 * centre for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_config_layers_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "serve.toml"
    path.write_text('[serve]\nport = 9000\nworkers = 3\naudio = "signed"\n', encoding="utf-8")
    config = load_config(path, port=9100)
    assert (config.port, config.workers, config.audio) == (9100, 3, "signed")
    path.write_text("[serve]\ncolour = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(path)
    with pytest.raises(ConfigError, match="public"):
        load_config(None, audio="secret")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


def test_binding_beyond_loopback_needs_a_key(tmp_path: Path) -> None:
    result = narrate_cli("serve", "--data", str(tmp_path / "data"), "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2
    assert (
        result.stderr.startswith("narrate: error: --host 0.0.0.0 is reachable")
        and "Traceback" not in result.stderr
    )
    bad = narrate_cli("serve", "--data", str(tmp_path / "data"), "--profile", "no-such-voice")
    assert bad.returncode == 1 and bad.stderr.startswith("narrate: error: unknown voice profile")


def test_signed_mode_serves_audio_only_through_signed_urls(tmp_path: Path) -> None:
    key = create_key(tmp_path / "data")
    server = Server(tmp_path / "data", ("--audio", "signed")).start()
    try:
        body = {"text": "Signed Story\n\nOnly subscribers hear this.", "options": {"disclaimer": False}}
        assert call("PUT", f"{server.url}/v1/articles/signed", body, token=key.token).status == 202
        done = server.wait_for("signed", key.token)
        link = done["links"]["audio"]
        assert "sig=" in link and "expires=" in link
        assert call("GET", link, headers={"Range": "bytes=0-9"}).status == 206
        plain = call("GET", f"{server.url}/v1/articles/signed/audio")
        assert (plain.status, plain.code) == (403, "signature_required")
        assert call("GET", link.replace("sig=", "sig=0")).code == "signature_required"
        assert call("GET", f"{server.url}/v1/feed.xml").code == "feed_needs_public_audio"
        second = narrate_cli("serve", "--data", str(tmp_path / "data"), "--port", str(server.port + 1))
        assert second.returncode == 2 and second.stderr.startswith("narrate: error: another narrate serve")
    finally:
        server.stop()


def test_rate_and_queue_limits_answer_429(tmp_path: Path) -> None:
    (tmp_path / "serve.toml").write_text("[serve]\nrate_per_minute = 2\nqueue_limit = 0\n", encoding="utf-8")
    key = create_key(tmp_path / "data")
    server = Server(tmp_path / "data", ("--config", str(tmp_path / "serve.toml"))).start()
    try:
        url = f"{server.url}/v1/articles/limited"
        codes = [call("PUT", url, {"text": "Too many."}, token=key.token) for _ in range(3)]
        assert [(r.status, r.code) for r in codes] == [(429, "queue_full")] * 2 + [(429, "rate_limited")]
        assert codes[0].headers["retry-after"] and codes[2].headers["retry-after"]
    finally:
        server.stop()


def test_the_web_stack_loads_only_for_narrate_serve(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys, narrate.cli; print([m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules])"
    )
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        == "[]\n"
    )
    fake = tmp_path / "no-extra"
    fake.mkdir()
    (fake / "uvicorn.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'uvicorn'\", name='uvicorn')\n"
    )
    result = narrate_cli("serve", "--data", str(tmp_path / "data"), env={"PYTHONPATH": str(fake)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "narrate: error: narrate serve needs the service extra (uvicorn is missing)"
    )


def test_a_due_delivery_is_claimed_once(tmp_path: Path) -> None:
    from narrate.service.store import Store

    store = Store(tmp_path / "narrate.db")
    store.submit("a", "f", {"text": "x"}, None, "http://127.0.0.1:9/hook")
    job = store.claim(set())
    assert job is not None
    store.finish("a", 1, {"status": "done"}, [("http://127.0.0.1:9/hook", None, b"{}")])
    (due,) = store.due_deliveries(time.time())
    assert store.claim_delivery(due["id"], time.time(), 30)
    assert not store.claim_delivery(due["id"], time.time(), 30)  # a second pass does not send it again
    assert store.due_deliveries(time.time()) == []
    assert not store.finish("a", 1, {"status": "done"}, [])  # an outcome is recorded once


def test_a_deleted_article_put_again_gets_a_new_revision_and_its_webhook(tmp_path: Path) -> None:
    """Receivers dedupe webhooks by (id, revision): a revision must never come back."""
    from narrate.service.store import Store

    store = Store(tmp_path / "narrate.db")
    hook = "http://127.0.0.1:9/hook"
    store.submit("a", "f", {"text": "x"}, None, hook)
    assert store.claim(set()) is not None
    assert store.finish("a", 1, {"status": "done"}, [(hook, None, b"{}")])
    store.delete("a")
    again = store.submit("a", "f", {"text": "x"}, None, hook)
    assert again.new_job and again.article["revision"] == 2
    assert store.claim(set()) is not None
    assert store.finish("a", 2, {"status": "done"}, [(hook, None, b"{}")])
    assert [d["revision"] for d in store.due_deliveries(time.time() + 1)] == [1, 2]
