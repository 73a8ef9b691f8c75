"""The service's own endpoints: /healthz, /metrics (Prometheus text), the podcast feed
of its articles (built by narrate.feed, as ``narrate feed`` builds one) and the files
the feed's enclosures point at."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from narrate.errors import NarrateError
from narrate.service import files
from narrate.service.errors import ApiError

router = APIRouter()


def _service(request: Request) -> Any:
    return request.app.state.service


@router.get("/healthz", tags=["service"])
def healthz(request: Request) -> dict[str, Any]:
    svc = _service(request)
    return {"status": "ok", "jobs": svc.store.counts()}


@router.get("/metrics", tags=["service"], response_class=PlainTextResponse)
def metrics(request: Request) -> str:
    svc = _service(request)
    counts = svc.store.counts()
    totals = svc.store.totals()
    lines = ["# HELP narrate_jobs Articles by the state of their job.", "# TYPE narrate_jobs gauge"]
    lines += [f'narrate_jobs{{state="{state}"}} {n}' for state, n in counts.items()]
    gauges = {
        "narrate_queue_depth": ("Jobs waiting for a worker.", "gauge", counts["queued"]),
        "narrate_synthesis_seconds_total": (
            "Wall seconds spent narrating finished articles.",
            "counter",
            totals["seconds"],
        ),
        "narrate_audio_seconds_total": ("Seconds of audio in finished articles.", "counter", totals["audio"]),
        "narrate_clips_synthesized_total": (
            "Sentences the engines spoke (not from the cache).",
            "counter",
            totals["synthesized"],
        ),
        "narrate_webhooks_pending": (
            "Webhook deliveries waiting to land.",
            "gauge",
            svc.store.pending_deliveries(),
        ),
    }
    for name, (text, kind, value) in gauges.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    return "\n".join(lines) + "\n"


@router.get("/v1/feed.xml", tags=["service"])
def feed(request: Request) -> Response:
    from narrate.feed import Channel, build_feed

    svc = _service(request)
    config = svc.config
    if config.audio != "public":
        raise ApiError(409, "feed_needs_public_audio", "the feed is served only when audio is public")
    base = (config.base_url or str(request.base_url)).rstrip("/") + "/"
    channel = Channel(title=config.feed_title, description=config.feed_description, image=config.feed_image)
    if not config.articles.is_dir():
        raise ApiError(404, "empty_feed", "no article is narrated yet")
    try:
        xml = build_feed(config.articles, channel, base_url=base + "v1/media/", feed_url=base + "v1/feed.xml")
    except NarrateError as err:
        raise ApiError(404, "empty_feed", str(err)) from None
    return Response(xml, media_type="application/rss+xml; charset=utf-8")


@router.api_route("/v1/media/{folder}/{name}", methods=["GET", "HEAD"], tags=["files"])
def media(request: Request, folder: str, name: str) -> Response:
    svc = _service(request)
    files.check_access(request, svc.config.audio, svc.secret)
    if (
        not re.match(r"^[0-9a-f]{24}$", folder)
        or not re.match(r"^article[A-Za-z0-9._-]*$", name)
        or ".." in name
    ):
        raise ApiError(404, "not_found", "no such file")
    return files.send_file(request, svc.config.articles / folder / name)
